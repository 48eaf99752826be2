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
    # Ruby minor versions Bundler knows platform suffixes for (18 => "1.8").
    ALL_RUBY_VERSIONS = ([18, 19, 20, 21, 22, 23, 24, 25, 26, 27] + [30, 31, 32, 33, 34, 35]).freeze

    # Every valid Gemfile platform, in upstream Bundler's PLATFORM_MAP order:
    # Bundler 2.3.15's map (ruby, mri, rbx, truffleruby, jruby, mswin, mswin64,
    # mingw, x64_mingw and their _NN forms up to 31) plus upstream's :windows
    # family and the _NN forms up to 35.
    PLATFORMS = %i[
      ruby ruby_18 ruby_19 ruby_20 ruby_21 ruby_22 ruby_23 ruby_24 ruby_25 ruby_26 ruby_27 ruby_30 ruby_31 ruby_32 ruby_33 ruby_34 ruby_35
      mri mri_18 mri_19 mri_20 mri_21 mri_22 mri_23 mri_24 mri_25 mri_26 mri_27 mri_30 mri_31 mri_32 mri_33 mri_34 mri_35
      rbx
      truffleruby
      jruby jruby_18 jruby_19
      windows windows_18 windows_19 windows_20 windows_21 windows_22 windows_23 windows_24 windows_25 windows_26 windows_27 windows_30 windows_31 windows_32 windows_33 windows_34 windows_35
      mswin mswin_18 mswin_19 mswin_20 mswin_21 mswin_22 mswin_23 mswin_24 mswin_25 mswin_26 mswin_27 mswin_30 mswin_31 mswin_32 mswin_33 mswin_34 mswin_35
      mswin64 mswin64_19 mswin64_20 mswin64_21 mswin64_22 mswin64_23 mswin64_24 mswin64_25 mswin64_26 mswin64_27 mswin64_30 mswin64_31 mswin64_32 mswin64_33 mswin64_34 mswin64_35
      mingw mingw_18 mingw_19 mingw_20 mingw_21 mingw_22 mingw_23 mingw_24 mingw_25 mingw_26 mingw_27 mingw_30 mingw_31 mingw_32 mingw_33 mingw_34 mingw_35
      x64_mingw x64_mingw_20 x64_mingw_21 x64_mingw_22 x64_mingw_23 x64_mingw_24 x64_mingw_25 x64_mingw_26 x64_mingw_27 x64_mingw_30 x64_mingw_31 x64_mingw_32 x64_mingw_33 x64_mingw_34 x64_mingw_35
    ].freeze

    PLATFORM_LOOKUP = PLATFORMS.to_h { |p| [p, true] }.freeze

    # Bundler's "generic" platforms that are not ruby: java, mswin32, mswin64,
    # *-mingw32 (and the ucrt variant upstream).
    NON_RUBY_OS = /\A(?:java|mswin32|mswin64|mingw32|mingw)\z/.freeze

    module_function

    def valid_platform?(platform)
      PLATFORM_LOOKUP.key?(platform)
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
