# frozen_string_literal: true

require "spec_helper"
require "json"

# After `require "fastbundle/setup"`, code written for Bundler keeps working
# without loading Bundler: Bundler is fastbundle's facade. Each example asks
# the same questions after -rbundler/setup and after -rfastbundle/setup in
# the same world and compares the answers.
RSpec.describe "The Bundler API after fastbundle/setup" do
  COMPAT_DUMP = File.join(ROOT_DIR, "spec/scripts/compat_dump.rb")

  def self.gem_repo
    @gem_repo ||= begin
      repo = World.tmpdir("compat-gems")
      gems = File.join(repo, "gems")
      GemFactory.build(gems, name: "alpha", version: "1.0.0")
      GemFactory.build(gems, name: "testonly", version: "1.0.0")
      GemFactory.build(gems, name: "outside", version: "1.0.0")
      GemFactory.build(gems, name: "boom", version: "1.0.0", files: { "lib/boom.rb" => "raise \"boom!\"\n" })
      [repo, GemServer.start(repo)]
    end
  end

  def self.world(key, vendor: false)
    World.cached(key) do |w|
      repo, server = gem_repo
      w.gemfile(<<~G)
        source "#{server.url}"
        gem "alpha"
        group(:test) { gem "testonly" }
        group(:boom) { gem "boom" }
      G
      w.config("path", "vendor/bundle") if vendor
      w.bundle("install")
      w.gem("install", "--local", "--no-document", File.join(repo, "gems", "outside-1.0.0.gem"))
      w.config("jobs", "4")
      w.config("without", "nope:other")
      w.config("local.mygem", "/nowhere/mygem")
      w.bundle("config", "set", "--global", "retry", "7")
      w.bundle("config", "set", "--global", "mirror.https://rubygems.org", "http://mirror.example")
      w.bundle("config", "set", "--global", "https://gems.example.com", "user:secret")
    end
  end

  ENV_SETTINGS = { "BUNDLE_FROZEN" => "true", "BUNDLE_TIMEOUT" => "30", "BUNDLE_GEM__TEST" => "rspec",
                   "RUBYOPT" => "-W0" }.freeze

  # [bundler's answers, ours]. Ours gets fastbundle through -I, so that both
  # processes start from the same ENV.
  def run_both(world, mode, env: {}, extra: {})
    env = ENV_SETTINGS.merge(env).merge("COMPAT_MODE" => mode, "FASTBUNDLE_LIB_DIR" => LIB_DIR)
    theirs = world.ruby("-rbundler/setup", COMPAT_DUMP, env: env, allow_failure: true)
    ours = world.ruby("-I", LIB_DIR, "-rfastbundle/setup", COMPAT_DUMP, env: env.merge(extra), allow_failure: true)
    [theirs, ours].map do |out, err, status|
      raise "compat dump failed (#{status.exitstatus}): #{err}" unless status.success?

      JSON.parse(out).merge("stderr" => err)
    end
  end

  shared_examples "Bundler's answers" do
    it "answers the common API as Bundler does, without loading any file of Bundler's" do
      # Bundler's public API, as lib/bundler.rb defines it
      methods, = world.ruby("-e", "require 'bundler'; print Bundler.singleton_class.public_instance_methods(false).join(',')")
      theirs, ours = run_both(world, "api", env: { "COMPAT_METHODS" => methods })
      %w[defined root bundle_path default_gemfile default_lockfile settings settings_all settings_app_cache_path
         settings_local_overrides original_env unbundled_env with_original_env with_unbundled_env env_restored
         block_value unbundled_system original_system unbundled_exec unbundled_child_set_up child_set_up
         setup_again].each do |key|
        expect([key, ours[key]]).to eq([key, theirs[key]])
      end
      expect(ours["bundler_files"]).to eq(0)
      expect(ours["real_bundler"]).to be(false)
      expect(ours["responds"]).to eq([])
      expect(ours["responds_to_unknown"]).to be(false)
      # the world really exercises the settings layers and ENV
      settings = ours["settings"].to_h
      expect(settings.values_at(":jobs", ":retry", ":timeout", ":frozen", ":without", "\"gem.mit\"", ":\"gem.test\""))
        .to eq([4, 7, 30, true, %w[nope other], nil, "rspec"])
      expect(settings["\"mirror.https://rubygems.org\""]).to eq("http://mirror.example")
      expect(ours["unbundled_env"]).not_to include("BUNDLE_FROZEN")
      expect(ours["unbundled_env"]["RUBYOPT"]).to eq("-W0")
      expect(ours["unbundled_child_set_up"]).to eq("nilnil")
      expect(ours["child_set_up"]).to eq("true")
    end
  end

  context "gems in GEM_HOME" do
    let(:world) { self.class.world(:compat_system) }
    include_examples "Bundler's answers"
  end

  context "gems in vendor/bundle" do
    let(:world) { self.class.world(:compat_vendor, vendor: true) }
    include_examples "Bundler's answers"
  end

  describe "anything else loads real Bundler" do
    let(:world) { self.class.world(:compat_system) }

    it "answers as Bundler does and says why under FASTBUNDLE_DEBUG" do
      theirs, ours = run_both(world, "lazy", env: { "FASTBUNDLE_DEBUG" => "1" })
      expect(ours.reject { |k, _| k == "stderr" }).to eq(theirs.reject { |k, _| k == "stderr" })
      expect(ours["locked_gems"]).to eq(%w[alpha-1.0.0 boom-1.0.0 testonly-1.0.0])
      expect(ours["version"]).to eq(World.bundler_version)
      expect(ours["rescue_require_error"]).to eq("rescued There was an error while trying to load the gem 'boom'.")
      expect(ours["rescue_bundler_error"]).to eq("rescued 24")
      expect(ours["unknown_method"]).to start_with("NoMethodError: undefined method `no_such_bundler_method'")
      expect(ours["real_bundler"]).to be(true)
      line = File.readlines(COMPAT_DUMP).index { |l| l.include?('out["locked_gems"]') } + 1
      expect(ours["stderr"].scan(/^fastbundle: loading Bundler.*$/))
        .to eq(["fastbundle: loading Bundler for Bundler.locked_gems (called from #{COMPAT_DUMP}:#{line})"])
    end

    it "stays quiet without FASTBUNDLE_DEBUG" do
      _, ours = run_both(world, "lazy")
      expect(ours["stderr"]).not_to include("fastbundle:")
    end
  end

  describe "real Bundler loaded after fastbundle/setup" do
    let(:world) { self.class.world(:compat_system) }

    {
      "require \"bundler\"" => "require_bundler",
      "require \"bundler/setup\"" => "bundler_setup",
      "a lazily loaded method" => "lazy"
    }.each do |how, load|
      it "#{how}: Bundler.setup, require, load, definition keep fastbundle's load path and specs" do
        theirs, ours = run_both(world, "interplay", env: { "COMPAT_LOAD" => load, "FASTBUNDLE_DEBUG" => "1" })
        expect(ours.reject { |k, _| k == "stderr" }).to eq(theirs.reject { |k, _| k == "stderr" })
        expect(ours["load_path_unchanged"]).to be(true)
        expect(ours["loaded_specs_unchanged"]).to be(true)
        expect(ours["require"]).to include("alpha") # all dependencies (2.3) or the :default ones (2.6)
        expect(ours["load_specs"]).to include("alpha-1.0.0", "bundler-#{World.bundler_version}")
        expect(ours["outside"]).to start_with("Gem::LoadError: outside is not part of the bundle")
        expect(ours["marks"]).to eq(["alpha-1.0.0"])
        expect(ours["stderr"]).to match(/^fastbundle: (loading Bundler for Bundler\.locked_gems|Bundler is being loaded by)/)
      end
    end
  end

  it "unbundled_env drops a -r…/setup and lib dir that were there from the start" do
    w = self.class.world(:compat_system)
    code = "e = Bundler.unbundled_env; print e['RUBYOPT'].inspect, ' ', e['RUBYLIB'].inspect"
    theirs, = w.ruby("-e", code, env: { "RUBYOPT" => "-rbundler/setup -W0", "RUBYLIB" => "/x" })
    ours, = w.ruby("-e", code, env: { "RUBYOPT" => "-rfastbundle/setup -W0", "RUBYLIB" => "#{LIB_DIR}:/x" })
    expect(ours).to eq(theirs).and eq(%("-W0" "/x"))
  end

  it "has Pathname for the Gemfile and the app, as Bundler's own require of it does, loaded on first use" do
    w = World.new
    _, server = self.class.gem_repo
    w.gemfile(%(source "#{server.url}"\ngem "alpha" if Pathname(__dir__).join("Gemfile").file?\n))
    w.bundle("install")
    code = "print $LOADED_FEATURES.grep(/pathname/).size > 0, ' ', Pathname('/a').join('b'), ' ', Gem.loaded_specs.key?('pathname')"
    theirs, = w.ruby("-rbundler/setup", "-e", code)
    ours, = w.ruby("-I", LIB_DIR, "-rfastbundle/setup", "-e", code)
    expect(ours).to eq(theirs).and eq("true /a/b true")
    listed, = w.ruby("-I", LIB_DIR, "-rfastbundle/setup", "-e", "print $LOAD_PATH.grep(/alpha/).size")
    expect(listed).to eq("1")
    # Where nobody uses it, only Gem.loaded_specs says it is there, as under Bundler.
    code = "print $LOADED_FEATURES.grep(/pathname/).size, ' ', Gem.loaded_specs.key?('pathname'), ' ', Pathname('/c')"
    unused, = self.class.world(:compat_system).ruby("-I", LIB_DIR, "-rfastbundle/setup", "-e", code)
    expect(unused).to eq("0 true /c")
  end

  it "leaves a real Bundler that already set the process up in charge" do
    code = "p Bundler.singleton_class.ancestors.include?(FastBundle::BundlerFacade::Methods), Bundler.setup.class"
    out, = self.class.world(:compat_system).ruby("-rbundler/setup", "-I", LIB_DIR, "-rfastbundle/setup", "-e", code)
    expect(out).to eq("false\nBundler::Runtime\n")
  end

  # Debian's bootsnap lives in vendor_ruby (requirable from any bundle); it
  # needs msgpack, a Debian system gem, from the bundle.
  describe "bootsnap" do
    let(:world) do
      World.cached(:compat_bootsnap, system_gems: true) do |w|
        w.gemfile(%(source "https://rubygems.org"\ngem "msgpack"\n))
        w.bundle("install", "--local")
      end
    end

    it "sees a bundle (Bootsnap.bundler?, Bundler.bundle_path) and requires through its cache" do
      code = <<~RUBY
        require "bootsnap"
        Bootsnap.setup(cache_dir: Dir.pwd + "/tmp/cache", development_mode: false, load_path_cache: true,
                       compile_cache_iseq: true, compile_cache_yaml: false)
        Bundler.require
        p [Bootsnap.bundler?, Bootsnap::LoadPathCache::PathScanner::BUNDLE_PATH,
           $LOADED_FEATURES.count { |f| f.include?("/bootsnap") } > 5]
      RUBY
      theirs, = world.ruby("-rbundler/setup", "-e", code)
      ours, err = world.ruby("-I", LIB_DIR, "-rfastbundle/setup", "-e", "#{code}\np $LOADED_FEATURES.grep(%r{/bundler[-/.]}).grep_v(%r{/bootsnap/})",
                             env: { "FASTBUNDLE_DEBUG" => "1" })
      expect(ours.lines.first).to eq(theirs).and start_with("[true, ")
      expect(ours.lines.last).to eq("[]\n")
      expect(err).not_to include("loading Bundler")
    end
  end
end
