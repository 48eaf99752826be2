# frozen_string_literal: true

# Run after `-rbundler/setup` or `-rfastbundle/setup` (or with SETUP_GROUPS
# set, after calling the runtime's setup itself): prints JSON describing what
# the process sees, for the setup parity spec to compare.
require "json"

if (groups = ENV["SETUP_GROUPS"])
  groups = groups.split(",").map(&:to_sym)
  if ENV["SETUP_WITH"] == "bundler"
    require "bundler"
    Bundler.setup(*groups)
  else
    require "fastbundle"
    FastBundle.setup(*groups)
  end
end

def attempt
  yield
  "ok"
rescue LoadError, StandardError => e
  "#{e.class}: #{e.message}"
end

outside = ENV.fetch("OUTSIDE_GEMS", "").split(",")
probe = ENV.fetch("PROBE_GEMS", "").split(",")
out = {
  "load_path" => $LOAD_PATH,
  "loaded_specs" => Gem.loaded_specs.values.map { |s| [s.name, s.version.to_s] }.sort,
  "require_outside" => outside.to_h { |g| [g, attempt { require g }] },
  "gem_outside" => outside.to_h { |g| [g, attempt { gem g }] },
  "gem_probe" => probe.to_h { |g| name, req = g.split(":"); [g, attempt { req ? gem(name, req) : gem(name) }] },
  "env" => ENV.to_h.select { |k, _| k =~ /\A(BUNDLE|BUNDLER|GEM_|RUBYOPT|RUBYLIB|PATH|MANPATH)/ },
  "specification_all" => Gem::Specification.all.map(&:name).uniq.sort,
  "marks" => $LOADED_GEMS_MARK || []
}
puts JSON.generate(out)
