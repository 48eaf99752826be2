# frozen_string_literal: true

# Helpers shared by the benchmarks (extended into SetupBench and RailsBench).
module BenchStats
  REPO = File.expand_path("..", __dir__)

  # The p-th percentile of sorted values, interpolated; nil if there are none.
  def pct(sorted, p)
    return nil if sorted.empty?

    pos = (sorted.size - 1) * p / 100.0
    lo = sorted[pos.floor]
    hi = sorted[pos.ceil]
    lo + (hi - lo) * (pos - pos.floor)
  end

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # Runs `cmd` once in a fresh process with exactly `env` (no stdio);
  # [seconds, Process::Status].
  def time_once(env, cmd, chdir)
    t = now
    pid = Process.spawn(env, [cmd.first, cmd.first], *cmd.drop(1), chdir: chdir, unsetenv_others: true,
                        in: File::NULL, out: File::NULL, err: File::NULL)
    _, status = Process.wait2(pid)
    [now - t, status]
  end

  def git_rev
    rev = `git -C #{REPO.shellescape} rev-parse --short HEAD 2>/dev/null`.strip
    rev.empty? ? nil : rev
  end
end
