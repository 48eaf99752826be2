# frozen_string_literal: true

module FastBundle
  # What Gem.loaded_specs holds for a bundled gem: name, version, platform
  # and paths straight from the plan (RubyGems' stub header), the full
  # Gem::Specification loaded only when someone asks for anything else —
  # the same trade Bundler makes with its StubSpecification.
  class LoadedSpec
    include Comparable

    attr_reader :name, :gemspec_dir, :gemspec_glob, :source_type
    attr_writer :load_paths
    attr_accessor :activated

    # LoadedSpecs of the flat Array Native.plan and Native.boot return (the
    # arguments of each, one spec after the other: ext/fastbundle/src/plan.rs).
    def self.from_rows(flat)
      specs = []
      i = 0
      n = flat.size
      while i < n
        specs << new(flat[i], flat[i + 1], flat[i + 2], flat[i + 3], flat[i + 4], flat[i + 5], flat[i + 6],
                     flat[i + 7], flat[i + 8], flat[i + 9], flat[i + 10])
        i += 11
      end
      specs
    end

    def initialize(name, version, platform, full_name, full_gem_path, loaded_from, load_paths, gemspec_dir,
                   gemspec_glob, source_type, default_gem)
      @name = name
      @version_string = version
      @platform_string = platform
      @full_name = full_name
      @full_gem_path = full_gem_path
      @loaded_from = loaded_from
      @load_paths = load_paths
      @gemspec_dir = gemspec_dir
      @gemspec_glob = gemspec_glob
      @source_type = source_type
      @default_gem = default_gem
      @activated = false
      @full_spec = nil
    end

    # A plan row leaves out a gem's full_gem_path when its one load path is
    # its lib/ (nil), and gives its loaded_from as a code when RubyGems'
    # layout tells it (0: specifications/, 1: specifications/default/ under
    # the gem dir): ext/fastbundle/src/plan.rs spec_rows.
    def full_gem_path
      @full_gem_path ||= @load_paths.first.delete_suffix("/lib")
    end

    def loaded_from
      return @loaded_from unless @loaded_from.is_a?(Integer)

      base = full_gem_path.delete_suffix("/gems/#{full_name}")
      @loaded_from = "#{base}/specifications/#{@loaded_from == 1 ? "default/" : ""}#{full_name}.gemspec"
    end

    def version
      @version ||= Gem::Version.new(@version_string)
    end

    # name-version[-platform] (nil when made from a plan row: built here).
    def full_name
      @full_name ||= @platform_string == "ruby" ? "#{@name}-#{@version_string}" : "#{@name}-#{@version_string}-#{@platform_string}"
    end

    def platform
      @platform_string == "ruby" ? Gem::Platform::RUBY : @platform_string
    end

    # An installed gemspec without a stub header comes with no paths: only
    # evaluating it tells them.
    def load_paths
      @load_paths = spec_without_stub.full_require_paths if @load_paths.empty? && loaded_from && !@gemspec_dir
      @load_paths
    end
    alias full_require_paths load_paths

    def require_paths
      to_spec.require_paths
    end

    # A default gem's gem_dir is the full gemspec's (Bundler's stub hands
    # it on): under its spec's own base dir, which on Debian is not the
    # base of its full_gem_path.
    def gem_dir
      @default_gem && !BundlerVersions.default_gem_dir_is_full_gem_path? ? to_spec.gem_dir : full_gem_path
    end

    def activated?
      @activated
    end

    def default_gem?
      @default_gem
    end

    def runtime_dependencies
      to_spec.runtime_dependencies
    end

    # A spec evaluated from a path or git gem's gemspec: the gem lives where
    # its gemspec is (Bundler's rubygems_ext says the same). Its load paths
    # are BasicSpecification#full_require_paths: each require path joined
    # (not normalised: "." stays "<dir>/.") to that dir, then the extension
    # dir Bundler gives the gem.
    def full_spec=(spec)
      @full_spec = spec
      @loaded_from = spec.loaded_from
      @full_gem_path = File.dirname(spec.loaded_from)
      @load_paths = spec.raw_require_paths.map { |p| File.join(@full_gem_path, p) }
      return if spec.extensions.empty?

      # As Bundler's rubygems_ext does: RubyGems 3.6 ignores a spec whose
      # extensions it cannot find built (find_by_name, Kernel#gem).
      spec.extension_dir = source_extension_dir(spec)
      @load_paths << spec.extension_dir
    end

    # A git gem's extensions are built beside the checkouts, in a dir named
    # after its checkout (<repo>-<rev12>, also for a gem in a subdir of the
    # repository: Bundler's StubSpecification#source=). A path gem keeps
    # RubyGems' own extension dir under its gemspec's grandparent, although
    # Bundler never builds it there.
    def source_extension_dir(spec)
      if @source_type == :git
        base = File.dirname(@gemspec_dir)
        name = BundlerVersions.git_extension_dir_name(File.basename(@gemspec_dir), File.basename(full_gem_path))
      else
        base = File.dirname(File.dirname(spec.loaded_from))
        name = spec.full_name
      end
      dir = Gem.default_ext_dir_for(base) ||
            File.join(base, "extensions", Gem::Platform.local.to_s, Gem.extension_api_version)
      File.expand_path(File.join(dir, name))
    end

    # A path or git gem set up from the plan cache: its gemspec evaluated
    # when first asked for, as the setup would have (from its directory).
    def source_spec
      Kernel.require File.join(__dir__, "path_source")
      PathSource.new(@gemspec_dir, @gemspec_glob, nil).specs.find { |s| s.name == @name && s.version == version }
    end

    # RubyGems evaluates a spec file without a stub header to learn which gem
    # it is; one that does not evaluate (RubyGems warns why), or turns out to
    # be another gem, is not installed as far as Bundler can tell (status 7).
    def spec_without_stub
      spec = Gem::Specification.load(loaded_from)
      return @full_spec = spec if spec && spec.full_name == full_name

      problem = spec ? "describes #{spec.full_name}" : "could not be loaded"
      raise GemNotFound, "Could not find #{full_name} in locally installed gems: its installed gemspec " \
                         "#{loaded_from} #{problem}.\nRemove that file and run `bundle install` to reinstall the gem."
    end

    def to_spec
      @full_spec ||= (@gemspec_dir && source_spec) || Gem::Specification.load(loaded_from) ||
                     raise(GemspecError, "The installed gemspec #{loaded_from} of #{full_name} could not be loaded")
    end

    # The row Native.plan made this from, with what the setup learned since
    # (a path gem's paths from its gemspec): what the plan cache keeps.
    def to_row
      [@name, @version_string, @platform_string, full_name, full_gem_path, loaded_from, load_paths,
       @gemspec_dir, @gemspec_glob, @source_type, @default_gem]
    end

    def <=>(other)
      return nil unless other.respond_to?(:name) && other.respond_to?(:version)

      [name, version] <=> [other.name, other.version]
    end

    def to_s
      "#<FastBundle::LoadedSpec #{full_name}>"
    end
    alias inspect to_s

    def respond_to_missing?(name, include_private = false)
      to_spec.respond_to?(name, include_private)
    end

    def method_missing(name, *args, &block)
      return super unless to_spec.respond_to?(name)

      to_spec.public_send(name, *args, &block)
    end
  end
end
