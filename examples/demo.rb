# frozen_string_literal: true

# The README's main command (`rake demo`): boot the example app (Bookshelf,
# examples/app) with `require "bundler/setup"` and with
# `require "fastbundle/setup"`, show the load path fastbundle set, whether
# the process looks the same as under Bundler, and what each setup costs.
#
#   ruby examples/demo.rb [--app DIR] [--gems DIR] [--lib DIR] [--runs N]
#
# The app's gems are built from examples/gems into <app>/vendor/cache and
# installed offline with `bundle install --local` into <app>/vendor/bundle
# (its .bundle/config sets BUNDLE_PATH) the first time; later runs find them
# installed (delete <app>/vendor after changing a gem source without bumping
# its version). Every child process gets this process's environment minus what
# would change Bundler's or RubyGems' answer (BUNDLE_*, GEM_*, RUBYOPT, XDG_*,
# ...), plus RUBYLIB=<lib> so that `-rfastbundle/setup` finds this checkout,
# and its own HOME, <app>/vendor/home (absolute, git-ignored): whatever Bundler,
# RubyGems or fastbundle keep under HOME (caches, ~/.bundle) stays there, never
# in the caller's HOME nor, were that relative, under the current directory.
require "fileutils"
require "json"
require "open3"
require "optparse"
require "rbconfig"

