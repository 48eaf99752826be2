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
    it "a Gemfile changed after locking: says what changed, Bundler's frozen status" do
      w = installed_world(%(source "#{server.url}"\ngem "beta"\n))
      w.gemfile(%(source "#{server.url}"\ngem "beta"\ngem "alpha"\n))
      expect_failure(run_all(w), status: 16, error: "ProductionError", includes: ["alpha", "bundle install"])
      expect(w.lockfile).not_to include("alpha")
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
