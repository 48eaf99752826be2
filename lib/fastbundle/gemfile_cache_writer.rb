# frozen_string_literal: true

module FastBundle
  module GemfileCache
    # The writing side of GemfileCache (see gemfile_cache.rb), loaded on a
    # miss: compiles the wrapped Gemfile, decides whether it may replace
    # instance_eval, and writes the entry.
    module Writer
      # Frame-dependent methods: what they return inside eval_gemfile differs
      # from inside a lambda. The last four are eval_gemfile's local variables
      # in Bundler and fastbundle, visible to an instance_eval'd Gemfile.
      FRAME_METHODS = %i[eval binding __method__ local_variables using nesting caller caller_locations
                         gemfile contents original_gemfile expanded_gemfile_path].freeze
      # What a plain recording may do: literals, local variables, string
      # interpolation, and calls to these DSL methods on self (with blocks
      # that do the same).
      RECORDING_INSNS = %i[nop pop dup dupn swap leave putnil putself putobject putobject_INT2FIX_0_
                           putobject_INT2FIX_1_ putstring duparray duphash newarray newhash concatstrings
                           objtostring anytostring opt_str_freeze opt_str_uminus getlocal setlocal getlocal_WC_0
                           getlocal_WC_1 setlocal_WC_0 setlocal_WC_1 send opt_send_without_block]
                        .to_h { |i| [i, true] }.freeze
      RECORDING_METHODS = %i[gem source group platforms platform git_source git path github ruby install_if env plugin]
                          .to_h { |m| [m, true] }.freeze
      CALL_ON_SELF = 4 | 8 # VM_CALL_FCALL | VM_CALL_VCALL
      CALL_PASSES_OBJECTS = 1 | 2 | 128 # VM_CALL_ARGS_SPLAT | VM_CALL_ARGS_BLOCKARG | VM_CALL_KW_SPLAT
      LEADING_COMMENTS = /\A\uFEFF?(?:[ \t\f\v\r]*(?:#[^\n]*)?\n|=begin\b[^\n]*\n(?:[^\n]*\n)*?=end\b[^\n]*\n)*/.freeze

      module_function

      # Compiles, checks and records `contents`; returns what #fetch would.
      def store(entry, name, contents)
        iseq, constants, recording = compile(name, contents)
        kind = iseq ? (recording ? "recording" : "iseq") : "source"
        begin
          tmp = "#{entry}.#{Process.pid}.tmp"
          File.open(tmp, "wb", 0o600) do |f|
            f << "#{MAGIC} #{kind} #{GemfileCache.compile_options} #{name.bytesize} #{contents.bytesize} " \
                 "#{constants.nil? || constants.empty? ? "-" : constants.join(",")}\n" << name.b << contents.b
            f << iseq.to_binary if iseq
          end
          File.rename(tmp, entry)
        rescue StandardError
          File.unlink(tmp) rescue nil # rubocop:disable Style/RescueModifier
        end
        iseq && constants.all? { |c| Object.const_defined?(c) } ? [iseq.eval, recording] : nil
      end

      # Writes the record GemfileCache.load_definition reads.
      def store_definition(entry, path, contents, definition)
        values = []
        frozen = []
        by_content = {} # frozen Strings and Arrays: one copy of each
        by_identity = {}.compare_by_identity
        rows = []
        definition.dependencies.each do |dep|
          dep.initialize_arguments.each do |v|
            index = v.frozen? && (v.is_a?(String) || v.is_a?(Array)) ? by_content : by_identity
            rows << (index[v] ||= begin
              frozen << values.size if v.frozen? # Marshal.load's copy is not
              values << v
              values.size - 1
            end)
          end
        end
        data = Marshal.dump([values, frozen, rows, definition.sources, definition.ruby_version,
                             definition.optional_groups, definition.plugins, definition.gemfiles,
                             definition.input_files, definition.warnings])
        tmp = "#{entry}.#{Process.pid}.tmp"
        File.open(tmp, "wb", 0o600) do |f|
          f << "#{GemfileCache.definition_key} #{path.bytesize} #{contents.bytesize} " \
               "#{definition.ruby_version ? 1 : 0}\n" << path.b << contents.b << data
        end
        File.rename(tmp, entry)
      rescue StandardError
        File.unlink(tmp) rescue nil # rubocop:disable Style/RescueModifier
      end

      # [the wrapped Gemfile compiled, the constants it looks up lexically,
      # whether it is a plain recording], or nil when it must be
      # instance_eval'd.
      def compile(name, contents)
        return nil if contents.match?(/^__END__\r?$/)

        prefix = LEADING_COMMENTS.match(contents)[0]
        source = "#{prefix}-> do #{contents.byteslice(prefix.bytesize..)}\nend\n"
        warned = false
        iseq = with_warnings_caught(-> { warned = true }) do
          RubyVM::InstructionSequence.compile(source, name, name, 1)
        end
        wrapper = iseq.to_a
        constants = !warned && lexical_constants(wrapper)
        constants ? [iseq, constants, constants.empty? && recording?(wrapper)] : nil
      rescue SyntaxError, StandardError
        nil
      end

      # The names of the constants this wrapped Gemfile looks up lexically, or
      # nil if it would not behave as it does under instance_eval.
      def lexical_constants(wrapper)
        body = wrapper[13].find { |insn| insn.is_a?(Array) && insn[1].is_a?(Hash) && insn[1][:mid] == :lambda }
        return nil unless body

        Dsl.cold! # its constants are visible from the DSL object too
        dsl_constants = Dsl.constants
        constants = []
        lambda_body = body[2]
        each_instruction(lambda_body) do |insn, previous, iseq|
          case insn[0]
          when :setconstant, :defineclass then return nil
          when :getconstant
            next unless previous == [:putobject, true] # `Foo` or `::Foo`, not `Scope::Foo`
            return nil if dsl_constants.include?(insn[1])

            constants << insn[1].name unless constants.include?(insn[1].name)
          when :throw
            # `return` at the top leaves the lambda as it leaves eval_gemfile;
            # break/next there are errors under instance_eval.
            return nil if iseq.equal?(lambda_body) && (insn[1] & 0xff) != 1
          else
            call = insn[1]
            return nil if call.is_a?(Hash) && FRAME_METHODS.include?(call[:mid])
          end
        end
        constants
      end

      # Is this wrapped Gemfile a plain recording: code whose every run
      # makes the same DSL calls with the same arguments, whatever the
      # process, directory, ENV or files? It may use literals, local
      # variables and string interpolation, and call RECORDING_METHODS on
      # self, without splats or block arguments; blocks it passes must do the
      # same (a git_source block runs later, with a value from the Gemfile).
      # No constants (ENV, File...), other methods, branches, rescue or
      # ensure. What the DSL methods themselves read (a `ruby file:`, a
      # deprecation setting...) is Dsl#recording?'s business.
      def recording?(wrapper)
        body = wrapper[13].find { |insn| insn.is_a?(Array) && insn[1].is_a?(Hash) && insn[1][:mid] == :lambda }
        return false unless body

        recording_iseq?(body[2])
      end

      def recording_iseq?(iseq)
        return false unless iseq[12].all? { |entry| %i[break next redo retry].include?(entry[0]) && entry[1].nil? }

        iseq[13].all? do |insn|
          next true unless insn.is_a?(Array)
          next false unless RECORDING_INSNS.key?(insn[0])

          if insn[0] == :send || insn[0] == :opt_send_without_block
            call = insn[1]
            next false unless RECORDING_METHODS.key?(call[:mid]) && (call[:flag] & CALL_ON_SELF) != 0 &&
                              (call[:flag] & CALL_PASSES_OBJECTS).zero?
          end
          insn.drop(1).all? { |operand| !iseq_array?(operand) || recording_iseq?(operand) }
        end
      end

      def each_instruction(iseq, &block)
        previous = nil
        iseq[13].each do |insn|
          next unless insn.is_a?(Array)

          yield insn, previous, iseq
          previous = insn
          insn.each { |operand| each_instruction(operand, &block) if iseq_array?(operand) }
        end
        iseq[12].each { |entry| each_instruction(entry[1], &block) if iseq_array?(entry[1]) } # rescue/ensure bodies
      end

      def iseq_array?(value)
        value.is_a?(Array) && value[0] == "YARVInstructionSequence/SimpleDataFormat"
      end

      def with_warnings_caught(on_warning)
        warning = Warning.singleton_class
        own = warning.method_defined?(:warn, false)
        warning.send(:alias_method, :__fastbundle_warn, :warn) if own
        warning.send(:define_method, :warn) { |*| on_warning.call }
        yield
      ensure
        if own
          warning.send(:alias_method, :warn, :__fastbundle_warn)
          warning.send(:remove_method, :__fastbundle_warn)
        else
          warning.send(:remove_method, :warn)
        end
      end
    end
  end
end
