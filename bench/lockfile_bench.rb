# frozen_string_literal: true

# Lockfile parsing: FastBundle::Lockfile.parse vs Bundler::LockfileParser.new,
# in one process, interleaved, medians of many runs.
#
#   ruby -Ilib bench/lockfile_bench.rb [ROUNDS]
#
# Inputs: the largest real-world lockfile under spec/fixtures/lockfiles/real,
# and one 600+-spec lockfile merged from all of them (every distinct spec of
# every GEM section, with its dependency lines) so the size the issue asks
# for is real-world text. Run `rake compile` first.
require "fastbundle"
require "tmpdir"
# Bundler's sources resolve paths against Bundler.root: give it a Gemfile.
ENV["BUNDLE_GEMFILE"] = File.join(Dir.mktmpdir("lockfile-bench"), "Gemfile").tap { |g| File.write(g, "") }
require "bundler"

ROUNDS = Integer(ARGV[0] || 200)
FIXTURES = Dir[File.expand_path("../spec/fixtures/lockfiles/real/*.lock", __dir__)].sort

def merged_lockfile
  specs = {}
  FIXTURES.each do |file|
    text = File.read(file).gsub("\r\n", "\n")
    text.scan(/^GEM\n(?:  .*\n)*?  specs:\n((?:    .*\n)*)/).each do |(block)|
      block.scan(/^    \S.*\n(?:      .*\n)*/).each { |entry| specs[entry.lines.first] ||= entry }
    end
  end
  body = specs.keys.sort.map { |k| specs[k] }.join
  "GEM\n  remote: https://rubygems.org/\n  specs:\n#{body}\nPLATFORMS\n  ruby\n  x86_64-linux\n\n" \
    "DEPENDENCIES\n#{specs.keys.map { |k| "  #{k.strip[/\A\S+/]}\n" }.uniq.join}\nBUNDLED WITH\n   2.3.15\n"
end

def median(xs)
  s = xs.sort
  s.size.odd? ? s[s.size / 2] : (s[s.size / 2 - 1] + s[s.size / 2]) / 2.0
end

def time
  t = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  yield
  Process.clock_gettime(Process::CLOCK_MONOTONIC) - t
end

# Touch every field, as a consumer walking the whole lockfile would.
def materialize(lock)
  lock.specs.each do |s|
    s.name; s.version; s.platform; s.full_name; s.dependencies; s.source
  end
  lock.dependencies.each_value(&:requirements)
  lock.platforms
end

inputs = {}
largest = FIXTURES.max_by { |f| File.read(f).scan(/^    \S/).size }
inputs[File.basename(largest)] = File.read(largest)
inputs["merged real-world (all fixtures)"] = merged_lockfile

puts "command: ruby -Ilib bench/lockfile_bench.rb #{ROUNDS}"
puts "ruby #{RUBY_VERSION}, bundler #{Bundler::VERSION}, fastbundle #{FastBundle::VERSION}, #{ROUNDS} rounds, medians"
inputs.each do |label, text|
  specs = FastBundle::Lockfile.parse(text).specs.size
  raise "Bundler disagrees on #{label}" unless Bundler::LockfileParser.new(text).specs.size == specs

  bundler, parse, full = [], [], []
  5.times { Bundler::LockfileParser.new(text); materialize(FastBundle::Lockfile.parse(text)) } # warm up
  ROUNDS.times do
    bundler << time { Bundler::LockfileParser.new(text) }
    parse << time { FastBundle::Lockfile.parse(text) }
    full << time { materialize(FastBundle::Lockfile.parse(text)) }
  end
  b, p, f = median(bundler), median(parse), median(full)
  puts format("\n%s: %d specs, %d KiB", label, specs, text.bytesize / 1024)
  puts format("  Bundler::LockfileParser.new       %9.1f µs", b * 1e6)
  puts format("  FastBundle::Lockfile.parse        %9.1f µs   %6.1fx faster", p * 1e6, b / p)
  puts format("  parse + read every field in Ruby  %9.1f µs   %6.1fx faster", f * 1e6, b / f)
end
