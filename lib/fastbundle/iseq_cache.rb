# frozen_string_literal: true

require_relative "native"

module FastBundle
  # A small bootsnap-like cache of compiled instruction sequences for
  # fastbundle's own files (never anyone else's), kept under the cache root
  # (src/cache_dir.rs: FASTBUNDLE_CACHE_DIR, else XDG_CACHE_HOME or
  # ~/.cache, /fastbundle) in iseq/<Ruby build>/. Entries are keyed by path,
  # size and mtime, and sealed (src/sealed.rs: checksummed, this user's
  # alone); anything unexpected (no trusted directory, another
  # load_iseq hook such as bootsnap's, coverage running, FASTBUNDLE_CACHE=0)
  # means plain `require`.
  #
  # This file is compiled on every boot, so it holds only the reading side;
  # writing entries (iseq_cache_writer.rb) is loaded on a miss.
  module ISeqCache
    LIB = File.expand_path("..", __dir__)
    WRITER = File.join(__dir__, "iseq_cache_writer.rb")

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
          if (defined?(Coverage) && Coverage.respond_to?(:running?) && Coverage.running?)
            nil
          else
            Native.cache_dir("iseq/#{RUBY_ENGINE}-#{RUBY_VERSION}-#{RUBY_PLATFORM}-#{RUBY_REVISION.to_s[0, 12]}")
          end
        rescue StandardError
          nil
        end
      end

      # The ISeq for one of our files: from the cache, else compiled and stored.
      def fetch(path, dir)
        return nil if !path.start_with?(LIB) || path == WRITER

        stat = File.stat(path)
        prefix = File.join(dir, path.gsub(%r{[/\\:]}, "%"))
        entry = "#{prefix}.#{stat.size}.#{stat.mtime.to_i}.#{stat.mtime.nsec}"
        # Only an entry whose checksum holds is loaded: damaged compiled
        # instructions can crash the process instead of raising.
        if (data = Native.read_cache_file(entry))
          cached = begin
            RubyVM::InstructionSequence.load_from_binary(data)
          rescue StandardError
            nil
          end
          return cached if cached&.path == path
        end
        writer.compile_and_store(path, prefix, entry)
      rescue SystemCallError
        nil
      end

      def writer
        require WRITER
        Writer
      end
    end
  end
end
