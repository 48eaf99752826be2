# frozen_string_literal: true

# ruby spec/scripts/platform_gem_check.rb GEM: installs the platform gem GEM
# into a fresh GEM_HOME with a PATH that holds neither cargo nor cc, then
# boots a two-gem app with `require "fastbundle/setup"` and with
# `require "bundler/setup"` under this Ruby. Prints the .so that was loaded;
# exits 1 unless the two boots add the same load path and loaded specs.
# bin/test-two-rubies runs it under both Rubies with one gem carrying both.
require "fileutils"
require_relative "../support/world"
require_relative "../support/gem_factory"

gem_file = File.expand_path(ARGV.fetch(0))
world = World.new
gems = world.path("../gems")
FileUtils.mkdir_p(gems)
alpha = GemFactory.build(gems, name: "alpha", version: "1.0.0")
beta = GemFactory.build(gems, name: "beta", version: "2.0.0", deps: { "alpha" => [">= 1"] })
bin = world.path("../bin")
FileUtils.mkdir_p(bin)
%w[ruby gem bundle env sh].each do |cmd|
  found = ENV.fetch("PATH").split(File::PATH_SEPARATOR).map { |d| File.join(d, cmd) }.find { |f| File.executable?(f) }
  FileUtils.ln_s(File.realpath(found), File.join(bin, cmd)) if found
end
no_toolchain = { "PATH" => bin }
world.gem("install", "--local", "--no-document", alpha, beta, gem_file, env: no_toolchain)
world.gemfile(%(source "https://rubygems.org"\ngem "beta"\n))
world.bundle("lock", "--local")

probe = lambda do |setup|
  out, = world.ruby("-e", <<~RUBY, env: no_toolchain)
    before = $LOAD_PATH.dup
    require #{setup.dump}
    puts $LOADED_FEATURES.grep(%r{/fastbundle\\.so\\z}).map { |f| f[%r{gems/fastbundle-[^/]+/lib/fastbundle/[^/]+/fastbundle\\.so}] }
    puts "load path: \#{($LOAD_PATH - before).grep(/alpha|beta/).map { |p| p[%r{gems/.*}] }.join(" ")}"
    puts "loaded specs: \#{Gem.loaded_specs.values.map(&:full_name).grep(/alpha|beta/).sort.join(" ")}"
  RUBY
  out.lines
end
fastbundle = probe.call("fastbundle/setup")
bundler = probe.call("bundler/setup")
puts "Ruby #{RUBY_VERSION}, Bundler #{World.bundler_version}: loaded #{fastbundle.first}"
puts fastbundle.drop(1)
if fastbundle.first.to_s.empty? || fastbundle.drop(1) != bundler
  warn "platform_gem_check: bundler/setup gave\n#{bundler.join}"
  exit 1
end
puts "the same load path and loaded specs as bundler/setup"
