# frozen_string_literal: true

require_relative "bundler_versions"
require_relative "loaded_spec"
require_relative "rubygems_integration"

module FastBundle
  # Bundler's Runtime#setup without Bundler. One call into Rust asks the
  # plan cache (Native.boot); on a hit its plan is applied as it is. On a
  # miss, planner.rb (loaded then) computes the plan: the Gemfile evaluated,
  # Native.plan, the gemspecs only Ruby can evaluate; once the whole setup
  # has succeeded, #store_plan keeps the answer for the next boot. Applying a
  # plan means the interpreter's state: $LOAD_PATH, Gem.loaded_specs,
  # Kernel#gem, ENV. This file is loaded on every boot: the rest waits.
  class Runtime
    attr_reader :plan, :specs

    def initialize(gemfile, lockfile)
      @gemfile = gemfile
      @lockfile = lockfile
      @root = File.dirname(gemfile)
    end

    # The Gemfile's Definition: the one the plan cache kept (loaded when
    # first asked for), else the one this setup evaluated.
    def definition
      @definition ||= cached_definition || FastBundle.definition(@gemfile, @lockfile)
    end

    # Not Object#inspect: the request it keeps holds every BUNDLE_* variable,
    # credentials (BUNDLE_<HOST>) included.
    def inspect
      "#<#{self.class} #{@gemfile} specs=#{@specs ? @specs.size : "-"}#{@plan && cached? ? " (plan cache)" : ""}>"
    end

    # Was this setup answered from the plan cache?
    def cached?
      @plan["cached"] ? true : false
    end

    def cached_definition
      return nil unless @plan && @plan["cached"]

      @cached_definition ||= begin
        ISeqCache.require_files(File.join(__dir__, "dsl", "evaluate.rb")) # Definition, GemfileCache
        GemfileCache.restore_definition(@plan["ruby"], @gemfile, @lockfile)
      end
    end

    def setup(groups)
      if FastBundle.debug?
        require_relative "timer"
        timer = Timer.new
      end
      @boot_request = FastBundle.environment_request(@gemfile, @lockfile)
                                .merge("groups" => groups.empty? ? nil : groups.map(&:to_s))
      @plan, miss = Native.boot(@boot_request)
      if @plan
        timer&.lap("plan cache hit")
        warnings = @plan["warnings"]
        warnings.each { |w| $stderr.puts(w) } if !warnings.empty? && FastBundle.warn_gemfile?
        @specs = LoadedSpec.from_rows(@plan["specs"])
        debug_running_spec if timer
      else
        timer&.lap("plan cache miss (#{miss})")
        ISeqCache.require_files(File.join(__dir__, "planner.rb"))
        compute(groups, timer)
      end
      apply
      timer&.lap("applied")
      FastBundle.debug(timer.to_s) if timer
      self
    end

    # Bundler::Runtime#require (what `Bundler.setup(...).require` calls).
    # NB: inside Runtime, a bare `require "x"` now means this method; use
    # Kernel.require or require_relative there.
    def require(*groups)
      require_relative "autorequire"
      groups = groups.map(&:to_sym)
      groups = [:default] if groups.empty?
      Autorequire.require_groups(definition.dependencies, groups)
    end

    private

    # What a cold setup notes under FASTBUNDLE_DEBUG about the running
    # fastbundle (running_spec.rb), noted again on a warm boot.
    def debug_running_spec
      running = @specs.find { |s| s.name == "fastbundle" } or return
      ISeqCache.require_files(File.join(__dir__, "running_spec.rb"))
      RunningSpec.warn_if_unwanted(running, definition)
    end

    def apply
      BundlerVersions.use(@plan["bundler"]&.first)
      preactivate
      configure_gem_home_and_path
      clean_load_path
      @specs.each { |s| RubygemsIntegration.mark_loaded(s) }
      load_paths = []
      @specs.reverse_each { |s| s.load_paths.each { |p| load_paths << p unless $LOAD_PATH.include?(p) } }
      RubygemsIntegration.add_to_load_path(load_paths)
      @default_gems = RubygemsIntegration.replace_entrypoints(@specs, File.basename(@gemfile), @plan["default_gems"])
      Environment.set_bundle_environment(@gemfile, @plan["bundle_path"], @plan["bundler"])
      Environment.setup_manpath
      Environment.add_bundler_to_load_path(@specs)
    end

    # Under Bundler, the default gems its own code requires (pathname) are
    # activated before setup; mark them so Gem.loaded_specs agrees, without
    # paying to load them.
    def preactivate
      LoadedSpec.from_rows(@plan["preactivated"]).each do |spec|
        RubygemsIntegration.mark_loaded(spec) unless Gem.loaded_specs.key?(spec.name)
      end
    end

    def configure_gem_home_and_path
      ENV["GEM_PATH"] = "" unless @plan["use_system_gems"]
      ENV["GEM_HOME"] = @plan["bundle_path"]
      Gem.clear_paths
    end

    # Bundler's Runtime#clean_load_path: drop paths of gems activated before
    # setup unless something was already loaded from them.
    def clean_load_path
      loaded_gem_paths = Gem.loaded_specs.values.flat_map(&:full_require_paths)
      $LOAD_PATH.reject! do |p|
        resolved = File.expand_path(p)
        next false if $LOADED_FEATURES.any? { |lf| lf.start_with?(resolved) }

        loaded_gem_paths.delete(p)
      end
      $LOAD_PATH.uniq!
    end
  end

  # ENV for child processes, as Bundler's SharedHelpers.set_bundle_environment
  # sets it, with fastbundle/setup in RUBYOPT.
  module Environment
    ORIGINAL_KEYS = %w[BUNDLE_BIN_PATH BUNDLE_GEMFILE BUNDLER_VERSION GEM_HOME GEM_PATH MANPATH PATH
                       RB_USER_INSTALL RUBYLIB RUBYOPT].freeze
    INTENTIONALLY_NIL = "BUNDLER_ENVIRONMENT_PRESERVER_INTENTIONALLY_NIL"
    LIB_DIR = File.expand_path("..", __dir__)

    module_function

    # Bundler's EnvironmentPreserver, run when Bundler is loaded: remember
    # the original values once, as BUNDLER_ORIG_<KEY>.
    def preserve_original_env
      ORIGINAL_KEYS.each do |key|
        orig = "BUNDLER_ORIG_#{key}"
        ENV[orig] ||= ENV[key] || INTENTIONALLY_NIL
      end
    end

    # bundler: [version, full_gem_path] of the Bundler a `bundle` child
    # would run (the newest installed), or nil.
    def set_bundle_environment(gemfile, bundle_path, bundler)
      if bundler
        version, gem_path = bundler
        bin = bundle_bin_path(gem_path)
        ENV["BUNDLE_BIN_PATH"] = bin if bin
        ENV["BUNDLER_VERSION"] = version
      end
      set_bundler_setup if BundlerVersions.sets_bundler_setup?
      # Bundler's find_gemfile: a given BUNDLE_GEMFILE stays as given (even
      # relative), only a Gemfile found by walking up is written.
      ENV["BUNDLE_GEMFILE"] = gemfile if ENV["BUNDLE_GEMFILE"].nil? || ENV["BUNDLE_GEMFILE"].empty?
      paths = (ENV["PATH"] || "").split(File::PATH_SEPARATOR)
      paths.unshift("#{bundle_path}/bin")
      ENV["PATH"] = paths.uniq.join(File::PATH_SEPARATOR)
      rubyopt = [ENV["RUBYOPT"]].compact
      setup_require = "-r#{File.join(LIB_DIR, "fastbundle", "setup")}"
      unless !rubyopt.empty? && rubyopt.first =~ /#{Regexp.escape(setup_require)}/
        ENV["RUBYOPT"] = rubyopt.unshift(setup_require).join(" ")
      end
      rubylib = (ENV["RUBYLIB"] || "").split(File::PATH_SEPARATOR)
      rubylib.unshift(LIB_DIR) unless RbConfig::CONFIG["rubylibdir"] == LIB_DIR
      ENV["RUBYLIB"] = rubylib.uniq.join(File::PATH_SEPARATOR)
    end

    # That Bundler's `bundle`, as BUNDLE_BIN_PATH names it, if it is there.
    def bundle_bin_path(gem_path)
      exe = File.join(gem_path, "exe", "bundle")
      File.realpath(exe) if File.exist?(exe)
    end

    # RubyGems 3.5+ requires ENV["BUNDLER_SETUP"] first thing in every child
    # Ruby: here fastbundle's setup, as RUBYOPT has it. Its original value is
    # preserved as the others are (the variable was unknown before Bundler 2.5).
    def set_bundler_setup
      before = FastBundle.env_before_setup || ENV
      ENV["BUNDLER_ORIG_BUNDLER_SETUP"] ||= before["BUNDLER_SETUP"] || INTENTIONALLY_NIL
      ENV["BUNDLER_SETUP"] = File.join(LIB_DIR, "fastbundle", "setup")
    end

    # Under bundler/setup, the running Bundler's lib dir is on the load path
    # (RubyGems activated it), just before the bundle's gems. Ours goes to
    # the same place, so that a later `require "bundler"` or
    # `require "bundler/setup"` finds that Bundler and not an older copy
    # bundled with Ruby (nothing is loaded from it here).
    def add_bundler_to_load_path(specs)
      lib = bundler_lib_dir
      return if lib.nil? || $LOAD_PATH.include?(lib)

      gem_paths = specs.flat_map(&:load_paths)
      index = $LOAD_PATH.index { |p| gem_paths.include?(p) } || Gem.load_path_insert_index || 0
      $LOAD_PATH.insert(index, lib)
    end

    # The lib dir of the Bundler that `bundle` (BUNDLE_BIN_PATH, set by
    # setup to the newest installed one) runs, if it is there.
    def bundler_lib_dir
      bin = ENV["BUNDLE_BIN_PATH"]
      return nil unless bin && !bin.empty?

      lib = File.expand_path("../lib", File.dirname(bin))
      File.file?(File.join(lib, "bundler.rb")) ? lib : nil
    end

    # The Bundler constant for code written for Bundler: the facade
    # (bundler_facade.rb), installed when `Bundler` is first named
    # (bundler_autoload.rb). A Bundler already there is taken over now,
    # unless it has set this process up itself.
    def provide_bundler_constant
      if Object.const_defined?(:Bundler, false) && !Object.autoload?(:Bundler)
        ISeqCache.require_files(File.join(__dir__, "bundler_facade.rb"))
        BundlerFacade.install
      else
        Object.autoload(:Bundler, File.join(__dir__, "bundler_autoload.rb"))
      end
    end

    # Bundler's Runtime#setup_manpath (the directory checks in Rust: a
    # Dir[] per $LOAD_PATH entry was a sixth of a 600-gem setup).
    def setup_manpath
      manuals = Native.man_dirs($LOAD_PATH.map(&:to_s))
      return if manuals.empty?

      existing = ENV["MANPATH"] ? ENV["MANPATH"].to_s.split(File::PATH_SEPARATOR) : [""]
      ENV["MANPATH"] = manuals.concat(existing).uniq.join(File::PATH_SEPARATOR)
    end
  end
end
