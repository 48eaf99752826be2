# frozen_string_literal: true

# Boot cost of a real Rails 6.1 app (spec/fixtures/rails_app, Debian's rails,
# sqlite3 and bootsnap): wall time of a fresh `bin/rails runner nil`, median
# of R interleaved runs, in four configurations of config/boot.rb:
#
#   bundler              require "bundler/setup"
#   bundler+bootsnap     require "bundler/setup";    require "bootsnap/setup"
#   fastbundle           require "fastbundle/setup"  (RUBYLIB=<repo>/lib), plan cache warm
#   fastbundle+bootsnap  require "fastbundle/setup"; require "bootsnap/setup", plan cache warm
#
# and both fastbundle configurations again with FASTBUNDLE_CACHE=0 (every
# fastbundle cache off: the Gemfile evaluated, the lockfile parsed, the path
# gem's gemspec evaluated on every boot),
#
# plus `ruby -e1` and the setup alone in the same app (`ruby -rbundler/setup
# -e1`, `ruby -rfastbundle/setup -e1`), interleaved with them.
#
#   ruby bench/rails_bench.rb [--runs 15] [--warmup 2] [--rebuild] [--json tmp/bench-results/rails.json]
#
# Each configuration is its own copy of the app (so boot.rb is a real file and
# each bootsnap cache in its tmp/cache stays warm), built once under
# tmp/bench-worlds/rails-<X.Y.0>/<config> by RailsApp.build (bundle install --local,
# migrations, seeds, under Bundler). Every process gets World#env (hermetic
# HOME, GEM_PATH = an empty GEM_HOME + Debian's system gem dirs) with
# RAILS_ENV=development, and RUBYLIB=<repo>/lib for every configuration
# alike. Before timing, each configuration must answer `Widget.count` = 3 with
# the setup it claims. Warm-up rounds fill bootsnap's cache.
require "etc"
require "json"
require "optparse"
require "shellwords"
require "time"
require_relative "stats"
require_relative "../spec/support/world"
require_relative "../spec/support/rails_app"

