# frozen_string_literal: true

require "spec_helper"
require "json"

# `require "fastbundle/setup"` must leave a process exactly as
# `require "bundler/setup"` does. Each example runs both in subprocesses of
# the same world, with the same environment, and compares what they see.
RSpec.describe "FastBundle.setup parity with Bundler.setup" do
  def self.gem_repo
    @gem_repo ||= begin
      repo = World.tmpdir("gems")
      gems = File.join(repo, "gems")
      GemFactory.build(gems, name: "beta", version: "2.1.0")
      GemFactory.build(gems, name: "alpha", version: "1.0.0", deps: { "beta" => ["~> 2.0"] })
      GemFactory.build(gems, name: "platy", version: "1.0.0")
      GemFactory.build(gems, name: "platy", version: "1.0.0", platform: "x86_64-linux")
      GemFactory.build(gems, name: "multi", version: "0.5.0", require_paths: %w[lib ext_lib])
      GemFactory.build(gems, name: "nat", version: "0.1.0", extension: true)
      GemFactory.build(gems, name: "testonly", version: "3.0.0", deps: { "beta" => [] })
      GemFactory.build(gems, name: "devonly", version: "0.2.0")
      GemFactory.build(gems, name: "outside", version: "1.0.0")
      [repo, GemServer.start(repo)]
    end
  end

  def self.world(key, vendor: false)
    World.cached(key) do |w|
      repo, server = gem_repo
      git_dir = World.tmpdir("gitgem")
      GemFactory.git_repo(git_dir, name: "gitgem", version: "0.9.0", deps: { "beta" => [">= 2"] })
      GemFactory.source(w.path("vendor/localgem"), name: "localgem", version: "0.1.0", deps: { "alpha" => ["~> 1.0"] })
      w.gemfile(<<~G)
        source "#{server.url}"
        gem "alpha"
        gem "platy"
        gem "multi", ">= 0.0.0"
        gem "nat"
        gem "localgem", path: "vendor/localgem"
        gem "gitgem", git: "#{git_dir}"
        gem "never", "1.0", platforms: :jruby
        group :test do
          gem "testonly"
        end
        group :development, optional: true do
          gem "devonly"
        end
      G
      w.config("path", "vendor/bundle") if vendor
      w.config("with", "development")
      w.bundle("lock")
      w.bundle("install")
      w.config("with", nil)
      w.gem("install", "--local", "--no-document", File.join(repo, "gems", "outside-1.0.0.gem"))
    end
  end

  PROBES = { "OUTSIDE_GEMS" => "outside", "PROBE_GEMS" => "alpha,alpha:= 9.9,json,outside" }.freeze

  include SetupParity

  # With SETUP_GROUPS the dump script calls setup(*groups) itself: a
  # `-r…/setup` first would make that call a no-op.
  def run_both(world, env: {})
    dump_both(world, env: PROBES.merge(env), require_setup: !env.key?("SETUP_GROUPS"))
  end

  shared_examples "the same process state" do |groups|
    it "gives the same $LOAD_PATH, loaded specs, isolation, Kernel#gem and ENV" do
      env = groups ? { "SETUP_GROUPS" => groups } : {}
      theirs, ours = run_both(world, env: env)
      expect(normalize(ours)).to eq(normalize(theirs))
      expect(ours["load_path"].size).to be > 8
      expect(ours["env"]["RUBYOPT"]).to include("fastbundle/setup") unless groups
      expect(ours["require_outside"]["outside"]).to start_with("LoadError")
      expect(ours["gem_probe"]["outside"]).to include("outside is not part of the bundle. Add it to your Gemfile.")
    end
  end

  context "gems in GEM_HOME, a platform variant, a C extension, several require paths, path and git gems" do
    let(:world) { self.class.world(:setup_system) }
    include_examples "the same process state", nil
    include_examples "the same process state", "default"
    include_examples "the same process state", "test"
    include_examples "the same process state", "default,development"
  end

  context "vendor/bundle via .bundle/config" do
    let(:world) { self.class.world(:setup_vendor, vendor: true) }
    include_examples "the same process state", nil
    include_examples "the same process state", "default"
  end

  context "without and with settings" do
    let(:world) { self.class.world(:setup_system) }

    it "follows BUNDLE_WITHOUT and BUNDLE_WITH" do
      %w[test default].each do |without|
        theirs, ours = run_both(world, env: { "BUNDLE_WITHOUT" => without, "BUNDLE_WITH" => "development" })
        expect(normalize(ours)).to eq(normalize(theirs))
      end
    end
  end

  # Ruby 3.3 warns when a default gem that is becoming a bundled gem (csv,
  # base64 ...) is required from outside the bundle, under Bundler 2.5+ only
  # (Ruby 3.1 and Bundler 2.3 have no such warning: both sides say nothing).
  it "warns about default gems becoming bundled gems exactly as Bundler does" do
    w = self.class.world(:setup_system)
    code = 'require "csv"; require "base64"; require "json"; require "alpha"; warn "done"'
    theirs, ours = [["bundler", {}], ["fastbundle", { "RUBYLIB" => LIB_DIR }]].map do |tool, env|
      _, err, status = w.ruby("-r#{tool}/setup", "-e", code, env: env, allow_failure: true)
      [status.exitstatus, err]
    end
    expect(ours).to eq(theirs)
    expect(ours).to eq([0, "done\n"]) if RUBY_VERSION < "3.3"
    expect(ours[1]).to include("base64 was loaded from the standard library") if RUBY_VERSION.start_with?("3.3")
  end

  it "loads no file of Bundler's (Bundler is fastbundle's facade)" do
    w = self.class.world(:setup_system)
    out, = w.ruby("-rfastbundle/setup", "-e", "p $LOADED_FEATURES.grep(%r{/bundler[-/.]}), defined?(Bundler::ORIGINAL_ENV)",
                  env: { "RUBYLIB" => LIB_DIR })
    expect(out).to eq("[]\nnil\n")
  end
end
