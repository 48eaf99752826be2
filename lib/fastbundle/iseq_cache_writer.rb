# frozen_string_literal: true

module FastBundle
  module ISeqCache
    # The writing side of ISeqCache, loaded only when an entry is missing.
    module Writer
      module_function

      # Compiles `path` and stores it atomically under its entry name
      # (Native.iseq_entry: path, size and mtime), removing entries for
      # older versions of the file. Returns the ISeq, or nil.
      def compile_and_store(path, dir)
        prefix, entry = Native.iseq_entry(path, dir)
        return nil unless entry

        compiled = RubyVM::InstructionSequence.compile_file(path)
        begin
          Dir.glob("#{prefix}.*").each { |old| File.unlink(old) }
          Native.write_cache_file(entry, compiled.to_binary)
        rescue StandardError
          nil # a cache that cannot be written costs nothing
        end
        compiled
      rescue SyntaxError, SystemCallError
        nil
      end
    end
  end
end
