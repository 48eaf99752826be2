# frozen_string_literal: true

module FastBundle
  # The cold half of Runtime#setup, loaded on a plan cache miss: evaluate
  # the Gemfile, make the plain-data request for Native.plan, evaluate the
  # gemspecs of path and git gems (Bundler does too, on every boot), and once
  # the whole setup has succeeded, keep the answer (Native.store_plan) keyed
  # on everything it was computed from.
  class Runtime
    # Keeps this setup's answer for the next boot (called once the whole
    # setup succeeded), unless it came from the cache or cannot be keyed.
    def store_plan
      return if @stored

      @stored = true
      inputs = cache_inputs
      if inputs.is_a?(String)
        FastBundle.debug("plan not cached: #{inputs}") if FastBundle.debug?
        return
      end
      plan = @plan.merge("specs" => @specs.map(&:to_row), "preactivated" => LoadedSpec.from_rows(@plan["preactivated"]).map(&:to_row),
                         "default_gems" => @default_gems.map(&:to_row),
                         "groups" => @plan["groups"].map(&:to_s),
                         "warnings" => definition.warnings, "ruby" => GemfileCache.dump_definition(definition))
      status = Native.store_plan(@boot_request, inputs, plan)
      FastBundle.debug("plan #{status}") if FastBundle.debug?
    end

    # The plain-data request Native.plan takes for GROUPS, without setting
    # anything up (what `fastbundle check` asks).
    def plan_request(groups)
      @boot_request ||= FastBundle.environment_request(@gemfile, @lockfile)
                                  .merge("groups" => groups.empty? ? nil : groups.map(&:to_s))
      request(groups)
    end

    private

    # The cold path: the Gemfile, the plan, path and git gemspecs.
    def compute(groups, timer)
      ISeqCache.require_files(File.join(__dir__, "input_watch.rb"))
      @watch = InputWatch.new(@root)
      @watch.collect do
        definition
        validate_ruby!
        timer&.lap("Gemfile evaluated")
        @plan = Native.plan(request(groups))
        # The gemspecs evaluated below ask it already (a git gem's extension dir).
        BundlerVersions.use(@plan["bundler"]&.first)
        timer&.lap("planned")
        @specs = LoadedSpec.from_rows(@plan["specs"])
        ISeqCache.require_files(File.join(__dir__, "running_spec.rb"))
        running = RunningSpec.for(definition) and @specs << running
        @specs.each { |s| evaluate_gemspec(s) if s.gemspec_dir }
        timer&.lap("gemspecs evaluated")
      end
    end

    def request(groups)
      sources = definition.sources
      deps = definition.dependencies.map do |d|
        [d.name, d.requirements, d.groups.map(&:to_s), d.should_include? ? true : false,
         !d.source.nil?, d.force_ruby_platform ? true : false, d.source && sources.index(d.source)]
      end
      # BUNDLE_* as they were before the Gemfile ran: Bundler's Settings
      # copies them when first created, before it evaluates the Gemfile.
      @boot_request.merge(
        "dependencies" => deps,
        "sources" => sources.map { |s| source_row(s) },
        "optional_groups" => definition.optional_groups.map(&:to_s)
      )
    end

    # What the cache key needs beyond what Rust reads itself (see
    # src/plan_cache.rs): the files the Gemfile and gemspecs read, the
    # directories path gems were found by listing, the ENV entries they
    # read, fastbundle's own files; or why this answer cannot be keyed.
    def cache_inputs
      gemfile = definition.cache_inputs
      return gemfile if gemfile.is_a?(String)
      return @watch.reason if @watch.reason

      sources = (@path_sources || {}).values
      {
        "files" => gemfile["files"] | sources.flat_map(&:gemspec_files) | @watch.files(sources.map(&:dir)),
        "tested" => @watch.tested_paths,
        "dirs" => (gemfile["dirs"] + sources.flat_map(&:listed_dirs)).uniq,
        "env_names" => (gemfile["env_names"] | @watch.env_names).sort,
        "code" => $LOADED_FEATURES.select { |f| f.start_with?(Environment::LIB_DIR) }
      }
    end

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
      wanted = definition.ruby_version
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
    # the gem's directory), and so do we (PathSource).
    def evaluate_gemspec(spec)
      ISeqCache.require_files(File.join(__dir__, "path_source.rb"))
      @path_sources ||= {}
      source = @path_sources[[spec.gemspec_dir, spec.gemspec_glob]] ||=
        PathSource.new(spec.gemspec_dir, spec.gemspec_glob, @lockfile)
      spec.full_spec = source.materialize(spec, @plan["path_dependencies"][spec.full_name], fake_version(spec))
    end

    # The exact version a Gemfile gives a path gem (`gem "x", "1.0", path:`).
    def fake_version(spec)
      dep = definition.dependencies.find { |d| d.name == spec.name }
      dep&.source && dep.source["name"] == spec.name ? dep.source["version"] : nil
    end

  end
end
