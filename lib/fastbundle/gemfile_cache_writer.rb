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
      # What a recording may do (see #recording_env): literals, local
      # variables, string interpolation, branches and comparisons...
      RECORDING_INSNS = %i[nop pop dup dupn swap topn setn adjuststack leave putnil putself putobject
                           putobject_INT2FIX_0_ putobject_INT2FIX_1_ putstring duparray duphash newarray newhash
                           concatstrings objtostring anytostring opt_str_freeze opt_str_uminus getlocal setlocal
                           getlocal_WC_0 getlocal_WC_1 setlocal_WC_0 setlocal_WC_1 branchif branchunless branchnil
                           jump opt_case_dispatch opt_eq opt_neq opt_not opt_nil_p opt_empty_p opt_lt opt_le opt_gt
                           opt_ge opt_length opt_size opt_aref opt_aref_with opt_getinlinecache opt_setinlinecache]
                        .to_h { |i| [i, true] }.freeze
      # ...calls to these DSL methods on self (with blocks that do the same)...
      # (gemspec and eval_gemfile read files, which keeps a Gemfile that calls
      # them from being recorded as a Definition: Dsl#recording?; the plan
      # cache keys on those files)
      RECORDING_METHODS = %i[gem source group platforms platform git_source git path github ruby install_if env plugin
                             gemspec eval_gemfile]
                          .to_h { |m| [m, true] }.freeze
      # ...these methods of the values it makes (Strings, Arrays, Hashes...),
      # none of which reads or changes anything else...
      VALUE_METHODS = %i[to_s to_sym to_i to_a to_h == != ! < <= > >= === =~ match? empty? nil? any? none? size length
                         include? key? has_key? member? start_with? end_with? downcase upcase strip split first last
                         fetch [] each each_with_index map freeze dup]
                      .to_h { |m| [m, true] }.freeze
      # ...constants fixed for the Ruby build (each has its own cache
      # directory), and ENV entries named by a literal: ENV["NAME"],
      # ENV.fetch("NAME"[, literal]), ENV.key?("NAME"), whose values are
      # part of the record's key.
      BUILD_CONSTANTS = %i[RUBY_VERSION RUBY_PLATFORM RUBY_ENGINE RUBY_ENGINE_VERSION RUBY_PATCHLEVEL]
                        .to_h { |c| [c, true] }.freeze
      ENV_READS = %i[[] fetch key? has_key? include? member?].to_h { |m| [m, true] }.freeze
      ENV_NAME = /\A[A-Za-z0-9_.\-]+\z/.freeze
      CALL_ON_SELF = 4 | 8 # VM_CALL_FCALL | VM_CALL_VCALL
      CALL_PASSES_OBJECTS = 1 | 2 | 128 # VM_CALL_ARGS_SPLAT | VM_CALL_ARGS_BLOCKARG | VM_CALL_KW_SPLAT
      LEADING_COMMENTS = /\A\uFEFF?(?:[ \t\f\v\r]*(?:#[^\n]*)?\n|=begin\b[^\n]*\n(?:[^\n]*\n)*?=end\b[^\n]*\n)*/.freeze

      module_function

      # Compiles, checks and records `contents`; returns what #fetch would.
      def store(entry, name, contents)
        iseq, constants, recording = compile(name, contents)
        kind = iseq ? (recording ? "recording:#{recording.join(",")}" : "iseq") : "source"
        begin
          data = +"#{MAGIC} #{kind} #{GemfileCache.compile_options} #{name.bytesize} #{contents.bytesize} " \
                  "#{constants.nil? || constants.empty? ? "-" : constants.join(",")}\n"
          data << name.b << contents.b
          data << iseq.to_binary if iseq
          Native.write_cache_file(entry, data)
        rescue StandardError
          nil # a cache that cannot be written costs nothing
        end
        iseq && constants.all? { |c| Object.const_defined?(c) } ? [iseq.eval, recording] : nil
      end

      # Writes the record GemfileCache.load_definition reads; `env_names`
      # (see #recording_env) are recorded with digests of their current
      # values. Nothing is written for a Gemfile that holds credentials.
      def store_definition(entry, path, contents, definition, env_names)
        return if Definition::CredentialFilter.holds_credentials?(contents)

        env = env_names.empty? ? "" : Marshal.dump(env_names.map { |n| [n, GemfileCache.fingerprint(ENV[n])] })
        data = dump_definition(definition)
        record = +"#{GemfileCache.definition_key} #{path.bytesize} #{contents.bytesize} " \
                  "#{definition.ruby_version ? 1 : 0} #{env.bytesize}\n"
        record << path.b << contents.b << env << data
        Native.write_cache_file(entry, record)
      rescue StandardError
        nil
      end

      # Marshal data of a Definition (GemfileCache.restore_definition reads it):
      # [values, indexes of frozen values, dependency rows, sources,
      #  ruby_version, optional_groups, plugins, gemfiles, input_files,
      #  warnings], each dependency a row of indexes into values.
      def dump_definition(definition)
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
        Marshal.dump([values, frozen, rows, definition.sources, definition.ruby_version,
                      definition.optional_groups, definition.plugins, definition.gemfiles,
                      definition.input_files, definition.warnings])
      end

      # [the wrapped Gemfile compiled, the constants it looks up lexically,
      # the ENV names its recording depends on (nil: not a recording)], or
      # nil when it must be instance_eval'd.
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
        constants ? [iseq, constants, recording_env(wrapper)] : nil
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
          when :getconstant, :opt_getconstant_path
            name = lexical_constant(insn, previous) or next
            return nil if dsl_constants.include?(name)

            constants << name.name unless constants.include?(name.name)
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

      # The constant `insn` looks up lexically (`Foo`, the Foo of
      # `Foo::Bar`; not `::Foo`), or nil. Ruby 3.2+ compiles a constant path
      # into one opt_getconstant_path [:Foo, :Bar] ([:"", :Foo] for `::Foo`),
      # earlier Rubies into getconstant per segment, the first after
      # `putobject true`.
      def lexical_constant(insn, previous)
        if insn[0] == :opt_getconstant_path
          insn[1][0] == :"" ? nil : insn[1][0]
        elsif previous == [:putobject, true]
          insn[1]
        end
      end

      # Is this wrapped Gemfile a recording: code whose every run makes the
      # same DSL calls with the same arguments, whatever the process,
      # directory or files, given the values of a few ENV entries? Returns
      # the names of those entries (often none), or nil. It may use the
      # instructions, methods and constants listed above; DSL methods only on
      # self, without splats or block arguments; blocks must do the same (a
      # git_source block runs later, with a value from the Gemfile). No other
      # constants (File, Gem...), no other methods, no rescue or ensure.
      # What the DSL methods themselves read (a `ruby file:`, a deprecation
      # setting...) is Dsl#recording?'s business.
      def recording_env(wrapper)
        body = wrapper[13].find { |insn| insn.is_a?(Array) && insn[1].is_a?(Hash) && insn[1][:mid] == :lambda }
        names = []
        body && recording_iseq?(body[2], names) ? names.uniq : nil
      end

      def recording_iseq?(iseq, names)
        return false unless iseq[12].all? { |entry| %i[break next redo retry].include?(entry[0]) && entry[1].nil? }

        insns = iseq[13].select { |insn| insn.is_a?(Array) }
        insns.each_with_index.all? do |insn, i|
          ok = case insn[0]
               when :getconstant
                 insns[i - 1] == [:putobject, true] && recording_constant?(insn[1], insns, i + 2, names)
               when :opt_getconstant_path # Ruby 3.2+
                 insn[1].size == 1 && recording_constant?(insn[1][0], insns, i + 1, names)
               when :send, :opt_send_without_block then recording_call?(insn[1])
               else RECORDING_INSNS.key?(insn[0])
               end
          ok && insn.drop(1).all? { |operand| !iseq_array?(operand) || recording_iseq?(operand, names) }
        end
      end

      def recording_call?(call)
        return false unless (call[:flag] & CALL_PASSES_OBJECTS).zero?
        return true if call[:mid] == :=== # case/when calls it as if on self

        (call[:flag] & CALL_ON_SELF).zero? ? VALUE_METHODS.key?(call[:mid]) : RECORDING_METHODS.key?(call[:mid])
      end

      # May a recording look up this constant? ENV only for a read of a
      # literal name (see env_read: `read_at` is where the read starts),
      # whose name goes into `names`.
      def recording_constant?(name, insns, read_at, names)
        return true if BUILD_CONSTANTS.key?(name)
        return false unless name == :ENV && (env_name = env_read(insns, read_at))

        names << env_name
      end

      # The NAME of the ENV read that starts at insns[i] (right after ENV is
      # looked up), if it is one of ENV_READS with a literal name (and for
      # fetch, a literal default), so that ENV itself goes nowhere else; else nil.
      def env_read(insns, i)
        return nil if insns[i - 1]&.first != :opt_setinlinecache && insns[i - 1]&.first != :opt_getconstant_path

        read = insns[i]
        name = read[1] if read && read[0] == :opt_aref_with
        if read && (read[0] == :putstring || read[0] == :putobject) && read[1].is_a?(String)
          name = read[1]
          call = insns[i + 1]
          default = nil
          if call && %i[putstring putnil putobject].include?(call[0])
            default = call
            call = insns[i + 2]
          end
          ok = call && (call[0] == :opt_aref && !default ||
                        call[0] == :opt_send_without_block && ENV_READS.key?(call[1][:mid]) &&
                        call[1][:orig_argc] == (default ? 2 : 1) && (!default || call[1][:mid] == :fetch))
          name = nil unless ok
        end
        name.is_a?(String) && ENV_NAME.match?(name) ? name : nil
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
