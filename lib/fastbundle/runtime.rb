# frozen_string_literal: true

require_relative "loaded_spec"
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
      deps = @definition.dependencies.map do |d|
        [d.name, d.requirements, d.groups.map(&:to_s), d.should_include? ? true : false,
         !d.source.nil?, d.force_ruby_platform ? true : false]
      end
      {
        "root" => @root,
        "gemfile" => @gemfile,
        "lockfile" => @lockfile,
        "dependencies" => deps,
        "optional_groups" => @definition.optional_groups.map(&:to_s),
        "groups" => groups.empty? ? nil : groups.map(&:to_s),
        "env" => ENV.select { |k, _| k.start_with?("BUNDLE_") },
        "user_home" => Gem.user_home,
        "gem_path" => Gem.path,
        "gem_dir" => Gem.dir,
        "default_specifications_dir" => Gem.default_specifications_dir,
        "default_dir" => Gem.default_dir,
        "platform" => Gem::Platform.local.to_s,
        "ruby_scope" => "#{RUBY_ENGINE}/#{RbConfig::CONFIG["ruby_version"]}",
        "extension_api_version" => Gem.extension_api_version
      }
    end

    def setup(groups)
      validate_ruby!
      @plan = Native.plan(request(groups))
      @specs = @plan["specs"].map { |row| LoadedSpec.new(*row) }
      @specs.each { |s| evaluate_gemspec(s) if s.gemspec_dir }
      bundler = Environment.bundler_stub # before GEM_PATH changes
      configure_gem_home_and_path
      clean_load_path
      @specs.each { |s| RubygemsIntegration.mark_loaded(s) }
      load_paths = @specs.map { |s| s.load_paths.reject { |p| $LOAD_PATH.include?(p) } }.reverse.flatten
      RubygemsIntegration.add_to_load_path(load_paths)
      RubygemsIntegration.replace_entrypoints(@specs, File.basename(@gemfile))
      Environment.set_bundle_environment(@gemfile, @plan["bundle_path"], bundler)
      Environment.setup_manpath
      self
    end

    private

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

    # Path and git gems: Bundler evaluates their gemspecs on every boot (in
    # the gem's directory), and so do we; without one, the gem is its lib/.
    def evaluate_gemspec(spec)
      glob = spec.gemspec_glob || "{,*,*/*}.gemspec"
      found = Dir.glob(glob, base: spec.gemspec_dir).sort.each do |rel|
        file = File.join(spec.gemspec_dir, rel)
        loaded = Dir.chdir(File.dirname(file)) { Gem::Specification.load(file) }
        raise GemspecError, "The gemspec at #{file} is not valid. Please fix it, then run `bundle install`." unless loaded
        break loaded if loaded.name == spec.name
      end
      if found.is_a?(Gem::Specification)
        spec.full_spec = found
      else
        spec.load_paths = [File.join(spec.gemspec_dir, "lib")]
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

    def set_bundle_environment(gemfile, bundle_path, bundler)
      if bundler
        exe = File.join(bundler.full_gem_path, "exe", "bundle")
        ENV["BUNDLE_BIN_PATH"] = File.realpath(exe) if File.exist?(exe)
        ENV["BUNDLER_VERSION"] = bundler.version.to_s
      end
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

    # The Bundler a `bundle` child would run: the newest installed one.
    def bundler_stub
      Gem::Specification.stubs_for("bundler").max_by(&:version)
    end

    # Bundler's Runtime#setup_manpath.
    def setup_manpath
      manuals = $LOAD_PATH.filter_map do |path|
        man_subdir = path.sub(/lib$/, "man")
        man_subdir unless Dir[man_subdir + "/man?/"].empty?
      end
      return if manuals.empty?

      existing = ENV["MANPATH"] ? ENV["MANPATH"].to_s.split(File::PATH_SEPARATOR) : [""]
      ENV["MANPATH"] = manuals.concat(existing).uniq.join(File::PATH_SEPARATOR)
    end
  end
end
