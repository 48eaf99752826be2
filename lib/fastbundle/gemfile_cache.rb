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
  # compared byte for byte, so any edit is a miss), then the ISeq. This file
  # reads entries on every boot; gemfile_cache_writer.rb, loaded on a miss,
  # compiles, checks and writes them.
  module GemfileCache
    MAGIC = "FBGF2"
    WRITER = File.join(__dir__, "gemfile_cache_writer.rb")

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
        if data
          code = begin
            cached_code(data, name, contents)
          rescue StandardError
            nil # a damaged entry: compiled again below
          end
          return nil if code == :source
          return code if code
        end
        begin
          writer.store(entry, name, contents)
        rescue StandardError
          nil # never fail an evaluation over the cache
        end
      end

      # The lambda in entry `data` if it was made from this name and source
      # (:source when that source is to be instance_eval'd), else nil.
      def cached_code(data, name, contents)
        nl = data.index("\n") or return nil
        magic, kind, options, name_size, size, constants = data.byteslice(0, nl).split(" ")
        return nil unless magic == MAGIC && options == compile_options && constants

        name_at = nl + 1
        source_at = name_at + name_size.to_i
        code_at = source_at + size.to_i
        return nil unless data.byteslice(name_at, name_size.to_i).force_encoding(name.encoding) == name &&
                          data.byteslice(source_at, size.to_i).force_encoding(contents.encoding) == contents
        return :source if kind == "source"
        # A constant it names is missing: instance_eval this time, for the NameError's sake.
        return :source unless constants == "-" || constants.split(",").all? { |c| Object.const_defined?(c) }

        RubyVM::InstructionSequence.load_from_binary(data.byteslice(code_at, data.bytesize - code_at)).eval
      end

      def writer
        ISeqCache.require_files(WRITER) unless GemfileCache.const_defined?(:Writer, false)
        GemfileCache::Writer
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