module Demo
  RUBY = RbConfig.ruby
  STRIP_PREFIXES = %w[BUNDLE_ BUNDLER_ GEM_ RUBYGEMS_ FASTBUNDLE_ XDG_].freeze
  STRIP_NAMES = %w[RUBYOPT RUBYLIB GEMRC].freeze
  SETUPS = { bundler: "bundler/setup", fastbundle: "fastbundle/setup" }.freeze

  # What a child prints: the process state the setups are compared on, and
  # Bundler's own load path entries (the lib dir bundler/setup came from, and
  # its spec's require paths), the one expected difference.
  PROBE = <<~RUBY
    require "json"
    setup_rb = $LOADED_FEATURES.find { |f| f.end_with?("/bundler/setup.rb") }
    bundler = Gem.loaded_specs["bundler"]
    puts JSON.generate(
      "load_path" => $LOAD_PATH,
      "loaded_specs" => Gem.loaded_specs.values.map(&:full_name).sort,
      "own_paths" => [*(setup_rb && File.dirname(setup_rb, 2)), *bundler&.full_require_paths]
    )
  RUBY

  class Failed < StandardError; end

  module_function

  def main(argv)
    here = __dir__
    opts = { app: File.join(here, "app"), gems: nil, lib: File.expand_path("../lib", here), runs: 11 }
    OptionParser.new do |o|
      o.banner = "usage: ruby examples/demo.rb [options]"
      o.on("--app DIR", "the example app (default examples/app)") { |v| opts[:app] = v }
      o.on("--gems DIR", "gem sources to build (default <app>/../gems)") { |v| opts[:gems] = v }
      o.on("--lib DIR", "fastbundle's lib dir, put on RUBYLIB (default lib/)") { |v| opts[:lib] = v }
      o.on("--runs N", Integer, "timed runs per setup (default 11)") { |v| opts[:runs] = v }
    end.parse!(argv)
    app = File.expand_path(opts[:app])
    gems = File.expand_path(opts[:gems] || File.join(app, "..", "gems"))
    lib = File.expand_path(opts[:lib])
    env = child_env(lib, File.join(app, "vendor", "home"))

    puts "Bookshelf (#{app})"
    puts install(app, gems, env)
    puts

    answers = SETUPS.to_h { |name, feature| [name, probe(app, env, feature)] }
    base = probe(app, env, nil)
    added = answers[:fastbundle]["load_path"] - base["load_path"]
    own = answers[:bundler]["own_paths"]
    puts "fastbundle/setup put #{added.size} entries on $LOAD_PATH, before Ruby's own (in this order):"
    added.each { |p| puts "  #{p.delete_prefix("#{app}/")}#{"   (Bundler's lib dir, as bundler/setup leaves it)" if own.include?(p)}" }
    puts

    same = same_process_state?(answers[:bundler], answers[:fastbundle])
    puts "Same $LOAD_PATH and Gem.loaded_specs as bundler/setup, Bundler's own gem aside: #{same ? "yes" : "NO"}"
    boots = SETUPS.to_h { |name, feature| [name, run!(env, [RUBY, "-r#{feature}", "app.rb", "/books", "/books/2"], app)] }
    puts "Booting the app (ruby -rfastbundle/setup app.rb /books /books/2):"
    boots[:fastbundle].each_line { |l| puts "  #{l}" }
    same_boot = boots[:fastbundle] == boots[:bundler]
    puts "Same output as with -rbundler/setup: #{same_boot ? "yes" : "NO"}"
    puts

    times = time_setups(app, env, opts[:runs])
    puts "Setup cost: median wall time of #{opts[:runs]} interleaved runs of `ruby -r<setup> -e1`, " \
         "minus `ruby -e1` (#{format("%.1f", times[:baseline])} ms):"
    over = SETUPS.keys.to_h { |k| [k, times[k] - times[:baseline]] }
    puts format("  bundler/setup     %+8.1f ms", over[:bundler])
    ratio = over[:fastbundle].positive? ? format("   (%.1fx less)", over[:bundler] / over[:fastbundle]) : ""
    puts format("  fastbundle/setup  %+8.1f ms%s", over[:fastbundle], ratio)

    same && same_boot
  rescue Failed => e
    warn e.message
    false
  end

  # This process's environment without anything that would steer Bundler,
  # RubyGems or fastbundle elsewhere; RUBYLIB = fastbundle's lib dir (for
  # every child alike, so the load paths compare); HOME = the demo's own.
  def child_env(lib, home)
    FileUtils.mkdir_p(home)
    ENV.to_h.reject { |k, _| STRIP_NAMES.include?(k) || STRIP_PREFIXES.any? { |p| k.start_with?(p) } }
       .merge("RUBYLIB" => lib, "HOME" => File.expand_path(home))
  end

  # Installs the app's bundle unless `bundle check` finds it complete. The
  # committed Gemfile.lock is never rewritten (BUNDLE_FROZEN): it pins only
  # gems built here and lists the `ruby` platform, so it holds on any Linux.
  def install(app, gems, env)
    bundle_env = env.merge("RUBYLIB" => nil)
    _, _, status = capture(bundle_env, ["bundle", "check", "--dry-run"], app)
    return "Bundle already installed in vendor/bundle." if status.success?

    cache = File.join(app, "vendor", "cache")
    FileUtils.mkdir_p(cache)
    built = Dir[File.join(gems, "*", "*.gemspec")].sort.map do |gemspec|
      spec = Gem::Specification.load(gemspec) or raise Failed, "cannot load #{gemspec}"
      run!(bundle_env, ["gem", "build", "--norc", "--silent", File.basename(gemspec),
                        "--output", File.join(cache, spec.file_name)], File.dirname(gemspec))
      spec.full_name
    end
    run!(bundle_env.merge("BUNDLE_FROZEN" => "true"), ["bundle", "install", "--local", "--quiet"], app)
    "Installed the bundle: built #{built.join(", ")} from #{gems}, then `bundle install --local`."
  end

  # Runs PROBE after requiring FEATURE (nil: no setup) and returns its JSON.
  def probe(app, env, feature)
    JSON.parse(run!(env, [RUBY, *(feature ? ["-r#{feature}"] : []), "-e", PROBE], app))
  end

  # Bundler's own entries (its lib dir, which fastbundle also puts on the
  # load path for a later `require "bundler"`, and its spec's require paths)
  # and its own loaded spec are left out on both sides.
  def same_process_state?(bundler, fastbundle)
    own = bundler["own_paths"]
    bundler["load_path"] - own == fastbundle["load_path"] - own &&
      bundler["loaded_specs"].grep_v(/\Abundler-\d/) == fastbundle["loaded_specs"]
  end

  # Medians (ms) of interleaved fresh processes: ruby -e1, and -r<setup> -e1.
  def time_setups(app, env, runs)
    cmds = { baseline: [RUBY, "-e1"] }
    SETUPS.each { |name, feature| cmds[name] = [RUBY, "-r#{feature}", "-e1"] }
    samples = Hash.new { |h, k| h[k] = [] }
    (runs + 1).times do |round| # round 0 warms the file cache, untimed
      cmds.each do |name, cmd|
        t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        run!(env, cmd, app)
        samples[name] << (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0) * 1000 if round.positive?
      end
    end
    samples.transform_values { |s| s.sort[s.size / 2] }
  end

  def capture(env, cmd, dir)
    Open3.capture3(env, *cmd, chdir: dir, unsetenv_others: true, stdin_data: "")
  end

  def run!(env, cmd, dir)
    out, err, status = capture(env, cmd, dir)
    raise Failed, "#{cmd.join(" ")} (in #{dir}) failed: #{status}\n#{err}#{out}" unless status.success?

    out
  end
end

exit(Demo.main(ARGV) ? 0 : 1) if $PROGRAM_NAME == __FILE__
