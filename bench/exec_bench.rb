# frozen_string_literal: true

# `fastbundle exec ruby -e1` against `bundle exec ruby -e1`: wall time of a
# fresh command, median of R interleaved runs (shuffled order each round), in
# a world of N installed gems (bench/worlds.rb, cached under tmp/bench-worlds):
#
#   baseline          ruby -e1
#   bundle_exec       bundle exec ruby -e1           (Bundler 2.3.15's bundle, then a bundler/setup child)
#   fastbundle_exec   fastbundle exec ruby -e1       (the platform gem's installed command, then a
#                                                     fastbundle/setup child)
#   binstub_exec      bin/fastbundle exec ruby -e1   (`fastbundle binstubs`: the native launcher,
#                                                     no Ruby parent, then the same child)
#   bundler_setup     ruby -rbundler/setup -e1       (the children alone, for scale)
#   fastbundle_setup  ruby -r<the installed gem's lib>/fastbundle/setup -e1 (what an exec child gets)
#   setup_by_name     ruby -rfastbundle/setup -e1     (as config/boot.rb has it: RubyGems looks the
#                                                     file up in every installed gem's spec first)
#   gem_then_setup    ruby -e 'gem "fastbundle"; require "fastbundle/setup"'  (found by name)
#
#   ruby bench/exec_bench.rb [--size 300 | --lockfile NAME] [--runs 15] [--warmup 2] [--instructions]
#
# --lockfile NAME measures instead the world of a real app's lockfile,
# spec/fixtures/lockfiles/real/NAME.lock (BenchWorlds.lockfile_world: its
# gems, versions and dependency graph, e.g. mastodon__mastodon, 290 gems).
#
# fastbundle is the platform gem `rake native` builds from this checkout,
# installed into its own gem dir that every variant has on GEM_PATH (so all
# see the same gems), its command run through the binstub RubyGems wrote, as
# a user runs it. Every process gets World#env (hermetic HOME, GEM_HOME) plus
# BUNDLE_GEMFILE; caches are warm after the warm-up rounds. --instructions
# also counts instructions once per variant with valgrind --tool=callgrind;
# callgrind reports only the last program of an exec chain, so an exec
# variant is counted as its parent alone (the same command naming a command
# that does not exist: everything up to the exec, then exit 127) plus its
# child (the matching *_setup variant).
require "etc"
require "json"
require "optparse"
require "shellwords"
require_relative "stats"
require_relative "worlds"

