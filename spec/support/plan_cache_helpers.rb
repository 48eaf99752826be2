# frozen_string_literal: true

require "json"

# Booting a world three ways — real Bundler, fastbundle with its caches off
# (FASTBUNDLE_CACHE=0) and fastbundle answered from its plan cache — and
# comparing what each process sees (spec/scripts/setup_dump.rb), for the
# plan cache's specs. Include after SetupParity.
module PlanCacheHelpers
  Boot = Struct.new(:status, :dump, :err, :hit, keyword_init: true) do
    def ok?
      status.success?
    end
  end

  # Bundler 2.3.15's plain bundler/setup raises (status 1) when stdout is not
  # a terminal; its friendly errors give the status a user sees.
  BUNDLER_SETUP = "require 'bundler'; require 'bundler/friendly_errors'; " \
                  "Bundler.with_friendly_errors { Bundler.setup }"

  # FASTBUNDLE_DEBUG is in every run's ENV (Bundler's too), so the dumped
  # ENV for child processes is the same.
  DEBUG = { "FASTBUNDLE_DEBUG" => "1" }.freeze

  def boot(world, tool, env: {}, cache: true, chdir: nil)
    tool_env = tool == :bundler ? {} : { "RUBYLIB" => LIB_DIR }
    tool_env["FASTBUNDLE_CACHE"] = "0" unless cache
    run_env = DEBUG.merge(env).merge(tool_env).merge("SETUP_WITH" => tool.to_s)
    args = run_env.key?("SETUP_GROUPS") ? [SetupParity::DUMP] : ["-r#{tool}/setup", SetupParity::DUMP]
    out, err, status = world.ruby(args, env: run_env, allow_failure: true, chdir: chdir)
    Boot.new(status: status, dump: status.success? ? JSON.parse(out) : nil, err: err,
             hit: err.include?("plan cache hit"))
  end

  # A boot answered from the plan cache: the first boot may store the entry
  # (or, when something it read changed within the file system's clock
  # granularity, leave that to the next), so up to three. A failing boot
  # never stores one: it is returned as it is.
  def warm_boot(world, env: {}, chdir: nil)
    boots = []
    3.times do
      b = boot(world, :fastbundle, env: env, chdir: chdir)
      return b if b.hit || !b.ok?

      boots << b
    end
    raise "three boots, no plan cache hit:\n#{boots.map(&:err).join("\n---\n")}"
  end

  # The warm answer equals the uncached one, which equals Bundler's (for a
  # failure: the same exit status, and the warm boot did not use a stale
  # entry). Returns the warm boot.
  def expect_three_agree(world, env: {}, bundler_env: {})
    theirs = boot(world, :bundler, env: env.merge(bundler_env))
    cold = boot(world, :fastbundle, env: env, cache: false)
    warm = warm_boot(world, env: env)
    expect(cold.hit).to be(false)
    if theirs.ok?
      expect(cold.status).to be_success, cold.err
      expect(warm.status).to be_success, warm.err
      expect(warm.dump).to eq(cold.dump)
      expect_same_state(theirs.dump, warm.dump)
    else
      _, err, status = world.ruby("-e", BUNDLER_SETUP, env: DEBUG.merge(env).merge(bundler_env), allow_failure: true)
      expect(cold.status.exitstatus).to eq(status.exitstatus), "Bundler: #{err}\nfastbundle: #{cold.err}"
      expect(warm.status.exitstatus).to eq(cold.status.exitstatus), warm.err
      expect(warm.hit).to be(false)
      expect(message(warm.err)).to eq(message(cold.err))
    end
    warm
  end

  # Stderr without FASTBUNDLE_DEBUG's own lines.
  def message(err)
    err.lines.reject { |l| l.start_with?("fastbundle: ") }.join
  end

  # The reason the last miss gave ("plan cache miss (…)").
  def miss_reason(boot)
    boot.err[/plan cache miss \((.*?)\) \d/, 1]
  end

  def plan_entries(world)
    Dir.glob(File.join(world.root, "home", ".cache", "fastbundle", "plan", "*"))
  end
end
