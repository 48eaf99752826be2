# frozen_string_literal: true

module FastBundle
  # Base of every error fastbundle raises on purpose. Each subclass carries the
  # exit status Bundler uses for the same failure, so scripts that check
  # `$?.exitstatus` behave the same under fastbundle.
  class Error < StandardError
    def self.status_code(code = nil)
      return @status_code || superclass.status_code unless code

      @status_code = code
    end

    status_code 1

    def status_code
      self.class.status_code
    end
  end

  # A bug in fastbundle (for example a panic in the Rust core), never bad input.
  class InternalError < Error; status_code 1; end

  class GemfileError < Error; status_code 4; end
  class GemNotFound < Error
    status_code 7
    # The full names of the locked gems not installed (or broken), when the
    # Rust core raised it; nil for the others.
    attr_reader :missing_gems
  end
  class GemfileNotFound < Error; status_code 10; end
  class GitError < Error; status_code 11; end
  class PathError < Error; status_code 13; end
  class GemspecError < Error; status_code 14; end
  # An installed spec file RubyGems cannot read (a directory, a dangling
  # symlink, a stub header that is not UTF-8). Bundler has no error of its
  # own for it: RubyGems raises, and Bundler exits 1 with an error report.
  class UnreadableGemspec < GemspecError; status_code 1; end
  class InvalidOption < Error; status_code 15; end
  class ProductionError < Error; status_code 16; end
  class RubyVersionMismatch < Error; status_code 18; end
  class LockfileError < Error; status_code 20; end
  class CyclicDependencyError < Error; status_code 21; end
  class GemfileLockNotFound < Error; status_code 22; end
  # Bundler 2.5+: an argument of the Gemfile it checks itself (a `ruby` version).
  class InvalidArgumentError < Error; status_code 40; end

  # Raised by FastBundle.require when a gem's own file fails to load; the
  # original exception is kept as #cause (and #orig_exception, as in Bundler).
  class GemRequireError < Error
    status_code 24
    attr_reader :orig_exception

    def initialize(orig_exception, msg)
      full_message = msg + "\nGem Load Error is: #{orig_exception.message}\n" \
        "Backtrace for gem load error is:\n#{orig_exception.backtrace&.join("\n")}\n" \
        "Bundler Error Backtrace:\n"
      super(full_message)
      @orig_exception = orig_exception
    end
  end
end
