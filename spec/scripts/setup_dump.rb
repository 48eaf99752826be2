# frozen_string_literal: true

# Run after `-rbundler/setup` or `-rfastbundle/setup` (or with SETUP_GROUPS
# set, after calling the runtime's setup itself): prints JSON describing what
# the process sees, for the setup parity specs to compare.
#
# SETUP_WITH        bundler | fastbundle: whose runtime this process uses
# SETUP_GROUPS      a,b: call setup(:a, :b) here
# SETUP_PATHS_ONLY  1: no setup at all; load the library, report root /
#                   default_gemfile / default_lockfile / bundle_path and that
#                   asking for them changed nothing, then exit
# SETUP_PATHS       1: also report those paths after setup
# SETUP_TWICE       1: call setup() again and report whether it returned the
#                   same runtime and left $LOAD_PATH alone
# OUTSIDE_GEMS      names to `require` and `gem` (expected to fail)
# PROBE_GEMS        name[:requirement] to activate with Kernel#gem
# REQUIRE_GEMS      features to require (expected to load), after the above
# BIN_PROBES        gem:executable pairs to look up with Gem.bin_path
require "json"

bundler = ENV["SETUP_WITH"] == "bundler"

def attempt
  yield
  "ok"
rescue LoadError, StandardError => e
  "#{e.class}: #{e.message}"
end

# Bundler.root and friends, or FastBundle's, as strings (with their class).
def paths_of(mod)
  %i[root default_gemfile default_lockfile bundle_path].to_h do |m|
    value = begin
      v = mod.public_send(m)
      [v.class.name, v.to_s]
    rescue StandardError => e
      [e.class.name.split("::").last, e.message]
    end
    [m.to_s, value]
  end
end

if ENV["SETUP_PATHS_ONLY"]
  require bundler ? "bundler" : "fastbundle"
  # pathname's default gem is active under Bundler from `require "bundler"`
  # on; fastbundle activates it when it first needs Pathname (here, for the
  # answers) — loading a library, not setting anything up.
  specs = -> { Gem.loaded_specs.keys - ["pathname"] }
  before = [$LOAD_PATH.dup, specs.call, ENV.to_h]
  paths = paths_of(bundler ? Bundler : FastBundle)
  after = [$LOAD_PATH.dup, specs.call, ENV.to_h]
  puts JSON.generate("paths" => paths, "unchanged" => before == after)
  exit
end

if (groups = ENV["SETUP_GROUPS"])
  groups = groups.split(",").map(&:to_sym)
  if bundler
    require "bundler"
    Bundler.setup(*groups)
  else
    require "fastbundle"
    FastBundle.setup(*groups)
  end
end

runtime_module = bundler ? Bundler : FastBundle
extra = {}
extra["paths"] = paths_of(runtime_module) if ENV["SETUP_PATHS"]
if ENV["SETUP_TWICE"]
  load_path = $LOAD_PATH.dup
  first = runtime_module.setup
  second = runtime_module.setup
  extra["setup_twice"] = { "same_runtime" => first.equal?(second), "load_path_unchanged" => $LOAD_PATH == load_path }
end

outside = ENV.fetch("OUTSIDE_GEMS", "").split(",")
probe = ENV.fetch("PROBE_GEMS", "").split(",")
inside = ENV.fetch("REQUIRE_GEMS", "").split(",")
bins = ENV.fetch("BIN_PROBES", "").split(",")
out = {
  "load_path" => $LOAD_PATH,
  "loaded_specs" => Gem.loaded_specs.values.map { |s| [s.name, s.version.to_s] }.sort,
  "loaded_full_names" => Gem.loaded_specs.values.map(&:full_name).sort,
  # Where each gem lives, as Rails and others ask (full_gem_path, gem_dir).
  "loaded_spec_dirs" => Gem.loaded_specs.values.map { |s| [s.name, s.full_gem_path, s.gem_dir] }.sort,
  "require_outside" => outside.to_h { |g| [g, attempt { require g }] },
  "gem_outside" => outside.to_h { |g| [g, attempt { gem g }] },
  "gem_probe" => probe.to_h { |g| name, req = g.split(":"); [g, attempt { req ? gem(name, req) : gem(name) }] },
  "require_inside" => inside.to_h { |g| [g, attempt { require g }] },
  # The count in "among N total gem(s)" is masked: Bundler appends the
  # default gems to its SpecSet after the set memoised its sorted list, so
  # its Gem::Specification.all counts them (size) but never yields them.
  "find_by_name" => (outside + probe.map { |g| g.split(":").first }).uniq.to_h do |g|
    [g, begin
      Gem::Specification.find_by_name(g).full_name
    rescue StandardError, LoadError => e
      "#{e.class}: #{e.message.sub(/among \d+ total gem/, "among N total gem")}"
    end]
  end,
  "bin_probe" => bins.to_h do |b|
    gem_name, exe = b.split(":")
    [b, begin
      Gem.bin_path(gem_name, exe)
    rescue StandardError => e
      "#{e.class}: #{e.message}"
    end]
  end,
  "env" => ENV.to_h.select { |k, _| k =~ /\A(BUNDLE|BUNDLER|GEM_|RUBYOPT|RUBYLIB|PATH|MANPATH)/ },
  "specification_all" => Gem::Specification.all.map(&:name).uniq.sort,
  "marks" => $LOADED_GEMS_MARK || [],
  "bundler_files_loaded" => $LOADED_FEATURES.grep(%r{/bundler(?:-[^/]+)?/lib/bundler[/.]}).size
}.merge(extra)
puts JSON.generate(out)
