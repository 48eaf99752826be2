# frozen_string_literal: true

# FastBundle::Dsl.evaluate, the entry point of the Gemfile recorder, and the
# classes of its result. A Gemfile that has not changed since an earlier
# evaluation recorded it (GemfileCache.definition) is answered from that
# record, without loading the recorder (dsl/core.rb, which loads
# dsl/sources.rb and dsl/cold.rb on first use) at all.

require_relative "../iseq_cache"
require_relative "../errors"
require_relative "../definition"
require_relative "../dependency"
require_relative "../gemfile_cache"
require_relative "../bundler_versions"

module FastBundle
  class Dsl
    CORE = File.join(__dir__, "core.rb")

    # The recorder's errors, for code that names them before any Gemfile
    # needed the recorder (GemspecError's formatting, say).
    %i[DSLError GemfileEvalError DeprecatedError PermissionError GenericSystemCallError].each do |name|
      autoload name, CORE
    end

    class << self
      # Evaluates `gemfile` (relative to the current directory) into a
      # FastBundle::Definition. `lockfile` defaults to Bundler's choice.
      #
      # warn: print the warnings Bundler's UI would (duplicate gems,
      #   deprecations, insecure git) to $stderr; they are always in
      #   Definition#warnings.
      # bundler_fallback: a Gemfile that refers to the Bundler constant
      #   (`Bundler::VERSION`, `Bundler.settings`...) cannot be evaluated
      #   without it; then real Bundler is loaded (once, ~100 ms) and the
      #   Gemfile evaluated again. With false, that is a GemfileError.
      def evaluate(gemfile, lockfile = nil, warn: true, bundler_fallback: true)
        path = File.expand_path(gemfile.to_s)
        raise GemfileNotFound, "#{path} not found" unless File.file?(path)

        lockfile = lockfile ? File.expand_path(lockfile.to_s) : default_lockfile(path)
        # The recorder answers as this Bundler, and its records are keyed on it.
        BundlerVersions.assume_installed
        contents = begin
          File.open(path, "r:UTF-8", &:read)
        rescue SystemCallError, IOError
          nil # the recorder reads it again and reports the error as Bundler does
        end
        if contents && (definition = GemfileCache.definition(path, contents, lockfile))
          definition.warnings.each { |w| $stderr.puts(w) } if warn
          return definition
        end

        recorder!
        record(path, lockfile, contents, warn: warn, bundler_fallback: bundler_fallback)
      end

      def default_lockfile(gemfile)
        File.basename(gemfile) == "gems.rb" ? gemfile.sub(/.rb$/, ".locked") : "#{gemfile}.lock"
      end

      # Loads the recorder (dsl/core.rb).
      def recorder!
        ISeqCache.require_files(CORE) unless const_defined?(:VALID_KEYS, false)
      end
    end
  end
end
