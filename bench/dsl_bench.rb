# frozen_string_literal: true

# Gemfile evaluation: fastbundle's recorder against Bundler's DSL.
#
#   ruby bench/dsl_bench.rb [RUNS] [DEPS] [--instructions]
#                                   (defaults: 20 runs, 300 dependencies)
#
# Generates a Gemfile with DEPS dependencies (versions, require:, groups,
# platforms, a source block, a few git/github/path gems, a `ruby` line), then,
# in fresh subprocesses, interleaved in a shuffled order each round:
#   (a) ruby -e1                                          (process baseline)
#   (b) ruby -Ilib -e 'require "fastbundle/dsl"; FastBundle::Dsl.evaluate(...)'
#   (c) ruby -e 'require "bundler"; Bundler::Dsl.evaluate(...)'
#   (d) for scale: a "recorder" whose every DSL call is a no-op, i.e. the
#       cost of merely compiling and running this Gemfile's calls in a fresh
#       Ruby (no library to load, nothing kept, so no GC either)
#   (e) (b) on the first boot after the Gemfile changed: its compiled copy
#       and recorded Definition (FastBundle::GemfileCache) removed before
#       each run
#   (f) (b) for the same Gemfile plus one line that tests for a file
#       (`eval_gemfile "Gemfile.local" if File.exist?("Gemfile.local")`), so
#       that its result is never recorded: every boot runs the compiled
#       Gemfile
# and reports medians and (c-a)/(b-a). (b) is every other boot: fastbundle's
# compiled files come from the cache (in the benchmark's temporary
# directory), and this Gemfile, a recording (only DSL calls on literals),
# is answered from the Definition recorded by an earlier evaluation,
# without running it. Then, in this process, each
# evaluator 200 times in a loop (Bundler already loaded), and the ratio of
# medians. With --instructions, also (a), (b), (c) and (f) once each under
# `valgrind --tool=callgrind`: instruction counts, immune to a noisy machine
# (but blind to I/O and memory stalls, which are a large part of Bundler's
# time).

require "rbconfig"
require "tmpdir"
require "fileutils"

INSTRUCTIONS = ARGV.delete("--instructions")
RUNS = Integer(ARGV[0] || 20)
DEPS = Integer(ARGV[1] || 300)
IN_PROCESS = 200
ROOT = File.expand_path("..", __dir__)
RUBY = RbConfig.ruby

def generate_gemfile(dir, count)
  FileUtils.mkdir_p(File.join(dir, "vendor", "local_gem"))
  lines = []
  lines << "# frozen_string_literal: true"
  lines << ""
  lines << 'source "https://rubygems.org"'
  lines << 'git_source(:github) { |repo| "https://github.com/#{repo}.git" }'
  lines << ""
  lines << 'ruby ">= 2.7.0"'
  lines << ""
  i = 0
  emit = lambda do |indent, extra = nil|
    n = i
    i += 1
    name = "gem-#{n}"
    args = []
    case n % 7
    when 0 then args << %("~> #{n % 9}.#{n % 13}")
    when 1 then args << %(">= #{n % 5}.#{n % 3}") << %("< #{n % 5 + 2}")
    when 2 then args << %("#{n % 4}.#{n % 10}.#{n % 6}")
    end
    opts = []
    if n % 5 == 0 then opts << "require: false"
    elsif n % 11 == 3 then opts << %(require: "#{name.tr("-", "/")}")
    end
    if n % 13 == 4 then opts << "platforms: %i[mri mingw x64_mingw]"
    elsif n % 17 == 5 then opts << "platforms: :jruby"
    end
    opts << "group: :test" if n % 19 == 6
    opts << extra if extra
    lines << "#{indent}gem #{[%("#{name}"), *args, *opts].join(", ")}"
  end
  (count * 0.55).to_i.times { emit.call("") }
  lines << "" << "group :development, :test do"
  (count * 0.15).to_i.times { emit.call("  ") }
  lines << "end" << "" << "group :development do"
  (count * 0.1).to_i.times { emit.call("  ") }
  lines << "end" << "" << "group :test do"
  (count * 0.1).to_i.times { emit.call("  ") }
  lines << "end" << "" << "platforms :mri, :mingw do"
  (count * 0.04).to_i.times { emit.call("  ") }
  lines << "end" << "" << 'source "https://gems.example.com" do'
  (count * 0.02).to_i.times { emit.call("  ") }
  lines << "end" << ""
  emit.call("", %(github: "example/repo-#{i}", branch: "main"))
  emit.call("", %(git: "https://example.com/gem-#{i}.git", tag: "v1.0"))
  emit.call("", %(path: "vendor/local_gem"))
  emit.call("") while i < count
  File.write(File.join(dir, "Gemfile"), lines.join("\n") << "\n")
  lines << 'eval_gemfile "Gemfile.local" if File.exist?("Gemfile.local")'
  File.write(File.join(dir, "Gemfile.file"), lines.join("\n") << "\n")
end

def now
  Process.clock_gettime(Process::CLOCK_MONOTONIC)
end

def median(values)
  s = values.sort
  n = s.size
  n.odd? ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0
end

def ms(seconds)
  format("%.2f ms", seconds * 1000)
end