module ExecBench
  extend BenchStats
  REPO = BenchWorlds::REPO
  RUBY = World::RUBY_BIN
  VARIANTS = %i[baseline bundle_exec fastbundle_exec binstub_exec bundler_setup fastbundle_setup setup_by_name
                gem_then_setup].freeze
  # Each exec variant's child, counted apart (see the header).
  CHILDREN = { bundle_exec: :bundler_setup, fastbundle_exec: :fastbundle_setup, binstub_exec: :fastbundle_setup }.freeze

  module_function

  def main(argv)
    opts = { size: 300, lockfile: nil, runs: 15, warmup: 2, instructions: false }
    original = argv.dup
    OptionParser.new do |o|
      o.banner = "usage: ruby bench/exec_bench.rb [options]"
      o.on("--size N", Integer, "gems in the world (default 300)") { |v| opts[:size] = v }
      o.on("--lockfile NAME", "the world of spec/fixtures/lockfiles/real/NAME.lock") { |v| opts[:lockfile] = v }
      o.on("--runs R", Integer, "timed runs per variant (default 15)") { |v| opts[:runs] = v }
      o.on("--warmup W", Integer, "untimed rounds first (default 2)") { |v| opts[:warmup] = v }
      o.on("--instructions", "also count instructions with callgrind") { opts[:instructions] = true }
    end.parse!(argv)

    puts "command: #{["ruby", "bench/exec_bench.rb", *original].shelljoin}"
    puts "#{RUBY_DESCRIPTION}; bundler #{World.bundler_version}; #{Etc.nprocessors} CPUs; fastbundle #{git_rev}; " \
         "median of #{opts[:runs]} interleaved runs (+#{opts[:warmup]} warm-up rounds)"
    log = ->(l) { puts l; $stdout.flush }
    world, meta = opts[:lockfile] ? BenchWorlds.lockfile_world(opts[:lockfile], log: log) : BenchWorlds.world(opts[:size], log: log)
    puts "world: #{meta["lockfile"] || "generated"}, #{meta["gems"]} gems installed"
    fastbundle_dir = install_platform_gem(world)
    env = world.env("BUNDLE_GEMFILE" => world.path("Gemfile"),
                    "GEM_PATH" => [world.env["GEM_PATH"], fastbundle_dir].join(File::PATH_SEPARATOR))
    binstub = File.join(fastbundle_dir, "bin", "fastbundle")
    app_binstub = write_binstub(env, binstub, world.dir)
    setup = Dir[File.join(fastbundle_dir, "gems", "fastbundle-*", "lib", "fastbundle", "setup.rb")].first
    cmds = {
      baseline: [RUBY, "-e1"],
      bundle_exec: [World::BUNDLE_BIN, "exec", "ruby", "-e1"],
      fastbundle_exec: [binstub, "exec", "ruby", "-e1"],
      binstub_exec: [app_binstub, "exec", "ruby", "-e1"],
      bundler_setup: [RUBY, "-rbundler/setup", "-e1"],
      fastbundle_setup: [RUBY, "-r#{setup}", "-e1"],
      setup_by_name: [RUBY, "-rfastbundle/setup", "-e1"],
      gem_then_setup: [RUBY, "-e", 'gem "fastbundle"; require "fastbundle/setup"']
    }
    check(world, env, cmds)

    samples = Hash.new { |h, k| h[k] = [] }
    rng = Random.new(opts[:size])
    (opts[:warmup] + opts[:runs]).times do |round|
      VARIANTS.shuffle(random: rng).each do |v|
        secs, status = time_once(env, cmds[v], world.dir)
        abort "#{v} failed during timing: #{status.inspect}" unless status.success?
        samples[v] << secs * 1000 if round >= opts[:warmup]
      end
    end
    report(samples, opts[:instructions] ? instructions(env, cmds, world.dir) : nil)
  end

  # rake native into tmp/, installed with `gem install --local` into
  # tmp/bench-exec/gem (rebuilt each run: it is this checkout's code).
  def install_platform_gem(world)
    pkg = File.join(REPO, "tmp", "bench-exec", "pkg")
    dir = File.join(REPO, "tmp", "bench-exec", "gem")
    FileUtils.rm_rf([pkg, dir])
    out, err, status = World.spawn_capture(World.clean_env.merge("PKG_DIR" => pkg), ["rake", "native"], chdir: REPO, timeout: 900)
    abort "rake native failed:\n#{out}#{err}" unless status.success?
    gem = Dir[File.join(pkg, "fastbundle-*.gem")].first
    world.gem("install", "--local", "--no-document", "--install-dir", dir, "--bindir", File.join(dir, "bin"), gem)
    dir
  end

  # `fastbundle binstubs` of the installed gem, into tmp/bench-exec/binstub.
  def write_binstub(env, command, dir)
    out_dir = File.join(REPO, "tmp", "bench-exec", "binstub")
    out, err, status = World.spawn_capture(env, [command, "binstubs", "--force", "--path", out_dir], chdir: dir, timeout: 120)
    abort "fastbundle binstubs failed:\n#{out}#{err}" unless status.success? && out.include?("without a Ruby parent")
    File.join(out_dir, "fastbundle")
  end

  # Both commands must run the world's bundle: their children activate the
  # same gems, among them every gem of the Gemfile.lock (less bundler).
  def check(world, env, cmds)
    locked = File.read(world.path("Gemfile.lock"))[/^GEM\n.*?^\n/m].scan(/^    (\S+) /).map(&:first).uniq - %w[bundler]
    count = "print((Gem.loaded_specs.keys - %w[bundler fastbundle]).sort.join(' '))"
    names = %i[bundle_exec fastbundle_exec binstub_exec].map do |v|
      out, err, status = World.spawn_capture(env, cmds[v][0..-2] + ["-e", count], chdir: world.dir, timeout: 300)
      abort "#{v} failed: #{err}" unless status.success?
      puts "#{v}: the child activates #{out.split.size} gems"
      out.split
    end
    abort "the two children activate different gems" unless names.uniq.size == 1
    missing = locked - names[0] # (loaded_specs also holds the default gems Ruby loads itself)
    abort "the children do not activate #{missing.join(", ")}" unless missing.empty?
  end

  # Every program of an exec chain is counted (bin/fastbundle: sh, then the
  # launcher), so a parent is all of its chain up to the failed exec.
  def instructions(env, cmds, dir)
    count = lambda do |cmd|
      out = IO.popen(env, ["valgrind", "--tool=callgrind", "--trace-children=yes", "--callgrind-out-file=/dev/null", *cmd],
                     err: %i[child out], chdir: dir, unsetenv_others: true, &:read)
      counts = out.scan(/Collected : (\d+)/).flatten.map { |c| Integer(c) }
      abort("valgrind failed for #{cmd.join(" ")}:\n#{out}") if counts.empty?
      counts.sum
    end
    counts = VARIANTS.to_h { |v| [v, v.to_s.end_with?("_exec") ? nil : count.call(cmds[v])] }
    CHILDREN.each do |v, child|
      parent = cmds[v].map { |a| a == "ruby" ? "no-such-command-#{Process.pid}" : a }.first(cmds[v].index("ruby") + 1)
      counts[:"#{v}_parent"] = count.call(parent)
      counts[v] = counts[:"#{v}_parent"] + counts[child]
    end
    counts
  end

  def report(samples, counts)
    med = samples.transform_values { |s| pct(s.sort, 50) }
    puts
    puts format("%-18s %10s %10s %10s %16s", "variant", "median", "p25", "p75", "instructions")
    VARIANTS.each do |v|
      s = samples[v].sort
      puts format("%-18s %8.1f ms %7.1f ms %7.1f ms %16s", v, med[v], pct(s, 25), pct(s, 75), counts ? counts[v].to_s : "-")
    end
    puts
    puts format("bundle exec / fastbundle exec (whole command): %.1fx", med[:bundle_exec] / med[:fastbundle_exec])
    puts format("bundle exec / bin/fastbundle exec (whole command): %.1fx", med[:bundle_exec] / med[:binstub_exec])
    puts format("over ruby -e1: bundle exec %+.1f ms, fastbundle exec %+.1f ms (%.1fx)", med[:bundle_exec] - med[:baseline],
                med[:fastbundle_exec] - med[:baseline],
                (med[:bundle_exec] - med[:baseline]) / (med[:fastbundle_exec] - med[:baseline]))
    puts format("the parent alone (exec minus its child's setup): bundle exec %+.1f ms, fastbundle exec %+.1f ms",
                med[:bundle_exec] - med[:bundler_setup], med[:fastbundle_exec] - med[:fastbundle_setup])
    puts format("require \"fastbundle/setup\" over ruby -e1: by its path %+.1f ms, by name %+.1f ms, after gem \"fastbundle\" %+.1f ms",
                med[:fastbundle_setup] - med[:baseline], med[:setup_by_name] - med[:baseline],
                med[:gem_then_setup] - med[:baseline])
    return unless counts

    base = counts[:baseline]
    puts format("instructions: bundle exec / fastbundle exec %.1fx; over ruby -e1 %.1fx; parents alone over ruby -e1: " \
                "bundle exec %dM, fastbundle exec %dM", counts[:bundle_exec].fdiv(counts[:fastbundle_exec]),
                (counts[:bundle_exec] - base).fdiv(counts[:fastbundle_exec] - base),
                (counts[:bundle_exec_parent] - base) / 1_000_000, (counts[:fastbundle_exec_parent] - base) / 1_000_000)
    puts format("instructions: bundle exec / bin/fastbundle exec %.1fx (its parent, sh and the launcher: %.1fM)",
                counts[:bundle_exec].fdiv(counts[:binstub_exec]), counts[:binstub_exec_parent] / 1e6)
    puts format("instructions of require \"fastbundle/setup\" over ruby -e1: by its path %+dM, by name %+dM, " \
                "after gem \"fastbundle\" %+dM", *%i[fastbundle_setup setup_by_name gem_then_setup].map { |v|
                  (counts[v] - base) / 1_000_000
                })
  end
end

ExecBench.main(ARGV) if $PROGRAM_NAME == __FILE__
