# frozen_string_literal: true

require "json"
require "spec_helper"
require "fastbundle/native"

# Issue 12, load: 64 boots of one app sharing one cache dir while another
# process (spec/scripts/bundle_writer.rb) changes the answer with real
# `bundle` commands (lock --update, config set/unset --local without) and
# a lockfile put back by rename. Half the boots also have
# BUNDLE_WITHOUT=extra in their ENV. Every answer each boot could rightly
# get was computed first with the files at rest, by real Bundler (and
# fastbundle with its caches off gave the same). Each boot must get one of
# the answers for its ENV, or — when it read Gemfile.lock while `bundle`
# rewrote it in place (truncate, then write: Bundler's way) — a clear 16/20
# naming Gemfile.lock; never a mix, a crash or a stale answer: the answer
# must be that of a state the files were in while the boot ran (the writer
# reports each change, so the spec knows the states each boot overlapped). Afterwards
# every cache file decodes and its checksum holds, and with the files at
# rest again each state's cached answer is right. The boots run in 8 waves
# of 8 (2 cores), wave k launched when the writer reports its k-th change:
# no sleeps.
module CacheUnderLoad
  WRITER = File.join(ROOT_DIR, "spec/scripts/bundle_writer.rb")
  WAVES = 8
  WAVE = 8
  ENVS = { "no BUNDLE_WITHOUT" => {}, "BUNDLE_WITHOUT=extra" => { "BUNDLE_WITHOUT" => "extra" } }.freeze
end

