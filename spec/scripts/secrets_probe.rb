# frozen_string_literal: true

# Run after `-rbundler/setup` or `-rfastbundle/setup` (SETUP_WITH says
# which): prints everything a curious app or a debugging developer would
# print about the bundle, for spec/secrets_spec.rb to search for planted
# credentials. Never prints what the app asked for verbatim by name
# (Bundler.settings[key], FastBundle::Lockfile#sources[i].remotes).
fast = ENV["SETUP_WITH"] == "fastbundle"
lockfile = "#{ENV.fetch("BUNDLE_GEMFILE", File.expand_path("Gemfile"))}.lock"
out = []
show = ->(label, value) { out << "#{label}: #{value}" }

definition = fast ? FastBundle.definition : Bundler.definition
show.call("definition.inspect", definition.inspect)
show.call("definition.to_s", definition.to_s)
sources = fast ? definition.sources : definition.send(:sources).all_sources
sources.each { |s| show.call("source", "#{s} #{s.inspect}") }
definition.dependencies.each { |d| show.call("dependency", "#{d} #{d.inspect} #{d.source.inspect}") }
show.call("settings.inspect", Bundler.settings.inspect)
show.call("settings.all", Bundler.settings.all.inspect)
show.call("loaded_specs", Gem.loaded_specs.values.map { |s| "#{s.inspect} #{s.full_gem_path}" }.join(" "))
show.call("load_path", $LOAD_PATH.inspect)
# What setup writes into ENV for child processes.
written = ENV.select { |k, _| k.start_with?("BUNDLER_ORIG_", "BUNDLE_GEMFILE", "BUNDLE_BIN_PATH") ||
                                  %w[RUBYOPT RUBYLIB PATH MANPATH GEM_HOME GEM_PATH BUNDLER_VERSION].include?(k) }
show.call("env", written.inspect)
if fast
  lock = FastBundle::Lockfile.read(lockfile)
  show.call("lockfile.inspect", lock.inspect)
  lock.sources.each { |s| show.call("lockfile.source", "#{s} #{s.inspect}") }
  lock.specs.each { |s| show.call("lockfile.spec", "#{s} #{s.inspect} #{s.source.inspect}") }
  show.call("runtime.inspect", FastBundle.runtime.inspect)
else
  lock = Bundler::LockfileParser.new(File.read(lockfile))
  lock.sources.each { |s| show.call("lockfile.source", "#{s} #{s.inspect}") }
  lock.specs.each { |s| show.call("lockfile.spec", "#{s} #{s.inspect} #{s.source.inspect}") }
  show.call("runtime.inspect", Bundler.load.inspect)
end
puts out
