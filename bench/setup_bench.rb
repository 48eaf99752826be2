# frozen_string_literal: true

# Boot cost of a bundled process: wall time of a fresh `ruby ... -e1`, median
# of R interleaved runs, in worlds of N installed gems (bench/worlds.rb):
#
#   baseline    ruby -e1
#   bundler     ruby -rbundler/setup -e1                       (Bundler 2.3.15)
#   floor       ruby -r<app>/bundle/bundler/setup.rb -e1       (`bundle install --standalone`)
#   fastbundle  RUBYLIB=<repo>/lib ruby -rfastbundle/setup -e1 (skipped if it cannot load)
#
#   ruby bench/setup_bench.rb [--sizes 100,600,2000] [--runs 15] [--warmup 2] [--rebuild]
#                             [--json tmp/bench-results/setup.json] [--fastbundle-lib DIR]
#   ruby bench/plot.rb        # JSON -> docs/setup-bench.svg
#
# Worlds are cached under tmp/bench-worlds/ruby-<X.Y.0>/<N> (--rebuild to regenerate).
# Every measured process gets the same hermetic env as spec/support/world.rb's
# World#env (HOME, GEM_HOME, GEM_PATH = GEM_HOME + a Bundler-2.3.15-only dir)
# plus BUNDLE_GEMFILE=<app>/Gemfile, and runs in the app dir. Ratios whose
# denominator overhead is below the baseline's p25-p75 spread (min 1 ms) are
# marked `*` (listed in the JSON's ratios_within_noise). Notes and results:
# docs/setup-bench-notes.md.
require "json"
require "optparse"
require "shellwords"
require "time"
require_relative "stats"
require_relative "worlds"

