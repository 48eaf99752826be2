# frozen_string_literal: true

require "spec_helper"

# Issue 4's parity worlds: for each world and group selection, one process
# runs Bundler's setup and another fastbundle's, with the same environment,
# and what they see must be the same — the whole $LOAD_PATH (but for each
# tool's own lib dir), Gem.loaded_specs, isolation from installed gems
# outside the bundle, Kernel#gem's messages and the ENV for child processes
# (spec/support/setup_parity.rb, spec/scripts/setup_dump.rb).
module WorldGems
  # The big world: leaves shared by many, mids on leaves (and on mids),
  # uppers on mids, group gems on top. Versions 1.0.0 unless built again
  # (l-alpha 1.2.0 is locked through m-01's "~> 1.0", 2.0.0 only installed).
  BIG_GRAPH = {
    "l-alpha" => {}, "l_alpha" => {}, "lalpha" => {}, "l-beta" => {}, "l-gamma" => {}, "l-delta" => {},
    "l-eps" => {}, "l-zeta" => {}, "l-eta" => {}, "l-theta" => {}, "l-iota" => {}, "l-kappa" => {},
    "m-01" => { "l-alpha" => ["~> 1.0"], "l-beta" => [] },
    "m-02" => { "l_alpha" => [], "l-gamma" => [">= 0.5"] },
    "m-03" => { "lalpha" => [], "l-delta" => [], "l-alpha" => [] },
    "m-04" => { "l-eps" => [], "l-zeta" => ["< 2", ">= 1"] },
    "m-05" => { "l-eta" => [], "l-theta" => [], "l-beta" => [] },
    "m-06" => { "l-iota" => [], "l-kappa" => [] },
    "m-07" => { "l-gamma" => [], "l-eps" => [], "oldie" => ["~> 1.0"] },
    "m-08" => { "l-zeta" => [], "multipath" => [] },
    "m-09" => { "l-theta" => [], "dual" => [] },
    "m-10" => { "l-iota" => [], "cext" => [] },
    "m-11" => { "m-01" => [], "l-kappa" => [] },
    "m-12" => { "m-04" => [], "m-06" => [] },
    "u-1" => { "m-01" => [], "m-02" => [] },
    "u-2" => { "m-03" => [], "m-04" => [], "l-alpha" => [] },
    "u-3" => { "m-05" => [], "m-07" => [] },
    "u-4" => { "m-08" => [], "m-09" => [] },
    "u-5" => { "m-10" => [], "m-11" => [] },
    "u-6" => { "m-12" => [], "m-02" => [] },
    "u-7" => { "m-03" => [], "m-06" => [] },
    "u-8" => { "m-05" => [], "m-11" => [], "pinold" => [] },
    "t-runner" => { "u-5" => [], "l-eta" => [] },
    "t_helper" => { "m-10" => [] },
    "d-tools" => { "u-6" => [] },
    "td-shared" => { "u-7" => [] },
    "ci-report" => { "m-12" => [] },
    "docs-only" => { "l-kappa" => [] },
    "docs-gen" => { "docs-only" => [], "u-8" => [] }
  }.freeze

  # The conditions world: gems behind platforms, install_if and env, some
  # with dependencies only they would pull in.
  COND_GRAPH = {
    "c-base" => {}, "c-shared" => {}, "c-ruby" => {}, "c-mri" => {}, "c-mrinow" => {}, "c-mri30" => {},
    "c-jdep2" => {}, "c-jdep" => { "c-jdep2" => [] }, "c-jruby" => { "c-jdep" => [] },
    "c-windep" => {}, "c-win" => { "c-windep" => [] }, "c-jblock" => {},
    "c-yesdep" => {}, "c-yes" => { "c-yesdep" => [], "c-shared" => [] },
    "c-nodep2" => {}, "c-nodep" => { "c-nodep2" => [] }, "c-no" => { "c-nodep" => [], "c-shared" => [] },
    "c-no2" => {}, "c-envdep" => {}, "c-env" => { "c-envdep" => [] }, "c-envval" => {}, "c-envre" => {},
    "c-test" => { "c-base" => [] }
  }.freeze
