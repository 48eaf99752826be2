# frozen_string_literal: true

module FastBundle
  module ISeqCache
    # The writing side of ISeqCache, loaded only when an entry is missing.
    module Writer
      module_function

      # Compiles `path`, stores it atomically as `entry` (removing entries
      # for older versions of the file) and returns the ISeq.
      def compile_and_store(path, prefix, entry)
        compiled = RubyVM::InstructionSequence.compile_file(path)
        begin
          Dir.glob("#{prefix}.*").each { |old| File.unlink(old) }
          Native.write_cache_file(entry, compiled.to_binary)
        rescue StandardError
          nil # a cache that cannot be written costs nothing
        end
        compiled
      end
    end
  end
end
