# frozen_string_literal: true

module FastBundle
  # The gemspecs of a path gem's directory or a git checkout, found and
  # evaluated as Bundler's Source::Path#load_spec_files does on every boot:
  # each file the glob matches, from its own directory, deepest first so a
  # gemspec nearer the top wins; a gemspec that raises is a GemspecError
  # pointing at its line.
  class PathSource
    DEFAULT_GLOB = "{,*,*/*}.gemspec"

    attr_reader :dir

    def initialize(dir, glob, lockfile)
      @dir = dir
      @glob = glob || DEFAULT_GLOB
      @lockfile = lockfile
    end

    def specs
      @specs ||= gemspec_files.filter_map { |file| load_gemspec(file) }
    end

    # What the glob finds, deepest first so a gemspec nearer the top wins.
    def gemspec_files
      @gemspec_files ||= Dir.glob(@glob, base: @dir).sort_by { |rel| -rel.count("/") }.map { |rel| File.join(@dir, rel) }
    end

    # The directories whose entries decide what the glob finds: the gem's
    # own and those the glob descends into (`*/*` goes one level down), for
    # the plan cache's key. A glob with `**` descends anywhere: then every
    # directory of the tree, which is why Bundler's globs never use one.
    def listed_dirs
      depth = @glob.include?("**") ? Float::INFINITY : @glob.count("/")
      dirs = [@dir]
      level = [@dir]
      while depth.positive? && !level.empty?
        level = level.flat_map { |d| Dir.glob("*/", base: d).map { |sub| File.join(d, sub.chomp("/")) } }
        dirs.concat(level)
        depth -= 1
      end
      dirs
    end

    # The Gem::Specification to activate for a planned path or git gem.
    # A path gem whose gemspec no longer matches the lockfile (another
    # version, other dependencies, none at all) is what frozen Bundler calls
    # "the gemspecs for path gems changed" (16); a git checkout without the
    # locked version is a gem not found (7). `fake_version`: the exact
    # version the Gemfile gives a path gem, for which Bundler invents a
    # gemspec when the directory has none.
    def materialize(planned, locked_dependencies, fake_version)
      found = specs.reverse.find { |s| s.name == planned.name && s.version == planned.version }
      found ||= fake_spec(planned.name, fake_version) if specs.empty? && fake_version
      if planned.source_type == :git
        found or raise GemNotFound, "Could not find #{planned.full_name} in the git checkout #{@dir}: " \
                                    "no gemspec there defines it.\nRun `bundle install` to check it out again."
      else
        problem = path_change(planned, found, locked_dependencies)
        raise ProductionError, path_changed_message(planned, problem) if problem
      end
      found
    end

    private

    def path_change(planned, found, locked_dependencies)
      unless found
        other = specs.find { |s| s.name == planned.name }
        return "#{other.loaded_from} says #{other.name} #{other.version}" if other

        return "no gemspec in #{@dir} defines #{planned.name}"
      end
      ours = (locked_dependencies || []).map { |name, reqs| Gem::Dependency.new(name, *reqs) }.sort
      theirs = found.dependencies.reject { |d| d.type == :development }.sort
      return if ours == theirs

      "#{found.loaded_from} depends on #{list(theirs)}, the lockfile says #{list(ours)}"
    end

    def list(deps)
      deps.empty? ? "nothing" : deps.map { |d| "#{d.name} (#{d.requirement})" }.join(", ")
    end

    def path_changed_message(planned, problem)
      lockfile = File.basename(@lockfile)
      "The gemspecs for path gems changed: #{lockfile} has #{planned.full_name}, but #{problem}.\n" \
        "fastbundle never re-resolves: run `bundle install` to update #{lockfile}."
    end

    # Bundler's stand-in for a path gem without a gemspec.
    def fake_spec(name, version)
      Gem::Specification.new do |s|
        s.name = name
        s.version = Gem::Version.new(version)
        s.summary = "Fake gemspec for #{name}"
        s.authors = ["no one"]
        s.loaded_from = File.join(@dir, "#{name}.gemspec")
      end
    end

    # Bundler.load_gemspec: Ruby (or YAML) evaluated from the gemspec's
    # directory; nil unless it makes a Gem::Specification.
    def load_gemspec(file)
      # A FIFO would block File.read forever (as it blocks Bundler's boot).
      raise IOError, "it is #{File.ftype(file)}, not a regular file" unless File.file?(file) || File.directory?(file)

      contents = File.read(file)
      spec = if contents.start_with?("---")
        Gem::Specification.from_yaml(contents)
      else
        evaluate = -> { Dir.chdir(File.dirname(file)) { eval(contents, TOPLEVEL_BINDING.dup, file) } } # rubocop:disable Security/Eval
        defined?(InputWatch) ? InputWatch.gemspec(file, &evaluate) : evaluate.call
      end
      return unless spec.is_a?(Gem::Specification)

      spec.loaded_from = file
      spec
    rescue ScriptError, StandardError => e
      raise if e.is_a?(FastBundle::Error)

      require_relative "dsl"
      message = "There was an error while loading `#{File.basename(file)}`: #{e.message}"
      raise GemspecError, Dsl::DSLError.new(message, file, e.backtrace, contents, e).to_s,
            cause: Definition::CredentialFilter.clean_exception(e)
    end
  end
end
