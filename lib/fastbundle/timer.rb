# frozen_string_literal: true

module FastBundle
  # FASTBUNDLE_DEBUG's account of where a setup's time went.
  class Timer
    def initialize
      @start = @last = now
      @laps = []
    end

    def lap(what)
      t = now
      @laps << format("%s %.2f ms", what, (t - @last) * 1000)
      @last = t
    end

    def to_s
      format("setup in %.2f ms: %s", (@last - @start) * 1000, @laps.join(", "))
    end

    private

    def now
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end
  end

end
