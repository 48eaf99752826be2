# frozen_string_literal: true

# The README's first command: show what fastbundle reads from the example
# app's Gemfile.lock. (Later: boot the app through fastbundle/setup.)
require "fastbundle"

path = File.expand_path("app/Gemfile.lock", __dir__)
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
lock = FastBundle::Lockfile.read(path)
elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0

puts "#{path} (parsed in #{(elapsed * 1_000_000).round} µs)"
lock.sources.each do |source|
  puts "\n#{source.type.upcase} #{source}"
  lock.specs.select { |s| s.source == source }.each do |spec|
    deps = spec.dependencies.map { |name, reqs| reqs.empty? ? name : "#{name} (#{reqs.join(", ")})" }
    puts "  #{spec.full_name.ljust(32)} #{deps.join("; ")}"
  end
end
puts "\nPLATFORMS     #{lock.platforms.join(", ")}"
puts "DEPENDENCIES  #{lock.dependencies.values.map { |d| d.name + (d.pinned? ? "!" : "") }.join(", ")}"
puts "BUNDLED WITH  #{lock.bundled_with}"
