# frozen_string_literal: true

require "spec_helper"

# `fastbundle explain [GEM]` in a real world with groups, conditions, path
# and git gems. Bundler has no such command; what explain lists is checked
# against the load path that bundler/setup and fastbundle/setup really give,
# and each "why not" against a world where that one condition decides.
RSpec.describe "fastbundle explain" do
  include FastBundleCLI

  EXPLAIN_UTF8 = { "LANG" => "C.UTF-8", "LC_ALL" => "C.UTF-8" }.freeze

  def self.world
    World.cached(:cli_explain) do |w|
      repo = World.tmpdir("gems")
      gems = File.join(repo, "gems")
      GemFactory.build(gems, name: "beta", version: "2.1.0")
      GemFactory.build(gems, name: "alpha", version: "1.0.0", deps: { "beta" => ["~> 2.0"] })
      GemFactory.build(gems, name: "omega", version: "1.0.0")
      GemFactory.build(gems, name: "gamma", version: "0.3.0", deps: { "omega" => [] })
      %w[epsilon zeta docsgem].each { |n| GemFactory.build(gems, name: n, version: "0.1.0") }
      server = GemServer.start(repo)
      git_dir = World.tmpdir("gitgem")
      GemFactory.git_repo(git_dir, name: "gitgem", version: "0.9.0", deps: { "beta" => [">= 2"] })
      GemFactory.source(w.path("vendor/pathgem"), name: "pathgem", version: "0.1.0")
      w.gemfile(<<~G)
        source "#{server.url.sub("http://", "http://explainer:pa55w0rd@")}"
        gem "alpha"
        gem "pathgem", path: "vendor/pathgem"
        gem "gitgem", git: #{git_dir.dump}
        gem "delta", "1.0", platforms: :jruby
        install_if -> { false } do
          gem "epsilon"
        end
        env "ZETA_ON" do
          gem "zeta"
        end
        group :test do
          gem "gamma"
        end
        group :docs, optional: true do
          gem "docsgem"
        end
      G
      w.config("with", "docs")
      w.bundle("lock")
      w.bundle("install", env: { "ZETA_ON" => "1" })
      w.config("with", nil)
    end
  end

  def world
    self.class.world
  end

  def explain(*args, env: {})
    out, err, status = fastbundle(world, "explain", *args, env: EXPLAIN_UTF8.merge(env))
    [out, err, status.exitstatus]
  end

  # The entries a setup adds to $LOAD_PATH, by running it.
  def added_by(setup)
    code = "before = $LOAD_PATH.dup; require #{setup.dump}; puts $LOAD_PATH - before"
    out, = world.ruby("-e", code, env: { "RUBYLIB" => LIB_DIR })
    out.lines(chomp: true)
  end

  # entry => the line explaining it.
  def listed(out)
    out.split("\n\n").drop(1).to_h { |block| block.lines(chomp: true).first(2) }
  end

  it "lists every $LOAD_PATH entry the setup adds, in order, each with its gem, version, source and chain" do
    out, err, status = explain
    expect([status, err]).to eq([0, ""])
    entries = listed(out)
    expect(entries.keys).to eq(added_by("fastbundle/setup"))
    # Bundler's own lib dir is the one expected difference (each setup
    # reaches the same Bundler through another directory).
    own = %r{/bundler-[\d.]+/lib\z}
    expect(entries.keys.grep(own).map { |p| entries[p] }).to eq([entries.values.grep(/Bundler's own lib dir/).first].compact)
    expect(entries.keys.grep(own).size).to eq(1)
    expect(entries.keys.grep_v(own)).to eq(added_by("bundler/setup").grep_v(own))
    expect(out.lines.first).to eq("#{entries.size} $LOAD_PATH entries for #{world.path("Gemfile")} (groups: default, test), in load order:\n")

    by_gem = entries.values.to_h { |line| [line.strip.split.first, line.strip] }
    expect(by_gem.keys).to contain_exactly("Bundler's", "alpha", "beta", "gamma", "omega", "pathgem", "gitgem")
    # The source as the lockfile has it, its userinfo never shown (Bundler
    # 2.3 locks it, 2.6 does not).
    server = %r{\(from http://(\*\*\*@)?127\.0\.0\.1:\d+/\)\z}
    expect(by_gem["beta"]).to start_with("beta 2.1.0 ← alpha ← Gemfile (default)  (from ").and match(server)
    expect(by_gem["omega"]).to start_with("omega 1.0.0 ← gamma ← Gemfile (test)  (from ").and match(server)
    expect(by_gem["pathgem"]).to eq("pathgem 0.1.0 ← Gemfile (default)  (path #{world.path("vendor/pathgem")})")
    revision = world.lockfile[/revision: (\h+)/, 1]
    expect(by_gem["gitgem"]).to match(/\Agitgem 0\.9\.0 ← Gemfile \(default\)  \(git .*gitgem-.* at #{revision[0, 12]}\)\z/)
    expect(out).not_to include("pa55w0rd", "explainer@")
  end

  it "says why a gem is in the bundle: its chain, who needs it, its load path" do
    out, err, status = explain("beta")
    expect([status, err]).to eq([0, ""])
    expect(out).to start_with("beta 2.1.0 is in the bundle (from ")
    expect(out).to include("  beta 2.1.0 ← alpha ← Gemfile (default)\n", "  needed by: alpha, gitgem\n",
                           "  load path: #{File.join(world.gem_home, "gems", "beta-2.1.0", "lib")}\n")
  end

  it "says why a gem is not in the bundle, for each reason a setup leaves one out, and exits 1" do
    {
      ["gamma", { "BUNDLE_WITHOUT" => "test" }] =>
        "the Gemfile names it, but its group :test is excluded by the `without` setting (test).",
      ["omega", { "BUNDLE_WITHOUT" => "test" }] =>
        "omega-1.0.0 is locked, needed only through gamma > omega, and the Gemfile's gamma is left out: " \
        "its group :test is excluded by the `without` setting (test).",
      ["docsgem", {}] => "the Gemfile names it, but its group :docs is optional and not in the `with` setting.",
      ["delta", {}] => "the Gemfile names it, but it is only for platforms :jruby " \
                       "(this is ruby #{RUBY_VERSION} on #{Gem::Platform.local}).",
      ["epsilon", {}] => "the Gemfile names it, but its install_if condition is false.",
      ["zeta", {}] => "the Gemfile names it, but its env condition \"ZETA_ON\" is not met.",
      ["nonesuch", {}] => "neither the Gemfile nor Gemfile.lock names it, and no gem of the bundle depends on it."
    }.each do |(name, env), why|
      out, err, status = explain(name, env: env)
      expect([out, err, status]).to eq(["#{name} is not in the bundle: #{why}\n", "", 1])
      expect(added_by("fastbundle/setup").grep(%r{/#{name}-}).size).to eq(0) if env.empty?
    end
    # The same gems, their condition met, are in the bundle.
    expect(explain("zeta", env: { "ZETA_ON" => "1" })[2]).to eq(0)
    expect(explain("docsgem", env: { "BUNDLE_WITH" => "docs" })[2]).to eq(0)
    expect(explain("omega")[0]).to include("omega 1.0.0 ← gamma ← Gemfile (test)")
  end

  it "writes <- for the arrows where the output is not UTF-8" do
    out, = explain("beta", env: { "LANG" => "C", "LC_ALL" => "C" })
    expect(out).to include("beta 2.1.0 <- alpha <- Gemfile (default)")
  end

  it "gives the setup's message and status when the bundle cannot be set up, and 10 without a Gemfile" do
    w = World.new
    w.gemfile(world.read("Gemfile"))
    FileUtils.cp(world.path("Gemfile.lock"), w.path("Gemfile.lock"))
    FileUtils.cp_r(world.path("vendor"), w.path("vendor"))
    _, setup_err, setup = w.ruby("-rfastbundle/setup", "-e1", env: { "RUBYLIB" => LIB_DIR }, allow_failure: true)
    out, err, status = fastbundle(w, "explain")
    expect([out, err, status.exitstatus]).to eq(["", setup_err, setup.exitstatus])
    expect(status.exitstatus).to eq(11) # the git checkout is not there
    expect(err).not_to include("pa55w0rd")
    expect(err).not_to match(FastBundleCLI::BACKTRACE)

    _, err, status = fastbundle(World.new, "explain")
    expect([err, status.exitstatus]).to eq(["Could not locate Gemfile or .bundle/ directory\n", 10])
  end

  it "takes at most one gem" do
    _, err, status = explain("a", "b")
    expect([err, status]).to eq(["fastbundle: explain takes at most one gem, got b too\nRun `fastbundle explain --help`.\n", 15])
  end
end
