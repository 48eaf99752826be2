# frozen_string_literal: true

module FastBundle
  # A small bootsnap-like cache of compiled instruction sequences for
  # fastbundle's own files (never anyone else's), kept in
  # $FASTBUNDLE_ISEQ_CACHE, else $XDG_CACHE_HOME/fastbundle/iseq, else
  # ~/.cache/fastbundle/iseq, per Ruby build. Entries are keyed by path,
  # size and mtime and written atomically; anything unexpected (no writable
  # directory, another load_iseq hook such as bootsnap's, coverage running,
  # FASTBUNDLE_ISEQ_CACHE=0) means plain `require`.
  module ISeqCache
    LIB = File.expand_path("..", __dir__)

    class << self
      def require_files(*paths)
        dir = directory
        iseq = RubyVM::InstructionSequence
        if dir.nil? || iseq.respond_to?(:load_iseq)
          paths.each { |p| require p }
          return
        end

        iseq.singleton_class.send(:define_method, :load_iseq) { |path| FastBundle::ISeqCache.fetch(path, dir) }
        begin
          paths.each { |p| require p }
        ensure
          iseq.singleton_class.send(:remove_method, :load_iseq)
        end
      end

      def directory
        return @directory if defined?(@directory)

        @directory = begin
          setting = ENV["FASTBUNDLE_ISEQ_CACHE"]
          if %w[0 false no].include?(setting) || (defined?(Coverage) && Coverage.respond_to?(:running?) && Coverage.running?)
            nil
          else
            base = setting && !setting.empty? ? setting : File.join(ENV["XDG_CACHE_HOME"] || File.join(Dir.home, ".cache"), "fastbundle", "iseq")
            dir = File.join(base, "#{RUBY_ENGINE}-#{RUBY_VERSION}-#{RUBY_PLATFORM}-#{RUBY_REVISION.to_s[0, 12]}")
            # Not FileUtils: requiring it here would activate the fileutils
            # default gem, which Bundler's boot never does.
            mkdir_p(dir) unless File.directory?(dir)
            File.writable?(dir) ? dir : nil
          end
        rescue StandardError
          nil
        end
      end

      def mkdir_p(dir)
        parent = File.dirname(dir)
        mkdir_p(parent) unless parent == dir || File.directory?(parent)
        Dir.mkdir(dir, 0o700)
      rescue Errno::EEXIST
        nil
      end

      # The ISeq for one of our files: from the cache, else compiled and stored.
      def fetch(path, dir)
        return nil unless path.start_with?(LIB)

        stat = File.stat(path)
        prefix = File.join(dir, path.gsub(%r{[/\\:]}, "%"))
        entry = "#{prefix}.#{stat.size}.#{stat.mtime.to_i}.#{stat.mtime.nsec}"
        begin
          cached = RubyVM::InstructionSequence.load_from_binary(File.binread(entry))
          return cached if cached.path == path
        rescue StandardError
          nil
        end
        compiled = RubyVM::InstructionSequence.compile_file(path)
        begin
          Dir.glob("#{prefix}.*").each { |old| File.unlink(old) } # entries for older versions of the file
          tmp = "#{entry}.#{Process.pid}.tmp"
          File.binwrite(tmp, compiled.to_binary)
          File.rename(tmp, entry)
        rescue StandardError
          File.unlink(tmp) rescue nil # rubocop:disable Style/RescueModifier
        end
        compiled
      rescue SystemCallError
        nil
      end
    end
  end
end
