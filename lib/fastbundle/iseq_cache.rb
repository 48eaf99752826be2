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
  # This file is compiled on every boot, so it holds little: the reading
  # side is in Rust (ext/fastbundle/src/iseq.rs), writing entries
  # (iseq_cache_writer.rb) is loaded on a miss.
  module ISeqCache
    LIB = File.expand_path("..", __dir__)
    WRITER = File.join(__dir__, "iseq_cache_writer.rb")

    class << self
      # Requires each path, fastbundle's files answered from the cache
      # (ext/fastbundle/src/iseq.rs: the load_iseq hook); the ones it had no
      # entry for are compiled and stored after.
      def require_files(*paths)
        dir = directory
        return paths.each { |p| require p } if dir.nil?

        missed = Native.require_cached(self, dir, LIB, WRITER, paths)
        return if missed.empty?

        require WRITER
        missed.each { |path| Writer.compile_and_store(path, dir) }
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
    end
  end
end
