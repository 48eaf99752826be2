# frozen_string_literal: true

require "spec_helper"

# Issue 11: the plan cache is never wrong. In one world (gems from the gem
# server, a path gem whose gemspec reads two files, a git gem, groups, a
# Gemfile condition on ENV), each thing the cache is keyed on is changed in
# turn; after each change the next boot answered from the cache must equal
# a FASTBUNDLE_CACHE=0 boot, which must equal real Bundler's — or, where
# the change breaks the bundle, fail as they fail.
RSpec.describe "The plan cache" do
  include SetupParity
  include PlanCacheHelpers

  def self.server
    @server ||= GemServer.start(gem_repo)
  end

  def self.gem_repo
    @gem_repo ||= begin
      repo = World.tmpdir("plan-cache-gems")
      gems = File.join(repo, "gems")
      GemFactory.build(gems, name: "a", version: "1.0.0")
      GemFactory.build(gems, name: "b", version: "1.0.0", deps: { "a" => [">= 1.0"] })
      %w[c d e].each { |name| GemFactory.build(gems, name: name, version: "1.0.0") }
      # Not on the server: installed by hand when the lockfile is to lock it.
      GemFactory.build(File.join(repo, "later"), name: "a", version: "1.1.0")
      repo
    end
  end

  PLAN_CACHE_ENGINE_GEMSPEC = <<~'RUBY'
    Gem::Specification.new do |s|
      s.name = "engine"
      s.version = File.read(File.join(__dir__, "VERSION")).strip
      s.summary = "an engine whose gemspec reads files"
      s.authors = ["fastbundle specs"]
      s.files = Dir.glob("**/*", base: __dir__)
      s.require_paths = File.read(File.join(__dir__, "PATHS")).split
    end
  RUBY

  def self.world
    World.cached(:plan_cache) do |w|
      extra = File.join(w.root, "extra_gems")
      FileUtils.mkdir_p(extra)
      GemFactory.source(w.path("engines/engine"), name: "engine", version: "1.0.0",
                                                   files: { "VERSION" => "1.0.0\n", "PATHS" => "lib\n",
                                                            "more/engine_more.rb" => "" })
      File.write(w.path("engines/engine/engine.gemspec"), PLAN_CACHE_ENGINE_GEMSPEC)
      repo = World.tmpdir("plan-cache-git")
      GemFactory.git_repo(repo, name: "gitgem", version: "1.0.0")
      w.gemfile(<<~G)
        source "#{server.url}"
        gem "b"
        gem "a", "~> 1.0"
        gem "c", group: :test
        group :tools, optional: true do
        end
        gem "d", group: ENV["WITH_D"] ? :default : :tools
        env "WITH_E" do
          gem "e"
        end
        gem "engine", path: "engines/engine"
        gem "gitgem", git: "#{repo}"
      G
      w.bundle("lock", "--add-platform", "ruby", env: base_env(w))
      w.bundle("install", env: base_env(w).merge("BUNDLE_WITH" => "tools", "WITH_E" => "1"))
    end
  end

  # A gem dir of its own before GEM_HOME on GEM_PATH: where a gem gets
  # "installed elsewhere".
  def self.base_env(w)
    { "GEM_PATH" => [File.join(w.root, "extra_gems"), w.gem_home, World.bundler_gem_dir].join(":") }
  end

  let(:world) { self.class.world }
  let(:env) { self.class.base_env(world) }

  def gem_file(full_name, dir = "gems")
    File.join(self.class.gem_repo, dir, "#{full_name}.gem")
  end

  def names(boot)
    boot.dump["loaded_specs"].map(&:first)
  end

  def version_of(boot, name)
    boot.dump["loaded_specs"].find { |n, _| n == name }&.last
  end

  # Moves PATH away for the block, then back.
  def without(path)
    hidden = "#{path}.hidden"
    File.rename(path, hidden)
    yield
  ensure
    File.rename(hidden, path)
  end

  # A fresh world: gems a and c, a path gem eng; text added to the Gemfile
  # and to the gemspec.
  def world_with(gemfile_extra, gemspec_extra = "")
    w = World.new
    GemFactory.source(w.path("eng"), name: "eng", version: "1.0.0")
    File.write(w.path("eng/eng.gemspec"), File.read(w.path("eng/eng.gemspec")).sub("Gem::Specification.new do |s|\n", "Gem::Specification.new do |s|\n#{gemspec_extra}"))
    w.gemfile(%(source "#{self.class.server.url}"\ngem "a"\ngem "c", group: :test\ngem "eng", path: "eng"\n#{gemfile_extra}))
    w.bundle("install")
    w
  end

  it "answers the unchanged world from the cache, as Bundler does" do
    warm = expect_three_agree(world, env: env)
    expect(names(warm)).to include("a", "b", "c", "engine", "gitgem")
    expect(names(warm)).not_to include("d", "e")
    expect(warm.err).to include("plan cache hit")
  end

  it "sees .bundle/config change" do
    warm_boot(world, env: env)
    world.config("without", "test")
    warm = expect_three_agree(world, env: env)
    expect(names(warm)).not_to include("c")
  ensure
    world.config("without", nil)
  end

  it "sees BUNDLE_* variables" do
    warm_boot(world, env: env)
    warm = expect_three_agree(world, env: env.merge("BUNDLE_WITHOUT" => "test"))
    expect(names(warm)).not_to include("c")
    warm = expect_three_agree(world, env: env.merge("BUNDLE_WITHOUT" => "test", "BUNDLE_WITH" => "test"))
    expect(names(warm)).to include("c")
  end

  it "sees the ENV entries the Gemfile reads" do
    warm_boot(world, env: env)
    warm = expect_three_agree(world, env: env.merge("WITH_D" => "1"))
    expect(names(warm)).to include("d")
    expect(names(expect_three_agree(world, env: env))).not_to include("d")
    warm = expect_three_agree(world, env: env.merge("WITH_E" => "1")) # an `env` block's condition
    expect(names(warm)).to include("e")
    expect(names(expect_three_agree(world, env: env))).not_to include("e")
  end

  it "sees a Gemfile edit that keeps its size and mtime" do
    without_test = env.merge("BUNDLE_WITHOUT" => "test")
    expect(names(warm_boot(world, env: without_test))).not_to include("c")
    gemfile = world.path("Gemfile")
    before = File.read(gemfile)
    stat = File.stat(gemfile)
    File.write(gemfile, before.sub('group: :test', 'group: :tesx'))
    File.utime(stat.atime, stat.mtime, gemfile)
    expect(File.size(gemfile)).to eq(stat.size)
    expect(File.mtime(gemfile)).to eq(stat.mtime)
    warm = expect_three_agree(world, env: without_test)
    expect(names(warm)).to include("c")
  ensure
    File.write(gemfile, before) if before
  end

  it "sees the lockfile lock another version" do
    lockfile = world.read("Gemfile.lock")
    world.gem("install", "--local", "--no-document", "--ignore-dependencies", gem_file("a-1.1.0", "later"))
    expect(version_of(warm_boot(world, env: env), "a")).to eq("1.0.0")
    world.bundle("lock", "--update", "a", "--local", env: env) # only the lockfile changes
    expect(world.read("Gemfile.lock")).to include("    a (1.1.0)")
    warm = expect_three_agree(world, env: env)
    expect(version_of(warm, "a")).to eq("1.1.0")
  ensure
    File.write(world.path("Gemfile.lock"), lockfile) if lockfile
  end

  it "sees a gem's spec removed" do
    warm_boot(world, env: env)
    without(File.join(world.gem_home, "specifications", "c-1.0.0.gemspec")) do
      warm = expect_three_agree(world, env: env)
      expect(warm.status.exitstatus).to eq(7)
    end
  end

  it "sees a gem's directory removed (fastbundle stops where Bundler's runtime would boot without it)" do
    warm_boot(world, env: env)
    without(File.join(world.gem_home, "gems", "c-1.0.0")) do
      cold = boot(world, :fastbundle, env: env, cache: false)
      warm = boot(world, :fastbundle, env: env)
      expect(cold.status.exitstatus).to eq(7)
      expect([warm.status.exitstatus, warm.hit, message(warm.err)]).to eq([7, false, message(cold.err)])
    end
  end

  it "sees a gem installed elsewhere on Gem.path" do
    warm = warm_boot(world, env: env)
    expect(warm.dump["load_path"].grep(%r{/b-1\.0\.0/})).to all(start_with(world.gem_home))
    extra = File.join(world.root, "extra_gems")
    world.gem("install", "--local", "--no-document", "--ignore-dependencies", "-i", extra, gem_file("b-1.0.0"))
    warm = expect_three_agree(world, env: env)
    expect(warm.dump["load_path"].grep(%r{/b-1\.0\.0/})).to all(start_with(extra))
  ensure
    FileUtils.rm_rf(Dir[File.join(extra, "*")]) if extra
  end

  it "sees a file a path gem's gemspec reads, and the gemspec itself" do
    warm_boot(world, env: env)
    paths = world.path("engines/engine/PATHS")
    File.write(paths, "lib more\n")
    warm = expect_three_agree(world, env: env)
    expect(warm.dump["load_path"]).to include(world.path("engines/engine/more"))

    gemspec = world.path("engines/engine/engine.gemspec")
    File.write(gemspec, PLAN_CACHE_ENGINE_GEMSPEC.sub("s.require_paths = ", 's.require_paths = ["ext"] + '))
    warm = expect_three_agree(world, env: env)
    expect(warm.dump["load_path"]).to include(world.path("engines/engine/ext"))

    File.write(world.path("engines/engine/VERSION"), "1.0.1\n") # no longer the locked version
    expect_three_agree(world, env: env, bundler_env: { "BUNDLE_FROZEN" => "true" })
  ensure
    File.write(paths, "lib\n")
    File.write(gemspec, PLAN_CACHE_ENGINE_GEMSPEC) if gemspec
    File.write(world.path("engines/engine/VERSION"), "1.0.0\n")
  end

  it "sees a git checkout removed" do
    warm_boot(world, env: env)
    checkout = Dir[File.join(world.gem_home, "bundler", "gems", "plan-cache-git-*")].first
    without(checkout) do
      warm = expect_three_agree(world, env: env)
      expect(warm.status.exitstatus).to eq(11)
    end
  end

  it "keeps one entry per request (the groups asked for)" do
    default = expect_three_agree(world, env: env.merge("SETUP_GROUPS" => "default"))
    test = expect_three_agree(world, env: env.merge("SETUP_GROUPS" => "default,test"))
    expect(names(default)).not_to include("c")
    expect(names(test)).to include("c")
    expect(warm_boot(world, env: env.merge("SETUP_GROUPS" => "default")).dump).to eq(default.dump)
  end

  it "keeps an exec child's entry (BUNDLE_BIN_PATH set) apart from a plain boot's, so neither evicts the other" do
    exec_env = env.merge("BUNDLE_BIN_PATH" => "/nonexistent/exe/bundle")
    warm_boot(world, env: env)
    warm_boot(world, env: exec_env)
    expect([boot(world, :fastbundle, env: env).hit, boot(world, :fastbundle, env: exec_env).hit]).to eq([true, true])
  end

  it "sees BUNDLE_PATH" do
    warm_boot(world, env: env)
    path_env = env.merge("BUNDLE_PATH" => world.path("vendor/bundle"))
    world.bundle("install", env: path_env.merge("BUNDLE_WITH" => "tools", "WITH_E" => "1"))
    warm = expect_three_agree(world, env: path_env)
    expect(warm.dump["load_path"].grep(%r{/b-1\.0\.0/})).to all(start_with(world.path("vendor/bundle")))
  end

  describe "answers no key can see" do
    it "are never cached: a Gemfile that tests a file it does not name to the recorder" do
      w = world_with(%(group(File.exist?("flag") ? :default : :test) { }\n))
      b = boot(w, :fastbundle)
      expect(b.err).to match(/plan not cached: Gemfile does more than DSL calls/)
      expect(boot(w, :fastbundle).hit).to be(false)
      expect(plan_entries(w)).to be_empty
    end

    it "are never cached: a gemspec that runs a command (but `git ls-files` is allowed)" do
      w = world_with("", %(  s.description = `echo generated`\n))
      b = boot(w, :fastbundle)
      expect(b.status).to be_success, b.err
      expect(b.err).to include("plan not cached: #{w.path("eng/eng.gemspec")} runs a command (echo generated ...)")
      expect(boot(w, :fastbundle).hit).to be(false)

      w = world_with("", %(  s.description = `git ls-files -z 2>/dev/null`.split("\\0").size.to_s\n))
      expect(warm_boot(w).hit).to be(true)
    end
  end

  it "is never cached where a path gem's gemspec warns, which Bundler prints on every boot" do
    w = world_with("", %(  warn "eng: this gemspec is deprecated"\n))
    expect(boot(w, :bundler).err).to include("eng: this gemspec is deprecated")
    boots = Array.new(2) { boot(w, :fastbundle) }
    expect(boots.map { |b| [b.status.success?, b.hit, b.err.include?("eng: this gemspec is deprecated")] })
      .to eq([[true, false, true]] * 2)
    expect(boots.first.err).to include("plan not cached: the Gemfile or a gemspec printed a warning")
  end

  it "writes nothing anywhere under FASTBUNDLE_CACHE=0" do
    dir = World.tmpdir("no-cache")
    home = File.join(world.home, ".cache")
    before = Dir.glob("#{home}/**/*").map { |f| [f, File.mtime(f)] }
    cold = boot(world, :fastbundle, env: env.merge("FASTBUNDLE_CACHE_DIR" => File.join(dir, "c")), cache: false)
    expect(cold.status).to be_success, cold.err
    expect(Dir.children(dir)).to be_empty
    expect(Dir.glob("#{home}/**/*").map { |f| [f, File.mtime(f)] }).to eq(before)
  end
end
