# frozen_string_literal: true

module FastBundle
  module CLI
    # `fastbundle explain [GEM]`: every $LOAD_PATH entry a setup of this app
    # adds, with its gem, version, source and the chain of dependencies from
    # the Gemfile that brought it in; with GEM, why that gem is in the bundle
    # or why not. Computed here, in Ruby, from a real setup (its Runtime),
    # the Definition and FastBundle::Lockfile: off the boot path, so it
    # favours clarity over speed.
    #
    # Exit: 0, or with GEM 1 when the gem is not in the bundle; a setup that
    # fails gets its message and status.
    class Explain < Command
      BANNER = <<~TEXT
        Usage: fastbundle explain [options] [GEM]

        Lists every $LOAD_PATH entry the setup of this app adds, in load order, with
        its gem, version, source and the dependency chain from the Gemfile that
        brought it in. With GEM: why GEM is in the bundle, or why not (not locked,
        its group excluded, another platform, install_if or env false). Exits 0,
        or 1 when GEM is not in the bundle.
      TEXT

      def run
        parse(option_parser(BANNER) { nil })
        name = @argv.shift
        raise UsageError, "explain takes at most one gem, got #{@argv.join(" ")} too" unless @argv.empty?

        load_fastbundle
        Kernel.require File.expand_path("../settings", __dir__)
        FastBundle.root
        gemfile = FastBundle.default_gemfile.to_s
        before = $LOAD_PATH.dup
        runtime = FastBundle.setup
        graph = BundleGraph.new(runtime, FastBundle::Lockfile.read(FastBundle.lockfile_path(gemfile)))
        @arrow = $stdout.external_encoding == Encoding::UTF_8 || Encoding.default_external == Encoding::UTF_8 ? "←" : "<-"
        name ? explain_gem(graph, name) : explain_load_path(graph, gemfile, $LOAD_PATH - before)
      end

      private

      def explain_load_path(graph, gemfile, added)
        groups = graph.groups.join(", ")
        $stdout.puts "#{added.size} $LOAD_PATH #{added.size == 1 ? "entry" : "entries"} for #{gemfile} " \
                     "(groups: #{groups.empty? ? "none" : groups}), in load order:"
        added.each do |entry|
          spec = graph.spec_for_path(entry)
          $stdout.puts ""
          $stdout.puts entry
          $stdout.puts "  #{spec ? "#{chain(graph, spec.name)}  (#{graph.source_of(spec)})" : other_entry(entry)}"
        end
        0
      end

      # Entries no bundled gem owns: Bundler's lib dir, which a setup puts
      # where bundler/setup has it, for a later `require "bundler"`.
      def other_entry(entry)
        if File.basename(File.dirname(entry)).start_with?("bundler-")
          "Bundler's own lib dir (as under bundler/setup, for a later require \"bundler\"; nothing is loaded from it)"
        else
          "not from a gem of the bundle"
        end
      end

      def explain_gem(graph, name)
        spec = graph.spec(name)
        if spec
          $stdout.puts "#{spec.name} #{spec.version} is in the bundle (#{graph.source_of(spec)}):"
          $stdout.puts "  #{chain(graph, name)}"
          users = graph.dependents(name)
          $stdout.puts "  needed by: #{users.join(", ")}" unless users.empty?
          paths = spec.load_paths
          $stdout.puts "  load path: #{paths.empty? ? "(none)" : paths.join(", ")}"
          return 0
        end

        $stdout.puts "#{name} is not in the bundle: #{graph.why_not(name)}"
        1
      end

      def chain(graph, name)
        names = graph.chain(name)
        head = graph.spec(names.first)
        tail = names.drop(1)
        root = graph.root_label(names.last)
        ["#{head.name} #{head.version}", *tail, root].join(" #{@arrow} ")
      end

      # The bundle as a graph: the setup's specs (the plan), the lockfile's
      # dependency lines between them, and the Gemfile's dependencies at
      # the roots.
      class BundleGraph
        RUNNING = "running fastbundle"

        attr_reader :groups

        def initialize(runtime, lock)
          @definition = runtime.definition
          @specs = runtime.specs.to_h { |s| [s.name, s] }
          @groups = runtime.plan["groups"].map(&:to_sym)
          @lock = lock
          @locked = lock.specs.group_by(&:name)
          @parent = walk
        end

        def spec(name)
          @specs[name]
        end

        def spec_for_path(entry)
          @specs.values.find { |s| s.load_paths.include?(entry) }
        end

        # [name, its parent, ..., the Gemfile dependency]: the first way
        # the setup's breadth-first walk reached it (SpecSet#for's order).
        def chain(name)
          names = [name]
          names << @parent[names.last] while @parent[names.last]
          names
        end

        # "Gemfile (default, test)", or what stands in for the running fastbundle.
        def root_label(name)
          dep = included_dependencies.find { |d| d.name == name }
          return "Gemfile (#{dep.groups.join(", ")})" if dep

          name == RunningSpec::NAME ? "the fastbundle running this (as Bundler is for itself)" : "the bundle"
        end

        # The bundled gems whose lockfile entry depends on NAME.
        def dependents(name)
          @specs.keys.select { |n| locked_dependencies(n).include?(name) }.sort
        end

        def source_of(spec)
          return "a default gem of Ruby #{RUBY_VERSION}" if spec.default_gem?

          # The plan skips fastbundle; the spec of that name is the running one.
          return "#{RUNNING} #{spec.version}, #{spec.full_gem_path}" if spec.name == RunningSpec::NAME

          locked = locked_spec(spec.name)
          return "installed at #{spec.full_gem_path}" unless locked

          source = locked.source
          case source.type
          when :git
            revision = source.options["revision"].to_s[0, 12]
            "git #{source} at #{revision}"
          when :path then "path #{spec.full_gem_path}"
          else "from #{source}"
          end
        end

        def why_not(name)
          dep = @definition.dependencies.find { |d| d.name == name }
          return "the Gemfile names it, but #{exclusion(dep)}." if dep

          locked = @locked[name]
          unless locked
            return "neither the Gemfile nor #{File.basename(@lock.path.to_s)} names it, " \
                   "and no gem of the bundle depends on it."
          end

          versions = locked.map(&:full_name).join(", ")
          via = chain_from_any_root(name)
          return "#{versions} is locked, but nothing the Gemfile names depends on it." unless via

          root = @definition.dependencies.find { |d| d.name == via.last }
          "#{versions} is locked, needed only through #{via.reverse.join(" > ")}, and the Gemfile's " \
            "#{root.name} is left out: #{exclusion(root)}."
        end

        private

        def included_dependencies
          @included_dependencies ||= @definition.dependencies.select do |d|
            d.should_include? && d.groups.any? { |g| @groups.include?(g) }
          end
        end

        # name => the name that brought it in (nil for Gemfile dependencies),
        # over the bundled specs only.
        def walk(roots = included_dependencies.map(&:name), only_bundled: true)
          parent = {}
          seen = {}
          queue = roots.map { |r| [r, nil] }
          until queue.empty?
            name, from = queue.shift
            next if seen[name] || (only_bundled && !@specs.key?(name))

            seen[name] = true
            parent[name] = from
            locked_dependencies(name).each { |d| queue << [d, name] }
          end
          parent
        end

        # Through every Gemfile dependency, whatever its conditions: the
        # chain by which NAME would be reached, or nil.
        def chain_from_any_root(name)
          parent = walk(@definition.dependencies.map(&:name), only_bundled: false)
          return nil unless parent.key?(name)

          names = [name]
          names << parent[names.last] while parent[names.last]
          names
        end

        # The dependency names of NAME's lockfile entry (the variant the
        # setup chose, else the first).
        def locked_dependencies(name)
          locked = locked_spec(name)
          locked ? locked.dependencies.map(&:first) : []
        end

        def locked_spec(name)
          variants = @locked[name]
          return nil unless variants

          chosen = @specs[name]
          (chosen && variants.find { |v| v.full_name == chosen.full_name }) || variants.first
        end

        # Why Bundler leaves this Gemfile dependency out of the setup.
        def exclusion(dep)
          reasons = []
          unless dep.groups.any? { |g| @groups.include?(g) }
            reasons << dep.groups.map { |g| group_exclusion(g) }.join("; ")
          end
          unless dep.current_platform?
            reasons << "it is only for platforms #{dep.platforms.map(&:inspect).join(", ")} " \
                       "(this is #{RUBY_ENGINE} #{RUBY_VERSION} on #{Gem::Platform.local})"
          end
          reasons << "its install_if condition is false" unless dep.install_if?
          reasons << "its env condition #{dep.env.inspect} is not met" unless dep.current_env?
          reasons.empty? ? "the setup leaves it out" : reasons.join("; and ")
        end

        def group_exclusion(group)
          without, with, only = group_settings
          if without.include?(group)
            "its group #{group.inspect} is excluded by the `without` setting (#{without.join(":")})"
          elsif @definition.optional_groups.include?(group) && !with.include?(group)
            "its group #{group.inspect} is optional and not in the `with` setting"
          elsif only && !only.include?(group)
            "its group #{group.inspect} is not in the `only` setting (#{only.join(":")})"
          else
            "its group #{group.inspect} is not set up"
          end
        end

        # without, with, only (nil: unset), as the setup read them.
        def group_settings
          @group_settings ||= begin
            env = FastBundle.environment_request(nil, nil)["env"] # memoised by the setup
            settings = FastBundle::Settings.new(FastBundle.root, env, Gem.user_home)
            list = ->(v) { (v.is_a?(Array) ? v : v.to_s.split(/[:\s]+/)).map(&:to_sym) }
            [list.call(settings[:without]), list.call(settings[:with]), settings[:only] && list.call(settings[:only])]
          end
        end
      end
    end
  end
end
