# frozen_string_literal: true

# Boot cost of a bundled process: wall time of a fresh `ruby ... -e1`, median
# of R interleaved runs, in worlds of N installed gems (bench/worlds.rb):
#
#   baseline    ruby -e1
#   bundler     ruby -rbundler/setup -e1                       (the Bundler installed)
#   floor       ruby -r<app>/bundle/bundler/setup.rb -e1       (`bundle install --standalone`)
#   cold        FASTBUNDLE_CACHE=0 RUBYLIB=<repo>/lib ruby -rfastbundle/setup -e1
#               (every cache off: Gemfile evaluated, lockfile parsed, gemspecs evaluated)
#   fastbundle  RUBYLIB=<repo>/lib ruby -rfastbundle/setup -e1 (the plan cache warm: every
#               run after the first is answered from it; checked before timing)
#
#   ruby bench/setup_bench.rb [--sizes 100,600,2000] [--engines] [--runs 15] [--warmup 2]
#                             [--instructions] [--rebuild]
#                             [--json tmp/bench-results/setup.json] [--fastbundle-lib DIR]
#
# --engines adds a world of 350 gems, 22 path engines and 7 git gems
# (BenchWorlds.world(350, engines: 22, git: 7)). --instructions runs each
# variant once more under `valgrind --tool=callgrind` (after the timed
# rounds, so every cache is warm) and reports instruction counts: unlike
# wall time, they do not move with the load of a shared machine.
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
  VARIANTS = %i[baseline bundler floor cold fastbundle].freeze
  LABELS = {
    baseline: "ruby -e1",
    bundler: "ruby -rbundler/setup -e1",
    floor: "ruby -r<app>/bundle/bundler/setup.rb -e1 (floor)",
    cold: "ruby -rfastbundle/setup -e1, FASTBUNDLE_CACHE=0",
    fastbundle: "ruby -rfastbundle/setup -e1, plan cache warm"
  }.freeze
  ENGINES = { n: 350, engines: 22, git: 7 }.freeze

  module_function

  def main(argv)
    opts = { sizes: [100, 600, 2000], runs: 15, warmup: 2, rebuild: false, engines: false, instructions: false,
             json: File.join(REPO, "tmp", "bench-results", "setup.json"), lib: File.join(REPO, "lib") }
    original = argv.dup
    OptionParser.new do |o|
      o.banner = "usage: ruby bench/setup_bench.rb [options]"
      o.on("--sizes LIST", Array, "world sizes N (default 100,600,2000)") { |v| opts[:sizes] = v.map { |s| Integer(s) } }
      o.on("--runs R", Integer, "timed runs per variant (default 15)") { |v| opts[:runs] = v }
      o.on("--warmup W", Integer, "untimed rounds first (default 2)") { |v| opts[:warmup] = v }
      o.on("--rebuild", "rebuild the cached worlds") { opts[:rebuild] = true }
      o.on("--engines", "also the world of 350 gems, 22 path engines, 7 git gems") { opts[:engines] = true }
      o.on("--instructions", "also count instructions (callgrind), once per variant") { opts[:instructions] = true }
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
    kinds = opts[:sizes].map { |n| { n: n, engines: 0, git: 0 } }
    kinds << ENGINES if opts[:engines]
    worlds = kinds.map do |kind|
      world, meta = BenchWorlds.world(kind[:n], engines: kind[:engines], git: kind[:git], rebuild: opts[:rebuild],
                                                log: ->(l) { puts l; $stdout.flush })
      result = bench_world(kind[:n], world, meta, opts)
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
      cold: [fb_env.merge("FASTBUNDLE_CACHE" => "0"), [RUBY, "-rfastbundle/setup", "-e1"]],
      fastbundle: [fb_env, [RUBY, "-rfastbundle/setup", "-e1"]]
    }
    unavailable = {}
    probe = fastbundle_probe(world, env, opts[:lib])
    %i[cold fastbundle].each { |v| unavailable[v] = "not available (#{probe})" } if probe
    verify = verify_world(n, world, env, fb_env, standalone, unavailable)
    unavailable[:cold] ||= unavailable[:fastbundle] if unavailable[:fastbundle]
    warm = warm_check(world, fb_env) unless unavailable[:fastbundle]
    unavailable[:fastbundle] = "never answered from the plan cache: #{warm}" if warm

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
      "cold_over_fastbundle" => ratio(overhead["cold"], overhead["fastbundle"]),
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
    out = { "n" => n, "world" => relative(world.root), "build" => meta, "verify" => verify,
            "results" => results, "overhead_ms" => overhead, "noise_ms" => noise, "ratios" => ratios,
            "ratios_within_noise" => noisy }
    out["instructions"] = instructions(cmds, app, unavailable) if opts[:instructions]
    out
  end

  # nil when the second of two fastbundle boots is answered from the plan
  # cache (FASTBUNDLE_DEBUG says so), else what it said.
  def warm_check(world, fb_env)
    debug = fb_env.merge("FASTBUNDLE_DEBUG" => "1")
    err = nil
    2.times { _, err, = World.spawn_capture(debug, [RUBY, "-rfastbundle/setup", "-e1"], chdir: world.dir, timeout: 120) }
    err.include?("plan cache hit") ? nil : err.lines.grep(/fastbundle: setup/).first.to_s.strip
  end

  # Instructions of one run of each variant under callgrind, and each
  # variant's overhead over the baseline's, with the ratios.
  def instructions(cmds, app, unavailable)
    counts = (VARIANTS - unavailable.keys).to_h do |v|
      env, cmd = cmds[v]
      out = File.join(Dir.tmpdir, "setup-bench-#{Process.pid}-#{v}.callgrind")
      grind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=#{out}", *cmd]
      _, status = time_once(env.merge("PATH" => ENV.fetch("PATH")), grind, app)
      abort "callgrind run of #{v} failed: #{status.inspect}" unless status.success?
      total = File.foreach(out).grep(/\Asummary: /).first.to_s.split.last.to_i
      File.unlink(out)
      [v.to_s, total]
    end
    base = counts["baseline"]
    over = counts.except("baseline").transform_values { |c| c - base }
    { "counts" => counts, "overhead" => over,
      "ratios" => { "fastbundle_over_floor" => ratio(over["fastbundle"], over["floor"]),
                    "bundler_over_fastbundle" => ratio(over["bundler"], over["fastbundle"]),
                    "cold_over_fastbundle" => ratio(over["cold"], over["fastbundle"]) } }
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
    # Every entry under the world (gem_home, app/bundle, app/engines).
    gems_prefix = world.root + "/"
    # Compared across runtimes: loaded specs other than the runtime's own gem.
    others = "(Gem.loaded_specs.keys - %w[bundler fastbundle]).size"
    out, = capture(world, env, [RUBY, "-rbundler/setup", "-e",
                                "puts Bundler::VERSION, Gem.loaded_specs.size, #{others}, #{count_paths.call(gems_prefix)}"])
    bundler_version, bundler_specs, bundler_others, bundler_paths = out.split
    out, = capture(world, env, [RUBY, "-r#{standalone}", "-e", "puts #{count_paths.call(gems_prefix)}"])
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
    extra = b["engines"].to_i.positive? ? ", #{b["engines"]} path engines, #{b["git_gems"]} git gems" : ""
    puts "N = #{r["n"]}  (#{b["gems"]} gems#{extra}, #{b["dep_edges"]} dependency edges, #{v["floor_load_paths"]} load-path entries; " \
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
         "cold / warm: #{show.("cold_over_fastbundle")}   (bundler / floor: #{show.("bundler_over_floor")})"
    if (ins = r["instructions"])
      line = ins["overhead"].map { |v, o| format("%s %+.1f M", v, o / 1e6) }.join(", ")
      puts "  instructions over ruby -e1 (#{format("%.1f M", ins["counts"]["baseline"] / 1e6)}): #{line}"
      puts "  instructions: fastbundle / floor #{show_ratio(ins["ratios"]["fastbundle_over_floor"])}, " \
           "bundler / fastbundle #{show_ratio(ins["ratios"]["bundler_over_fastbundle"])}, " \
           "cold / warm #{show_ratio(ins["ratios"]["cold_over_fastbundle"])}"
    end
    unless r["ratios_within_noise"].empty?
      puts "  * denominator overhead below the noise level (#{r["noise_ms"]} ms = baseline p25-p75, min 1 ms): ratio not meaningful"
    end
    puts "  WARNING: #{v["warning"]}" if v["warning"]
    $stdout.flush
  end

  # nil unless both overheads are measurable (> 0): a ratio with a noise-level
  # overhead at or below the baseline has no meaning.
  def ratio(a, b)
    a && b && a.positive? && b.positive? ? a.fdiv(b).round(2) : nil
  end

  def show_ratio(x, noisy = false)
    x ? format("%.2fx%s", x, noisy ? "*" : "") : "n/a"
  end



  def relative(path)
    abs = File.expand_path(path)
    abs.start_with?("#{REPO}/") ? abs.delete_prefix("#{REPO}/") : abs
  end

end

require "etc"
SetupBench.main(ARGV) if $PROGRAM_NAME == __FILE__
