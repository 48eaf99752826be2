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
          tmp = "#{entry}.#{Process.pid}.tmp"
          File.binwrite(tmp, compiled.to_binary)
          File.rename(tmp, entry)
        rescue StandardError
          File.unlink(tmp) rescue nil # rubocop:disable Style/RescueModifier
        end
        compiled
      end
    end
  end
end
