# frozen_string_literal: true

# Builds (and caches) the large installed-gem worlds that bench/setup_bench.rb
# measures. A world of N gems is:
#
#   tmp/bench-worlds/ruby-<X.Y.0>/<N>/app/Gemfile            N direct `gem` lines (groups, a few
#                                               requirements and `require: false`)
#   tmp/bench-worlds/ruby-<X.Y.0>/<N>/app/Gemfile.lock       written by real Bundler (`bundle lock --local`)
#   tmp/bench-worlds/ruby-<X.Y.0>/<N>/gem_home               GEM_HOME with all N gems installed by `gem install`
#   tmp/bench-worlds/ruby-<X.Y.0>/<N>/app/bundle/bundler/setup.rb
#                                               `bundle install --local --standalone` (the floor);
#                                               app/bundle/ruby/<ver>/ hard-links gem_home's gems
#   tmp/bench-worlds/ruby-<X.Y.0>/<N>/world.json             build metadata; written last, so a world
#                                               without it is incomplete and is rebuilt
#
# An engines world (BenchWorlds.engines_world, tmp/bench-worlds/engines-<N>)
# is the same N gems plus ENGINES path gems under app/engines/ shaped like
# Rails engines (a gemspec that require_relative's its version file and
# lists files with Dir[], app/ config/ lib/ trees) and GIT gems from local
# repositories whose gemspecs list files with `git ls-files -z`, as the
# `bundle gem` template does; `bundle install --local` checks those out.
#
# A lockfile world (BenchWorlds.lockfile_world("mastodon__mastodon"),
# tmp/bench-worlds/ruby-<X.Y.0>/lockfile-<name>) has the gems of a real
# app's Gemfile.lock under spec/fixtures/lockfiles/real instead: each locked
# gem (its ruby variant, or its first one) built with its locked version and
# locked dependencies, git and path gems as ordinary gems, and a Gemfile of
# the lockfile's DEPENDENCIES with their requirements; real Bundler then
# locks and installs it as above. Real apps' dependency graphs are denser
# than the generated one, and Bundler's runtime cost grows with them.
#
# The gems are generated deterministically (fixed seed): about half depend on
# 1-3 earlier gems of the world (so the graph is a realistic DAG and Bundler's
# resolver and the runtime's topological sort have work to do), every 8th gem
# has two require paths, and every gem has a few files. The .gem files are
# built in this process with Gem::Package.build (one temp source dir per gem)
# and installed with a few `gem install --local` batches, two at a time.
# Requires only Ruby, RubyGems and Debian's Bundler 2.3.15; no network.
require "fileutils"
require "json"
require "time"
require "rubygems/package"
require "tmpdir"
require_relative "../spec/support/world"