end

RSpec.describe "FastBundle.setup parity across worlds" do
  include SetupParity

  # Facts of this Ruby and of Debian's packages, read from RubyGems (never
  # Bundler's answers): a default gem's version, or nil when it is none; the
  # newest version Debian installed.
  def self.default_version(name)
    Gem::Specification.default_stubs("#{name}-*.gemspec").find { |s| s.name == name }&.version&.to_s
  end

  def debian_version(name)
    Gem::Specification.find_all_by_name(name).reject(&:default_gem?).map(&:version).max.to_s
  end

  # One gem server for every world of this file.
  def self.server
    @server ||= GemServer.start(gem_repo)
  end

  def self.gem_repo
    @gem_repo ||= begin
      repo = World.tmpdir("world-gems")
      gems = File.join(repo, "gems")
      build = ->(name, version = "1.0.0", **opts) { GemFactory.build(gems, name: name, version: version, **opts) }
      WorldGems::BIG_GRAPH.merge(WorldGems::COND_GRAPH).each do |name, deps|
        build.(name, deps: deps, **(name == "t-runner" ? { executables: %w[t-run] } : {}))
      end
      %w[1.2.0 2.0.0].each { |v| build.("l-alpha", v) }
      %w[1.0.0 1.5.0 2.1.0].each { |v| build.("oldie", v) }
      %w[1.0.0 1.1.0].each { |v| build.("pinold", v) }
      build.("multipath", require_paths: %w[lib ext_lib vendor/lib])
      build.("dual")
      build.("dual", platform: "x86_64-linux")
      build.("cext", extension: true)
      build.("cextmulti", extension: true, require_paths: %w[lib ext_lib])
      build.("ext-dep")
      build.("outside")
      repo
    end
  end

  def self.gem_file(full_name)
    File.join(gem_repo, "gems", "#{full_name}.gem")
  end

  # Installs .gem files of the server into the world's GEM_HOME with plain
  # `gem install`, beside (not in) the bundle.
  def self.gem_install(world, *full_names)
    world.gem("install", "--local", "--no-document", "--ignore-dependencies", *full_names.map { |g| gem_file(g) })
  end

  def names(dump)
    dump["loaded_specs"].map(&:first)
  end

  # What a selection must (and must not) load, so that an example cannot
  # pass by both tools doing nothing.
  # One example per [label, env, present, absent] row: Bundler and fastbundle
  # with the same env (SETUP_GROUPS: setup(*groups) instead of -r…/setup)
  # leave the same state, with the gems named present and absent.
  def self.selections(rows)
    rows.each do |label, env, present, absent|
      it "#{label}: the same process state" do
        theirs, ours = dump_both(world, env: probes.merge(env), require_setup: !env.key?("SETUP_GROUPS"))
        expect_same_state(theirs, ours)
        expect_selection(ours, present, absent + always_absent)
      end
    end
  end

  # Gems no selection of a context may hold.
  let(:always_absent) { [] }

  def expect_selection(dump, present, absent)
    expect(names(dump)).to include(*present)
    expect(names(dump)).not_to include(*absent) unless absent.empty?
  end

  # 1. A world of 45 locked gems installed by `bundle install` from the gem
  # server: shared dependencies, older versions locked while newer ones are
  # installed, several require paths, ruby and x86_64-linux variants of one
  # gem, C extensions compiled at install, six groups (one optional).
  describe "a 45-gem world from the gem server" do
    def self.world
      World.cached(:big) do |w|
        w.gemfile(<<~G)
          source "#{server.url}"
          gem "u-1"
          gem "u-2"
          gem "u-3"
          gem "u-4"
          gem "oldie", ">= 1.0"
          gem "pinold", "1.0.0"
          gem "cextmulti"
          group :test do
            gem "t-runner"
            gem "t_helper"
          end
          group :development do
            gem "d-tools"
          end
          group :test, :development do
            gem "td-shared"
          end
          group :ci do
            gem "ci-report"
          end
          group :docs, optional: true do
            gem "docs-gen"
          end
        G
        w.bundle("lock", "--add-platform", "ruby")
        w.bundle("install", env: { "BUNDLE_WITH" => "docs" })
        # Beside the bundle, not in it: newer versions, the other variant.
        gem_install(w, "l-alpha-2.0.0", "oldie-1.0.0", "oldie-2.1.0", "pinold-1.1.0", "dual-1.0.0", "outside-1.0.0")
      end
    end

    let(:world) { self.class.world }

    let(:probes) do
      { "OUTSIDE_GEMS" => "outside,docs-only",
        "PROBE_GEMS" => "l-alpha,l-alpha:>= 2,oldie:= 2.1.0,oldie:~> 1.5,pinold:1.1.0,dual,json,outside,docs-gen",
        "REQUIRE_GEMS" => "u-1,u-4,cext,cextmulti,cextmulti_ext_lib,multipath_ext_lib,multipath_lib,dual,l-alpha",
        "BIN_PROBES" => "t-runner:t-run,u-1:t-run,outside:outside,docs-gen:docs-gen" }
    end

    it "is the world it claims to be" do
      lock = world.lockfile
      expect(lock.scan(/^    \S/).size).to eq(46) # 45 gems, dual twice
      expect(lock).to include("dual (1.0.0)\n", "dual (1.0.0-x86_64-linux)\n", "l-alpha (1.2.0)", "oldie (1.5.0)")
      theirs, ours = dump_both(world, env: probes)
      expect_same_state(theirs, ours)
      locked = lock.scan(/^    (\S+) /).flatten.uniq
      expect((names(ours) & locked).size).to eq(42) # not docs-gen, docs-only, u-8: optional group only
      expect(ours["loaded_specs"]).to include(["l-alpha", "1.2.0"], ["oldie", "1.5.0"], ["pinold", "1.0.0"])
      expect(ours["require_inside"].values).to all(eq("ok"))
      expect(ours["marks"]).to include("dual-1.0.0-x86_64-linux", "cextmulti-1.0.0:ext_lib", "multipath-1.0.0:vendor/lib")
      expect(ours["gem_probe"]["oldie:= 2.1.0"]).to include("can't activate oldie (= 2.1.0), already activated oldie-1.5.0")
      expect(ours["require_outside"]["outside"]).to start_with("LoadError")
      expect(ours["bin_probe"]["t-runner:t-run"]).to end_with("t-runner-1.0.0/exe/t-run")
    end

    selections([
      ["setup(:default)", { "SETUP_GROUPS" => "default" }, %w[u-1 cextmulti dual], %w[t-runner d-tools ci-report docs-gen]],
      ["setup(:test)", { "SETUP_GROUPS" => "test" }, %w[t-runner td-shared u-5], %w[u-1 d-tools ci-report]],
      ["setup(:default, :test, :development)", { "SETUP_GROUPS" => "default,test,development" },
       %w[u-1 t-runner d-tools td-shared], %w[ci-report docs-gen]],
      ["setup(:docs), the optional group", { "SETUP_GROUPS" => "docs" }, %w[docs-gen docs-only u-8], %w[u-1 t-runner]],
      ["with docs", { "BUNDLE_WITH" => "docs" }, %w[docs-gen ci-report t-runner], []],
      ["without test:development, with docs", { "BUNDLE_WITHOUT" => "test:development", "BUNDLE_WITH" => "docs" },
       %w[docs-gen ci-report u-1], %w[t-runner d-tools td-shared]],
      ["without 'ci development'", { "BUNDLE_WITHOUT" => "ci development" }, %w[t-runner td-shared],
       %w[ci-report d-tools docs-gen]]
    ])
  end

  # 2. A `file://` source: a full-index repository on disk (GemServer.write_full_index), and a
  # source block for the gem server beside it.
  describe "a file:// source" do
    def self.world
      World.cached(:file_source) do |w|
        repo = World.tmpdir("file-repo")
        gems = File.join(repo, "gems")
        # Man pages: setup puts <gem>/man on MANPATH.
        GemFactory.build(gems, name: "f-app", version: "1.0.0", deps: { "f-lib" => ["~> 1.0"], "f-plat" => [] },
                               files: { "man/man1/f-app.1" => ".TH F-APP 1\n" })
        %w[1.0.0 1.1.0 2.0.0].each { |v| GemFactory.build(gems, name: "f-lib", version: v) }
        GemFactory.build(gems, name: "f-plat", version: "0.1.0")
        GemFactory.build(gems, name: "f-plat", version: "0.1.0", platform: "x86_64-linux")
        GemFactory.build(gems, name: "f-paths", version: "0.1.0", require_paths: %w[lib extra])
        GemServer.write_full_index(repo)
        w.gemfile(<<~G)
          source "file://#{repo}"
          gem "f-app"
          source "#{server.url}" do
            gem "l-beta"
          end
          group :test do
            gem "f-paths"
          end
        G
        w.bundle("install")
        w.gem("install", "--local", "--no-document", File.join(gems, "f-lib-2.0.0.gem"), gem_file("outside-1.0.0"))
      end
    end

    let(:world) { self.class.world }
    let(:probes) do
      { "OUTSIDE_GEMS" => "outside", "PROBE_GEMS" => "f-lib,f-lib:>= 2,l-beta,outside",
        "REQUIRE_GEMS" => "f-app,f-plat,l-beta" }
    end

    it "bundler/setup: the same process state" do
      expect(world.lockfile).to include("remote: file://", "f-lib (1.1.0)", "f-plat (0.1.0-x86_64-linux)")
      theirs, ours = dump_both(world, env: probes)
      expect_same_state(theirs, ours)
      expect_selection(ours, %w[f-app f-lib f-plat f-paths l-beta], [])
      expect(ours["marks"]).to include("f-plat-0.1.0-x86_64-linux")
      expect(ours["env"]["MANPATH"]).to include("f-app-1.0.0/man")
    end

    it "setup(:default): the same process state" do
      theirs, ours = dump_both(world, env: probes.merge("SETUP_GROUPS" => "default"), require_setup: false)
      expect_same_state(theirs, ours)
      expect_selection(ours, %w[f-app l-beta], %w[f-paths])
    end
  end

  # 3. The Gemfile's conditions: platforms (option and block, version
  # forms), install_if (block and option) and env blocks (name, value,
  # pattern). Platforms java and x64-mingw32 are locked too, so the gems
  # only those platforms use — and their dependencies — are in the
  # lockfile; install_if/env gems are locked whatever they say. None of the
  # excluded gems, nor what only they depend on, may be set up.
  describe "platforms, install_if and env conditions" do
    def self.world
      World.cached(:conditions) do |w|
        # c-mrinow: the running Ruby's own mri_NN (mri_31 on Ruby 3.1, mri_33 on 3.3).
        w.gemfile(<<~'G'.sub("SERVER", server.url).sub("MRI_NOW", "mri_#{RUBY_VERSION[/\A(\d+)\.(\d+)/, 1]}#{$2}"))
          source "SERVER"
          gem "c-base"
          gem "c-ruby", platforms: :ruby
          gem "c-mri", platforms: [:mri, :jruby]
          gem "c-mrinow", platform: :MRI_NOW
          gem "c-mri30", platforms: :mri_30
          gem "c-jruby", platforms: :jruby
          gem "c-win", platforms: [:mingw, :x64_mingw, :mswin, :mswin64]
          platforms :jruby, :truffleruby do
            gem "c-jblock"
          end
          install_if -> { true } do
            gem "c-yes"
          end
          install_if -> { false } do
            gem "c-no"
          end
          gem "c-no2", install_if: -> { RUBY_ENGINE == "jruby" }
          env "FBW_FLAG" do
            gem "c-env"
          end
          env "FBW_MODE" => "fast" do
            gem "c-envval"
          end
          env "FBW_MODE" => /\Asl/ do
            gem "c-envre"
          end
          group :test do
            gem "c-test", platforms: :mri
          end
        G
        w.bundle("lock", "--add-platform", "java", "x64-mingw32")
        # Two installs, so that both env-selected variants are installed.
        w.bundle("install", env: { "FBW_FLAG" => "1", "FBW_MODE" => "fast" })
        w.bundle("install", env: { "FBW_MODE" => "slow" })
        gem_install(w, "outside-1.0.0")
      end
    end

    let(:world) { self.class.world }
    let(:probes) do
      { "OUTSIDE_GEMS" => "outside,c-no,c-nodep,c-jruby", "PROBE_GEMS" => "c-base,c-no,c-jdep,c-env,outside" }
    end
    let(:always_absent) { never }
    let(:never) { %w[c-mri30 c-jruby c-jdep c-jdep2 c-win c-windep c-jblock c-no c-nodep c-nodep2 c-no2] }

    it "locks what the conditions exclude" do
      expect(world.lockfile).to include("c-jruby (1.0.0)", "c-jdep2 (1.0.0)", "c-windep (1.0.0)", "c-nodep2 (1.0.0)",
                                        "c-no2 (1.0.0)", "c-envre (1.0.0)")
    end

    selections([
      ["FBW_FLAG set, FBW_MODE=fast", { "FBW_FLAG" => "1", "FBW_MODE" => "fast" },
       %w[c-base c-ruby c-mri c-mrinow c-yes c-yesdep c-shared c-env c-envdep c-envval c-test], %w[c-envre]],
      ["FBW_MODE=slow", { "FBW_MODE" => "slow" }, %w[c-envre c-yes], %w[c-env c-envdep c-envval]],
      ["no condition variables", {}, %w[c-base c-yes c-shared], %w[c-env c-envval c-envre]],
      ["setup(:test) with FBW_FLAG", { "SETUP_GROUPS" => "test", "FBW_FLAG" => "1" }, %w[c-test c-base], %w[c-env c-yes]]
    ])
  end

  # 4. Debian's system gems: Rails (6.1 on Debian 12, 7.2 on 13) and friends from Debian packages
  # (rubygems-integration dirs, some holding only specifications, default
  # and bundled gems), resolved with `bundle install --local`, plus a gem
  # `gem install`ed into GEM_HOME from the gem server.
  describe "Debian's system gems" do
    def self.world
      World.cached(:debian, system_gems: true) do |w|
        w.gem("install", "--no-document", "--clear-sources", "--source", server.url, "l-beta", "outside")
        w.gemfile(<<~G)
          source "https://rubygems.org"
          gem "rails", "~> #{RailsApp.rails_minor}"
          gem "sqlite3"
          gem "nokogiri"
          gem "rack"
          gem "bootsnap", require: false
          gem "json"
          source "#{server.url}" do
            gem "l-beta"
          end
          group :test do
            gem "rspec"
            gem "minitest"
          end
          group :development, optional: true do
            gem "xmlrpc"
          end
        G
        w.bundle("install", "--local")
        # Local settings of another app dir, for BUNDLE_APP_CONFIG.
        w.file("../sysconf/config", %(---\nBUNDLE_PATH__SYSTEM: "true"\n))
      end
    end

    let(:world) { self.class.world }
    let(:probes) do
      { "OUTSIDE_GEMS" => "outside,multi_json", "PROBE_GEMS" => "rack,rack:>= 3,racc,json,multi_json,outside,xmlrpc" }
    end

    it "bundler/setup, requiring Rails: the same process state" do
      expect(world.lockfile).to include("rails (#{RailsApp.rails_minor}", "racc (#{debian_version("racc")})",
                                        "sqlite3 (#{debian_version("sqlite3")})", "remote: #{self.class.server.url}/")
      theirs, ours = dump_both(world, env: probes.merge("REQUIRE_GEMS" => "rails/all,sqlite3,nokogiri,l-beta"))
      expect_same_state(theirs, ours)
      expect(ours["require_inside"].values).to all(eq("ok"))
      expect_selection(ours, %w[rails railties rspec-core minitest sqlite3 l-beta racc], %w[xmlrpc])
    end

    selections([
      ["setup(:default)", { "SETUP_GROUPS" => "default" }, %w[rails l-beta], %w[rspec-core]],
      ["setup(:test)", { "SETUP_GROUPS" => "test" }, %w[rspec-core minitest], %w[rails]],
      ["with development", { "BUNDLE_WITH" => "development" }, %w[xmlrpc rails], []],
      ["path.system from the environment", { "BUNDLE_PATH__SYSTEM" => "true" }, %w[rails], []],
      # Local settings win over the environment's BUNDLE_PATH.
      ["path.system in BUNDLE_APP_CONFIG, BUNDLE_PATH in the environment",
       { "BUNDLE_APP_CONFIG" => "../sysconf", "BUNDLE_PATH" => "vendor/bundle" }, %w[rails], []]
    ])
  end

  # `path` set: GEM_PATH is dropped, so of the system's gems only the
  # default gems remain (Ruby 3.1's racc 1.6.0, not Debian's newer 1.6.2).
  # racc became a bundled gem in Ruby 3.3: there it is no default gem, so it
  # is not in this Gemfile, and `gem "racc"` is refused under both runtimes.
  describe "vendor/bundle beside Debian's default gems" do
    def self.defaults_here
      %w[json racc stringio].select { |name| default_version(name) }
    end

    def self.world
      World.cached(:vendor_defaults, system_gems: true) do |w|
        w.gemfile(<<~G)
          source "#{server.url}"
          gem "l-gamma"
          #{defaults_here.map { |name| %(gem "#{name}") }.join("\n")}
        G
        w.config("path", "vendor/bundle")
        w.bundle("install")
        gem_install(w, "outside-1.0.0")
      end
    end

    it "bundler/setup: the same process state" do
      world = self.class.world
      defaults = self.class.defaults_here
      expect(defaults).to include("json", "stringio")
      expect(world.lockfile).to include(*defaults.map { |name| "#{name} (#{self.class.default_version(name)})" })
      probes = { "OUTSIDE_GEMS" => "outside", "PROBE_GEMS" => "racc,racc:= #{debian_version("racc")},json,rack,outside",
                 "REQUIRE_GEMS" => ["l-gamma", *defaults].join(",") }
      theirs, ours = dump_both(world, env: probes)
      expect_same_state(theirs, ours)
      expect(ours["env"]["GEM_HOME"]).to end_with("app/vendor/bundle/ruby/#{RbConfig::CONFIG["ruby_version"]}")
      expect(ours["loaded_specs"]).to include(["json", self.class.default_version("json")], ["l-gamma", "1.0.0"])
    end
  end

  # 6. FastBundle.root / default_gemfile / default_lockfile / bundle_path
  # against Bundler's namesakes: gems.rb naming, a subdirectory, a
  # BUNDLE_GEMFILE elsewhere, bundle paths relative, with "..", "~" and
  # deployment, no Gemfile but a .bundle/ dir, nothing at all. Asking
  # changes nothing in the process; after setup, the answers are the same
  # and a second setup() is the first one.
  describe "root, default_gemfile, default_lockfile, bundle_path and a second setup" do
    def self.world
      World.cached(:paths) do |w|
        w.file("gems.rb", %(source "#{server.url}"\ngem "l-beta"\n))
        w.bundle("install")
        FileUtils.mkdir_p(w.path("sub/deeper"))
        # Another app, with its bundle in ../shared/bundle and a git gem.
        git_dir = File.join(World.tmpdir("git-paths"), "gpaths")
        GemFactory.git_repo(git_dir, name: "gpaths", version: "0.1.0", deps: { "l-gamma" => [] })
        other = { "BUNDLE_GEMFILE" => w.file("../other/Gemfile", <<~G) }
          source "#{server.url}"
          gem "l-delta"
          gem "gpaths", git: "#{git_dir}"
        G
        w.bundle("config", "set", "--local", "path", "../shared/bundle", env: other)
        w.bundle("install", env: other)
        FileUtils.mkdir_p(w.path("../bare/.bundle"))
        FileUtils.mkdir_p(w.path("../bare/inner"))
      end
    end

    let(:world) { self.class.world }

    [
      ["the app dir (gems.rb)", nil, {}],
      ["a subdirectory", "sub/deeper", {}],
      ["BUNDLE_GEMFILE relative to a subdirectory", "sub/deeper", { "BUNDLE_GEMFILE" => "../../../other/Gemfile" }],
      ["BUNDLE_PATH=vendor/bundle", nil, { "BUNDLE_PATH" => "vendor/bundle" }],
      ["BUNDLE_PATH with .. and a trailing slash", nil, { "BUNDLE_PATH" => "../shared/./bundle/" }],
      ["BUNDLE_PATH under ~", nil, { "BUNDLE_PATH" => "~/bundle" }],
      ["BUNDLE_DEPLOYMENT", "sub", { "BUNDLE_DEPLOYMENT" => "true" }],
      ["only a .bundle/ dir above", "../bare/inner", {}],
      ["neither Gemfile nor .bundle/", "../home", {}]
    ].each do |label, chdir, env|
      it "#{label}: the same answers, nothing set up" do
        theirs, ours = dump_both(world, env: env.merge("SETUP_PATHS_ONLY" => "1"), require_setup: false, chdir: chdir)
        expect(ours).to eq(theirs)
        expect(ours["unchanged"]).to be(true)
      end
    end

    it "answers the same after setup from a subdirectory; a second setup() is the first" do
      env = { "SETUP_PATHS" => "1", "SETUP_TWICE" => "1", "REQUIRE_GEMS" => "l-beta" }
      theirs, ours = dump_both(world, env: env, chdir: "sub/deeper")
      expect_same_state(theirs, ours)
      expect(ours["paths"]["default_lockfile"]).to eq(["Pathname", world.path("gems.locked")])
      expect(ours["setup_twice"]).to eq("same_runtime" => true, "load_path_unchanged" => true)
    end

    it "sets up the app BUNDLE_GEMFILE names, whose bundle path has a '..'" do
      env = { "BUNDLE_GEMFILE" => "../other/Gemfile", "SETUP_PATHS" => "1", "SETUP_TWICE" => "1",
              "REQUIRE_GEMS" => "l-delta,gpaths" }
      theirs, ours = dump_both(world, env: env)
      expect_same_state(theirs, ours)
      expect(ours["require_inside"].values).to all(eq("ok"))
      expect(ours["paths"]["bundle_path"]).to eq(["Pathname", File.join(world.root, "shared/bundle/ruby", RbConfig::CONFIG["ruby_version"])])
    end
  end

  # 5. Path and git gems with C extensions and several require paths. Bundler
  # puts their extension dirs on the load path: for a git gem
  # <bundle path>/bundler/gems/extensions/<platform>/<api>/<repo>-<rev12>
  # (built at install), for a path gem RubyGems' own extension dir beside
  # the gemspec's parent (never built: Bundler installs path gems with
  # extensions disabled).
  def self.ext_world(key, vendor: false)
    World.cached(key) do |w|
      git_dir = File.join(World.tmpdir("git-ext"), "gext")
      GemFactory.git_repo(git_dir, name: "gext", version: "0.3.0", extension: true, require_paths: %w[lib ext_lib],
                                   deps: { "ext-dep" => [">= 1"] }, files: { "man/man3/gext.3" => ".TH GEXT 3\n" })
      mono = File.join(World.tmpdir("git-mono"), "mono")
      GemFactory.source(File.join(mono, "monoext"), name: "monoext", version: "1.0.0", extension: true)
      GemFactory.source(File.join(mono, "monopaths"), name: "monopaths", version: "1.0.0",
                                                       require_paths: %w[lib more/lib])
      GemFactory.git(mono, "init", "--quiet", "--initial-branch=main")
      GemFactory.commit(mono, "two gems")
      GemFactory.source(w.path("vendor/pext"), name: "pext", version: "0.1.0", extension: true,
                                               require_paths: %w[lib ext_lib])
      GemFactory.source(w.path("vendor/ppaths"), name: "ppaths", version: "0.2.0", require_paths: %w[lib . gen/lib])
      # Outside the app, by a relative path: Bundler expands "..".
      GemFactory.source(File.join(w.root, "shared/pshared"), name: "pshared", version: "1.1.0")
      # No gemspec at all: Bundler makes one up from the name and version.
      GemFactory.write(File.join(w.root, "shared/nospec/lib/nospec.rb"), "$LOADED_GEMS_MARK ||= []\n$LOADED_GEMS_MARK << \"nospec\"\n")
      w.gemfile(<<~G)
        source "#{server.url}"
        gem "gext", git: "#{git_dir}"
        git "#{mono}" do
          gem "monoext"
          gem "monopaths"
        end
        gem "pext", path: "vendor/pext"
        gem "ppaths", path: "vendor/ppaths"
        gem "pshared", path: "../shared/pshared"
        gem "nospec", "0.0.1", path: "../shared/nospec"
      G
      w.config("path", "vendor/bundle") if vendor
      w.bundle("install")
      w.gem("install", "--local", "--no-document", gem_file("outside-1.0.0"))
    end
  end

  shared_examples "path and git gems with extensions" do |vendor|
    let(:world) { self.class.ext_world(vendor ? :ext_vendor : :ext_system, vendor: vendor) }
    let(:probes) do
      { "OUTSIDE_GEMS" => "outside",
        "PROBE_GEMS" => "gext,gext:>= 1,pext,outside",
        # pext's extension is never built: only its Ruby parts are required.
        "REQUIRE_GEMS" => "gext,gext_ext_lib,monoext,monopaths,monopaths_lib,ppaths_.,ppaths_lib,pext_ext_lib,pshared,nospec" }
    end

    it "puts the same extension and require-path dirs on $LOAD_PATH, and the git extensions load" do
      theirs, ours = dump_both(world, env: probes)
      expect_same_state(theirs, ours)
      expect(theirs["require_inside"].values).to all(eq("ok"))
      ext_dirs = theirs["load_path"].grep(%r{/extensions/})
      expect(ext_dirs.size).to eq(3) # gext, monoext, pext
      expect(ext_dirs.grep(%r{/bundler/gems/extensions/.*/gext-\h{12}\z}).size).to eq(1)
      expect(ours["env"]["MANPATH"]).to match(%r{/gext-\h{12}/man})
    end
  end

  context "path and git gems with C extensions and several require paths, in GEM_HOME" do
    include_examples "path and git gems with extensions", false
  end

  context "path and git gems with C extensions and several require paths, in vendor/bundle" do
    include_examples "path and git gems with extensions", true
  end
end
