# frozen_string_literal: true

require "json"
require "spec_helper"

# Gemfile.lock and .bundle/config replaced over and over while processes
# boot (no plan cache yet): each of two valid lockfiles (foo 1.0; foo 2.0,
# which needs bar) and two configs (without :extra; nothing) gives a
# different, correct answer — Bundler's, checked first with the files at
# rest. While a flipper replaces both files as fast as it can, 24
# concurrent fastbundle boots must each get one of those four answers,
# never a mix (a gem list from one lockfile, the load path from another)
# and never a failure: the files are always complete. When the flipper
# writes in place, as `bundle install` does (truncate, then write), a boot
# may read a torn file: then a clear error naming Gemfile.lock is right too
# (Bundler reads the same torn file), a crash or another answer never is.
# Real Bundler boots in the same storm; its outcomes are tallied.
module FilesReplaced
  FLIPPER = File.join(ROOT_DIR, "spec/scripts/flip_files.rb")
  BOOTS = 24
  BUNDLER_BOOTS = 8
end

RSpec.describe "Gemfile.lock and .bundle/config replaced while processes boot" do
  before(:all) do
    @world, @lock_a, @lock_b = ProbeBoot.two_lockfile_world
    w = @world
    expect(File.read(@lock_a)).to include("foo (1.0.0)")
    expect(File.read(@lock_b)).to include("foo (2.0.0)", "bar (1.0.0)")
    w.config("without", "extra")
    @config_x = w.file("config-x", w.read(".bundle/config"))
    w.config("without", nil)
    w.config("jobs", "4")
    @config_y = w.file("config-y", w.read(".bundle/config"))

    # The four answers, with the files at rest: fastbundle's must be Bundler's.
    @answers = {}
    [[@lock_a, "A"], [@lock_b, "B"]].product([[@config_x, "without extra"], [@config_y, "all groups"]]) do |(lock, l), (config, c)|
      FileUtils.cp(lock, w.path("Gemfile.lock"))
      FileUtils.cp(config, w.path(".bundle/config"))
      ours = boot(:fastbundle)
      theirs = boot(:bundler)
      expect(ours).to eq(theirs), "lockfile #{l}, #{c}: fastbundle #{ours.inspect}, Bundler #{theirs.inspect}"
      @answers[ours] = "lockfile #{l}, #{c}"
    end
    expect(@answers.size).to eq(4)
  end

  def boot(tool)
    ProbeBoot.run(@world, tool).first
  end

  # Starts the flipper, runs the boots concurrently, stops it.
  def storm(mode)
    stop = @world.path("stop-#{mode}")
    r, wr = IO.pipe
    pid = Process.spawn(World::RUBY_BIN, FilesReplaced::FLIPPER, mode, stop,
                        @world.path("Gemfile.lock"), @lock_a, @lock_b,
                        @world.path(".bundle/config"), @config_x, @config_y, out: wr)
    wr.close
    expect(r.gets).to eq("flipping\n")
    tools = [:fastbundle] * FilesReplaced::BOOTS + [:bundler] * FilesReplaced::BUNDLER_BOOTS
    results = tools.map { |tool| Thread.new { [tool, boot(tool)] } }.map(&:value)
    File.write(stop, "")
    flips = r.read[/flips (\d+)/, 1].to_i
    Process.wait(pid)
    puts "\n#{mode}: #{flips} flips during #{tools.size} boots"
    results
  ensure
    r&.close
  end

  def tally(mode, results)
    ours = results.select { |t, _| t == :fastbundle }.map(&:last)
    theirs = results.select { |t, _| t == :bundler }.map(&:last)
    describe = ->(list) do
      list.group_by { |res| @answers[res] || (res[0] == :failed ? "exit #{res[1]}" : "another answer") }
          .map { |k, v| "#{v.size}x #{k}" }.join(", ")
    end
    puts "#{mode}: fastbundle #{describe.call(ours)}\n#{mode}: Bundler #{describe.call(theirs)}"
    [ours, theirs]
  end

  it "replaced by rename: every boot gets one of the four answers, never a mix, never a failure" do
    ours, = tally("rename", storm("rename"))
    ours.each { |res| expect(@answers).to include(res), "a boot got neither answer: #{res.inspect[0, 2000]}" }
    expect(ours.uniq.size).to be >= 2 # the storm did change what boots saw
  end

  it "rewritten in place (torn files): one of the four answers or a clear error naming Gemfile.lock" do
    ours, = tally("in-place", storm("in-place"))
    ours.each do |res|
      next if @answers.key?(res)

      expect(res[0]).to eq(:failed), "a boot got another answer: #{res.inspect[0, 2000]}"
      _, status, stderr = res
      expect([16, 20]).to include(status), stderr
      expect(stderr).to include("Gemfile.lock")
      expect(stderr).not_to match(/:\d+:in [`']/) # a message, not a backtrace
    end
  end
end
