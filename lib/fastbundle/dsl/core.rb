# frozen_string_literal: true

require_relative "../errors"
require_relative "../current_ruby"
require_relative "../definition"
require_relative "../dependency"
require_relative "../gemfile_cache"
require_relative "evaluate"

module FastBundle
  # Evaluates a Gemfile (or gems.rb) the way Bundler::Dsl (2.3) does, without
  # loading Bundler, and records it in a FastBundle::Definition:
  #
  #   definition = FastBundle::Dsl.evaluate("Gemfile")
  #
  # The Gemfile runs with `self` an instance of this class, as in Bundler:
  # every Gemfile(5) method is here, with Bundler's validation and messages;
  # anything else is "Undefined local variable or method `x' for Gemfile".
  # Errors are Dsl::DSLError (a FastBundle::GemfileError) naming the file and
  # line, with Bundler's status code.
  #
  # Load time matters (this runs on every boot), so this file holds only the
  # common path: `gem`, blocks, plain sources. Everything else (gemspec, git,
  # path, ruby, error formatting, rare validations) is in dsl/cold.rb, loaded
  # the first time it is needed. Both are loaded through FastBundle::ISeqCache
  # (see fastbundle/dsl.rb) when required as `fastbundle/dsl`.
  class Dsl
    VALID_KEYS = %w[group groups git path glob name branch ref tag require submodules
                    platform platforms type source install_if gemfile force_ruby_platform].freeze
    VALID_KEY_LOOKUP = VALID_KEYS.to_h { |k| [k, true] }.freeze
    # Bundler 2.5+'s: without the internal type and gemfile (see
    # BundlerVersions.gem_type_and_gemfile_options?).
    MODERN_VALID_KEYS = (VALID_KEYS - %w[type gemfile]).freeze
    MODERN_VALID_KEY_LOOKUP = MODERN_VALID_KEYS.to_h { |k| [k, true] }.freeze
    # The options most `gem` lines use, read as given (no normalised copy).
    SIMPLE_OPTIONS = { require: true, group: true, groups: true, platform: true, platforms: true }.freeze

    # Version arguments => frozen Gem::Requirement#as_list, shared by all
    # evaluations (most Gemfiles repeat a handful of requirement strings).
    REQUIREMENT_LISTS = {} # rubocop:disable Style/MutableConstant
    REQUIREMENT_PATTERN = Gem::Requirement::PATTERN
    # "op version" exactly as Gem::Requirement#as_list writes it (no "-" to
    # turn into ".pre.").
    CANONICAL_REQUIREMENT = /\A(?:=|!=|>=|<=|>|<|~>) [0-9]+(?>\.[0-9a-zA-Z]+)*\z/.freeze
    DEFAULT_REQUIREMENTS = [">= 0"].freeze
    DEFAULT_GROUPS = [:default].freeze
    NO_PLATFORMS = [].freeze
    NO_AUTOREQUIRE = [].freeze

    # https://host/path remotes that need no URI parsing (already normalised).
    SIMPLE_REMOTE = %r{\Ahttps?://[a-z0-9][a-z0-9.\-]*(?::(?!80/|443/)\d+)?/[A-Za-z0-9._~\-/]*\z}.freeze

    # Bundler's DSL errors that errors.rb does not define (same status codes).
    class DeprecatedError < Error; status_code 12; end
    class PermissionError < Error; status_code 23; end
    class GenericSystemCallError < Error; status_code 32; end
    class GemfileEvalError < GemfileError; end # "error evaluating" instead of "parsing"

    # Anything that went wrong while evaluating a Gemfile, formatted like
    # Bundler::Dsl::DSLError ("[!] There was an error parsing `Gemfile`: ...
    # fastbundle cannot continue." then " #  from /path/Gemfile:3" and the
    # lines around it). #status_code is the cause's, else 4.
    class DSLError < GemfileError
      attr_reader :description, :dsl_path, :backtrace

      def initialize(description, dsl_path, backtrace, contents = nil, cause_error = $!)
        @status_code = cause_error.respond_to?(:status_code) && cause_error.status_code
        @description = description
        @dsl_path = dsl_path
        @backtrace = backtrace
        @contents = contents
        super(nil)
      end

      def status_code
        @status_code || super
      end

      def message
        to_s
      end

      def to_s
        @to_s ||= begin
          Dsl.cold!
          format_message
        end
      end
    end

    class << self
      # Dsl.evaluate (dsl/evaluate.rb) when GemfileCache has no recorded
      # Definition for its Gemfile: evaluates `path` (expanded; `contents`
      # as read, or nil) and, if the Gemfile is a recording (see
      # #recording?), records the result for the next boot.
      def record(path, lockfile, contents, warn: true, bundler_fallback: true)
        builder = new(warn: warn)
        begin
          builder.eval_gemfile(path, contents)
        rescue DSLError => e
          raise unless bundler_fallback && !defined?(::Bundler) && needs_bundler?(e)

          require "bundler"
          builder = new(warn: warn)
          builder.eval_gemfile(path, contents)
        end
        definition = builder.to_definition(lockfile)
        # (contents is nil only if Dsl.evaluate could not read the file; then
        # what was evaluated is unknown here, so nothing is recorded)
        if contents && (env_names = builder.recording?)
          GemfileCache.store_definition(path, contents, definition, env_names)
        end
        definition
      ensure
        builder&.print_warnings
      end

      # Did the evaluation fail only because the Bundler constant is missing?
      def needs_bundler?(error)
        while error
          return true if error.is_a?(NameError) && error.name == :Bundler
          error = error.cause
        end
        false
      end

      # Loads dsl/sources.rb: git, path, ruby, source options.
      def sources!
        return if defined?(@sources)

        load_part("sources.rb")
        @sources = true
      end

      # Loads dsl/cold.rb (and sources.rb): gemspec, duplicates, warnings,
      # error messages.
      def cold!
        return if defined?(@cold)

        load_part("cold.rb")
        @cold = true
        @sources = true
      end

      def load_part(file)
        if defined?(FastBundle::ISeqCache)
          FastBundle::ISeqCache.require_files(File.join(__dir__, file))
        else
          require_relative file
        end
      end
    end

    attr_reader :gemspecs

    def initialize(warn: true)
      @warn = warn
      @source = nil
      @global_source = Definition::Source.rubygems(global: true)
      @source_list = []
      @source_index = {}
      @global_path_source = nil
      # name => block; nil for the built-in github/gist/bitbucket/gitlab (in sources.rb)
      @git_sources = { "github" => nil, "gist" => nil, "bitbucket" => nil }
      @git_sources["gitlab"] = nil if BundlerVersions.gitlab_git_source?
      @old_keys = BundlerVersions.gem_type_and_gemfile_options?
      @gemspec_dev_deps = {}.compare_by_identity # Bundler 2.5+'s gemspec_dev_dep (see add_dependency)
      @dependencies = []
      @deps_by_name = {}
      @groups = []
      @group_list = nil
      @platform_list = nil
      @install_conditionals = []
      @optional_groups = []
      @platforms = []
      @env = nil
      @ruby_version = nil
      @gemspecs = []
      @gemfile = nil
      @gemfiles = []
      @input_files = []
      @plugins = []
      @warnings = []
      @printed = 0
      @recording = false # see #recording?
      @read_outside = false
      @cache_reason = nil # see #cache_inputs
      @cache_env = []
      @cache_dirs = []
    end

    def dependencies
      @dependencies
    end

    def dependencies=(deps)
      @dependencies = deps
      @deps_by_name = {}
      deps.each { |d| @deps_by_name[d.name] ||= d }
    end

    def eval_gemfile(gemfile, contents = nil)
      expanded = File.expand_path(gemfile, @gemfile && File.dirname(@gemfile))
      gemfile = expanded if BundlerVersions.evaluates_gemfiles_by_expanded_path?
      original_gemfile = @gemfile
      @gemfile = expanded
      @gemfiles << expanded
      @input_files << expanded
      contents ||= read_file(expanded)
      code, recording = GemfileCache.fetch(gemfile.to_s, expanded, contents) if defined?(ISeqCache)
      @recording = @gemfiles.size == 1 && recording
      if recording
        @cache_env |= recording
      else
        @cache_reason ||= "#{File.basename(expanded)} does more than DSL calls on literals and ENV entries it names"
      end
      if code
        instance_exec(&code)
      else
        instance_eval(contents, gemfile.to_s, 1)
      end
    rescue Exception => e # rubocop:disable Lint/RescueException -- Bundler 2.3 reports even `exit` this way
      raise if unwrapped_error?(e, expanded)

      message = "There was an error #{e.is_a?(GemfileEvalError) ? "evaluating" : "parsing"} " \
                "`#{File.basename(gemfile.to_s)}`: #{e.message}"
      # Ruby prints the causes of an uncaught error: they must not show a
      # credential that the message itself filters.
      raise DSLError.new(message, gemfile, e.backtrace, contents, e), cause: Definition::CredentialFilter.clean_exception(e)
    ensure
      @gemfile = original_gemfile
    end

    def gem(name, *args)
      options = args.last.is_a?(Hash) ? args.pop : nil

      # Bundler: options.dup, options["gemfile"] = @gemfile, then non-String
      # keys stringified in place (String keys keep their position). A line
      # without options, or with only require:/group:/platforms:, needs no
      # such hash (see build_dependency).
      dep = if options.nil? || simple_options?(options)
        build_dependency(name, args, nil, options)
      else
        opts = {}
        options.each { |k, v| opts[k] = v if k.is_a?(String) }
        opts["gemfile"] = @gemfile if @old_keys
        options.each { |k, v| opts[k.is_a?(Symbol) ? k.name : k.to_s] = v unless k.is_a?(String) }
        build_dependency(name, args, opts)
      end

      add_to_dependencies(dep)
    end

    def source(source, *args, &blk)
      if args.empty? && source.is_a?(String)
        rubygems_source(source, &blk)
      else
        Dsl.sources!
        source_with_options(source, *args, &blk)
      end
    end

    def group(*args)
      options = args.last.is_a?(Hash) ? args.pop.dup : nil
      if options
        normalize_hash(options)
        validate_keys("group #{args.map { |g| ":#{g}" }.join(", ")}", options, %w[optional]) if options.size > 1 || !options.key?("optional") || options.key?("branch")
        @optional_groups.concat(args - @optional_groups) if options["optional"]
      end
      @groups.concat args
      @group_list = nil
      yield
    ensure
      args.each { @groups.pop }
      @group_list = nil
    end

    def install_if(*args)
      @install_conditionals.concat args
      yield
    ensure
      args.each { @install_conditionals.pop }
    end

    def platforms(*platforms)
      @platforms.concat platforms
      @platform_list = nil
      yield
    ensure
      platforms.each { @platforms.pop }
      @platform_list = nil
    end
    alias platform platforms

    def env(name)
      old = @env
      @env = name
      yield
    ensure
      @env = old
    end

    # Plugins are recorded, never installed or loaded.
    def plugin(*args)
      opts = args.last.is_a?(Hash) ? args.pop : {}
      @plugins << { "name" => args.first, "args" => args.drop(1), "options" => opts }
      nil
    end

    # The rest of Gemfile(5), in dsl/sources.rb and dsl/cold.rb.
    %i[git_source path git github ruby].each do |meth|
      define_method(meth) do |*a, &b|
        Dsl.sources!
        __send__(meth, *a, &b)
      end
    end

    def gemspec(*args, &blk)
      Dsl.cold!
      gemspec(*args, &blk)
    end

    def method_missing(name, *_args)
      raise GemfileError, "Undefined local variable or method `#{name}' for Gemfile"
    end

    # Is what this evaluation recorded a function of the Gemfile's text and
    # of a few ENV entries it names, so GemfileCache may answer the next
    # evaluation of the same text, with the same values of those entries,
    # from it? Returns their names (often none), or false. Yes when the
    # Gemfile is a recording (DSL calls on literals, conditions on ENV
    # entries...; see GemfileCache::Writer.recording_env) and no DSL method
    # read anything else: another file (`ruby file:`, eval_gemfile,
    # gemspec), ENV (BUNDLE_SILENCE_DEPRECATIONS for a deprecation), HOME
    # ("~" paths).
    def recording?
      (!@read_outside && @input_files.uniq.size == 1 && @recording) || false
    end

    # Called by DSL methods that read outside the Gemfile (see #recording?):
    # the ENV entry they read, or nil for something no key can see.
    def read_outside!(env_name)
      @read_outside = true
      if env_name
        @cache_env |= [env_name]
      else
        @cache_reason ||= "the Gemfile reads something no cache key can see"
      end
    end

    # What the plan cache keys this evaluation on (see Definition#cache_inputs):
    # the files it read, the directories it listed, the ENV entries it
    # read; or why it cannot be keyed.
    def cache_inputs
      @cache_reason || { "files" => @input_files.uniq, "dirs" => @cache_dirs.uniq, "env_names" => @cache_env.dup }
    end

    def check_primary_source_safety
      return unless @global_path_source || @global_source.remotes.size != 1

      Dsl.cold!
      source_safety_warnings
    end

    def to_definition(lockfile = nil, _unlock = nil)
      check_primary_source_safety
      Definition.new(
        gemfile: @gemfiles.first,
        lockfile: lockfile,
        dependencies: @dependencies,
        sources: [@global_source].concat(@source_list),
        ruby_version: @ruby_version,
        optional_groups: @optional_groups.select { |g| g.is_a?(Symbol) },
        gemspecs: @gemspecs,
        plugins: @plugins.map { |p| Definition.plain(p) },
        gemfiles: @gemfiles,
        input_files: @input_files.uniq,
        warnings: @warnings,
        cache_inputs: cache_inputs
      )
    end

    # Prints (once) the warnings recorded so far, if this recorder warns.
    def print_warnings
      return unless @warn

      @printed ||= 0
      @warnings[@printed..].each { |w| $stderr.puts(w) }
      @printed = @warnings.size
    end

    def inspect
      "#<#{self.class} #{@gemfile || "(no Gemfile)"}>"
    end

    def to_s
      inspect
    end

    private

    # Bundler::Dsl#normalize_options then Bundler::Dependency.new, in one pass
    # and with the checks in the same order (so the same error wins). `opts`
    # is nil for a line without options or with only the SIMPLE_OPTIONS,
    # given as they were in `simple`: the common cases, which allocate
    # little more than the Dependency (evaluation runs on every boot, and a
    # few thousand allocations cost a major GC in a fresh process).
    def build_dependency(name, version, opts, simple = nil)
      if name.is_a?(Symbol)
        raise GemfileError, %(You need to specify gem names as Strings. Use 'gem "#{name}"' instead)
      end
      if name.is_a?(String) && name.match?(/\s/)
        raise GemfileError, %('#{name}' is not a valid gem name because it contains whitespace)
      end
      raise GemfileError, %(an empty gem name is not valid) if name.empty?

      unless opts
        groups = groups_for(simple && (simple[:groups] || simple[:group]))
        install_if = @install_conditionals.empty? || install_conditions_met?(@install_conditionals)
        platforms = platforms_for(simple && (simple[:platform] || simple[:platforms]))
        autorequire = ((req = simple[:require]) ? Array(req) : NO_AUTOREQUIRE) if simple&.key?(:require)
        return new_dependency(name, version, nil, groups, platforms, autorequire, @source, @env, install_if, nil, @gemfile)
      end

      git_sources = @git_sources
      suspicious = opts.key?("branch")
      uses_git_source = false
      lookup = @old_keys ? VALID_KEY_LOOKUP : MODERN_VALID_KEY_LOOKUP
      opts.each_key do |k|
        next if lookup.key?(k)

        git_sources.key?(k) ? (uses_git_source = true) : (suspicious = true)
      end
      validate_keys("gem '#{name}'", opts, valid_keys + git_sources.keys) if suspicious

      group_opt = opts.delete("groups") || opts["group"]
      opts.delete("group")
      groups = groups_for(group_opt)

      install_if = true
      if !@install_conditionals.empty? || opts.key?("install_if")
        install_if = install_conditions_met?(@install_conditionals + Array(opts.delete("install_if")))
      end

      platform_opt = opts["platform"] || opts["platforms"]
      opts.delete("platforms")
      platforms = platforms_for(platform_opt)

      opts["source"] = add_rubygems_source(normalize_source(opts["source"])) if opts.key?("source")

      # The last registered git source (github:, gist:, bitbucket:, custom)
      # named in the options: Bundler's `(git_names & opts.keys).last`.
      if uses_git_source
        git_name = nil
        git_sources.each_key { |k| git_name = k if opts.key?(k) }
        apply_git_source(git_name, opts)
      end
      add_git_or_path_sources(name, version, opts) if opts["git"] || opts["path"]

      autorequire = if opts.key?("require")
        (req = opts["require"]) ? Array(req) : NO_AUTOREQUIRE
      end
      new_dependency(name, version, opts["type"] || :runtime, groups, platforms, autorequire,
                     opts["source"] || @source, opts["env"] || @env, install_if, opts["force_ruby_platform"],
                     opts.fetch("gemfile", @gemfile)&.to_s)
    end

    # Bundler::Dependency#initialize, Gem::Dependency's checks included.
    def new_dependency(name, version, type, groups, platforms, autorequire, source, env, install_if, force_ruby, gemfile)
      type ||= :runtime
      requirement = nil
      if name.is_a?(String) && (type == :runtime || type == :development) && (list = requirement_list(version))
        requirements = list
      else
        gem_dep = Gem::Dependency.new(name, version, type)
        requirement = gem_dep.requirement
        requirements = requirement.as_list.freeze
        type = gem_dep.type
      end
      Dependency.new(name, requirements, requirement, type, groups, platforms, autorequire, source, env, install_if,
                     force_ruby, gemfile)
    end

    # The current `group` blocks' groups plus a group:/groups: option.
    def groups_for(group_opt)
      return @group_list ||= (@groups.empty? ? DEFAULT_GROUPS : @groups.map(&:to_sym).freeze) if group_opt.nil?

      list = @groups + Array(group_opt)
      list.empty? ? DEFAULT_GROUPS : list.map!(&:to_sym).freeze
    end

    # The current `platforms` blocks' platforms plus a platforms: option.
    def platforms_for(platform_opt)
      if platform_opt.nil?
        return @platform_list ||= (@platforms.empty? ? NO_PLATFORMS : validate_platforms(@platforms.map(&:to_sym)))
      end

      validate_platforms((@platforms + Array(platform_opt)).map!(&:to_sym))
    end

    # Only Symbol keys among SIMPLE_OPTIONS?
    def simple_options?(options)
      options.each_key { |k| return false unless SIMPLE_OPTIONS.key?(k) }
      true
    end

    # Bundler ANDs install_if conditions (procs are called) while reading.
    def install_conditions_met?(conditions)
      conditions.reduce(true) { |memo, val| memo && (val.respond_to?(:call) ? val.call : val) }
    end

    def add_to_dependencies(dep)
      if (current = @deps_by_name[dep.name])
        if BundlerVersions.gemspec_dependencies_added_directly?
          Dsl.cold!
          dep = resolve_duplicate_modern(current, dep)
          return if dep == :skip
        elsif resolve_duplicate(current, dep) == :skip
          return
        end
      else
        @deps_by_name[dep.name] = dep
      end
      @dependencies << dep
    end

    # Bundler 2.3's rule for a second `gem` line with the same name: a
    # gemspec development dependency gives way, identical lines warn (and
    # both are kept), anything else is an error.
    def resolve_duplicate(current, dep)
      if current.type == :development
        delete_dependency(current)
        @deps_by_name[dep.name] = @dependencies.find { |d| d.name == dep.name } || dep
      elsif current.requirement != dep.requirement || current.source != dep.source
        return :skip if dep.type == :development

        Dsl.cold!
        raise_duplicate(current, dep)
      else
        warn_duplicate(current)
      end
      nil
    end

    def warn_duplicate(current)
      ui_warn "Your Gemfile lists the gem #{current.name} (#{current.requirement}) more than once.\n" \
              "You should probably keep only one of them.\n" \
              "Remove any duplicate entries and specify the gem only once.\n" \
              "While it's not a problem now, it could cause errors if you change the version of one of them later."
    end

    def delete_dependency(current)
      @dependencies.reject! do |d|
        d.name == current.name && d.type == current.type && d.requirement == current.requirement
      end
    end

    # `source "uri"`: a remote of the global source; with a block, a source
    # of its own for the block's gems.
    def rubygems_source(source, &blk)
      return with_source(add_rubygems_source(source), &blk) if blk

      @global_source.add_remote(normalize_remote(source))
      @global_source
    end

    def with_source(source)
      old_source = @source
      if block_given?
        @source = source
        yield
      end
      source
    ensure
      @source = old_source
    end

    def normalize_hash(opts)
      opts.keys.each do |k|
        opts[k.to_s] = opts.delete(k) unless k.is_a?(String)
      end
      opts
    end

    def normalize_source(source)
      return source if source.is_a?(String)

      Dsl.sources!
      normalize_source_slow(source)
    end

    # A remote as Bundler::Source::Rubygems#normalize_uri leaves it: trailing
    # slash, parsed as an absolute URI.
    def normalize_remote(uri)
      uri = uri.to_s
      uri = "#{uri}/" unless uri.end_with?("/")
      return uri if SIMPLE_REMOTE.match?(uri)

      Dsl.sources!
      normalize_remote_slow(uri)
    end

    def add_rubygems_source(remote)
      src = Definition::Source.rubygems
      src.add_remote(normalize_remote(remote))
      return @global_source if @global_source == src

      add_source_to_list(src)
    end

    # Like Bundler's SourceList: an equal source already listed is replaced
    # by the new one (its options, e.g. glob, may differ), which is returned.
    def add_source_to_list(source)
      if (index = @source_index[source])
        @source_list[index] = source
      else
        @source_index[source] = @source_list.size
        @source_list << source
      end
      source
    end

    def validate_platforms(platforms)
      platforms.each do |p|
        next if CurrentRuby.valid_platform?(p)

        raise GemfileError, "`#{p}` is not a valid platform. The available options are: #{CurrentRuby.platforms.inspect}"
      end
      platforms.freeze
    end

    # Gem::Requirement.create(version).as_list for version arrays of Strings,
    # without building Gem::Requirement/Gem::Version objects (evaluation
    # allocates little: this runs on every boot). The same checks and
    # normalisation: flatten, uniq, each "op version" matched by
    # Gem::Requirement::PATTERN (else Gem's BadRequirementError), "=" by
    # default, "-" in the version becomes ".pre.". nil for anything else
    # (Gem::Version objects, requirements...), which takes Gem's own path.
    def requirement_list(version)
      return DEFAULT_REQUIREMENTS if version.empty?

      # Already in as_list's form ("~> 1.2", ">= 3.0.1"): the (fresh, splat)
      # Array itself is the list, frozen and with frozen Strings.
      if version.size <= 2 && version.all? { |v| v.is_a?(String) && CANONICAL_REQUIREMENT.match?(v) } &&
         (version.size == 1 || version[0] != version[1])
        version.map!(&:-@)
        return version.freeze
      end

      cached = REQUIREMENT_LISTS[version]
      return cached if cached

      strings = version.flatten
      return nil unless strings.all?(String)
      return DEFAULT_REQUIREMENTS if strings.empty?

      strings.uniq!
      list = strings.map! do |s|
        m = REQUIREMENT_PATTERN.match(s)
        raise Gem::Requirement::BadRequirementError, "Illformed requirement [#{s.inspect}]" unless m

        "#{m[1] || "="} #{m[2].include?("-") ? m[2].gsub("-", ".pre.") : m[2]}"
      end
      list.freeze
      # Keyed by frozen copies, so a string the Gemfile mutates later cannot alter the entry.
      REQUIREMENT_LISTS[version.map(&:-@).freeze] = list if version.all?(String)
      list
    end

    def read_file(path)
      File.open(path, "r:UTF-8", &:read)
    rescue Errno::EACCES
      raise PermissionError, "There was an error while trying to read from `#{path}`. " \
                             "It is likely that you need to grant read permissions for that path."
    rescue Errno::ENOENT, Errno::EEXIST
      raise
    rescue SystemCallError => e
      raise GenericSystemCallError, "There was an error accessing `#{path}`.\n" \
                                    "The underlying system error is #{e.class}: #{e}"
    end

    def ui_warn(message)
      @warnings << Definition::CredentialFilter.filter_string(message)
    end

    # Does Bundler 2.5+ let this error of evaluating `path` through as it is
    # (see BundlerVersions.wraps_every_gemfile_error?)? Only fastbundle's
    # own errors and non-errors (exit, interrupts) are let through: other
    # exceptions are still reported with the Gemfile's file and line.
    def unwrapped_error?(error, path)
      return false if BundlerVersions.wraps_every_gemfile_error?
      return true unless error.is_a?(StandardError) || error.is_a?(ScriptError)
      return false unless error.is_a?(Error)
      return false if error.is_a?(GemfileError) || error.is_a?(InvalidOption) || error.is_a?(DeprecatedError) ||
                      error.is_a?(InvalidArgumentError)

      error.backtrace_locations&.first&.path != path
    end

    # The options `gem` accepts, and the keys git_source reserves.
    def valid_keys
      @old_keys ? VALID_KEYS : MODERN_VALID_KEYS
    end

    # Rare paths, defined in dsl/sources.rb.
    %i[validate_keys apply_git_source add_git_or_path_sources].each do |meth|
      define_method(meth) do |*a, &b|
        Dsl.sources!
        __send__(meth, *a, &b)
      end
      private meth
    end
  end
end
