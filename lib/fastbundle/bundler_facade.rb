# frozen_string_literal: true

module FastBundle
  # The `Bundler` constant after fastbundle's setup.
  #
  # Code written for Bundler keeps working without loading it: the facade is
  # the real top-level `module Bundler`, with Methods prepended to its
  # singleton class. Methods answers the common API itself (setup, require,
  # root, bundle_path, default_gemfile/lockfile, settings[...], the
  # original/unbundled env helpers) and loads real Bundler on first use of
  # anything else (method_missing, const_missing).
  #
  # Because Methods is *prepended*, it stays in front when real Bundler's
  # lib/bundler.rb later reopens the module (loaded by us, or by anyone's
  # `require "bundler"` / `require "bundler/setup"`): Bundler.setup and
  # Bundler.require keep answering with fastbundle's runtime, so the bundle
  # is never set up twice nor undone. The questions real Bundler's own code
  # asks (root, settings, bundle_path ...) go to real Bundler (`super`) once
  # it is there, so its internals get the objects they expect.
  module BundlerFacade
    LIB_DIR = File.expand_path("..", __dir__)

    # Bundler 2.3's public singleton methods that the facade does not define
    # itself: what `Bundler.respond_to?` answers before real Bundler is
    # loaded (a static list, so respond_to? never loads Bundler).
    LAZY_METHODS = %i[
      app_cache app_config_path bin_path bundler_major_version clean_env clean_exec clean_system
      clear_gemspec_cache configure configure_gem_home_and_path configured_bundle_path create_bundle_path
      current_ruby default_bundle_dir definition environment feature_flag frozen_bundle? git_present? home
      install_path load load_gemspec load_gemspec_uncached load_marshal local_platform locked_gems mkdir_p
      most_specific_locked_platform? preferred_gemfile_name read_file requires_sudo? reset! reset_paths!
      reset_rubygems! reset_settings_and_root! rm_rf ruby_scope rubygems self_manager specs_path sudo
      system_bindir tmp ui ui= use_system_gems? user_bundle_path user_cache user_home which with_clean_env
    ].freeze

    class << self
      # Defines (or takes over) the Bundler constant. Leaves a real Bundler
      # alone when it has already set this process up itself.
      def install
        return if @installed

        if Object.const_defined?(:Bundler, false)
          return unless ::Bundler.instance_of?(Module)
          return if ::Bundler.instance_variable_defined?(:@setup) && ::Bundler.instance_variable_get(:@setup)
        else
          Object.const_set(:Bundler, Module.new)
        end
        ::Bundler.singleton_class.prepend(Methods)
        @installed = true
        Environment.add_bundler_to_load_path(FastBundle.runtime.specs)
        bridge_errors
      end

      # Has real Bundler's lib/bundler.rb run (or started running)?
      def real_bundler?
        ::Bundler.const_defined?(:ORIGINAL_ENV, false)
      end

      # Loads real Bundler, for `reason` ("Bundler.locked_gems").
      def load_real_bundler(reason)
        return if @loading || real_bundler?

        debug("loading Bundler for #{reason} (called from #{call_site})")
        @loading = true
        begin
          Environment.add_bundler_to_load_path(FastBundle.runtime.specs)
          Kernel.require "bundler"
        ensure
          @loading = false
        end
        bridge_errors
      end

      # Called as real Bundler's files define Bundler's methods, whoever
      # loads them: says so once under FASTBUNDLE_DEBUG, bridges the errors.
      def real_bundler_seen
        return if @seen

        @seen = true
        debug("Bundler is being loaded by #{call_site} (not by fastbundle)") unless @loading
        bridge_errors
      end

      def settings
        @settings ||= begin
          require_relative "settings"
          env = FastBundle.env_before_setup || ENV.to_hash
          Settings.new(FastBundle.root, env.select { |k, _| k.start_with?("BUNDLE_") }, Gem.user_home)
        end
      end

      # Bundler's EnvironmentPreserver#restore, applied to ENV as it was
      # before setup (Bundler applies it to ENV as it was when lib/bundler.rb
      # loaded, which under bundler/setup is the same moment).
      def original_env
        env = (FastBundle.env_before_setup || ENV.to_hash).dup
        Environment::ORIGINAL_KEYS.each do |key|
          saved = env["BUNDLER_ORIG_#{key}"]
          next if saved.nil? || saved.empty?

          if saved == Environment::INTENTIONALLY_NIL
            env.delete(key)
          else
            env[key] = saved
          end
          env.delete("BUNDLER_ORIG_#{key}")
        end
        env
      end

      # Bundler.unbundled_env: the original env without BUNDLE_* and without
      # the -r…/setup and lib dir that Bundler or fastbundle add for children.
      def unbundled_env
        env = original_env
        env["MANPATH"] = env["BUNDLER_ORIG_MANPATH"] if env.key?("BUNDLER_ORIG_MANPATH")
        env.delete_if { |k, _| k.start_with?("BUNDLE_") }
        bundler_lib = Environment.bundler_lib_dir
        lib_dirs = [LIB_DIR, bundler_lib].compact
        if env.key?("RUBYOPT")
          setups = ["-rbundler/setup", "-rfastbundle/setup", "-r#{LIB_DIR}/fastbundle/setup"]
          setups << "-r#{bundler_lib}/bundler/setup" if bundler_lib
          env["RUBYOPT"] = (env["RUBYOPT"].split(" ") - setups).join(" ")
        end
        if env.key?("RUBYLIB")
          env["RUBYLIB"] = (env["RUBYLIB"].split(File::PATH_SEPARATOR) - lib_dirs).join(File::PATH_SEPARATOR)
        end
        env
      end

      def with_env(env)
        backup = ENV.to_hash
        ENV.replace(env)
        yield
      ensure
        ENV.replace(backup) if backup
      end

      def debug?
        value = ENV["FASTBUNDLE_DEBUG"]
        value && !value.empty? && value != "0"
      end

      def debug(message)
        $stderr.puts "fastbundle: #{message}" if debug?
      end

      private

      # Real Bundler's error classes also rescue fastbundle's twin errors
      # (`rescue Bundler::GemRequireError` around Bundler.require keeps working).
      def bridge_errors
        return if @errors_bridged || !::Bundler.const_defined?(:BundlerError, false)

        ::Bundler::BundlerError.singleton_class.prepend(ErrorBridge)
        @errors_bridged = true
      end

      # file:line of the first caller outside fastbundle, Bundler and require
      # machinery.
      def call_site
        loc = caller_locations(2).find do |l|
          path = l.absolute_path || l.path
          !(path.start_with?(LIB_DIR, "<internal:") || path =~ %r{/bundler(\.rb\z|/)|/rubygems/core_ext/kernel_require\.rb\z|/bootsnap/})
        end
        loc ? "#{loc.path}:#{loc.lineno}" : "unknown"
      end
    end

    module ErrorBridge
      def ===(other)
        super || BundlerFacade.twin_error?(self, other)
      end
    end

    # Is `error` fastbundle's counterpart of Bundler's `klass`?
    # (FastBundle::Error for BundlerError, same-named classes otherwise.)
    def self.twin_error?(klass, error)
      return false unless error.is_a?(FastBundle::Error)
      return true if klass.equal?(::Bundler::BundlerError)

      short = klass.name.to_s.delete_prefix("Bundler::")
      return false if short.include?(":") || !FastBundle.const_defined?(short, false)

      twin = FastBundle.const_get(short, false)
      twin.is_a?(Class) && error.is_a?(twin)
    end

    # Prepended to Bundler's singleton class. NB: `require` here is
    # Bundler.require; the facade's own code uses Kernel.require.
    module Methods
      def setup(*groups)
        FastBundle.setup(*groups)
      end

      def require(*groups)
        FastBundle.require(*groups)
      end

      def root
        defined?(super) ? super : FastBundle.root
      end

      def bundle_path
        defined?(super) ? super : FastBundle.bundle_path
      end

      def default_gemfile
        defined?(super) ? super : FastBundle.default_gemfile
      end

      def default_lockfile
        defined?(super) ? super : FastBundle.default_lockfile
      end

      def settings
        defined?(super) ? super : BundlerFacade.settings
      end

      def original_env
        BundlerFacade.original_env
      end

      def unbundled_env
        BundlerFacade.unbundled_env
      end

      def with_original_env(&block)
        BundlerFacade.with_env(original_env, &block)
      end

      def with_unbundled_env(&block)
        BundlerFacade.with_env(unbundled_env, &block)
      end

      def original_system(*args)
        with_original_env { Kernel.system(*args) }
      end

      def original_exec(*args)
        with_original_env { Kernel.exec(*args) }
      end

      def unbundled_system(*args)
        with_unbundled_env { Kernel.system(*args) }
      end

      def unbundled_exec(*args)
        with_unbundled_env { Kernel.exec(*args) }
      end

      ruby2_keywords def method_missing(name, *args, &block)
        return super if BundlerFacade.real_bundler?

        BundlerFacade.load_real_bundler("Bundler.#{name}")
        return super unless BundlerFacade.real_bundler? && ::Bundler.respond_to?(name)

        ::Bundler.public_send(name, *args, &block)
      end

      def respond_to_missing?(name, include_private = false)
        return super if BundlerFacade.real_bundler?

        BundlerVersions.public_method?(name, LAZY_METHODS) || super
      end

      def const_missing(name)
        return super if BundlerFacade.real_bundler?

        BundlerFacade.load_real_bundler("Bundler::#{name}")
        return super unless BundlerFacade.real_bundler? && ::Bundler.const_defined?(name, false)

        ::Bundler.const_get(name, false)
      end

      private

      def singleton_method_added(name)
        BundlerFacade.real_bundler_seen
        super
      end
    end
  end
end
