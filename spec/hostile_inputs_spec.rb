# frozen_string_literal: true

require "json"
require "pathname"
require "spec_helper"

# Hostile lockfiles and gem dirs, each given to real Bundler 2.3.15 and to
# fastbundle in the same world (BUNDLE_FROZEN, memory capped at 4 GiB, a
# time limit). fastbundle must boot with Bundler's answer or stop with a
# clear error (a status, a message without a backtrace); it must never
# crash (signal, InternalError, uncaught exception), hang, put a load path
# entry outside the places Bundler uses (the gem dirs, the app, Ruby's own)
# or run code planted outside them. What Bundler does is observed and
# tallied (printed, for docs/robustness.md), never asserted.
module HostileInputs
  PROBE = File.join(ROOT_DIR, "spec/scripts/hostile_probe.rb")
  BUNDLER_SETUP = "require 'bundler'; require 'bundler/friendly_errors'; " \
                  "Bundler.with_friendly_errors { Bundler.setup }; load #{PROBE.dump}"
  MEMORY_CAP = 4 << 30
  BACKTRACE = /:\d+:in [`']/.freeze
  # What an uncaught non-Bundler failure looks like in Bundler's friendly
  # errors, or any Ruby process's last words.
  CRASH = Regexp.union("ERROR REPORT TEMPLATE", "SystemStackError", "stack level too deep", "NoMemoryError",
                       "failed to allocate memory", "[BUG]", "FastBundle::InternalError", "Segmentation fault").freeze

  Outcome = Struct.new(:kind, :status, :detail, :load_path, :seconds, :output, keyword_init: true) do
    def to_s
      case kind
      when :booted then "boots"
      when :error then "error #{status}: #{detail}"
      else "#{kind.upcase}: #{detail}"
      end
    end
  end
end

RSpec.describe "hostile lockfiles and gem dirs, against Bundler" do
  before(:all) do
    repo = World.tmpdir("gems")
    GemFactory.build(File.join(repo, "gems"), name: "beta", version: "2.1.0")
    GemFactory.build(File.join(repo, "gems"), name: "alpha", version: "1.0.0", deps: { "beta" => ["~> 2.0"] })
    GemFactory.build(File.join(repo, "gems"), name: "gamma", version: "0.3.0")
    @server = GemServer.start(repo)
    @base = World.new
    @base.gemfile(%(source "#{@server.url}"\ngem "alpha"\ngem "gamma"\n))
    @base.bundle("install")
    @tally = []
    @baseline = @base.ruby("-e", "puts $LOAD_PATH")[0].lines.map(&:chomp)
  end

  after(:all) do
    next if @tally.empty?

    width = @tally.map { |row| row[0].size }.max
    puts "\nhostile inputs (#{@tally.size} cases): Bundler 2.3.15 | fastbundle"
    @tally.each do |what, theirs, ours|
      puts "  #{what.ljust(width)}  #{theirs.to_s[0, 90]} (#{theirs.seconds}s) | #{ours.to_s[0, 90]} (#{ours.seconds}s)"
    end
    bad = @tally.count { |_, theirs, ours| %i[crash hang steered].include?(theirs.kind) && !%i[crash hang steered].include?(ours.kind) }
    puts "Bundler crashes, hangs or is steered outside the gem dirs on #{bad} of #{@tally.size}; fastbundle on 0."
  end

  # A copy of the installed base world, its own app, HOME and GEM_HOME.
  def fresh_world
    root = World.tmpdir("hostile")
    FileUtils.cp_r(Dir[File.join(@base.root, "*")], root)
    World.new(root)
  end

  def outside(world)
    File.join(world.root, "outside")
  end

  # Code planted outside every gem dir: sets $HOSTILE_RAN if required, and
  # a gemspec that writes a marker file if anything evaluates it.
  def plant_outside(world, name = "evil")
    dir = outside(world)
    FileUtils.mkdir_p(File.join(dir, "lib"))
    File.write(File.join(dir, "lib", "#{name}.rb"), "$HOSTILE_RAN = true\n")
    File.write(File.join(dir, "#{name}-1.0.gemspec"), <<~RUBY)
      # -*- encoding: utf-8 -*-
      # stub: #{name} 1.0 ruby #{File.join(dir, "lib")}

      File.write(#{File.join(dir, "EVALUATED").dump}, "") rescue nil
      Gem::Specification.new do |s|
        s.name = #{name.dump}
        s.version = "1.0"
        s.summary = "planted"
        s.authors = ["nobody"]
        s.require_paths = [#{File.join(dir, "lib").dump}]
      end
    RUBY
    dir
  end

  def allowed?(world, entry)
    return true if @baseline.include?(entry)

    path = File.expand_path(entry)
    roots = [world.gem_home, world.dir, World.bundler_gem_dir, LIB_DIR, *World.system_gem_dirs,
             *Gem.default_path.select { |d| d.include?("rubygems-integration") }]
    roots.any? { |r| path == r || path.start_with?("#{r}/") }
  end

  def markers(world)
    Dir[File.join(outside(world), "EVALUATED")] + Dir[File.join(world.dir, "PWNED*")]
  end

  def run_tool(world, tool, timeout)
    FileUtils.rm_f(markers(world)) # what the other tool's run left is not this one's
    cmd = ["prlimit", "--as=#{HostileInputs::MEMORY_CAP}", "--", World::RUBY_BIN]
    cmd += tool == :bundler ? ["-e", HostileInputs::BUNDLER_SETUP] : ["-rfastbundle/setup", HostileInputs::PROBE]
    env = world.env("BUNDLE_FROZEN" => "true", "RUBYLIB" => tool == :fastbundle ? LIB_DIR : nil)
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    out, err, status = World.spawn_capture(env, cmd, chdir: world.dir, timeout: timeout)
    seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
    classify(world, tool, out, err, status, seconds)
  rescue World::CommandFailed => e
    raise unless e.status.to_s.include?("timed out")

    HostileInputs::Outcome.new(kind: :hang, detail: "no exit within #{timeout}s", seconds: timeout)
  end

  def classify(world, tool, out, err, status, seconds)
    text = out + err
    markers = markers(world)
    outcome = ->(kind, **rest) { HostileInputs::Outcome.new(kind: kind, seconds: seconds.round(1), output: text, **rest) }
    return outcome.call(:crash, detail: "killed by signal #{status.termsig}") if status.signaled?
    return outcome.call(:steered, detail: "ran code planted outside: #{markers.join(", ")}") if markers.any?

    if status.success?
      json = JSON.parse(out.lines.last || "{}") rescue nil # rubocop:disable Style/RescueModifier
      return outcome.call(:crash, detail: "no probe output: #{text[0, 200]}") unless json

      stray = json["load_path"].reject { |p| allowed?(world, p) }
      return outcome.call(:steered, detail: "load path outside the gem dirs: #{stray.first}") if stray.any?
      return outcome.call(:steered, detail: "required code planted outside") if json["hostile_ran"]

      return outcome.call(:booted, load_path: json["load_path"])
    end
    # Friendly errors (Bundler's, fastbundle's) print a message; a Ruby
    # backtrace means an exception nobody meant to raise.
    crash = text[HostileInputs::CRASH] || (text.match?(HostileInputs::BACKTRACE) && "an uncaught exception")
    first = text.lines.find { |l| !l.strip.empty? }.to_s.strip[0, 110]
    return outcome.call(:crash, status: status.exitstatus, detail: "#{crash}: #{first}") if crash

    outcome.call(:error, status: status.exitstatus, detail: first)
  end

  # Runs both tools on WORLD, tallies, and checks fastbundle's outcome:
  # `ours` is :booted or :error (with `status`, `includes` in the message).
  def compare(what, world, ours:, status: nil, includes: [], timeout: 60, same_load_path: false)
    theirs = run_tool(world, :bundler, timeout)
    mine = run_tool(world, :fastbundle, timeout)
    @tally << [what, theirs, mine]
    expect(mine.kind).to eq(ours), "#{what}: fastbundle #{mine}"
    expect(mine.status).to eq(status) if status
    includes.each { |s| expect(mine.output).to include(s) } if ours == :error
    if same_load_path
      expect(theirs.kind).to eq(:booted), "#{what}: Bundler #{theirs}"
      expect(mine.load_path.reject { |p| p == LIB_DIR || p.include?("/bundler-") })
        .to eq(theirs.load_path.reject { |p| p.include?("/bundler-") })
    end
    [theirs, mine]
  end

  def lockfile_with(world)
    world.file("Gemfile.lock", yield(world.lockfile))
  end

  def spec_file(world, full_name)
    File.join(world.gem_home, "specifications", "#{full_name}.gemspec")
  end

  describe "names and versions in the lockfile" do
    # alpha gains a dependency on NAME, locked as NAME (1.0).
    def with_locked_name(world, name)
      lockfile_with(world) do |l|
        l.sub("      beta (~> 2.0)\n", "      beta (~> 2.0)\n      #{name}\n")
         .sub("    beta (2.1.0)\n", "    beta (2.1.0)\n    #{name} (1.0)\n")
      end
    end

    it "a name that walks out of the gem dir (../../outside/evil)" do
      w = fresh_world
      plant_outside(w)
      with_locked_name(w, "../../outside/evil")
      compare("name ../../outside/evil", w, ours: :error, status: 20, includes: ["Gemfile.lock:"])
    end

    it "an absolute path as the name" do
      w = fresh_world
      dir = plant_outside(w)
      with_locked_name(w, "#{dir}/evil")
      compare("name /abs/path/evil", w, ours: :error, status: 20)
    end

    it "a NUL byte in a name" do
      w = fresh_world
      with_locked_name(w, "be\0ta")
      compare("name with NUL", w, ours: :error, status: 20)
    end

    it "shell metacharacters in a name" do
      w = fresh_world
      with_locked_name(w, "x;touch${IFS}PWNED;`touch${IFS}PWNED2`|y")
      compare("name with shell metacharacters", w, ours: :error, status: 20)
    end

    it "a version with a slash" do
      w = fresh_world
      lockfile_with(w) { |l| l.sub("    beta (2.1.0)", "    beta (2.1.0/../../outside)") }
      compare("version 2.1.0/../../outside", w, ours: :error, status: 20)
    end

    it "a platform with a slash" do
      w = fresh_world
      lockfile_with(w) { |l| l.sub("    beta (2.1.0)", "    beta (2.1.0-x86_64/../../../outside)") }
      compare("platform x86_64/../../../outside", w, ours: :error, status: 20)
    end
  end

  describe "sources" do
    it "a PATH source outside the root that the Gemfile never named" do
      w = fresh_world
      dir = plant_outside(w)
      File.write(File.join(dir, "evil.gemspec"), File.read(File.join(dir, "evil-1.0.gemspec")))
      lockfile_with(w) do |l|
        "PATH\n  remote: #{dir}\n  specs:\n    evil (1.0)\n\n#{l.sub("DEPENDENCIES\n", "DEPENDENCIES\n  evil!\n")}"
      end
      compare("PATH source outside the root, not in the Gemfile", w, ours: :error, status: 16)
    end
  end

  describe "installed gems" do
    it "a stub header whose require path leads out of the gem dir" do
      w = fresh_world
      dir = plant_outside(w)
      file = spec_file(w, "beta-2.1.0")
      rel = Pathname.new(File.join(dir, "lib")).relative_path_from(Pathname.new(File.join(w.gem_home, "gems", "beta-2.1.0")))
      File.write(file, File.read(file).sub("# stub: beta 2.1.0 ruby lib", "# stub: beta 2.1.0 ruby lib\0#{rel}"))
      compare("stub require path ../../../outside/lib", w, ours: :error, status: 1, includes: ["outside its gem directory"])
    end

    it "a stub header with an absolute require path (joined inside the gem dir, as RubyGems does)" do
      w = fresh_world
      dir = plant_outside(w)
      file = spec_file(w, "beta-2.1.0")
      File.write(file, File.read(file).sub("# stub: beta 2.1.0 ruby lib", "# stub: beta 2.1.0 ruby lib\0#{dir}/lib"))
      compare("stub require path /abs/outside/lib", w, ours: :booted, same_load_path: true)
    end

    it "a spec file that is a symlink to itself" do
      w = fresh_world
      file = spec_file(w, "beta-2.1.0")
      File.unlink(file)
      File.symlink(file, file)
      compare("spec file: symlink loop", w, ours: :error, status: 1, includes: ["beta-2.1.0.gemspec"])
    end

    # (A whole gem dir replaced by a symlink loop makes RubyGems itself
    # raise ELOOP while Ruby starts, before any bundler code runs.)
    it "a gem dir that is a symlink to itself" do
      w = fresh_world
      dir = File.join(w.gem_home, "gems", "beta-2.1.0")
      FileUtils.rm_rf(dir)
      File.symlink(dir, dir)
      # The spec is installed and its directory entry exists: booted as
      # RubyGems indexes it; `require "beta"` then fails with ELOOP.
      compare("gem dir: symlink loop", w, ours: :booted)
    end

    it "a symlink loop inside specifications/ and inside a gem's lib/" do
      w = fresh_world
      File.symlink("..", File.join(w.gem_home, "specifications", "up"))
      File.symlink("loop", File.join(w.gem_home, "gems", "beta-2.1.0", "lib", "loop"))
      compare("symlink loops inside specifications/ and lib/", w, ours: :booted, same_load_path: true)
    end

    it "a spec file that is a named pipe (FIFO)" do
      w = fresh_world
      file = spec_file(w, "beta-2.1.0")
      File.unlink(file)
      File.mkfifo(file)
      compare("spec file: FIFO", w, ours: :error, status: 1, includes: ["beta-2.1.0.gemspec"], timeout: 15)
    end

    it "a spec file that is /dev/zero" do
      w = fresh_world
      file = spec_file(w, "beta-2.1.0")
      File.unlink(file)
      File.symlink("/dev/zero", file)
      compare("spec file: /dev/zero", w, ours: :error, status: 1, includes: ["beta-2.1.0.gemspec"], timeout: 60)
    end

    it "a 100 MB spec file without a newline" do
      w = fresh_world
      File.open(spec_file(w, "beta-2.1.0"), "wb") { |f| 100.times { f.write("#" * (1 << 20)) } }
      compare("spec file: 100 MB, no newline", w, ours: :error, status: 1, includes: ["KiB"], timeout: 120)
    end
  end

  describe "the lockfile and settings files themselves" do
    it "a lockfile that is a named pipe (FIFO)" do
      w = fresh_world
      File.unlink(w.path("Gemfile.lock"))
      File.mkfifo(w.path("Gemfile.lock"))
      compare("Gemfile.lock: FIFO", w, ours: :error, status: 20, includes: ["named pipe"], timeout: 15)
    end

    it "a lockfile that is /dev/zero" do
      w = fresh_world
      File.unlink(w.path("Gemfile.lock"))
      File.symlink("/dev/zero", w.path("Gemfile.lock"))
      compare("Gemfile.lock: /dev/zero", w, ours: :error, status: 20, includes: ["device"], timeout: 60)
    end

    it "a lockfile that is a directory" do
      w = fresh_world
      File.unlink(w.path("Gemfile.lock"))
      FileUtils.mkdir_p(w.path("Gemfile.lock"))
      compare("Gemfile.lock: a directory", w, ours: :error, status: 20, includes: ["directory"])
    end

    it "a 70 MB lockfile (an unknown section of junk)" do
      w = fresh_world
      File.open(w.path("Gemfile.lock"), "ab") do |f|
        f.write("\nJUNK\n")
        70.times { f.write("  #{"x" * 1021}\n" * 1024) }
      end
      compare("Gemfile.lock: 70 MB", w, ours: :error, status: 20, includes: ["MiB"], timeout: 180)
    end

    it "a lockfile of invalid UTF-8 and NUL bytes" do
      w = fresh_world
      lockfile_with(w) { |l| l.b.sub("    gamma (0.3.0)", "    gam\xFF\0ma (0.3.0)".b) }
      compare("Gemfile.lock: invalid UTF-8", w, ours: :error, status: 20, includes: ["UTF-8"])
    end

    it "a .bundle/config that is a named pipe (FIFO)" do
      w = fresh_world
      FileUtils.mkdir_p(w.path(".bundle"))
      File.mkfifo(w.path(".bundle/config"))
      compare(".bundle/config: FIFO", w, ours: :booted, timeout: 15)
    end
  end

  describe "dependency graphs" do
    # N installed gems g0 -> g1 -> ... (written as RubyGems writes them).
    def chain_world(n)
      w = fresh_world
      names = (0...n).map { |i| format("g%05d", i) }
      names.each_with_index do |name, i|
        spec = Gem::Specification.new do |s|
          s.name = name
          s.version = "1.0"
          s.summary = "chain"
          s.authors = ["x"]
          s.files = []
          s.add_runtime_dependency(names[i + 1], ">= 0") if names[i + 1]
        end
        File.write(spec_file(w, "#{name}-1.0"), spec.to_ruby)
        FileUtils.mkdir_p(File.join(w.gem_home, "gems", "#{name}-1.0", "lib"))
      end
      specs = names.each_with_index.map { |name, i| "    #{name} (1.0)\n#{names[i + 1] ? "      #{names[i + 1]}\n" : ""}" }
      w.gemfile(%(source "#{@server.url}"\ngem "g00000"\n))
      w.file("Gemfile.lock", "GEM\n  remote: #{@server.url}/\n  specs:\n#{specs.join}\nPLATFORMS\n  #{Gem::Platform.local}\n\n" \
                             "DEPENDENCIES\n  g00000\n\nBUNDLED WITH\n   2.3.15\n")
      w
    end

    it "a dependency chain 10,000 gems deep" do
      _, mine = compare("dependency chain 10,000 deep", chain_world(10_000), ours: :booted, timeout: 300)
      expect(mine.load_path.count { |p| p.include?("/gems/g") }).to eq(10_000)
    end

    it "a cycle in the lockfile only (beta -> alpha -> beta)" do
      w = fresh_world
      lockfile_with(w) { |l| l.sub("    beta (2.1.0)\n", "    beta (2.1.0)\n      alpha\n") }
      theirs, = compare("cycle in the lockfile", w, ours: :error, status: 21, includes: ["alpha -> beta -> alpha"])
      expect(theirs.status).to eq(21) # Bundler's CyclicDependencyError too
    end

    it "a self-dependency" do
      w = fresh_world
      lockfile_with(w) { |l| l.sub("    gamma (0.3.0)\n", "    gamma (0.3.0)\n      gamma\n") }
      compare("self-dependency", w, ours: :booted, same_load_path: true)
    end

    it "a spec listed twice, and a DEPENDENCIES entry listed twice" do
      w = fresh_world
      lockfile_with(w) do |l|
        l.sub("    gamma (0.3.0)\n", "    gamma (0.3.0)\n    gamma (0.3.0)\n").sub("  gamma\n", "  gamma\n  gamma\n")
      end
      compare("duplicate spec and dependency", w, ours: :booted, same_load_path: true)
    end
  end
end
