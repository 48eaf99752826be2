# frozen_string_literal: true

require_relative "bundler_versions"

module FastBundle
  # What earlier evaluations of a Gemfile left for the next boot, in
  # FastBundle::ISeqCache's directory (per Ruby build), one entry per
  # Gemfile path. Any doubt (a damaged, foreign or stale entry, an error)
  # means evaluating as if there were none, never a failure.
  #
  # 1. The Gemfile compiled (#fetch). Compiling a 300-line Gemfile costs
  #    more than running it, and allocates ~2,000 objects, enough for a
  #    major GC in a fresh process. Bundler runs a Gemfile with
  #    `instance_eval(source, name, 1)`. A compiled ISeq cannot be run that
  #    way, so the cached code is the Gemfile wrapped in a lambda,
  #    `-> do <Gemfile> end`, run with `instance_exec`: the same self, `def`
  #    target, __FILE__, __dir__, line numbers and magic comments (the
  #    wrapper starts on the first line of code, after them). What differs
  #    is the frame; a Gemfile whose meaning could depend on it (it defines
  #    constants or classes, reads constants of the DSL class, calls eval,
  #    binding, __method__, ...; see Writer.lexical_constants), or that
  #    printed a warning while compiling, or has __END__, is recorded as
  #    "source" and instance_eval'd as before. So is any source that does
  #    not compile. Constants are looked up lexically from a lambda, from
  #    the DSL object's singleton class under instance_eval: the same
  #    constant when it exists in Object, but a missing one raises a
  #    NameError with another message. So an entry lists the constants its
  #    Gemfile names without a scope (ENV, File, RUBY_VERSION...), and is
  #    used only while they are all defined. Entry: a header, the file name
  #    and source it was compiled from (compared byte for byte, so any edit
  #    is a miss), then the ISeq.
  #
  # 2. The Definition itself (#definition), for a Gemfile that is a
  #    recording (Writer.recording_env, Dsl#recording?): its result is a
  #    function of its text and of a few ENV entries it names, so the next
  #    evaluation of the same text with the same values of those entries, by
  #    the same recorder (RECORDER_FILES), is answered from the record
  #    without loading the recorder. Sources keep process-local fingerprints of
  #    their credentials (CredentialFilter.digest); recorded, they still tell
  #    the sources of one Definition apart, which is all they are used for.
  #    The ENV entries are recorded as SHA-256 digests (#fingerprint), never
  #    as values: they may be tokens (`ENV["GEMFURY_TOKEN"]`).
  #
  # No copy of a credential is written: a Gemfile whose text may hold one
  # (CredentialFilter.holds_credentials?: a URL with a userinfo) is neither
  # compiled into the cache nor recorded, and entries left for it by an
  # earlier fastbundle are removed.
  #
  # This file reads entries on every boot; gemfile_cache_writer.rb, loaded
  # on a miss, compiles, checks and writes them.
  module GemfileCache
    MAGIC = "FBGF4"
    DEFINITION_MAGIC = "FBDF3"
    WRITER = File.join(__dir__, "gemfile_cache_writer.rb")
    # The code a recorded Definition depends on: a change to any of these
    # files (a new fastbundle, a fix) makes every recorded Definition stale.
    RECORDER_FILES = %w[dsl/evaluate.rb dsl/core.rb dsl/sources.rb dsl/cold.rb definition.rb dependency.rb
                        current_ruby.rb ruby_version.rb gemfile_cache.rb gemfile_cache_writer.rb
                        bundler_versions.rb]
                     .map { |f| File.join(__dir__, f) }.freeze

    class << self
      # [a lambda to instance_exec in place of instance_eval(contents, name,
      # 1), the ENV names its recording depends on if the Gemfile is a
      # recording (see Writer.recording_env), else nil], or nil (no usable
      # cache, or this source must be instance_eval'd).
      def fetch(name, path, contents)
        dir = ISeqCache.directory unless $VERBOSE # compile warnings are printed on every evaluation
        return recording_only(name, contents) unless dir

        entry = entry_path(dir, path)
        return forget(entry) if Definition::CredentialFilter.holds_credentials?(contents)

        if (data = Native.read_cache_file(entry))
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

      # fetch's answer when no compiled copy is used ($VERBOSE, or no
      # trusted directory for compiled files): [nil, the ENV names] if the
      # Gemfile is a recording, so that the plan cache can still keep its
      # answer; nil when there is no plan cache either (nothing to compile
      # for) or the Gemfile holds credentials.
      def recording_only(name, contents)
        return nil if Definition::CredentialFilter.holds_credentials?(contents) || !Native.cache_dir("plan")

        _, _, recording = writer.compile(name, contents)
        recording && [nil, recording]
      rescue StandardError
        nil
      end

      # fetch's answer from entry `data` if it was made from this name and
      # source (:source when that source is to be instance_eval'd), else nil.
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

        recording = kind.start_with?("recording:") ? kind.byteslice(10..).split(",") : nil
        [RubyVM::InstructionSequence.load_from_binary(data.byteslice(code_at, data.bytesize - code_at)).eval, recording]
      end

      # Removes what an earlier fastbundle may have cached for a Gemfile that
      # holds credentials; nil.
      def forget(entry)
        [entry, "#{entry}.definition"].each do |f|
          File.unlink(f)
        rescue SystemCallError
          nil
        end
        nil
      end

      # The SHA-256 of an ENV value (nil for nil): what a record keeps of it.
      def fingerprint(value)
        value && Native.sha256(value)
      end

      def entry_path(dir, path)
        File.join(dir, "gemfile#{path.tr("/\\:", "%%%")}")
      end

      # The Definition an earlier evaluation of this Gemfile (`path`, as
      # read: `contents`) recorded, if the Gemfile is a recording, the ENV
      # entries it names still have the values they had then, and neither
      # it nor fastbundle's recorder has changed since; else nil.
      def definition(path, contents, lockfile)
        return nil if $VERBOSE

        dir = ISeqCache.directory
        return nil unless dir
        return forget(entry_path(dir, path)) if Definition::CredentialFilter.holds_credentials?(contents)

        data = Native.read_cache_file("#{entry_path(dir, path)}.definition") or return nil
        load_definition(data, path, contents, lockfile)
      rescue StandardError
        nil # a damaged record: evaluated (and recorded) again
      end

      # Records `definition`, the result of evaluating the recording `path`
      # (see Writer.recording_env) with ENV entries `env_names` as they are
      # now, for #definition.
      def store_definition(path, contents, definition, env_names)
        dir = ISeqCache.directory
        writer.store_definition("#{entry_path(dir, path)}.definition", path, contents, definition, env_names) if dir
      rescue StandardError
        nil
      end

      # The header line of a recorded Definition, up to the sizes: what it
      # must have been made with, including the Bundler whose answers it
      # holds (BundlerVersions: a Bundler upgrade must not reuse a record).
      def definition_key
        "#{DEFINITION_MAGIC} #{compile_options} #{recorder_stamp} bundler-#{BundlerVersions.version || "none"}"
      end

      # Sizes and mtimes of RECORDER_FILES.
      def recorder_stamp
        @recorder_stamp ||= RECORDER_FILES.map do |f|
          st = File.stat(f)
          "#{st.size}.#{st.mtime.to_i}.#{st.mtime.nsec}"
        end.join(",")
      end

      # Entry layout: "<definition_key> <name size> <source size> <ruby?>
      # <env size>\n", the name and source, the ENV entries it depends on
      # (Marshal data: [[name, #fingerprint of the value]...], env size bytes), then
      # Marshal data (see Writer.store_definition):
      # [values, indexes of frozen values, dependency rows, sources,
      #  ruby_version, optional_groups, plugins, gemfiles, input_files,
      #  warnings]. A dependency row is the 12 arguments of
      # Dependency.new as indexes into values, so each distinct frozen
      # String or Array is loaded once (Marshal builds objects slowly; 300
      # Dependency objects with their own arrays cost more than evaluating).
      def load_definition(data, path, contents, lockfile)
        nl = data.index("\n") or return nil
        key = definition_key
        return nil unless data.start_with?(key) && data.getbyte(key.bytesize) == 32

        name_size, size, ruby, env_size = data.byteslice(key.bytesize + 1, nl - key.bytesize - 1).split(" ")
        name_at = nl + 1
        source_at = name_at + name_size.to_i
        env_at = source_at + size.to_i
        marshal_at = env_at + env_size.to_i
        return nil unless data.byteslice(name_at, name_size.to_i).force_encoding(path.encoding) == path &&
                          data.byteslice(source_at, size.to_i).force_encoding(contents.encoding) == contents
        env = env_size == "0" ? [] : Marshal.load(data.byteslice(env_at, env_size.to_i))
        return nil unless env.all? { |name, digest| fingerprint(ENV[name]) == digest }

        ISeqCache.require_files(File.join(__dir__, "ruby_version.rb")) if ruby == "1" && !defined?(RubyVersion)
        # A recording read nothing but its text and these ENV entries.
        cache_inputs = { "files" => [path], "dirs" => [], "env_names" => env.map(&:first) }
        restore_definition(data.byteslice(marshal_at, data.bytesize - marshal_at), path, lockfile, cache_inputs)
      end

      # The Definition Writer.dump_definition wrote into `data`.
      def restore_definition(data, path, lockfile, cache_inputs = nil)
        values, frozen, rows, sources, ruby_version, optional_groups, plugins, gemfiles, input_files, warnings =
          Marshal.load(data)
        frozen.each { |i| values[i].freeze }
        Definition.new(gemfile: path, lockfile: lockfile, dependencies: dependencies(values, rows),
                       sources: sources, ruby_version: ruby_version, optional_groups: optional_groups,
                       gemspecs: [], plugins: plugins, gemfiles: gemfiles, input_files: input_files,
                       warnings: warnings, cache_inputs: cache_inputs)
      end

      # Definition data for the plan cache (see Writer.dump_definition).
      def dump_definition(definition)
        writer.dump_definition(definition)
      end

      def dependencies(v, rows)
        deps = []
        i = 0
        n = rows.size
        while i < n
          deps << Dependency.new(v[rows[i]], v[rows[i + 1]], v[rows[i + 2]], v[rows[i + 3]], v[rows[i + 4]],
                                 v[rows[i + 5]], v[rows[i + 6]], v[rows[i + 7]], v[rows[i + 8]], v[rows[i + 9]],
                                 v[rows[i + 10]], v[rows[i + 11]])
          i += 12
        end
        deps
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
