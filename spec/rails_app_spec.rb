# frozen_string_literal: true

require "spec_helper"
require "json"

# A real Rails app (Debian's rails, sqlite3 and bootsnap: Rails 6.1 on
# Debian 12, fixture in spec/fixtures/rails_app; Rails 7.2 and bootsnap 1.18
# on Debian 13, spec/fixtures/rails72_app: ActiveRecord on SQLite, a model, a migration, a
# controller with a view, a path gem, a :development and a :test gem), its
# Gemfile resolved by `bundle install --local`. config/boot.rb is switched
# between `require "bundler/setup"` (the reference) and
# `require "fastbundle/setup"`, each with and without `require
# "bootsnap/setup"`; config/application.rb keeps `Bundler.require(*Rails.groups)`.
# Each boot runs `bin/rails runner spec/scripts/rails_probe.rb`, which answers
# from the database, makes requests through the app, and lists the gems loaded.
RSpec.describe "A Rails #{RailsApp.rails_minor} app booted through fastbundle/setup" do
  RAILS_PROBE = File.join(ROOT_DIR, "spec/scripts/rails_probe.rb")

  def self.world
    World.cached(:rails_app, system_gems: true) { |w| RailsApp.build(w) }
  end

  # The probe's answer for one configuration, each run once per process.
  # Switching to the other setup starts bootsnap from a cold cache. Under
  # fastbundle/setup the answer is that of a boot from the plan cache (the
  # first boot of a configuration may store its entry), unless cache: false
  # (FASTBUNDLE_CACHE=0: every fastbundle cache off).
  def self.boot(setup, bootsnap: false, rails_env: "development", cache: true)
    @boots ||= {}
    @boots[[setup, bootsnap, rails_env, cache]] ||= begin
      w = world
      if @last_setup != setup
        FileUtils.rm_rf(w.path("tmp/cache"))
        @last_setup = setup
      end
      w.file("config/boot.rb", RailsApp.boot_rb(setup, bootsnap))
      # RUBYLIB for both setups, so that both start from the same $LOAD_PATH.
      env = { "RAILS_ENV" => rails_env, "RUBYLIB" => LIB_DIR }
      env["FASTBUNDLE_CACHE"] = "0" unless cache
      warm = cache && setup == "fastbundle/setup"
      env["FASTBUNDLE_DEBUG"] = "1" if warm
      out = err = nil
      3.times do
        out, err, status = w.ruby("bin/rails", "runner", RAILS_PROBE, env: env, allow_failure: true)
        raise "bin/rails runner with #{setup}#{" + bootsnap" if bootsnap} (#{rails_env}) failed: #{status.inspect}\n#{err}" unless status.success?
        break if !warm || err.include?("plan cache hit")
      end
      raise "no plan cache hit in three boots:\n#{err}" if warm && !err.include?("plan cache hit")

      JSON.parse(out)
    end
  end

  # The runtime's own gem and files are the one expected difference.
  def without_runtime(probe)
    { "loaded_specs" => probe["loaded_specs"].except("bundler", "fastbundle"),
      "feature_gems" => probe["feature_gems"].grep_v(/\A(bundler|fastbundle)-\d/),
      "app_features" => probe["app_features"] }
  end

  describe "under Bundler (the reference)" do
    it "boots, answers from the database and serves the widgets page in development and test" do
      dev = self.class.boot("bundler/setup")
      expect(dev["setup"]).to eq("bundler/setup" => true, "fastbundle/setup" => false)
      expect(dev["widget_count"]).to eq(3)
      expect(dev["index_status"]).to eq(200)
      expect(dev["index_body"]).to include("<h1>Widgets (3)</h1>", "<li>Gizmo: 1,200.00 €</li>")
      test = self.class.boot("bundler/setup", rails_env: "test")
      expect(test["widget_names"]).to eq(["Test rig"])
      expect(test["show_body"]).to eq("Test rig: 42.00 €")
    end
  end

  [false, true].each do |bootsnap|
    context(bootsnap ? "with bootsnap/setup in config/boot.rb" : "without bootsnap") do
      let(:ours) { self.class.boot("fastbundle/setup", bootsnap: bootsnap) }
      let(:theirs) { self.class.boot("bundler/setup", bootsnap: bootsnap) }

      it "boots with fastbundle/setup and `bin/rails runner` answers from the database" do
        expect(ours["setup"]).to eq("bundler/setup" => false, "fastbundle/setup" => true)
        expect(ours["app_features"].grep(%r{/bundler-\d[^/]*/lib/})).to eq([]) # no file of Bundler's
        expect(ours["bootsnap"]).to be(bootsnap)
        expect(ours["rails_version"]).to eq(RailsApp.rails_version)
        expect(ours["widget_count"]).to eq(3)
        expect(ours["widget_names"]).to eq(%w[Flange Gizmo Sprocket])
      end

      it "serves a request through the middleware stack, controller, view and the path gem as under Bundler" do
        expect(ours["index_status"]).to eq(200)
        expect(ours["index_body"]).to include("<li>Flange: 19.99 €</li>")
        expect(ours.values_at("index_status", "index_body", "show_body"))
          .to eq(theirs.values_at("index_status", "index_body", "show_body"))
      end

      it "honours Rails.groups: the :test gem only in the test environment, the :development gem only in development" do
        ours_test = self.class.boot("fastbundle/setup", bootsnap: bootsnap, rails_env: "test")
        theirs_test = self.class.boot("bundler/setup", bootsnap: bootsnap, rails_env: "test")
        expect(ours["required"]).to eq("rspec" => false, "webrick" => true, "widget_pricing" => true, "bootsnap" => bootsnap)
        expect(ours_test["required"]).to eq("rspec" => true, "webrick" => false, "widget_pricing" => true, "bootsnap" => bootsnap)
        expect(ours_test["widget_names"]).to eq(["Test rig"])
        expect([ours["required"], ours_test["required"]]).to eq([theirs["required"], theirs_test["required"]])
        expect(without_runtime(ours_test)).to eq(without_runtime(theirs_test))
      end

      it "answers from the plan cache as with every fastbundle cache off" do
        cold = self.class.boot("fastbundle/setup", bootsnap: bootsnap, cache: false)
        expect(cold).to eq(ours)
      end

      it "loads the same gems at the same versions, and the same files, as Bundler" do
        expect(ours["loaded_specs"].size).to be > 55
        expect(ours["feature_gems"]).to include(RailsApp.installed("railties"), RailsApp.installed("webrick"),
                                                "widget_pricing-0.3.0")
        expect(ours["app_features"].size).to be > 500
        expect(without_runtime(ours)).to eq(without_runtime(theirs))
      end
    end
  end
end
