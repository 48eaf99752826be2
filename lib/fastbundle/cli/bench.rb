# frozen_string_literal: true

module FastBundle
  module CLI
    # `fastbundle bench`: this app's boot cost under Bundler and under
    # fastbundle, measured the way bench/ does (fresh processes, interleaved
    # in a shuffled order each round, medians, the setup's cost as the
    # median minus `ruby -e1`'s), so a user can decide from their own app.
    #
    # fastbundle is timed twice: cold, with FASTBUNDLE_CACHE=0 (no cache of
    # any kind read or written: what the first boot after a change pays at
    # most), and warm, with its caches as every later boot finds them.
    # It measures the fastbundle running this command, whether or not the
    # app bundles it. Sets nothing up in this process.
    class Bench < Command
      BANNER = <<~TEXT
        Usage: fastbundle bench [options]

        Times `ruby -e1`, `ruby -rbundler/setup -e1` and `ruby -rfastbundle/setup -e1`
        (cold: every cache off; warm: caches in use) in this app, in fresh processes
        interleaved in a shuffled order, and prints the medians and the setups' cost
        over `ruby -e1`. Exits 1 if either setup cannot boot the app.
      TEXT
      # The variants and the environment each adds.
      COLD = { "FASTBUNDLE_CACHE" => "0" }.freeze
      INTENTIONALLY_NIL = "BUNDLER_ENVIRONMENT_PRESERVER_INTENTIONALLY_NIL"

      def run
        @runs = 10
        @warmup = 1
        json = false
        parse(option_parser(BANNER) do |o|
          o.on("--runs N", Integer, "Timed runs of each (default 10)") { |n| @runs = n }
          o.on("--warmup N", Integer, "Untimed rounds first (default 1)") { |n| @warmup = n }
          o.on("--json", "Print the results as JSON") { json = true }
        end)
        raise UsageError, "--runs must be at least 1" if @runs < 1
        raise UsageError, "bench takes no arguments, got #{@argv.join(" ")}" unless @argv.empty?

        load_fastbundle
        FastBundle.root
        @gemfile = FastBundle.default_gemfile.to_s
        @dir = File.dirname(@gemfile)
        @env = child_env
        gems = sanity_check or return 1
        results = measure
        json ? print_json(results, gems) : print_table(results, gems)
        0
      end

      private

      def variants
        ruby = RbConfig.ruby
        setup = File.expand_path("../setup", __dir__)
        {
          baseline: ["ruby -e1", {}, [ruby, "-e1"]],
          bundler: ["ruby -rbundler/setup -e1", {}, [ruby, "-rbundler/setup", "-e1"]],
          cold: ["ruby -rfastbundle/setup -e1 (cold)", COLD, [ruby, "-r#{setup}", "-e1"]],
          warm: ["ruby -rfastbundle/setup -e1 (warm)", {}, [ruby, "-r#{setup}", "-e1"]]
        }
      end

      # This environment as it was before any `bundle exec` or setup (as
      # Bundler.original_env restores it), pointed at this app's Gemfile.
      def child_env
        env = ENV.to_h
        env.keys.grep(/\ABUNDLER_ORIG_/).each do |key|
          original = env.delete(key)
          name = key.delete_prefix("BUNDLER_ORIG_")
          original == INTENTIONALLY_NIL ? env.delete(name) : env[name] = original
        end
        env.delete_if { |k, _| k.start_with?("FASTBUNDLE_CACHE") && k != "FASTBUNDLE_CACHE_DIR" }
        env.merge("BUNDLE_GEMFILE" => @gemfile)
      end

      # Each setup must boot the app, else its own message is shown.
      # Returns the number of gems in the bundle.
      def sanity_check
        counts = variants.slice(:bundler, :cold).to_h do |key, (label, extra, cmd)|
          cmd = cmd[0..-2] + ["-e", key == :cold ? "print FastBundle.runtime.specs.size" : "print 0"]
          out, err, status = capture(extra, cmd)
          unless status.success?
            $stderr.puts "fastbundle bench: `#{label}` does not boot this app (exit #{status.exitstatus}):"
            err.each_line.first(12).each { |l| $stderr.puts "  #{l}" }
            return nil
          end
          [key, out.to_i]
        end
        counts[:cold]
      end

      def capture(extra, cmd)
        Kernel.require "open3"
        Open3.capture3(@env.merge(extra), *cmd, chdir: @dir, unsetenv_others: true, stdin_data: "")
      end

      # key => sorted samples (ms).
      def measure
        samples = Hash.new { |h, k| h[k] = [] }
        rng = Random.new
        (@warmup + @runs).times do |round|
          variants.to_a.shuffle(random: rng).each do |key, (_, extra, cmd)|
            t = Process.clock_gettime(Process::CLOCK_MONOTONIC)
            pid = Process.spawn(@env.merge(extra), *cmd, chdir: @dir, unsetenv_others: true,
                                                         in: File::NULL, out: File::NULL, err: File::NULL)
            Process.wait(pid)
            elapsed = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t) * 1000
            samples[key] << elapsed if round >= @warmup
          end
        end
        samples.transform_values(&:sort)
      end

      def median(sorted)
        n = sorted.size
        n.odd? ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
      end

      def summary(results)
        base = median(results[:baseline])
        spread = results[:baseline].then { |s| s[(s.size * 3) / 4] - s[s.size / 4] }
        bundler = median(results[:bundler]) - base
        variants.to_h do |key, (label, _, _)|
          med = median(results[key])
          over = med - base
          ratio = key.to_s.start_with?("cold", "warm") && over.positive? ? bundler / over : nil
          [key, { "label" => label, "median_ms" => med.round(2), "over_baseline_ms" => over.round(2),
                  "bundler_over_this" => ratio&.round(1), "within_noise" => key != :baseline && over.abs <= spread,
                  "samples_ms" => results[key].map { |x| x.round(2) } }]
        end
      end

      def print_table(results, gems)
        rows = summary(results)
        $stdout.puts "fastbundle bench: #{@gemfile} (#{gems} gems), #{RUBY_DESCRIPTION.split(" (").first}, " \
                     "fastbundle #{VERSION}"
        $stdout.puts "#{@runs} timed runs of each in fresh processes, interleaved; median wall time:"
        $stdout.puts ""
        rows.each do |key, r|
          line = format("  %-38s %8.1f ms", r["label"], r["median_ms"])
          line += format("   %+8.1f ms", r["over_baseline_ms"]) unless key == :baseline
          line += format("   %5.1fx less than Bundler", r["bundler_over_this"]) if r["bundler_over_this"]
          line += "   (within noise)" if r["within_noise"]
          $stdout.puts line
        end
        $stdout.puts ""
        $stdout.puts "The setup's cost is the median minus ruby -e1's. cold: FASTBUNDLE_CACHE=0, no cache read or " \
                     "written; warm: fastbundle's caches as later boots find them."
      end

      def print_json(results, gems)
        Kernel.require "json"
        $stdout.puts JSON.pretty_generate(
          "gemfile" => @gemfile, "gems" => gems, "ruby" => RUBY_DESCRIPTION, "fastbundle" => VERSION,
          "runs" => @runs, "warmup" => @warmup, "statistic" => "median wall ms of a fresh process",
          "results" => summary(results).transform_keys(&:to_s)
        )
      end
    end
  end
end
