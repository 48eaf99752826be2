# frozen_string_literal: true

# Run by spec/rails_app_spec.rb as `bin/rails runner <this file>` inside the
# Rails fixture app: prints, as JSON, what the booted app sees — answers from
# the database, a request through the full middleware stack and controller,
# which setup and groups took effect, and every gem that was loaded.
require "json"

# The loaded gems that files were actually loaded from: "<name>-<version>"
# of the loaded spec whose directory holds a $LOADED_FEATURES entry (path
# gems included; Debian's gems whose files live in vendor_ruby have none).
gem_dirs = Gem.loaded_specs.values.to_h { |s| ["#{s.full_gem_path}/", s.full_name] }
gem_of = ->(path) { gem_dirs.find { |dir, _| path.start_with?(dir) }&.last }
feature = ->(suffix) { $LOADED_FEATURES.any? { |f| f.end_with?(suffix) } }
# The runtime's own files (the lib dir its setup.rb came from) and the
# RubyGems internals Bundler loads for itself: everything else that was
# loaded belongs to the app and must not depend on the runtime.
runtime_dirs = $LOADED_FEATURES.grep(%r{/(bundler|fastbundle)/setup\.rb\z}).map { |f| "#{File.dirname(f, 2)}/" }
rubygems_rb = $LOADED_FEATURES.find { |f| f.end_with?("/rubygems.rb") }
runtime_dirs << "#{File.dirname(rubygems_rb)}/rubygems/" if rubygems_rb

response = Rack::MockRequest.new(Rails.application).get("/widgets", "HTTP_HOST" => "localhost")
show = Rack::MockRequest.new(Rails.application).get("/widgets/#{Widget.order(:id).first.id}", "HTTP_HOST" => "localhost")

puts JSON.generate(
  "rails_env" => Rails.env,
  "rails_version" => Rails.version,
  "widget_count" => Widget.count,
  "widget_names" => Widget.order(:name).pluck(:name),
  "index_status" => response.status,
  "index_body" => response.body,
  "show_body" => show.body,
  "setup" => { "bundler/setup" => feature.call("/bundler/setup.rb"), "fastbundle/setup" => feature.call("/fastbundle/setup.rb") },
  # Bootsnap's load path cache is serving requires.
  "bootsnap" => defined?(Bootsnap::LoadPathCache) ? !Bootsnap::LoadPathCache.load_path_cache.nil? : false,
  "required" => { "rspec" => feature.call("/rspec/core.rb"), "webrick" => feature.call("/webrick.rb"),
                  "widget_pricing" => feature.call("/widget_pricing.rb"), "bootsnap" => feature.call("/bootsnap.rb") },
  "loaded_specs" => Gem.loaded_specs.transform_values { |s| s.version.to_s }.sort.to_h,
  "feature_gems" => $LOADED_FEATURES.filter_map { |f| gem_of.call(f) }.uniq.sort,
  "app_features" => $LOADED_FEATURES.reject { |f| runtime_dirs.any? { |d| f.start_with?(d) } }.sort
)