module SetupBench
  extend BenchStats
  REPO = BenchWorlds::REPO
  RUBY = World::RUBY_BIN
  VARIANTS = %i[baseline bundler floor fastbundle].freeze
  LABELS = {
    baseline: "ruby -e1",
    bundler: "ruby -rbundler/setup -e1",
    floor: "ruby -r<app>/bundle/bundler/setup.rb -e1 (floor)",
    fastbundle: "ruby -rfastbundle/setup -e1 (RUBYLIB=lib)"
  }.freeze

  module_function

  def main(argv)
    opts = { sizes: [100, 600, 2000], runs: 15, warmup: 2, rebuild: false,
             json: File.join(REPO, "tmp", "bench-results", "setup.json"), lib: File.join(REPO, "lib") }
    original = argv.dup
    OptionParser.new do |o|
      o.banner = "usage: ruby bench/setup_bench.rb [options]"
      o.on("--sizes LIST", Array, "world sizes N (default 100,600,2000)") { |v| opts[:sizes] = v.map { |s| Integer(s) } }
      o.on("--runs R", Integer, "timed runs per variant (default 15)") { |v| opts[:runs] = v }
      o.on("--warmup W", Integer, "untimed rounds first (default 2)") { |v| opts[:warmup] = v }
      o.on("--rebuild", "rebuild the cached worlds") { opts[:rebuild] = true }
      o.on("--fastbundle-lib DIR", "lib dir put on RUBYLIB for fastbundle (default <repo>/lib)") { |v| opts[:lib] = File.expand_path(v) }
      o.on("--json PATH", "results file (default tmp/bench-results/setup.json)") { |v| opts[:json] = File.expand_path(v) }
    end.parse!(argv)
    abort "--runs must be >= 1" if opts[:runs] < 1

    command = ["ruby", relative($PROGRAM_NAME), *original].shelljoin
    puts "command: #{command}"
    puts "#{RUBY_DESCRIPTION}; bundler #{World.bundler_version}; #{Etc.nprocessors} CPUs; " \
         "median of #{opts[:runs]} interleaved runs (+#{opts[:warmup]} warm-up rounds); wall time of a fresh process"
    $stdout.flush

    started = now
    worlds = opts[:sizes].map do |n|
      world, meta = BenchWorlds.world(n, rebuild: opts[:rebuild], log: ->(l) { puts l; $stdout.flush })
      result = bench_world(n, world, meta, opts)
      print_world(result)
      result
    end

    report = {
      "command" => command, "date" => Time.now.utc.iso8601, "ruby" => RUBY_DESCRIPTION,
      "bundler" => World.bundler_version, "fastbundle_commit" => git_rev, "cpus" => Etc.nprocessors,
      "runs" => opts[:runs], "warmup" => opts[:warmup], "statistic" => "median wall ms of a fresh process",
      "variants" => LABELS.transform_keys(&:to_s), "fastbundle_lib" => relative(opts[:lib]), "worlds" => worlds,
      "seconds" => (now - started).round(1)
    }
    FileUtils.mkdir_p(File.dirname(opts[:json]))
    File.write(opts[:json], JSON.pretty_generate(report) + "\n")
    puts "results: #{relative(opts[:json])} (chart: ruby bench/plot.rb)   total #{report["seconds"]} s"
  end

  def bench_world(n, world, meta, opts)
    app = world.dir
    # Bundler 2.3 writes it into the install path (app/bundle/bundler), 2.6
    # beside it (app/bundler) when the path comes from --standalone alone.
    standalone = [File.join(app, "bundle", "bundler", "setup.rb"), File.join(app, "bundler", "setup.rb")]
                 .find { |f| File.file?(f) } || File.join(app, "bundle", "bundler", "setup.rb")
    env = world.env("BUNDLE_GEMFILE" => File.join(app, "Gemfile"))
    fb_env = env.merge("RUBYLIB" => opts[:lib])
    cmds = {
      baseline: [env, [RUBY, "-e1"]],
      bundler: [env, [RUBY, "-rbundler/setup", "-e1"]],
      floor: [env, [RUBY, "-r#{standalone}", "-e1"]],
      fastbundle: [fb_env, [RUBY, "-rfastbundle/setup", "-e1"]]
    }
    unavailable = {}
    probe = fastbundle_probe(world, env, opts[:lib])
    unavailable[:fastbundle] = "not available (#{probe})" if probe
    verify = verify_world(n, world, env, fb_env, standalone, unavailable)

    samples = Hash.new { |h, k| h[k] = [] }
    rng = Random.new(n)
    (opts[:warmup] + opts[:runs]).times do |round|
      (VARIANTS - unavailable.keys).shuffle(random: rng).each do |v|
        e, cmd = cmds[v]
        secs, status = time_once(e, cmd, app)
        if status.success?
          samples[v] << secs * 1000 if round >= opts[:warmup]
        else
          unavailable[v] = "failed during timing (#{status.inspect})"
        end
      end
    end

    results = VARIANTS.to_h do |v|
      if unavailable[v]
        [v.to_s, { "available" => false, "reason" => unavailable[v] }]
      else
        s = samples[v].sort
        [v.to_s, { "available" => true, "median_ms" => pct(s, 50).round(2), "min_ms" => s.first.round(2),
                   "p25_ms" => pct(s, 25).round(2), "p75_ms" => pct(s, 75).round(2),
                   "samples_ms" => samples[v].map { |x| x.round(2) } }]
      end
    end
    base = results["baseline"]["median_ms"]
    overhead = VARIANTS.drop(1).to_h do |v|
      r = results[v.to_s]
      [v.to_s, r["available"] && base ? (r["median_ms"] - base).round(2) : nil]
    end
    ratios = {
      "bundler_over_fastbundle" => ratio(overhead["bundler"], overhead["fastbundle"]),
      "fastbundle_over_floor" => ratio(overhead["fastbundle"], overhead["floor"]),
      "bundler_over_floor" => ratio(overhead["bundler"], overhead["floor"])
    }
    # An overhead smaller than the baseline's own spread (p25-p75, at least
    # 1 ms) is noise: ratios with it as denominator are flagged, not trusted.
    b = results["baseline"]
    noise = b["available"] ? [b["p75_ms"] - b["p25_ms"], 1.0].max.round(2) : nil
    noisy = ratios.keys.select do |k|
      den = overhead[k.split("_over_").last]
      ratios[k] && noise && den < noise
    end
    { "n" => n, "world" => relative(world.root), "build" => meta, "verify" => verify,
      "results" => results, "overhead_ms" => overhead, "noise_ms" => noise, "ratios" => ratios,
      "ratios_within_noise" => noisy }
  end

  # nil when `require "fastbundle/setup"` works in the world, else the first
  # line of its error (location prefix dropped).
  def fastbundle_probe(world, env, lib)
    out, err, status = World.spawn_capture(env, [RUBY, "-I#{lib}", "-e", 'require "fastbundle/setup"'],
                                           chdir: world.dir, timeout: 120)
    return nil if status.success?

    line = err.lines.map(&:strip).find { |l| !l.empty? } || out.lines.first&.strip || status.inspect
    line.sub(/\A.*?:\d+:in [`'][^']*': /, "")
  end

  # The worlds must be what they claim: Bundler activates >= N specs and the
  # standalone setup.rb adds >= N load-path entries. Load-path entries under
  # the gem dirs are counted for every variant (same gems => same count).
  def verify_world(n, world, env, fb_env, standalone, unavailable)
    count_paths = ->(prefix) { "$LOAD_PATH.count { |p| p.start_with?(#{prefix.dump}) }" }
    gems_prefix = File.join(world.gem_home, "gems") + "/"
    # Compared across runtimes: loaded specs other than the runtime's own gem.
    others = "(Gem.loaded_specs.keys - %w[bundler fastbundle]).size"
    out, = capture(world, env, [RUBY, "-rbundler/setup", "-e",
                                "puts Bundler::VERSION, Gem.loaded_specs.size, #{others}, #{count_paths.call(gems_prefix)}"])
    bundler_version, bundler_specs, bundler_others, bundler_paths = out.split
    # Bundler 2.3's setup.rb points into its install path (app/bundle), 2.6's
    # at the gems where they are installed (GEM_HOME).
    out, = capture(world, env, [RUBY, "-r#{standalone}", "-e",
                                "puts #{count_paths.call(File.join(world.dir, "bundle") + "/")} + #{count_paths.call(gems_prefix)}"])
    floor_paths = Integer(out)
    problems = []
    problems << "bundler/setup loaded Bundler #{bundler_version}, not #{World.bundler_version}" if bundler_version != World.bundler_version
    problems << "bundler/setup activated #{bundler_specs} specs (< #{n})" if Integer(bundler_specs) < n
    problems << "standalone setup.rb added #{floor_paths} load paths (< #{n})" if floor_paths < n
    problems << "bundler (#{bundler_paths}) and floor (#{floor_paths}) load paths differ" if Integer(bundler_paths) != floor_paths
    abort "world N=#{n} is wrong (try --rebuild): #{problems.join("; ")}" unless problems.empty?

    verify = { "bundler_version" => bundler_version, "bundler_loaded_specs" => Integer(bundler_specs),
               "bundler_load_paths" => Integer(bundler_paths), "floor_load_paths" => floor_paths }
    unless unavailable[:fastbundle]
      out, err, status = World.spawn_capture(fb_env, [RUBY, "-rfastbundle/setup", "-e",
                                                      "puts Gem.loaded_specs.size, #{others}, #{count_paths.call(gems_prefix)}"],
                                             chdir: world.dir, timeout: 120)
      if status.success?
        specs, others_n, paths = out.split.map { |x| Integer(x) }
        verify["fastbundle_loaded_specs"] = specs
        verify["fastbundle_load_paths"] = paths
        if others_n != Integer(bundler_others) || paths != Integer(bundler_paths)
          verify["warning"] = "fastbundle activated #{others_n} specs (besides itself and bundler) and #{paths} load paths " \
                              "under GEM_HOME, Bundler #{bundler_others} / #{bundler_paths}"
        end
      else
        unavailable[:fastbundle] = "failed (#{err.lines.first&.strip || status.inspect})"
      end
    end
    verify
  end

  def capture(world, env, cmd)
    out, err, status = World.spawn_capture(env, cmd, chdir: world.dir, timeout: 300)
    abort "#{cmd.shelljoin} failed in #{world.dir}: #{status.inspect}\n#{err}" unless status.success?
    [out, err]
  end


  def print_world(r)
    b = r["build"]
    built = b["reused"] ? "built earlier in #{b["build_seconds"]["total"]} s, reused" : "built in #{b["build_seconds"]["total"]} s"
    v = r["verify"]
    puts
    puts "N = #{r["n"]}  (#{b["gems"]} gems, #{b["dep_edges"]} dependency edges, #{v["floor_load_paths"]} load-path entries; " \
         "#{r["world"]}, #{built})"
    puts format("  %-50s %9s %7s %15s %11s", "", "median ms", "min", "p25-p75", "overhead")
    VARIANTS.each do |var|
      res = r["results"][var.to_s]
      unless res["available"]
        puts format("  %-50s %s", LABELS[var], "#{var}: #{res["reason"]}")
        next
      end
      over = var == :baseline ? "-" : format("%+.1f ms", r["overhead_ms"][var.to_s])
      puts format("  %-50s %9.1f %7.1f %15s %11s", LABELS[var], res["median_ms"], res["min_ms"],
                  format("%.1f-%.1f", res["p25_ms"], res["p75_ms"]), over)
    end
    show = ->(k) { show_ratio(r["ratios"][k], r["ratios_within_noise"].include?(k)) }
    puts "  bundler overhead / fastbundle overhead: #{show.("bundler_over_fastbundle")}   " \
         "fastbundle overhead / floor overhead: #{show.("fastbundle_over_floor")}   " \
         "(bundler / floor: #{show.("bundler_over_floor")})"
    unless r["ratios_within_noise"].empty?
      puts "  * denominator overhead below the noise level (#{r["noise_ms"]} ms = baseline p25-p75, min 1 ms): ratio not meaningful"
    end
    puts "  WARNING: #{v["warning"]}" if v["warning"]
    $stdout.flush
  end

  # nil unless both overheads are measurable (> 0): a ratio with a noise-level
  # overhead at or below the baseline has no meaning.
  def ratio(a, b)
    a && b && a.positive? && b.positive? ? (a / b).round(2) : nil
  end

  def show_ratio(x, noisy = false)
    x ? format("%.1fx%s", x, noisy ? "*" : "") : "n/a"
  end



  def relative(path)
    abs = File.expand_path(path)
    abs.start_with?("#{REPO}/") ? abs.delete_prefix("#{REPO}/") : abs
  end

end

require "etc"
SetupBench.main(ARGV) if $PROGRAM_NAME == __FILE__
