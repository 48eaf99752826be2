# frozen_string_literal: true

# Run after -rbundler/setup or -rfastbundle/setup: asks the Bundler API what
# code written for Bundler asks, and prints the answers as JSON for
# spec/bundler_compat_spec.rb to compare. COMPAT_MODE picks the questions:
#   api        the facade's own methods (must not load Bundler under fastbundle)
#   lazy       methods the facade hands to real Bundler
#   interplay  real Bundler loaded on purpose after setup (COMPAT_LOAD says how)
require "json"
require "tmpdir"

def attempt
  value = yield
  value.is_a?(Pathname) ? "#{value.class}:#{value}" : value
rescue StandardError, ScriptError => e
  # first line only: error_highlight appends the caller's source line when
  # it finds the call site in the backtrace
  "#{e.class.name.sub(/\A(Bundler|FastBundle)::/, "")}: #{e.message.lines.first&.chomp}"
end

def child_env_via(tmp, name)
  file = File.join(tmp, name)
  yield ["ruby", "-e", "File.write(ARGV[0], ENV.to_h.to_a.inspect)", file]
  eval(File.read(file)).to_h # rubocop:disable Security/Eval
end

def bundler_files
  $LOADED_FEATURES.select { |f| f =~ %r{/bundler(\.rb\z|/)} || f.include?("/gems/bundler-") }
end

out = {}
case ENV.fetch("COMPAT_MODE")
when "api"
  env_before = ENV.to_h
  out["defined"] = defined?(Bundler)
  out["root"] = attempt { Bundler.root }
  out["bundle_path"] = attempt { Bundler.bundle_path }
  out["default_gemfile"] = attempt { Bundler.default_gemfile }
  out["default_lockfile"] = attempt { Bundler.default_lockfile }
  keys = [:path, "path", :without, "without", :with, :frozen, "frozen", :deployment, :jobs, :timeout, :retry,
          :redirect, :silence_deprecations, :disable_version_check, :prefer_patch, :gemfile, :bin, "path.system",
          :cache_path, :force_ruby_platform, :bogus, "mirror.https://rubygems.org", "mirror.https://rubygems.org/",
          "https://gems.example.com", "gems.example.com", "local.mygem", :auto_install, :clean, :ssl_verify_mode,
          :"gem.test", "gem.mit", :no_prune, "BUNDLE_PATH"]
  out["settings"] = keys.map { |k| [k.inspect, attempt { Bundler.settings[k] }] }
  out["settings_all"] = attempt { Bundler.settings.all }
  out["settings_app_cache_path"] = attempt { Bundler.settings.app_cache_path }
  out["settings_local_overrides"] = attempt { Bundler.settings.local_overrides }
  out["original_env"] = Bundler.original_env
  out["unbundled_env"] = Bundler.unbundled_env
  out["with_original_env"] = Bundler.with_original_env { ENV.to_h }
  out["with_unbundled_env"] = Bundler.with_unbundled_env { ENV.to_h }
  out["env_restored"] = ENV.to_h == env_before
  out["block_value"] = Bundler.with_unbundled_env { :from_block }.to_s
  Dir.mktmpdir do |tmp|
    out["unbundled_system"] = child_env_via(tmp, "us") { |cmd| Bundler.unbundled_system(*cmd) }
    out["original_system"] = child_env_via(tmp, "os") { |cmd| Bundler.original_system(*cmd) }
    out["unbundled_exec"] = child_env_via(tmp, "ue") { |cmd| Process.wait(fork { Bundler.unbundled_exec(*cmd) }) }
  end
  out["unbundled_child_set_up"] = Bundler.with_unbundled_env do
    IO.popen(["ruby", "-e", "print defined?(Bundler.setup).inspect, defined?(FastBundle).inspect"], &:read)
  end
  out["child_set_up"] = IO.popen(["ruby", "-e", "print Gem.loaded_specs.key?('alpha')"], &:read)
  names = ENV.fetch("COMPAT_METHODS", "").split(",")
  out["responds"] = names.reject { |n| Bundler.respond_to?(n) }
  out["responds_to_unknown"] = Bundler.respond_to?(:no_such_bundler_method)
  out["setup_again"] = Bundler.setup.equal?(Bundler.setup)
  out["bundler_files"] = bundler_files.size
  out["real_bundler"] = defined?(Bundler::ORIGINAL_ENV) ? true : false
when "lazy"
  out["locked_gems"] = attempt { Bundler.locked_gems.specs.map(&:full_name).sort }
  out["version"] = attempt { Bundler::VERSION }
  out["frozen_bundle"] = attempt { Bundler.frozen_bundle? }
  out["ruby_scope"] = attempt { Bundler.ruby_scope }
  out["settings_path_explicit"] = attempt { Bundler.settings.path.explicit_path }
  out["unknown_method"] = attempt { Bundler.no_such_bundler_method }
  out["unknown_constant"] = attempt { Bundler::NoSuchConstant }
  out["rescue_require_error"] = begin
    Bundler.require(:boom)
    "no error"
  rescue Bundler::GemRequireError => e
    "rescued #{e.message.lines.first.chomp}"
  end
  out["rescue_bundler_error"] = begin
    Bundler.require(:boom)
    "no error"
  rescue Bundler::BundlerError => e
    "rescued #{e.status_code}"
  end
  out["root_after"] = attempt { Bundler.root }
  out["bundle_path_after"] = attempt { Bundler.bundle_path }
  out["settings_after"] = attempt { [Bundler.settings[:path], Bundler.settings[:jobs], Bundler.settings[:without]] }
  out["real_bundler"] = defined?(Bundler::ORIGINAL_ENV) ? true : false
when "interplay"
  load_path = $LOAD_PATH.dup
  specs = Gem.loaded_specs.keys.sort
  case ENV.fetch("COMPAT_LOAD")
  when "require_bundler" then require "bundler"
  when "bundler_setup" then require "bundler/setup"
  when "lazy" then Bundler.locked_gems
  end
  out["setup_is_noop"] = Bundler.setup.equal?(Bundler.setup)
  out["require"] = attempt { Bundler.require(:default).map(&:name) }
  out["load_specs"] = attempt { Bundler.load.specs.map(&:full_name).sort }
  out["definition_deps"] = attempt { Bundler.definition.dependencies.map(&:name) }
  out["settings_path"] = attempt { Bundler.settings[:path] }
  out["bundle_path"] = attempt { Bundler.bundle_path }
  out["load_path_unchanged"] = ($LOAD_PATH - load_path).reject { |p| p.include?("/bundler-") }.empty? &&
                               (load_path - $LOAD_PATH).empty?
  out["load_path"] = $LOAD_PATH.reject { |p| p.include?("/bundler-") || p == ENV["FASTBUNDLE_LIB_DIR"] }
  out["loaded_specs_unchanged"] = (Gem.loaded_specs.keys.sort - ["bundler"]) == (specs - ["bundler"])
  out["outside"] = attempt { gem "outside" }
  out["marks"] = $LOADED_GEMS_MARK
end
puts JSON.generate(out)
