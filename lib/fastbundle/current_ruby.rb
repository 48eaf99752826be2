# frozen_string_literal: true

module FastBundle
  # Answers "is this Ruby one of the Gemfile platforms `p`?" the way Bundler's
  # CurrentRuby does (`Bundler.current_ruby.send("#{p}?")`), for every platform
  # name the Gemfile DSL accepts.
  #
  # Windows family: Bundler 2.3.15 checked the local platform's os/cpu for
  # :mswin64/:mingw/:x64_mingw; upstream Bundler (2.5+, which added :windows)
  # made them all aliases of `windows?` (Gem.win_platform?). We follow upstream
  # here; on non-Windows hosts the two give the same answer (false).
  module CurrentRuby
    # Every valid Gemfile platform: Bundler 2.3.15's PLATFORM_MAP (ruby, mri,
    # rbx, truffleruby, jruby, mswin, mswin64, mingw, x64_mingw and their _NN
    # forms up to 31) plus upstream's :windows family and _NN forms up to 35.
    # A pattern, not a list of ~150 Symbols: this is loaded on every boot.
    VALID_PLATFORM = /\A(?:(?:ruby|mri|windows|mswin|mingw)(?:_(?:1[89]|2[0-7]|3[0-5]))?|mswin64(?:_(?:19|2[0-7]|3[0-5]))?|
                        x64_mingw(?:_(?:2[0-7]|3[0-5]))?|jruby(?:_1[89])?|rbx|truffleruby)\z/x.freeze

    # Bundler's "generic" platforms that are not ruby: java, mswin32, mswin64,
    # *-mingw32 (and the ucrt variant upstream).
    NON_RUBY_OS = /\A(?:java|mswin32|mswin64|mingw32|mingw)\z/.freeze

    module_function

    def valid_platform?(platform)
      platform.is_a?(Symbol) && VALID_PLATFORM.match?(platform.name)
    end

    # The valid platforms as upstream Bundler lists them (PLATFORM_MAP
    # order), for error messages.
    def platforms
      @platforms ||= begin
        all = %w[18 19 20 21 22 23 24 25 26 27 30 31 32 33 34 35]
        families = { ruby: all, mri: all, rbx: [], truffleruby: [], jruby: %w[18 19], windows: all, mswin: all,
                     mswin64: all.drop(1), mingw: all, x64_mingw: all.drop(2) }
        families.flat_map { |name, versions| [name, *versions.map { |v| :"#{name}_#{v}" }] }.freeze
      end
    end

    def windows?
      Gem.win_platform?
    end

    # True when Bundler's generic local platform is `ruby` (that is, not java
    # or a Windows platform), or BUNDLE_FORCE_RUBY_PLATFORM forces it.
    def generic_local_platform_is_ruby?
      return @generic_ruby if defined?(@generic_ruby)

      forced = ENV["BUNDLE_FORCE_RUBY_PLATFORM"]
      @generic_ruby =
        if forced && !forced.empty? && !%w[false no 0].include?(forced.downcase)
          true
        else
          !NON_RUBY_OS.match?(Gem::Platform.local.os.to_s)
        end
    end

    def ruby?
      return true if generic_local_platform_is_ruby?

      !windows? && %w[ruby rbx maglev truffleruby].include?(RUBY_ENGINE)
    end

    def mri?
      !windows? && RUBY_ENGINE == "ruby"
    end

    def rbx?
      ruby? && RUBY_ENGINE == "rbx"
    end

    def jruby?
      RUBY_ENGINE == "jruby"
    end

    def maglev?
      RUBY_ENGINE == "maglev"
    end

    def truffleruby?
      RUBY_ENGINE == "truffleruby"
    end

    def mswin?
      windows?
    end

    def mswin64?
      windows?
    end

    def mingw?
      windows?
    end

    def x64_mingw?
      windows?
    end

    # "3.1" for 31, "1.8" for 18.
    def minor_prefix(version)
      "#{version / 10}.#{version % 10}."
    end

    # Does the current Ruby match the Gemfile platform symbol?
    def platform?(platform)
      cache = (@platform_cache ||= {})
      return cache[platform] if cache.key?(platform)

      name = platform.to_s
      cache[platform] =
        if (m = /\A(.+)_(\d\d)\z/.match(name))
          RUBY_VERSION.start_with?(minor_prefix(m[2].to_i)) && send(:"#{m[1]}?") ? true : false
        else
          send(:"#{name}?") ? true : false
        end
    end
  end
end
