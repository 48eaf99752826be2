# frozen_string_literal: true

module FastBundle
  # Compiled Gemfiles, so a boot does not parse and compile the Gemfile again
  # when it has not changed (compiling a 300-line Gemfile costs more than
  # running it, and allocates ~2,000 objects, enough for a major GC in a
  # fresh process).
  #
  # Bundler runs a Gemfile with `instance_eval(source, name, 1)`. A compiled
  # ISeq cannot be run that way, so the cached code is the Gemfile wrapped in
  # a lambda, `-> do <Gemfile> end`, run with `instance_exec`: the same self,
  # `def` target, __FILE__, __dir__, line numbers and magic comments (the
  # wrapper starts on the first line of code, after them). What differs is
  # the frame; a Gemfile whose meaning could depend on it (it defines
  # constants or classes, reads constants of the DSL class, calls eval,
  # binding, __method__, ...; see #portable?), or that printed a warning
  # while compiling, or has __END__, is recorded as "source" and
  # instance_eval'd as before. So is any source that does not compile.
  #
  # Constants are looked up lexically from a lambda, from the DSL object's
  # singleton class under instance_eval: the same constant when it exists in
  # Object, but a missing one raises a NameError with another message. So an
  # entry lists the constants its Gemfile names without a scope (ENV, File,
  # RUBY_VERSION...), and is used only while they are all defined.
  #
  # One entry per Gemfile path in FastBundle::ISeqCache's directory (per Ruby
  # build): a header, the file name and source it was compiled from (both
  # compared byte for byte, so any edit is a miss), then the ISeq.
  module GemfileCache
    MAGIC = "FBGF2"
    # Frame-dependent methods: what they return inside eval_gemfile differs
    # from inside a lambda. The last four are eval_gemfile's local variables
    # in Bundler and fastbundle, visible to an instance_eval'd Gemfile.
    FRAME_METHODS = %i[eval binding __method__ local_variables using nesting caller caller_locations
                       gemfile contents original_gemfile expanded_gemfile_path].freeze
    LEADING_COMMENTS = /\A\uFEFF?(?:[ \t\f\v\r]*(?:#[^\n]*)?\n|=begin\b[^\n]*\n(?:[^\n]*\n)*?=end\b[^\n]*\n)*/.freeze

    class << self
      # A lambda to instance_exec in place of instance_eval(contents, name, 1),
      # or nil (no usable cache, or this source must be instance_eval'd).
      def fetch(name, path, contents)
        return nil if $VERBOSE # compile warnings are printed on every evaluation

        dir = ISeqCache.directory
        return nil unless dir

        entry = File.join(dir, "gemfile#{path.tr("/\\:", "%%%")}")
        data = begin
          File.binread(entry)
        rescue SystemCallError
          nil
        end
        if data && (nl = data.index("\n"))
          magic, kind, options, name_size, size, constants = data.byteslice(0, nl).split(" ")
          name_size = name_size.to_i
          size = size.to_i
          if magic == MAGIC && options == compile_options &&
             data.byteslice(nl + 1, name_size).force_encoding(name.encoding) == name &&
             data.byteslice(nl + 1 + name_size, size).force_encoding(contents.encoding) == contents
            return nil if kind == "source"

            if constants == "-" || constants&.split(",")&.all? { |c| Object.const_defined?(c) }
              code_at = nl + 1 + name_size + size
              begin
                return RubyVM::InstructionSequence.load_from_binary(data.byteslice(code_at, data.bytesize - code_at)).eval
              rescue StandardError
                nil # a damaged entry: compiled again below
              end
            end
          end
        end
        store(entry, name, contents)
      end

      # Compiles, checks and records `contents`; returns what #fetch would.
      def store(entry, name, contents)
        iseq, constants = compile(name, contents)
        kind = iseq ? "iseq" : "source"
        begin
          tmp = "#{entry}.#{Process.pid}.tmp"
          File.open(tmp, "wb", 0o600) do |f|
            f << "#{MAGIC} #{kind} #{compile_options} #{name.bytesize} #{contents.bytesize} " \
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

      # The compiler's options (a different --enable=frozen-string-literal,
      # say, compiles differently) and whether warnings are off (-W0: a
      # Gemfile compiled then may warn when they are on), as a word for the
      # entry header.
      def compile_options
        @compile_options ||= RubyVM::InstructionSequence.compile_option.map do |_, v|
          v == true ? "1" : (v ? v.to_s : "0")
        end.join
        $VERBOSE.nil? ? "#{@compile_options}q" : @compile_options
      end
    end
  end
end
