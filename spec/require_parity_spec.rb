# frozen_string_literal: true

require "spec_helper"
require "json"

# FastBundle.require(*groups) must require exactly what Bundler.require does,
# in the same order, and fail the same way. Each example runs both in
# subprocesses of the same world and compares $LOADED_FEATURES, the gems'
# load markers and the error raised.
RSpec.describe "FastBundle.require parity with Bundler.require" do
  REQUIRE_DUMP = File.join(ROOT_DIR, "spec/scripts/require_dump.rb")

  def self.mark(label)
    "$LOADED_GEMS_MARK ||= []\n$LOADED_GEMS_MARK << #{label.dump}\n"
  end

  def self.gem_repo
    @gem_repo ||= begin
      repo = World.tmpdir("require-gems")
      gems = File.join(repo, "gems")
      build = ->(name, **opts) { GemFactory.build(gems, name: name, version: "1.0.0", **opts) }
      build.("alpha")
      build.("beta", files: { "lib/beta/extra.rb" => mark("beta/extra") })
      build.("gamma", files: { "lib/gamma/one.rb" => mark("gamma/one"), "lib/gamma/two.rb" => mark("gamma/two") })
      build.("delta")
      build.("epsilon")
      # No lib/<name>.rb on the load path (require path "src"):
      build.("foo-bar", require_paths: ["src"], files: { "src/foo/bar.rb" => mark("foo/bar") })
      build.("no-file", require_paths: ["src"])
      build.("nofile", require_paths: ["src"])
      build.("testonly")
      build.("skipped")
      build.("envgem")
      build.("shared")
      build.("missingfile")
      # Gems that fail to load, each in its own group.
      build.("boom", files: { "lib/boom.rb" => "#{mark("boom")}raise \"boom!\"\n" })
      build.("frozenboom", files: { "lib/frozenboom.rb" => "\"x\".freeze << \"y\"\n" })
      build.("nameerr", files: { "lib/nameerr.rb" => "UndefinedThingInNameerr\n" })
      build.("needy", files: { "lib/needy.rb" => "#{mark("needy")}require \"not_there_at_all\"\n" })
      build.("customload", files: { "lib/customload.rb" => "raise LoadError, \"custom load failure\"\n" })
      build.("dash-boom", require_paths: ["src"], files: { "src/dash/boom.rb" => "raise \"dash boom\"\n" })
      build.("dash-needy", require_paths: ["src"], files: { "src/dash/needy.rb" => "require \"not_there_either\"\n" })
      build.("arrayboom", files: { "lib/arrayboom/ok.rb" => mark("arrayboom/ok"), "lib/arrayboom/bad.rb" => "raise \"second file\"\n" })
      [repo, GemServer.start(repo)]
    end
  end

  def self.world
    World.cached(:require_parity) do |w|
      _, server = gem_repo
      w.gemfile(<<~G)
        source "#{server.url}"
        gem "alpha"
        gem "beta", require: "beta/extra"
        gem "gamma", require: ["gamma/one", "gamma/two"]
        gem "delta", require: false
        gem "epsilon", require: true
        gem "foo-bar"
        gem "no-file"
        gem "nofile"
        gem "never", platforms: :jruby
        install_if -> { false } do
          gem "skipped"
        end
        env "REQUIRE_ENVGEM" do
          gem "envgem"
        end
        gem "shared", group: [:default, :test]
        group :test do
          gem "testonly"
        end
        group(:boom) { gem "boom" }
        group(:frozenboom) { gem "frozenboom" }
        group(:nameerr) { gem "nameerr" }
        group(:needy) { gem "needy" }
        group(:customload) { gem "customload" }
        group(:missing) { gem "missingfile", require: "missingfile/not_a_file" }
        group(:dashboom) { gem "dash-boom" }
        group(:dashneedy) { gem "dash-needy" }
        group(:arrayboom) { gem "arrayboom", require: ["arrayboom/ok", "arrayboom/bad"] }
      G
      w.bundle("install", env: { "REQUIRE_ENVGEM" => "1" })
    end
  end

  # Runs Bundler.require and FastBundle.require in two subprocesses; setup:
  # true runs bundler/setup resp. fastbundle/setup first.
  def run_both(groups, setup: true, env: {})
    env = env.merge("REQUIRE_GROUPS" => groups, "FASTBUNDLE_LIB_DIR" => LIB_DIR)
    w = self.class.world
    theirs = w.ruby(*(setup ? ["-rbundler/setup"] : []), [REQUIRE_DUMP],
                    env: env.merge("REQUIRE_WITH" => "bundler"), allow_failure: true)
    ours = w.ruby(*(setup ? ["-rfastbundle/setup"] : []), [REQUIRE_DUMP],
                  env: env.merge("REQUIRE_WITH" => "fastbundle", "RUBYLIB" => LIB_DIR), allow_failure: true)
    [theirs, ours].map do |out, err, status|
      raise "dump failed (#{status.exitstatus}): #{err}" unless status.success?

      JSON.parse(out)
    end
  end

  def world_file?(path)
    path.start_with?(self.class.world.root)
  end

  shared_examples "the same requires" do |groups, expected_marks, env: {}|
    it "requires the same files in the same order (#{groups.inspect})" do
      theirs, ours = run_both(groups, env: env)
      expect(ours).to eq(theirs)
      expect(ours["status"]).to eq("ok")
      expect(ours["marks"]).to eq(expected_marks)
      expect(ours["hooked"]).to include("foo-bar", "foo/bar") if expected_marks.include?("foo/bar")
      expect(ours["added"].count { |f| world_file?(f) }).to be >= expected_marks.size
    end
  end

  context "after setup, every require: form" do
    default = %w[alpha-1.0.0 beta/extra gamma/one gamma/two epsilon-1.0.0 foo/bar shared-1.0.0]
    include_examples "the same requires", "", default
    include_examples "the same requires", "default", default
    include_examples "the same requires", "test", %w[shared-1.0.0 testonly-1.0.0]
    include_examples "the same requires", "s:test,default", default.take(6) + %w[shared-1.0.0 testonly-1.0.0]
    include_examples "the same requires", "default", default.take(6) + %w[envgem-1.0.0 shared-1.0.0],
                     env: { "REQUIRE_ENVGEM" => "yes" }
    include_examples "the same requires", "nosuchgroup", []
  end

  it "sets the groups up first when setup has not run" do
    theirs, ours = run_both("test", setup: false)
    expect(ours["status"]).to eq("ok")
    expect(ours["marks"]).to eq(theirs["marks"]).and eq(%w[shared-1.0.0 testonly-1.0.0])
    # Bundler loads part of the standard library for its own use; compare
    # what came from the bundle.
    expect(ours["added"].select { |f| world_file?(f) }).to eq(theirs["added"].select { |f| world_file?(f) })
  end

  describe "errors" do
    def both_fail(group)
      theirs, ours = run_both(group)
      expect(ours).to eq(theirs)
      expect(ours["status"]).to eq("error")
      ours
    end

    it "a gem whose file raises: GemRequireError (24) with Bundler's message and the cause" do
      ours = both_fail("boom")
      expect(ours["class"]).to eq("GemRequireError")
      expect(ours["status_code"]).to eq(24)
      expect(ours["message_head"]).to start_with("There was an error while trying to load the gem 'boom'.\n" \
                                                 "Gem Load Error is: boom!\nBacktrace for gem load error is:\n")
      expect(ours["message_head"].lines.last).to include("/boom-1.0.0/lib/boom.rb:3")
      expect(ours["message_tail"]).to eq("Bundler Error Backtrace:\n")
      expect(ours["cause"]).to eq("RuntimeError: boom!")
      expect(ours["orig_exception"]).to be(true)
    end

    it "a RuntimeError subclass (FrozenError) is wrapped too" do
      expect(both_fail("frozenboom")["class"]).to eq("GemRequireError")
    end

    it "an exception that is not a RuntimeError passes through unwrapped" do
      ours = both_fail("nameerr")
      expect(ours["class"]).to eq("NameError")
    end

    # The error a gem's file raised, whether Bundler lets it through (2.3
    # does for LoadErrors and for the "foo/bar" retry) or wraps it in
    # GemRequireError (2.5+ does for both): "Class: message".
    def underlying(ours)
      ours["class"] == "GemRequireError" ? ours["cause"] : "#{ours["class"]}: #{ours["message_head"]}"
    end

    it "a gem whose file requires a missing file: that LoadError, wrapped as Bundler wraps it" do
      ours = both_fail("needy")
      expect(underlying(ours)).to start_with("LoadError: cannot load such file -- not_there_at_all")
      expect(ours["marks"]).to eq(["needy"])
    end

    it "a LoadError without a path from the gem's file: as Bundler has it" do
      expect(underlying(both_fail("customload"))).to start_with("LoadError: custom load failure")
    end

    it "a require: file that does not exist: its LoadError" do
      expect(underlying(both_fail("missing"))).to start_with("LoadError: cannot load such file -- missingfile/not_a_file")
    end

    it "the dash fallback's file raising: as in Bundler" do
      expect(underlying(both_fail("dashboom"))).to start_with("RuntimeError: dash boom")
    end

    it "the dash fallback's file requiring a missing file: that LoadError" do
      expect(underlying(both_fail("dashneedy"))).to start_with("LoadError: cannot load such file -- not_there_either")
    end

    it "the second file of a require: list raising: named in the message" do
      ours = both_fail("arrayboom")
      expect(ours["message_head"]).to start_with("There was an error while trying to load the gem 'arrayboom/bad'.")
      expect(ours["marks"]).to eq(["arrayboom/ok"])
    end

    it "uncaught: the same exit status and message" do
      w = self.class.world
      code = "Bundler.require(:boom)"
      _, their_err, their_status = w.ruby("-rbundler/setup", "-e", code, allow_failure: true)
      _, our_err, our_status = w.ruby("-rfastbundle/setup", "-e", code, env: { "RUBYLIB" => LIB_DIR }, allow_failure: true)
      expect(our_status.exitstatus).to eq(their_status.exitstatus).and eq(1)
      [their_err, our_err].each { |err| expect(err).to include("There was an error while trying to load the gem 'boom'.") }
    end
  end
end
