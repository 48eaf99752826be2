# frozen_string_literal: true

require "spec_helper"

# Bad input and faults: each world is broken in one way, then real Bundler
# (`Bundler.with_friendly_errors { Bundler.setup }`, frozen and not) and
# fastbundle run on it in subprocesses. fastbundle must exit with Bundler's
# status (frozen Bundler's where the two differ: fastbundle never
# re-resolves), print a message naming the gem or file and the fix without a
# backtrace (unless FASTBUNDLE_DEBUG=1), raise the matching
# FastBundle::...Error from FastBundle.setup, and leave Gemfile.lock alone.
RSpec.describe "setup errors: bad input and faults, against Bundler" do
  BUNDLER_SETUP = "require 'bundler'; require 'bundler/friendly_errors'; " \
                  "Bundler.with_friendly_errors { Bundler.setup }; puts :booted"
  FASTBUNDLE_SETUP = "require 'fastbundle'; begin; FastBundle.setup; puts :booted; " \
                     "rescue FastBundle::Error => e; puts e.class.name; end"
  BACKTRACE = /:\d+:in [`']/.freeze

  # beta <- alpha, gamma: served over HTTP on 127.0.0.1 (twice, for a second
  # source URL).
  def self.gem_repo
    @gem_repo ||= begin
      repo = World.tmpdir("gems")
      gems = File.join(repo, "gems")
      GemFactory.build(gems, name: "beta", version: "2.1.0")
      GemFactory.build(gems, name: "alpha", version: "1.0.0", deps: { "beta" => ["~> 2.0"] })
      GemFactory.build(gems, name: "gamma", version: "0.3.0")
      [repo, GemServer.start(repo)]
    end
  end

  def self.server
    gem_repo.last
  end

  def self.second_server
    @second_server ||= GemServer.start(gem_repo.first)
  end

  def server
    self.class.server
  end

  # A fresh world with GEMFILE installed (`bundle install`).
  def installed_world(gemfile)
    w = World.new
    w.gemfile(gemfile)
    yield w if block_given?
    w.bundle("install")
    w
  end

  Outcome = Struct.new(:ours, :debug, :error_class, :theirs, :theirs_unfrozen, keyword_init: true) do
    def status
      ours[2].exitstatus
    end

    def stderr
      ours[1]
    end
  end

  # Runs fastbundle (require "fastbundle/setup", once more with
  # FASTBUNDLE_DEBUG=1, and FastBundle.setup) and then Bundler (frozen, and
  # unfrozen if asked) in WORLD. Gemfile.lock must be byte-identical after
  # fastbundle; Bundler's unfrozen run may rewrite it, so it is restored.
  def run_all(world, env: {}, unfrozen: false)
    before = File.exist?(world.path("Gemfile.lock")) ? File.binread(world.path("Gemfile.lock")) : nil
    ours_env = env.merge("RUBYLIB" => LIB_DIR)
    ours = world.ruby("-rfastbundle/setup", "-e", "puts :booted", env: ours_env, allow_failure: true)
    debug = world.ruby("-rfastbundle/setup", "-e", "puts :booted", env: ours_env.merge("FASTBUNDLE_DEBUG" => "1"),
                       allow_failure: true)
    error_class = world.ruby("-e", FASTBUNDLE_SETUP, env: ours_env, allow_failure: true)[0].strip
    after = File.exist?(world.path("Gemfile.lock")) ? File.binread(world.path("Gemfile.lock")) : nil
    expect(after).to eq(before), "fastbundle changed Gemfile.lock"

    theirs = world.ruby("-e", BUNDLER_SETUP, env: env.merge("BUNDLE_FROZEN" => "true"), allow_failure: true)
    theirs_unfrozen = nil
    if unfrozen
      theirs_unfrozen = world.ruby("-e", BUNDLER_SETUP, env: env, allow_failure: true)
      before ? File.binwrite(world.path("Gemfile.lock"), before) : FileUtils.rm_f(world.path("Gemfile.lock"))
    end
    Outcome.new(ours: ours, debug: debug, error_class: error_class, theirs: theirs, theirs_unfrozen: theirs_unfrozen)
  end

  # The common contract of a failure: frozen Bundler's status, the error
  # class from FastBundle.setup, a message with every expected fragment, no
  # backtrace unless FASTBUNDLE_DEBUG=1, nothing printed on stdout.
  def expect_failure(outcome, status:, error:, includes: [])
    expect(outcome.theirs[2].exitstatus).to eq(status), "Bundler (frozen) said #{outcome.theirs[2].exitstatus}:\n#{outcome.theirs[1]}"
    expect(outcome.status).to eq(status), "fastbundle said #{outcome.status}:\n#{outcome.stderr}"
    expect(outcome.ours[0]).to eq("")
    expect(outcome.error_class).to eq("FastBundle::#{error}")
    expect(outcome.stderr).to include(*includes)
    expect(outcome.stderr).not_to match(BACKTRACE)
    expect(outcome.debug[2].exitstatus).to eq(status)
    expect(outcome.debug[1]).to match(BACKTRACE)
  end

  def expect_boot(outcome)
    expect(outcome.theirs[0]).to eq("booted\n"), "Bundler (frozen) failed:\n#{outcome.theirs[1]}"
    expect(outcome.ours[0]).to eq("booted\n"), "fastbundle failed (#{outcome.status}):\n#{outcome.stderr}"
    expect(outcome.error_class).to eq("booted")
  end

  describe "gems not installed" do
    it "a locked gem that is not installed: status 7 naming the gem" do
      w = World.new
      w.gemfile(%(source "#{server.url}"\ngem "alpha"\n))
      w.bundle("lock")
      expect_failure(run_all(w), status: 7, error: "GemNotFound", includes: ["alpha-1.0.0", "bundle install"])
    end
  end

  describe "the Gemfile and the lockfile disagree" do
    # Bundler without frozen re-resolves (and rewrites Gemfile.lock) where it
    # can; frozen Bundler refuses with 16, and so does fastbundle, which
    # never resolves.
    def changed_world(before, after)
      w = installed_world(before)
      w.gemfile(after)
      w
    end

    it "no lockfile: frozen Bundler's 16, never writes one" do
      w = installed_world(%(source "#{server.url}"\ngem "alpha"\n))
      FileUtils.rm(w.path("Gemfile.lock"))
      outcome = run_all(w, unfrozen: true)
      expect(outcome.theirs_unfrozen[0]).to end_with("booted\n") # resolved from the installed gems, wrote a lockfile
      expect_failure(outcome, status: 16, error: "ProductionError", includes: ["Gemfile.lock", "bundle install"])
      expect(File.exist?(w.path("Gemfile.lock"))).to be(false)
    end

    it "a gem added: names it" do
      w = installed_world(%(source "#{server.url}"\ngem "beta"\ngem "alpha"\n))
      w.gemfile(%(source "#{server.url}"\ngem "beta"\n))
      w.bundle("lock")
      w.gemfile(%(source "#{server.url}"\ngem "beta"\ngem "alpha"\n))
      outcome = run_all(w, unfrozen: true)
      expect(outcome.theirs_unfrozen[0]).to end_with("booted\n") # alpha is installed: Bundler re-resolves
      expect_failure(outcome, status: 16, error: "ProductionError",
                              includes: ["You added to the Gemfile:\n* alpha (>= 0)", "bundle install"])
    end

    it "a gem removed: names it" do
      w = changed_world(%(source "#{server.url}"\ngem "beta"\ngem "gamma"\n), %(source "#{server.url}"\ngem "beta"\n))
      expect_failure(run_all(w), status: 16, error: "ProductionError",
                                 includes: ["You deleted from the Gemfile:\n* gamma", "bundle install"])
    end

    it "a requirement changed: shows both" do
      w = changed_world(%(source "#{server.url}"\ngem "beta"\n), %(source "#{server.url}"\ngem "beta", "~> 2.0"\n))
      expect_failure(run_all(w), status: 16, error: "ProductionError",
                                 includes: ["* beta from `>= 0` to `~> 2.0`", "bundle install"])
    end

    it "a gem moved from the rubygems source to a path" do
      w = changed_world(%(source "#{server.url}"\ngem "beta"\n), %(source "#{server.url}"\ngem "beta", path: "vendor/beta"\n))
      GemFactory.source(w.path("vendor/beta"), name: "beta", version: "2.1.0")
      expect_failure(run_all(w), status: 16, error: "ProductionError",
                                 includes: ["* beta from `no specified source` to `source at `vendor/beta``"])
    end

    it "a path gem moved to another directory" do
      w = installed_world(%(source "#{server.url}"\ngem "localgem", path: "vendor/a"\n)) do |world|
        GemFactory.source(world.path("vendor/a"), name: "localgem", version: "0.1.0")
        GemFactory.source(world.path("vendor/b"), name: "localgem", version: "0.1.0")
      end
      w.gemfile(%(source "#{server.url}"\ngem "localgem", path: "vendor/b"\n))
      expect_failure(run_all(w), status: 16, error: "ProductionError",
                                 includes: ["* localgem from `source at `vendor/a`` to `source at `vendor/b``"])
    end

    it "a git gem given a branch" do
      git_dir = World.tmpdir("gitgem")
      GemFactory.git_repo(git_dir, name: "gitgem", version: "0.9.0", branch: "feature")
      w = changed_world(%(source "#{server.url}"\ngem "gitgem", git: "#{git_dir}"\n),
                        %(source "#{server.url}"\ngem "gitgem", git: "#{git_dir}", branch: "feature"\n))
      expect_failure(run_all(w), status: 16, error: "ProductionError",
                                 includes: ["* gitgem from `git #{git_dir}` to `git #{git_dir} (branch: feature)`"])
    end

    it "a gem moved into a source block with another remote" do
      other = self.class.second_server.url
      w = changed_world(%(source "#{server.url}"\ngem "beta"\n), %(source "#{server.url}"\ngem "beta", source: "#{other}"\n))
      expect_failure(run_all(w), status: 16, error: "ProductionError",
                                 includes: ["* beta from `no specified source` to `rubygems repository #{other}/`"])
    end

    it "the global source moved to another URL" do
      other = self.class.second_server.url
      w = changed_world(%(source "#{server.url}"\ngem "beta"\n), %(source "#{other}"\ngem "beta"\n))
      expect_failure(run_all(w), status: 16, error: "ProductionError",
                                 includes: ["rubygems repository #{other}/", "rubygems repository #{server.url}/", "bundle install"])
    end

    it "a source block naming the global remote again is no change: boots, like Bundler" do
      w = changed_world(%(source "#{server.url}"\ngem "beta"\n),
                        %(source "#{server.url}"\nsource "#{server.url}" do\n  gem "beta"\nend\n))
      expect_boot(run_all(w))
    end

    it "an old lockfile with every remote in one GEM section: used as it is, as frozen Bundler does" do
      other = self.class.second_server.url
      w = installed_world(%(source "#{server.url}"\nsource "#{other}" do\n  gem "gamma"\nend\ngem "alpha"\n))
      platform = w.lockfile[/^PLATFORMS\n  (\S+)$/, 1]
      w.file("Gemfile.lock", <<~L)
        GEM
          remote: #{server.url}/
          remote: #{other}/
          specs:
            alpha (1.0.0)
              beta (~> 2.0)
            beta (2.1.0)
            gamma (0.3.0)

        PLATFORMS
          #{platform}

        DEPENDENCIES
          alpha
          gamma!

        BUNDLED WITH
           2.3.15
      L
      outcome = run_all(w, unfrozen: true)
      expect_boot(outcome)
      # Bundler without frozen would rewrite it into one section per source.
      expect(outcome.theirs_unfrozen[0]).to eq("Resolving dependencies...\nbooted\n")
    end

    it "a needed gem missing from the lockfile: frozen Bundler's 16" do
      w = installed_world(%(source "#{server.url}"\ngem "alpha"\n))
      w.file("Gemfile.lock", w.lockfile.sub("    beta (2.1.0)\n", ""))
      expect_failure(run_all(w), status: 16, error: "ProductionError",
                                 includes: ["Gemfile.lock does not have all the gems", "beta (needed by alpha)", "bundle install"])
    end
  end

  describe "the running Ruby" do
    it "a Ruby version the Gemfile does not allow: status 18" do
      w = installed_world(%(source "#{server.url}"\ngem "beta"\n))
      w.gemfile(%(source "#{server.url}"\nruby "~> 2.0"\ngem "beta"\n))
      outcome = run_all(w)
      expect_failure(outcome, status: 18, error: "RubyVersionMismatch",
                              includes: ["Your Ruby version is #{RUBY_VERSION}, but your Gemfile specified ~> 2.0"])
    end
  end

  describe "no Gemfile" do
    it "does nothing, like Bundler" do
      w = World.new
      out, _, status = w.ruby("-rfastbundle/setup", "-e", "p defined?(FastBundle::Runtime)", env: { "RUBYLIB" => LIB_DIR })
      expect(status).to be_success
      expect(out).to eq("nil\n")
    end
  end
end
