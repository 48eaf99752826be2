# frozen_string_literal: true

require "spec_helper"
require "json"

# `fastbundle bench` in a real world. Timings are not asserted (benchmarks
# are not timed tests); what is: each variant really ran, as often as asked,
# with the environment it claims — the app's Gemfile records every
# evaluation, by whom and with which FASTBUNDLE_CACHE — and the report.
RSpec.describe "fastbundle bench" do
  include FastBundleCLI

  # Appends "<evaluator> <FASTBUNDLE_CACHE>" to $EVALUATIONS at each evaluation
  # (a Gemfile that writes a file is never answered from a cache).
  BENCH_RECORDER = <<~'RUBY'
    File.open(ENV.fetch("EVALUATIONS"), "a") do |f|
      f.puts "#{defined?(FastBundle::Dsl) ? "fastbundle" : "bundler"} #{ENV.fetch("FASTBUNDLE_CACHE", "default")}"
    end
  RUBY

  def self.world
    World.cached(:cli_bench) do |w|
      repo = World.tmpdir("gems")
      gems = File.join(repo, "gems")
      GemFactory.build(gems, name: "beta", version: "2.1.0")
      GemFactory.build(gems, name: "alpha", version: "1.0.0", deps: { "beta" => ["~> 2.0"] })
      server = GemServer.start(repo)
      w.gemfile(%(source "#{server.url}"\ngem "alpha"\n#{BENCH_RECORDER}))
      w.bundle("install", env: { "EVALUATIONS" => File::NULL })
    end
  end

  def world
    self.class.world
  end

  def evaluations
    File.read(world.path("evaluations")).lines(chomp: true).tally
  end

  def bench(*args, via: nil, env: {})
    File.write(world.path("evaluations"), "")
    cmd = [World::RUBY_BIN, FastBundleCLI::EXE, "bench", *args]
    cmd = [World::BUNDLE_BIN, "exec", *cmd] if via == :bundle_exec
    out, err, status = world.run(*cmd, env: { "EVALUATIONS" => world.path("evaluations") }.merge(env), allow_failure: true)
    [out, err, status.exitstatus]
  end

  it "times ruby -e1, bundler/setup and fastbundle/setup cold and warm, each as often as asked, and reports JSON" do
    out, err, status = bench("--runs", "3", "--warmup", "1", "--json")
    expect([status, err]).to eq([0, ""])
    report = JSON.parse(out)
    expect(report).to include("gemfile" => world.path("Gemfile"), "gems" => 2, "runs" => 3, "warmup" => 1)
    results = report["results"]
    expect(results.keys).to eq(%w[baseline bundler cold warm])
    results.each_value do |r|
      expect(r["samples_ms"].size).to eq(3)
      expect(r["samples_ms"]).to all(be > 0)
      expect(r["median_ms"]).to eq(r["samples_ms"].sort[1])
    end
    expect(results["cold"]["over_baseline_ms"]).to be_within(0.011).of(results["cold"]["median_ms"] - results["baseline"]["median_ms"])
    # One sanity boot each (Bundler, cold), then warm-up + runs.
    expect(evaluations).to include("bundler default" => 5, "fastbundle 0" => 5)
    expect(evaluations.keys - ["bundler default", "fastbundle 0", "fastbundle default"]).to eq([])
    expect(evaluations.fetch("fastbundle default", 0)).to be <= 4
  end

  it "prints a table with the setups' cost over ruby -e1 and the ratio to Bundler's" do
    out, err, status = bench("--runs", "1", "--warmup", "0")
    expect([status, err]).to eq([0, ""])
    expect(out).to start_with("fastbundle bench: #{world.path("Gemfile")} (2 gems), ruby #{RUBY_VERSION}")
    expect(out).to match(/^  ruby -e1 +\d+\.\d ms$/)
    expect(out).to match(/^  ruby -rbundler\/setup -e1 +\d+\.\d ms +[+-]\d+\.\d ms/)
    %w[cold warm].each do |kind|
      expect(out).to match(/^  ruby -rfastbundle\/setup -e1 \(#{kind}\) +\d+\.\d ms +[+-]\d+\.\d ms/)
    end
  end

  it "measures the app, not the bundle it is run from under bundle exec" do
    _, err, status = bench("--runs", "1", "--warmup", "0", "--json", via: :bundle_exec)
    expect([status, err]).to eq([0, ""])
    # bundle exec's own child evaluated the Gemfile once; ruby -e1 never did.
    expect(evaluations).to include("bundler default" => 3, "fastbundle 0" => 2)
  end

  it "exits 1 with the failing setup's own message when the app does not boot, 10 outside an app" do
    w = World.new
    w.gemfile(world.read("Gemfile"))
    FileUtils.cp(world.path("Gemfile.lock"), w.path("Gemfile.lock"))
    out, err, status = w.run(World::RUBY_BIN, FastBundleCLI::EXE, "bench", "--runs", "1",
                             env: { "EVALUATIONS" => File::NULL }, allow_failure: true)
    expect([out, status.exitstatus]).to eq(["", 1])
    expect(err).to start_with("fastbundle bench: `ruby -rbundler/setup -e1` does not boot this app (exit 1):\n")
    expect(err).to include("beta")

    _, err, status = fastbundle(World.new, "bench")
    expect([err, status.exitstatus]).to eq(["Could not locate Gemfile or .bundle/ directory\n", 10])
    _, err, status = bench("--runs", "0")
    expect([err, status]).to eq(["fastbundle: --runs must be at least 1\nRun `fastbundle bench --help`.\n", 15])
  end
end