module BenchWorlds
  # Bump when the generated world changes, so cached worlds are rebuilt.
  GENERATOR_VERSION = 2
  REPO = File.expand_path("..", __dir__)
  # One set per Ruby (the host's 3.1 and bin/test-modern's 3.3 share the tree).
  ROOT = File.join(REPO, "tmp", "bench-worlds", "ruby-#{RbConfig::CONFIG["ruby_version"]}")
  INSTALL_BATCH = 100 # gems per `gem install` process (and per staging gem dir)
  INSTALL_JOBS = 2    # concurrent `gem install` processes

  WORDS = %w[active rack http json net aws google cloud mini test rubo parse
             yaml async tzinfo faraday concurrent nokogiri rails sidekiq redis
             puma thor zeitwerk i18n dry rom sequel grape hashie].freeze

  # One generated gem: name, version, dependencies ({name => [reqs]}), require paths.
  GemDef = Struct.new(:name, :version, :deps, :require_paths, keyword_init: true)

  module_function

  def root_for(n)
    File.join(ROOT, n.to_s)
  end

  # Returns [World, meta]; builds the world unless a complete one of the same
  # generator version is cached (or rebuild: true). log: a proc taking a line.
  def world(n, rebuild: false, log: ->(line) { warn line }, engines: 0, git: 0)
    root = engines.zero? && git.zero? ? root_for(n) : File.join(ROOT, "engines-#{n}-#{engines}-#{git}")
    cached(root, n, rebuild) { build(n, root, log: log, engines: engines, git: git) }
  end

  # The world of a real app's lockfile, spec/fixtures/lockfiles/real/NAME.lock.
  def lockfile_world(name, rebuild: false, log: ->(line) { warn line })
    lockfile = File.join(REPO, "spec", "fixtures", "lockfiles", "real", "#{name}.lock")
    abort "no lockfile #{lockfile}" unless File.file?(lockfile)
    root = File.join(ROOT, "lockfile-#{name}")
    defs, deps = lockfile_defs(File.read(lockfile))
    cached(root, defs.size, rebuild) do
      build(defs.size, root, log: log, defs: defs, gemfile_text: lockfile_gemfile(name, defs, deps))
        .merge("lockfile" => File.basename(lockfile))
    end
  end

  # [World, meta] for ROOT: the cached world when complete and current, else
  # the block's freshly built one (the block returns its meta).
  def cached(root, n, rebuild)
    meta_file = File.join(root, "world.json")
    meta = File.file?(meta_file) ? JSON.parse(File.read(meta_file)) : nil
    if !rebuild && meta && meta["generator_version"] == GENERATOR_VERSION && meta["n"] == n
      meta["reused"] = true
      return [World.new(root), meta]
    end

    FileUtils.rm_rf(root)
    meta = yield
    File.write(meta_file, JSON.pretty_generate(meta) + "\n")
    meta["reused"] = false
    [World.new(root), meta]
  end

  # Deterministic list of GemDefs for a world of N gems (dependencies point
  # only at earlier gems, so the graph is acyclic).
  def gem_defs(n)
    rng = Random.new(20_260_000 + n)
    defs = []
    n.times do |i|
      word = WORDS[i % WORDS.size]
      name = i % 3 == 0 ? "#{word}-#{WORDS[(i * 7 + 3) % WORDS.size]}-#{i}" : "#{word}_#{i}"
      version = i % 9 == 0 ? "0.#{i % 10}.#{i % 5}" : "#{1 + i % 4}.#{i % 10}.#{i % 7}"
      deps = {}
      if i >= 3 && rng.rand < 0.55
        rng.rand(1..3).times do
          dep = defs[rng.rand(i)]
          deps[dep.name] = dep_requirement(dep.version, rng)
        end
      end
      require_paths = i % 8 == 5 ? ["lib", "vendor/lib"] : ["lib"]
      defs << GemDef.new(name: name, version: version, deps: deps, require_paths: require_paths)
    end
    defs
  end

  # Gemfile lines for ENGINES path gems and GIT git gems, each depending on
  # a few of the world's gems (written into the world first).
  def source_gems(world, defs, engines, git)
    lines = +"\n"
    engines.times do |i|
      name = "engine_#{i}"
      dir = world.path("engines/#{name}")
      write_engine(dir, name, defs.values_at(i * 7 % defs.size, i * 13 % defs.size).map(&:name).uniq)
      lines << "gem #{name.dump}, path: #{"engines/#{name}".dump}\n"
    end
    git.times do |i|
      name = "gitgem_#{i}"
      repo = File.join(world.root, "repos", name)
      write_git_gem(repo, name, defs[i * 11 % defs.size].name)
      lines << "gem #{name.dump}, git: #{repo.dump}\n"
    end
    lines
  end

  def write_engine(dir, name, deps)
    mod = name.split("_").map(&:capitalize).join
    files = {
      "lib/#{name}/version.rb" => "module #{mod}\n  VERSION = \"0.1.0\"\nend\n",
      "lib/#{name}.rb" => "require \"#{name}/version\"\nrequire \"#{name}/engine\"\n",
      "lib/#{name}/engine.rb" => "module #{mod}\n  class Engine; end\nend\n",
      "app/models/#{name}/record.rb" => "module #{mod}\n  class Record; end\nend\n",
      "app/controllers/#{name}/application_controller.rb" => "",
      "config/routes.rb" => "",
      "MIT-LICENSE" => "MIT\n", "Rakefile" => "", "README.md" => "# #{name}\n",
      "#{name}.gemspec" => <<~RUBY
        require_relative "lib/#{name}/version"

        Gem::Specification.new do |spec|
          spec.name        = #{name.dump}
          spec.version     = #{mod}::VERSION
          spec.authors     = ["fastbundle bench"]
          spec.summary     = "A Rails-engine-shaped path gem"
          spec.license     = "MIT"
          spec.files = Dir.chdir(File.expand_path(__dir__)) do
            Dir["{app,config,db,lib}/**/*", "MIT-LICENSE", "Rakefile", "README.md"]
          end
        #{deps.map { |d| "  spec.add_dependency #{d.dump}" }.join("\n")}
        end
      RUBY
    }
    write_tree(dir, files)
  end

  def write_git_gem(repo, name, dep)
    files = {
      "lib/#{name}.rb" => "module #{name.split("_").map(&:capitalize).join}; end\n",
      "#{name}.gemspec" => <<~RUBY
        Gem::Specification.new do |spec|
          spec.name    = #{name.dump}
          spec.version = "1.0.0"
          spec.authors = ["fastbundle bench"]
          spec.summary = "A git gem from the bundle gem template"
          spec.files = Dir.chdir(__dir__) { `git ls-files -z`.split("\\x0") }
          spec.require_paths = ["lib"]
          spec.add_dependency #{dep.dump}
        end
      RUBY
    }
    write_tree(repo, files)
    git = ->(*args) { system("git", "-C", repo, *args, out: File::NULL, err: File::NULL) or abort "git #{args.first} failed in #{repo}" }
    git.call("init", "--quiet", "--initial-branch=main")
    git.call("add", "-A")
    git.call("-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "--quiet", "-m", "initial")
  end

  # GemDefs of a lockfile's gems, and its DEPENDENCIES ({name => [reqs]}).
  # One variant per name (ruby's if locked); dependencies on gems the
  # lockfile does not hold (another platform's) or on bundler are dropped.
  def lockfile_defs(text)
    specs = {} # name => {version:, platform:, deps:}
    deps = {}
    section = current = nil
    text.each_line(chomp: true) do |line|
      section = line if line.match?(/\A[A-Z]/)
      case line
      when /\A    (\S+) \(([^-)]+)(?:-(.+))?\)\z/ # a locked spec: name (version[-platform])
        current = { version: $2, platform: $3 || "ruby", deps: {} }
        (specs[$1] ||= []) << current
      when /\A      (\S+)(?: \((.+)\))?\z/ then current[:deps][$1] = ($2 || ">= 0").split(", ")
      when /\A  (\S+?)!?(?: \((.+)\))?\z/
        deps[$1] = ($2 || ">= 0").split(", ") if section == "DEPENDENCIES"
      end
    end
    chosen = specs.transform_values { |variants| variants.find { |v| v[:platform] == "ruby" } || variants.first }
    chosen.delete("bundler")
    defs = chosen.sort.map do |name, s|
      GemDef.new(name: name, version: s[:version], deps: s[:deps].select { |d, _| chosen.key?(d) },
                 require_paths: ["lib"])
    end
    [defs, deps.select { |d, _| chosen.key?(d) }]
  end

  # The Gemfile of a lockfile world: its DEPENDENCIES, a locked prerelease
  # pinned (Bundler picks one only when asked), and so is every gem this
  # Ruby also has as a default gem (json, psych…): `bundle lock` would pick
  # the newer default gem, which --standalone cannot copy without a network.
  def lockfile_gemfile(name, defs, deps)
    defaults = Gem::Specification.default_stubs.map(&:name)
    pins = defs.select { |d| Gem::Version.new(d.version).prerelease? || defaults.include?(d.name) }
               .to_h { |d| [d.name, ["= #{d.version}"]] }
    text = +"# frozen_string_literal: true\n\n# Generated by bench/worlds.rb from #{name}.lock (#{defs.size} gems).\n"
    text << "source \"https://rubygems.org\"\n\n"
    deps.merge(pins).sort.each do |dep, reqs|
      text << "gem #{[dep, *(reqs - [">= 0"])].map(&:dump).join(", ")}\n"
    end
    text
  end

  def dep_requirement(version, rng)
    major, minor, = version.split(".")
    case rng.rand(4)
    when 0 then [">= 0"]
    when 1 then ["~> #{major}.#{minor}"]
    when 2 then [">= #{major}.0", "< #{major.to_i + 1}.0"]
    else ["~> #{version}"]
    end
  end

  # The Gemfile: most gems at top level, the rest in a few groups; some lines
  # carry a version requirement or `require: false`.
  def gemfile(defs)
    line = lambda do |d, i, indent|
      args = [d.name.dump]
      major, minor, = d.version.split(".")
      args << "~> #{major}.#{minor}".dump if i % 5 == 1
      args << ">= #{d.version}".dump if i % 11 == 2
      args << "require: false" if i % 13 == 3
      "#{indent}gem #{args.join(", ")}\n"
    end
    groups = [":development", ":test", ":development, :test", ":production"]
    top, grouped = defs.each_with_index.partition { |_, i| i % 6 != 4 }
    text = +"# frozen_string_literal: true\n\n# Generated by bench/worlds.rb (#{defs.size} gems).\n"
    text << "source \"https://rubygems.org\"\n\n"
    top.each { |d, i| text << line.call(d, i, "") }
    grouped.group_by { |_, i| groups[(i / 6) % groups.size] }.sort.each do |g, members|
      text << "\ngroup #{g} do\n"
      members.each { |d, i| text << line.call(d, i, "  ") }
      text << "end\n"
    end
    text
  end

  def build(n, root, log:, engines: 0, git: 0, defs: gem_defs(n), gemfile_text: nil)
    times = {}
    t_all = now
    world = World.new(root)

    log.call("  [N=#{n}] building #{n} .gem files in-process (Gem::Package.build)")
    t = now
    gem_dir = File.join(root, "build")
    files = build_gems(defs, gem_dir)
    times["build_gems"] = now - t

    log.call("  [N=#{n}] gem install --local in #{(files.size + INSTALL_BATCH - 1) / INSTALL_BATCH} batches")
    t = now
    install(world, files)
    times["gem_install"] = now - t
    FileUtils.rm_rf(gem_dir) # gem_home/cache keeps a copy of every .gem

    text = gemfile_text || gemfile(defs)
    unless engines.zero? && git.zero?
      log.call("  [N=#{n}] #{engines} path engines, #{git} git gems")
      text << source_gems(world, defs, engines, git)
    end
    world.gemfile(text)
    log.call("  [N=#{n}] bundle lock --local")
    t = now
    # (with git gems: install, which also checks them out; lock cannot)
    world.bundle(git.zero? ? "lock" : "install", "--local", timeout: 1800)
    times["bundle_lock"] = now - t

    # `--standalone` persists `path: bundle` in the app's config, which would
    # make -rbundler/setup look in app/bundle instead of GEM_HOME: give this
    # one command its own BUNDLE_APP_CONFIG so app/.bundle/config stays absent.
    # With `path` set, Bundler installs every gem again into
    # app/bundle/ruby/<ver>, which grows much faster than N (600: 8 s, 2000: 185 s).
    # Hard-linking the installed gems there first makes Bundler say "Using" for
    # each and only resolve and write setup.rb (3 s); setup.rb is byte-identical.
    log.call("  [N=#{n}] bundle install --local --standalone")
    t = now
    target = world.path("bundle/ruby/#{RbConfig::CONFIG["ruby_version"]}")
    FileUtils.mkdir_p(target)
    %w[gems specifications extensions].each do |sub|
      src = File.join(world.gem_home, sub)
      FileUtils.cp_lr(src, target) if File.directory?(src)
    end
    world.bundle("install", "--local", "--standalone",
                 env: { "BUNDLE_APP_CONFIG" => File.join(root, "standalone_config") }, timeout: 1800)
    times["bundle_standalone"] = now - t
    times["total"] = now - t_all

    { "generator_version" => GENERATOR_VERSION, "n" => n, "gems" => defs.size, "engines" => engines, "git_gems" => git,
      "gems_with_deps" => defs.count { |d| !d.deps.empty? },
      "dep_edges" => defs.sum { |d| d.deps.size },
      "gems_with_2_require_paths" => defs.count { |d| d.require_paths.size > 1 },
      "built_at" => Time.now.utc.iso8601, "build_seconds" => times.transform_values { |v| v.round(1) },
      "ruby" => RUBY_DESCRIPTION, "bundler" => World.bundler_version }
  end

  # One process, one temp source dir per gem; returns the .gem paths.
  def build_gems(defs, out_dir)
    FileUtils.mkdir_p(out_dir)
    Gem::DefaultUserInteraction.use_ui(Gem::SilentUI.new) do
      Dir.mktmpdir("bench-gem-src") do |tmp|
        defs.map do |d|
          src = File.join(tmp, d.name)
          files = write_sources(src, d)
          spec = Gem::Specification.new do |s|
            s.name = d.name
            s.version = d.version
            s.summary = "fastbundle benchmark gem #{d.name}"
            s.description = "Generated by bench/worlds.rb for the setup benchmark."
            s.authors = ["fastbundle bench"]
            s.email = "bench@example.invalid"
            s.homepage = "https://example.invalid/#{d.name}"
            s.license = "MIT"
            s.files = files
            s.require_paths = d.require_paths
            s.required_ruby_version = ">= 2.7"
            d.deps.each { |dep, reqs| s.add_runtime_dependency dep, *reqs }
          end
          file = File.join(out_dir, "#{spec.full_name}.gem")
          Dir.chdir(src) { Gem::Package.build(spec, false, false, file) }
          file
        end
      end
    end
  end

  def write_sources(src, d)
    mod = d.name.split(/[^A-Za-z0-9]+/).map(&:capitalize).join
    tree = {
      "lib/#{d.name}.rb" => "require_relative \"#{d.name}/version\"\n\nmodule #{mod}\nend\n",
      "lib/#{d.name}/version.rb" => "module #{mod}\n  VERSION = #{d.version.dump}\nend\n",
      "README.md" => "# #{d.name}\n\nBenchmark fixture.\n",
      "LICENSE.txt" => "MIT\n"
    }
    (d.require_paths - ["lib"]).each { |rp| tree["#{rp}/#{d.name.tr("-", "_")}_extra.rb"] = "# extra require path\n" }
    write_tree(src, tree)
    tree.keys.sort
  end

  # Writes {relative path => content} under DIR.
  def write_tree(dir, tree)
    tree.each do |rel, content|
      path = File.join(dir, rel)
      FileUtils.mkdir_p(File.dirname(path))
      File.write(path, content)
    end
  end

  # `gem install` in batches, INSTALL_JOBS at a time. Each batch installs into
  # its own empty gem dir (GEM_HOME=GEM_PATH=that dir), which is then merged
  # into the world's GEM_HOME. Installing straight into a GEM_HOME that
  # already holds many gems is superlinear (100 gems 1.3 s, 600 gems 44 s),
  # most likely because Gem::Installer#install ends with
  # Gem::Specification.reset and the next gem rescans every spec stub.
  def install(world, files)
    queue = Queue.new
    files.each_slice(INSTALL_BATCH).with_index { |batch, i| queue << [batch, i] }
    INSTALL_JOBS.times { queue << nil }
    staging = File.join(world.root, "install-batches")
    workers = Array.new(INSTALL_JOBS) do
      Thread.new do
        while (job = queue.pop)
          batch, i = job
          dir = File.join(staging, i.to_s)
          FileUtils.mkdir_p(dir)
          world.gem("install", "--local", "--no-document", "--ignore-dependencies", "--no-user-install",
                    "-i", dir, *batch, env: { "GEM_HOME" => dir, "GEM_PATH" => dir }, timeout: 1800)
        end
      end
    end
    workers.each(&:join)
    Dir[File.join(staging, "*")].sort.each { |dir| merge_gem_dir(dir, world.gem_home) }
    FileUtils.rm_rf(staging)
  end

  # Moves the entries of a batch's gem dir (gems/*, specifications/*, cache/*,
  # build_info/*, plugins/*, bin/*, extensions/<platform>/<api>/*) into TARGET.
  def merge_gem_dir(dir, target)
    Dir.children(dir).each do |sub|
      depth = sub == "extensions" ? 3 : 1
      Dir.glob(File.join(*(["*"] * depth)), base: File.join(dir, sub)).each do |rel|
        dst = File.join(target, sub, rel)
        FileUtils.mkdir_p(File.dirname(dst))
        File.rename(File.join(dir, sub, rel), dst)
      end
    end
  end

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end