RSpec.describe "64 boots sharing one cache while bundle commands change the answer" do
  before(:all) do
    @world, @lock_a, @lock_b = ProbeBoot.two_lockfile_world
    w = @world
    expect(File.read(@lock_b)).to include("foo (2.0.0)", "bar (1.0.0)")
    @cache = World.tmpdir("shared-cache")

    # Every answer, at rest: Bundler's, and fastbundle's without its caches.
    @answers = Hash.new { |h, k| h[k] = {} }
    [[@lock_a, "A"], [@lock_b, "B"]].product([["extra", "without extra"], [nil, "all groups"]]) do |(lock, l), (without, c)|
      FileUtils.cp(lock, w.path("Gemfile.lock"))
      w.config("without", without)
      CacheUnderLoad::ENVS.each do |env_name, env|
        ours = boot(:fastbundle, env.merge("FASTBUNDLE_CACHE" => "0"))
        theirs = boot(:bundler, env)
        expect(ours).to eq(theirs), "lockfile #{l}, #{c}, #{env_name}: fastbundle #{ours.inspect}, Bundler #{theirs.inspect}"
        (@answers[env_name][ours] ||= []) << "lockfile #{l}, #{c}"
      end
    end
    expect(@answers["no BUNDLE_WITHOUT"].size).to eq(4)
    expect(@answers["BUNDLE_WITHOUT=extra"].size).to eq(2)
    FileUtils.cp(@lock_a, w.path("Gemfile.lock"))
    w.config("without", nil)
  end

  # ProbeBoot's answer, noting whether it was a plan cache hit.
  def boot(tool, env = {})
    answer, err = ProbeBoot.run(@world, tool, env.merge("FASTBUNDLE_CACHE_DIR" => @cache, "FASTBUNDLE_DEBUG" => "1"))
    @hits << true if err.include?("plan cache hit")
    answer
  end

  # The state after writer step n (bundle_writer.rb's cycle, from lockfile A
  # and no `without`), as the at-rest answers name it.
  def state_after(n)
    ["lockfile A, all groups", "lockfile B, all groups", "lockfile B, without extra",
     "lockfile A, without extra"][n % 4]
  end

  # Runs the waves against the writer. Each result: [env name, answer,
  # the writer steps done when the boot began and when it ended].
  def storm
    stop = @world.path("stop-writer")
    r, wr = IO.pipe
    pid = Process.spawn(@world.env, World::RUBY_BIN, CacheUnderLoad::WRITER, @lock_a, stop,
                        chdir: @world.dir, out: wr, in: File::NULL, unsetenv_others: true)
    wr.close
    @step = 0
    steps = Queue.new
    reader = Thread.new do
      while (line = r.gets)
        @step = line[/\Astep (\d+) /, 1].to_i if line.start_with?("step ")
        steps << @step
        break if line.start_with?("steps ")
      end
      steps << nil
    end
    results = []
    @hits = Queue.new
    CacheUnderLoad::WAVES.times do |k|
      loop { (n = steps.pop) or raise("the writer stopped before step #{k + 1}"); break if n >= k + 1 }
      envs = CacheUnderLoad::ENVS.to_a
      results += Array.new(CacheUnderLoad::WAVE) do |i|
        env_name, env = envs[i % envs.size]
        Thread.new do
          began = @step
          res = boot(:fastbundle, env)
          [env_name, res, began, @step]
        end
      end.map(&:value)
    end
    File.write(stop, "")
    expect(Process.wait2(pid)[1]).to be_success
    reader.join
    [results, @step]
  ensure
    r&.close
  end

  it "gives every boot one of the answers for its ENV (or a clear error on a torn lockfile), and leaves every cache file sound" do
    results, steps = storm
    tally = Hash.new(0)
    results.each do |env_name, res, began, ended|
      # What the files held at some moment of the boot: the state when it
      # began, each one the writer made while it ran, and the one the
      # writer was making when it ended (a file rewritten in place).
      current = (began..ended + 1).map { |n| state_after(n) }
      if (states = @answers[env_name][res])
        expect(states & current).not_to be_empty,
                                        "#{env_name}: the answer of #{states.join(" or ")} while the files held " \
                                        "#{current.uniq.join(", ")} (steps #{began}..#{ended})"
        tally["#{env_name}: #{states.uniq.join(" or ")}"] += 1
        next
      end
      expect(res[0]).to eq(:failed), "#{env_name}: another answer: #{res.inspect[0, 2000]}"
      _, status, stderr = res
      expect([16, 20]).to include(status), stderr
      expect(stderr).to include("Gemfile.lock")
      # The message first; the backtrace after it is FASTBUNDLE_DEBUG=1's
      # (set here to count hits); a crash would have exited 1.
      first = stderr.lines.grep_v(/\Afastbundle: /).first
      expect(first).not_to match(/:\d+:in [`']/)
      tally["#{env_name}: exit #{status} (torn Gemfile.lock)"] += 1
    end
    hits = @hits.size
    puts "\n#{results.size} boots (#{hits} plan cache hits) during #{steps} bundle writer steps: " \
         "#{tally.sort.map { |k, v| "#{v}x #{k}" }.join("; ")}"
    expect(results.size).to eq(64)
    expect(results.map { |r| r[1] }.uniq.size).to be >= 3 # the writer did change the answers boots saw
    expect(hits).to be > 0 # the cache was used under load, not only written

    plan = Dir[File.join(@cache, "plan", "*")]
    problems = plan.map { |f| [File.basename(f), FastBundle::Native.plan_entry_problem(f)] }.select(&:last)
    expect(problems).to be_empty
    sealed = Dir[File.join(@cache, "iseq", "*", "*")]
    expect(sealed.reject { |f| FastBundle::Native.read_cache_file(f) }).to be_empty
    expect(Dir.glob(File.join(@cache, "**", "*.tmp"), File::FNM_DOTMATCH)).to be_empty
    puts "#{plan.size} plan entries and #{sealed.size} sealed files left, all sound"

    # At rest again, each state's warm answer is right.
    [[@lock_a, "A"], [@lock_b, "B"]].product([["extra", "without extra"], [nil, "all groups"]]) do |(lock, l), (without, c)|
      FileUtils.cp(lock, @world.path("Gemfile.lock"))
      @world.config("without", without)
      CacheUnderLoad::ENVS.each do |env_name, env|
        2.times do
          res = boot(:fastbundle, env)
          expect(@answers[env_name][res]).to include("lockfile #{l}, #{c}"), "at rest, #{l}, #{c}, #{env_name}: #{res.inspect[0, 500]}"
        end
      end
    end
  end
end