Dir.mktmpdir("fastbundle-dsl-bench") do |dir|
  generate_gemfile(dir, DEPS)
  gemfile = File.join(dir, "Gemfile")
  file_gemfile = File.join(dir, "Gemfile.file")
  # Hermetic: no BUNDLE_*/GEM_*/RUBYOPT from the caller, HOME in the tmpdir.
  env = ENV.keys.select { |k| k.start_with?("BUNDLE_", "GEM_") || k == "RUBYOPT" }.to_h { |k| [k, nil] }
  env["BUNDLE_GEMFILE"] = gemfile
  env["HOME"] = dir
  cache_dir = File.join(dir, "iseq-cache")
  env["FASTBUNDLE_CACHE_DIR"] = cache_dir
  forget_gemfile = -> { Dir.glob(File.join(cache_dir, "*", "gemfile*%Gemfile{,.definition}")).each { |f| File.unlink(f) } }

  commands = {
    "a" => [RUBY, "-e1"],
    "b" => [RUBY, "-I#{File.join(ROOT, "lib")}", "-e",
            %(require "fastbundle/dsl"; FastBundle::Dsl.evaluate(#{gemfile.dump}, warn: false))],
    "c" => [RUBY, "-e",
            %(require "bundler"; Bundler::Dsl.evaluate(#{gemfile.dump}, nil, {}))],
    "d" => [RUBY, "-e",
            "o = Object.new; def o.method_missing(*, **); yield if block_given?; end; def o.gem(*, **); end; " \
            "o.instance_eval(File.read(#{gemfile.dump}), #{gemfile.dump}, 1)"],
  }
  commands["e"] = commands["b"]
  commands["f"] = [RUBY, "-I#{File.join(ROOT, "lib")}", "-e",
                   %(require "fastbundle/dsl"; FastBundle::Dsl.evaluate(#{file_gemfile.dump}, warn: false))]
  before = { "e" => forget_gemfile }

  puts "command: #{RUBY} #{$PROGRAM_NAME} #{ARGV.join(" ")}".rstrip
  puts "ruby #{RUBY_VERSION}, #{DEPS} dependencies, #{RUNS} runs each (interleaved), Gemfile: #{File.size(gemfile)} bytes"
  commands.each { |k, cmd| puts "  (#{k}) #{cmd.map { |c| c.include?(" ") ? c.inspect : c }.join(" ")}" }

  # Sanity: both evaluate the Gemfile without error.
  commands.each do |k, cmd|
    ok = system(env, *cmd, chdir: dir, unsetenv_others: false, out: File::NULL, err: File::NULL)
    abort "(#{k}) failed: #{cmd.inspect}" unless ok
  end

  times = Hash.new { |h, k| h[k] = [] }
  rng = Random.new(42)
  2.times { commands.each_value { |cmd| system(env, *cmd, chdir: dir) } } # warm the page cache
  RUNS.times do
    commands.to_a.shuffle(random: rng).each do |k, cmd| # a fresh order each round: no command always follows Bundler
      before[k]&.call
      t = now
      system(env, *cmd, chdir: dir)
      times[k] << now - t
    end
  end

  a, b, c, d, e, f = %w[a b c d e f].map { |k| median(times[k]) }
  puts
  puts "subprocess medians:"
  puts "  (a) ruby -e1            #{ms(a)}"
  puts "  (b) fastbundle          #{ms(b)}   (b-a = #{ms(b - a)})"
  puts "  (c) bundler             #{ms(c)}   (c-a = #{ms(c - a)})"
  puts "  (d) no-op calls        #{ms(d)}   (d-a = #{ms(d - a)})"
  puts "  (e) Gemfile changed     #{ms(e)}   (e-a = #{ms(e - a)})"
  puts "  (f) not recordable      #{ms(f)}   (f-a = #{ms(f - a)})"
  puts format("  ratio (c-a)/(b-a) = %.1fx   (c-a)/(e-a) = %.1fx   (c-a)/(f-a) = %.1fx",
              (c - a) / (b - a), (c - a) / (e - a), (c - a) / (f - a))

  if INSTRUCTIONS
    counts = %w[a b c f].to_h do |k|
      out = IO.popen(env, ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *commands[k]],
                     err: %i[child out], chdir: dir, &:read)
      [k, Integer(out[/Collected : (\d+)/, 1] || abort("valgrind failed:\n#{out}"))]
    end
    puts
    puts "instructions (callgrind, one run each):"
    %w[a b c f].each { |k| puts format("  (%s) %15d", k, counts[k]) }
    puts format("  ratio (c-a)/(b-a) = %.1fx   (c-a)/(f-a) = %.1fx", (counts["c"] - counts["a"]).fdiv(counts["b"] - counts["a"]),
                (counts["c"] - counts["a"]).fdiv(counts["f"] - counts["a"]))
  end

  # In-process: evaluation only, both libraries already loaded.
  $LOAD_PATH.unshift(File.join(ROOT, "lib"))
  ENV["FASTBUNDLE_CACHE_DIR"] = cache_dir
  require "fastbundle/dsl"
  ENV["BUNDLE_GEMFILE"] = gemfile
  require "bundler"
  silence = Bundler::UI::Silent.new
  Bundler.ui = silence
  fb = []
  fb_file = []
  bu = []
  Dir.chdir(dir) do
    5.times do
      FastBundle::Dsl.evaluate(gemfile, warn: false)
      FastBundle::Dsl.evaluate(file_gemfile, warn: false)
      Bundler::Dsl.evaluate(gemfile, nil, {})
    end
    IN_PROCESS.times do
      t = now
      FastBundle::Dsl.evaluate(gemfile, warn: false)
      fb << now - t
      t = now
      FastBundle::Dsl.evaluate(file_gemfile, warn: false)
      fb_file << now - t
      t = now
      Bundler::Dsl.evaluate(gemfile, nil, {})
      bu << now - t
    end
  end
  puts
  puts "in-process (#{IN_PROCESS} evaluations each, libraries loaded):"
  puts "  fastbundle median #{ms(median(fb))}   (not recordable: #{ms(median(fb_file))})"
  puts "  bundler    median #{ms(median(bu))}"
  puts format("  ratio = %.1fx   (not recordable: %.1fx)", median(bu) / median(fb), median(bu) / median(fb_file))
end