module RailsBench
  extend BenchStats
  REPO = File.expand_path("..", __dir__)
  ROOT = File.join(REPO, "tmp", "bench-worlds", "rails-#{RbConfig::CONFIG["ruby_version"]}")
  RUBY = World::RUBY_BIN
  CONFIGS = {
    "bundler" => ["bundler/setup", false],
    "bundler+bootsnap" => ["bundler/setup", true],
    "fastbundle" => ["fastbundle/setup", false],
    "fastbundle+bootsnap" => ["fastbundle/setup", true]
  }.freeze
  # Bumped when the fixture or the build changes, so cached apps are rebuilt.
  BUILD_VERSION = 1

  module_function

  def main(argv)
    opts = { runs: 15, warmup: 2, rebuild: false, json: File.join(REPO, "tmp", "bench-results", "rails.json") }
    original = argv.dup
    OptionParser.new do |o|
      o.banner = "usage: ruby bench/rails_bench.rb [options]"
      o.on("--runs R", Integer, "timed runs per configuration (default 15)") { |v| opts[:runs] = v }
      o.on("--warmup W", Integer, "untimed rounds first (default 2)") { |v| opts[:warmup] = v }
      o.on("--rebuild", "rebuild the cached apps") { opts[:rebuild] = true }
      o.on("--json PATH", "results file (default tmp/bench-results/rails.json)") { |v| opts[:json] = File.expand_path(v) }
    end.parse!(argv)
    abort "--runs must be >= 1" if opts[:runs] < 1

    command = ["ruby", "bench/rails_bench.rb", *original].shelljoin
    puts "command: #{command}"
    puts "#{RUBY_DESCRIPTION}; bundler #{World.bundler_version}; #{Etc.nprocessors} CPUs; median wall time of " \
         "#{opts[:runs]} interleaved runs (+#{opts[:warmup]} warm-up rounds) of a fresh `bin/rails runner nil`"
    $stdout.flush

    worlds = CONFIGS.to_h { |name, (setup, bootsnap)| [name, world(name, setup, bootsnap, opts[:rebuild])] }
    verify = worlds.to_h { |name, w| [name, verify(name, w)] }
    puts "verified: #{verify.map { |n, v| "#{n} (#{v})" }.join(", ")}"
    $stdout.flush

    cmds = worlds.transform_values { |w| [w, env(w), [RUBY, "bin/rails", "runner", "nil"]] }
    cmds["ruby -e1"] = [worlds["bundler"], env(worlds["bundler"]), [RUBY, "-e1"]]
    # The setup alone, in the same app: what the runtime costs before Rails loads.
    cmds["setup only: bundler"] = [worlds["bundler"], env(worlds["bundler"]), [RUBY, "-rbundler/setup", "-e1"]]
    cmds["setup only: fastbundle"] = [worlds["fastbundle"], env(worlds["fastbundle"]), [RUBY, "-rfastbundle/setup", "-e1"]]
    %w[fastbundle fastbundle+bootsnap].each do |name|
      w, e, cmd = cmds[name]
      cmds["#{name}, caches off"] = [w, e.merge("FASTBUNDLE_CACHE" => "0"), cmd]
      expect_plan_cache_hit(name, w, e)
    end
    cmds["setup only: fastbundle, caches off"] =
      [worlds["fastbundle"], env(worlds["fastbundle"]).merge("FASTBUNDLE_CACHE" => "0"), [RUBY, "-rfastbundle/setup", "-e1"]]
    samples = Hash.new { |h, k| h[k] = [] }
    rng = Random.new(42)
    (opts[:warmup] + opts[:runs]).times do |round|
      cmds.keys.shuffle(random: rng).each do |name|
        w, e, cmd = cmds[name]
        secs, status = time_once(e, cmd, w.dir)
        abort "#{cmd.shelljoin} failed in #{w.dir}: #{status.inspect}" unless status.success?
        samples[name] << secs * 1000 if round >= opts[:warmup]
      end
    end

    results = samples.to_h do |name, s|
      s = s.sort
      [name, { "median_ms" => pct(s, 50).round(1), "p25_ms" => pct(s, 25).round(1), "p75_ms" => pct(s, 75).round(1),
               "min_ms" => s.first.round(1), "samples_ms" => samples[name].map { |x| x.round(1) } }]
    end
    med = results.transform_values { |r| r["median_ms"] }
    ratios = {
      "bundler / fastbundle" => (med["bundler"] / med["fastbundle"]).round(2),
      "bundler+bootsnap / fastbundle+bootsnap" => (med["bundler+bootsnap"] / med["fastbundle+bootsnap"]).round(2),
      "bundler / fastbundle+bootsnap" => (med["bundler"] / med["fastbundle+bootsnap"]).round(2),
      "bundler / bundler+bootsnap" => (med["bundler"] / med["bundler+bootsnap"]).round(2),
      "fastbundle, caches off / fastbundle" => (med["fastbundle, caches off"] / med["fastbundle"]).round(2),
      "setup only, over ruby -e1: bundler / fastbundle" =>
        ((med["setup only: bundler"] - med["ruby -e1"]) / (med["setup only: fastbundle"] - med["ruby -e1"])).round(2)
    }
    saved = { "bundler - fastbundle" => (med["bundler"] - med["fastbundle"]).round(1),
              "bundler+bootsnap - fastbundle+bootsnap" => (med["bundler+bootsnap"] - med["fastbundle+bootsnap"]).round(1),
              "setup only: bundler - fastbundle" => (med["setup only: bundler"] - med["setup only: fastbundle"]).round(1),
              "setup only: fastbundle, caches off - fastbundle" =>
                (med["setup only: fastbundle, caches off"] - med["setup only: fastbundle"]).round(1) }
    print_results(results, ratios, saved)

    report = { "command" => command, "date" => Time.now.utc.iso8601, "ruby" => RUBY_DESCRIPTION,
               "bundler" => World.bundler_version, "fastbundle_commit" => git_rev, "cpus" => Etc.nprocessors,
               "runs" => opts[:runs], "warmup" => opts[:warmup], "verify" => verify, "results" => results,
               "ratios" => ratios, "saved_ms" => saved }
    FileUtils.mkdir_p(File.dirname(opts[:json]))
    File.write(opts[:json], JSON.pretty_generate(report) + "\n")
    puts "results: #{opts[:json].delete_prefix("#{REPO}/")}"
  end

  # The app for one configuration: built once (BUILD_VERSION in build.json),
  # its boot.rb written every time.
  def world(name, setup, bootsnap, rebuild)
    root = File.join(ROOT, name.tr("+", "_"))
    marker = File.join(root, "build.json")
    fresh = !rebuild && File.file?(marker) && JSON.parse(File.read(marker))["build_version"] == BUILD_VERSION
    unless fresh
      FileUtils.rm_rf(root)
      puts "building #{root.delete_prefix("#{REPO}/")} ..."
      $stdout.flush
      RailsApp.build(World.new(root, system_gems: true))
      File.write(marker, JSON.generate("build_version" => BUILD_VERSION, "built" => Time.now.utc.iso8601))
    end
    w = World.new(root, system_gems: true)
    w.file("config/boot.rb", RailsApp.boot_rb(setup, bootsnap))
    w
  end

  def env(world)
    world.env("RAILS_ENV" => "development", "RUBYLIB" => File.join(REPO, "lib"))
  end

  # The configuration boots, answers from the database, and uses the setup
  # (and bootsnap) it claims; aborts otherwise.
  def verify(name, world)
    setup, bootsnap = CONFIGS.fetch(name)
    code = 'puts Widget.count, $LOADED_FEATURES.grep(%r{/(bundler|fastbundle|bootsnap)/setup\.rb\z}).map { |f| f.split("/")[-2] }.sort.join(",")'
    out, err, status = World.spawn_capture(env(world), [RUBY, "bin/rails", "runner", code], chdir: world.dir)
    abort "#{name}: bin/rails runner failed (#{status.inspect}):\n#{err}" unless status.success?

    count, setups = out.split("\n")
    expected = [setup.split("/").first, *("bootsnap" if bootsnap)].sort.join(",")
    abort "#{name}: Widget.count = #{count.inspect}, setups loaded: #{setups.inspect} (expected 3, #{expected})" \
      unless count == "3" && setups == expected
    "#{setups}, 3 widgets"
  end

  # A second boot of the configuration is answered from the plan cache.
  def expect_plan_cache_hit(name, world, env)
    err = nil
    2.times do
      _, err, = World.spawn_capture(env.merge("FASTBUNDLE_DEBUG" => "1"), [RUBY, "bin/rails", "runner", "nil"], chdir: world.dir)
    end
    abort "#{name}: no plan cache hit:\n#{err}" unless err.include?("plan cache hit")
  end

  def print_results(results, ratios, saved)
    puts
    puts format("  %-36s %10s %10s %15s", "", "median ms", "min", "p25-p75")
    order = ["ruby -e1", "setup only: bundler", "setup only: fastbundle", "setup only: fastbundle, caches off",
             *CONFIGS.keys, "fastbundle, caches off", "fastbundle+bootsnap, caches off"]
    results.sort_by { |name, _| order.index(name) }.each do |name, r|
      puts format("  %-36s %10.1f %10.1f %15s", name, r["median_ms"], r["min_ms"], format("%.1f-%.1f", r["p25_ms"], r["p75_ms"]))
    end
    puts
    ratios.each { |k, v| puts format("  %-48s %.2fx", k, v) }
    saved.each { |k, v| puts format("  %-48s %.1f ms", k, v) }
    $stdout.flush
  end




end

RailsBench.main(ARGV) if $PROGRAM_NAME == __FILE__
