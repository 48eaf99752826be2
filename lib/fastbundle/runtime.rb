# frozen_string_literal: true

require_relative "bundler_versions"
require_relative "loaded_spec"
require_relative "path_source"
require_relative "rubygems_integration"

module FastBundle
  # Bundler's Runtime#setup without Bundler: builds the plain-data request,
  # makes the one call into Rust (FastBundle::Native.plan), evaluates the
  # gemspecs only Ruby can (path and git gems), then applies the plan to the
  # interpreter: $LOAD_PATH, Gem.loaded_specs, Kernel#gem, ENV.
  class Runtime
    attr_reader :definition, :plan, :specs

    def initialize(gemfile, lockfile, definition)
      @gemfile = gemfile
      @lockfile = lockfile
      @definition = definition
      @root = File.dirname(gemfile)
    end

    def request(groups)
      sources = @definition.sources
      deps = @definition.dependencies.map do |d|
        [d.name, d.requirements, d.groups.map(&:to_s), d.should_include? ? true : false,
         !d.source.nil?, d.force_ruby_platform ? true : false, d.source && sources.index(d.source)]
      end
      # BUNDLE_* as they were before the Gemfile ran: Bundler's Settings
      # copies them when first created, before it evaluates the Gemfile.
      FastBundle.environment_request(@gemfile, @lockfile).merge(
        "dependencies" => deps,
        "sources" => sources.map { |s| source_row(s) },
        "optional_groups" => @definition.optional_groups.map(&:to_s),
        "groups" => groups.empty? ? nil : groups.map(&:to_s)
      )
    end

    def setup(groups)
      validate_ruby!
      @plan = Native.plan(request(groups))
      BundlerVersions.use(@plan["bundler"]&.first)
      @specs = @plan["specs"].map { |row| LoadedSpec.new(*row) }
      @specs.each { |s| evaluate_gemspec(s) if s.gemspec_dir }
      preactivate
      configure_gem_home_and_path
      clean_load_path
      @specs.each { |s| RubygemsIntegration.mark_loaded(s) }
      load_paths = @specs.map { |s| s.load_paths.reject { |p| $LOAD_PATH.include?(p) } }.reverse.flatten
      RubygemsIntegration.add_to_load_path(load_paths)
      RubygemsIntegration.replace_entrypoints(@specs, File.basename(@gemfile))
      Environment.set_bundle_environment(@gemfile, @plan["bundle_path"], @plan["bundler"])
      Environment.setup_manpath
      self
    end

    # Bundler::Runtime#require (what `Bundler.setup(...).require` calls).
    # NB: inside Runtime, a bare `require "x"` now means this method; use
    # Kernel.require or require_relative there.
    def require(*groups)
      require_relative "autorequire"
      groups = groups.map(&:to_sym)
      groups = [:default] if groups.empty?
      Autorequire.require_groups(@definition.dependencies, groups)
    end

    private

    # What the frozen check compares of a Gemfile source (Bundler's
    # Source#== fields), as plain data; see ext/fastbundle/src/plan.rs.
    def source_row(source)
      case source.type
      when :gem then ["gem", source.remotes, source.global?]
      when :git
        ["git", source.uri.to_s, source["ref"] || source["branch"] || source["tag"], source["branch"],
         source["glob"] || Definition::Source::DEFAULT_GLOB, source["submodules"]&.to_s,
         source["version"].to_s.strip.gsub("-", ".pre.")]
      else ["path", source.expanded_path, source.path.to_s, source["version"], source["global"] ? true : false]
      end
    end

    # Bundler::Definition#validate_ruby!
    def validate_ruby!
      wanted = @definition.ruby_version
      return unless wanted

      problem, expected, actual = wanted.diff(RubyVersion.system)
      return unless problem

      message =
        case problem
        when :engine then "Your Ruby engine is #{actual}, but your Gemfile specified #{expected}"
        when :version then "Your Ruby version is #{actual}, but your Gemfile specified #{expected}"
        when :engine_version
          "Your #{RubyVersion.system.engine} version is #{actual}, but your Gemfile specified #{wanted.engine} #{expected}"
        else "Your Ruby patchlevel is #{actual}, but your Gemfile specified #{expected}"
        end
      raise RubyVersionMismatch, message
    end

    # Under Bundler, the default gems its own code requires (pathname) are
    # activated before setup; mark them so Gem.loaded_specs agrees, without
    # paying to load them.
    def preactivate
      @plan["preactivated"].each do |row|
        spec = LoadedSpec.new(*row)
        RubygemsIntegration.mark_loaded(spec) unless Gem.loaded_specs.key?(spec.name)
      end
    end

    # Path and git gems: Bundler evaluates their gemspecs on every boot (in
    # the gem's directory), and so do we (PathSource).
    def evaluate_gemspec(spec)
      @path_sources ||= {}
      source = @path_sources[[spec.gemspec_dir, spec.gemspec_glob]] ||=
        PathSource.new(spec.gemspec_dir, spec.gemspec_glob, @lockfile)
      spec.full_spec = source.materialize(spec, @plan["path_dependencies"][spec.full_name], fake_version(spec))
    end

    # The exact version a Gemfile gives a path gem (`gem "x", "1.0", path:`).
    def fake_version(spec)
      dep = @definition.dependencies.find { |d| d.name == spec.name }
      dep&.source && dep.source["name"] == spec.name ? dep.source["version"] : nil
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
        exe = File.join(gem_path, "exe", "bundle")
        ENV["BUNDLE_BIN_PATH"] = File.realpath(exe) if File.exist?(exe)
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

    # RubyGems 3.5+ requires ENV["BUNDLER_SETUP"] first thing in every child
    # Ruby: here fastbundle's setup, as RUBYOPT has it. Its original value is
    # preserved as the others are (the variable was unknown before Bundler 2.5).
    def set_bundler_setup
      before = FastBundle.env_before_setup || ENV
      ENV["BUNDLER_ORIG_BUNDLER_SETUP"] ||= before["BUNDLER_SETUP"] || INTENTIONALLY_NIL
      ENV["BUNDLER_SETUP"] = File.join(LIB_DIR, "fastbundle", "setup")
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
