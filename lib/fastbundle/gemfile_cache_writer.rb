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
      LEADING_COMMENTS = /\A\uFEFF?(?:[ \t\f\v\r]*(?:#[^\n]*)?\n|=begin\b[^\n]*\n(?:[^\n]*\n)*?=end\b[^\n]*\n)*/.freeze

      module_function

      # Compiles, checks and records `contents`; returns what #fetch would.
      def store(entry, name, contents)
        iseq, constants = compile(name, contents)
        kind = iseq ? "iseq" : "source"
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
        iseq && constants.all? { |c| Object.const_defined?(c) } ? iseq.eval : nil
      end

      # [the wrapped Gemfile compiled, the constants it looks up lexically],
      # or nil when it must be instance_eval'd.
      def compile(name, contents)
        return nil if contents.match?(/^__END__\r?$/)

        prefix = LEADING_COMMENTS.match(contents)[0]
        source = "#{prefix}-> do #{contents.byteslice(prefix.bytesize..)}\nend\n"
        warned = false
        iseq = with_warnings_caught(-> { warned = true }) do
          RubyVM::InstructionSequence.compile(source, name, name, 1)
        end
        constants = !warned && lexical_constants(iseq.to_a)
        constants ? [iseq, constants] : nil
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
