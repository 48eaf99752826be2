# frozen_string_literal: true

require "spec_helper"

# `fastbundle check` against `bundle check` in the same worlds: satisfied,
# gems missing (which, in what order), groups left out, path and git gems,
# fastbundle itself locked; and where a setup would refuse, the message and
# status of `require "fastbundle/setup"` (Bundler's check agrees where it
# does not resolve).
RSpec.describe "fastbundle check" do
  include FastBundleCLI

  CHECK_SATISFIED = "The Gemfile's dependencies are satisfied\n"

  def self.gem_repo
    @gem_repo ||= begin
      repo = World.tmpdir("gems")
      gems = File.join(repo, "gems")
      GemFactory.build(gems, name: "beta", version: "2.1.0")
      GemFactory.build(gems, name: "alpha", version: "1.0.0", deps: { "beta" => ["~> 2.0"] })
      GemFactory.build(gems, name: "gamma", version: "0.3.0")
      GemFactory.build(gems, name: "fastbundle", version: "0.0.1")
      [repo, GemServer.start(repo)]
    end
  end

  def server
    self.class.gem_repo.last
  end

  # A fresh installed world; the server URL carries a password (the test
  # server ignores it) that no output may show.
  def installed(extra = "")
    w = World.new
    url = server.url.sub("http://", "http://checker:s3cr3t-pw@")
    w.gemfile(%(source "#{url}"\ngem "alpha"\ngroup :test do\n  gem "gamma"\nend\n#{extra}))
    yield w if block_given?
    w.bundle("install")
    w
  end

  def setup_outcome(world)
    _, err, status = world.ruby("-rfastbundle/setup", "-e1", env: { "RUBYLIB" => LIB_DIR }, allow_failure: true)
    [status.exitstatus, err]
  end

  # [status, stdout, stderr] of both; Gemfile.lock must be as it was after ours.
  def both(world, env: {})
    lock = world.lockfile
    ours = fastbundle(world, "check", env: env)
    expect(world.lockfile).to eq(lock)
    theirs = bundle(world, "check", "--dry-run", env: env)
    [ours, theirs].map { |out, err, status| [status.exitstatus, out, err] }
  end

  def remove_gem(world, name)
    FileUtils.rm_rf(Dir[File.join(world.gem_home, "{gems,specifications}", "#{name}-[0-9]*")])
  end

  it "says the dependencies are satisfied when every gem is installed" do
    ours, theirs = both(installed)
    expect(ours).to eq(theirs).and eq([0, CHECK_SATISFIED, ""])
  end

  it "lists the missing gems as bundle check does, in its order, and exits 1" do
    w = installed
    remove_gem(w, "gamma")
    remove_gem(w, "beta")
    ours, theirs = both(w)
    expect(ours).to eq(theirs)
    expect(ours).to eq([1, "", "The following gems are missing\n * gamma (0.3.0)\n * beta (2.1.0)\n" \
                                "Install missing gems with `bundle install`\n"])
    expect(ours.join).not_to include("s3cr3t")
  end

  it "does not count gems of groups left out (BUNDLE_WITHOUT)" do
    w = installed
    remove_gem(w, "gamma")
    ours, theirs = both(w, env: { "BUNDLE_WITHOUT" => "test" })
    expect(ours).to eq(theirs).and eq([0, CHECK_SATISFIED, ""])
  end

  it "checks path and git gems" do
    git_dir = World.tmpdir("gitgem")
    GemFactory.git_repo(git_dir, name: "gitgem", version: "0.9.0", deps: { "beta" => [">= 2"] })
    w = installed(%(gem "pathgem", path: "vendor/pathgem"\ngem "gitgem", git: #{git_dir.dump}\n)) do |world|
      GemFactory.source(world.path("vendor/pathgem"), name: "pathgem", version: "0.1.0")
    end
    ours, theirs = both(w)
    expect(ours).to eq(theirs).and eq([0, CHECK_SATISFIED, ""])

    FileUtils.rm_rf(Dir[File.join(w.gem_home, "bundler", "gems", "gitgem-*")])
    ours, theirs = both(w)
    expect(ours[0]).to eq(theirs[0])
    if theirs[0] == 11 # Bundler 2.3 lets the GitError out: the setup's message and status
      # (Bundler word-wraps it at 80 columns: where depends on the path's length)
      expect(theirs[2].gsub(/\s+/, " ")).to include("is not yet checked out. Run `bundle install` first.")
      expect(ours).to eq([*setup_outcome(w).first(1), "", setup_outcome(w).last])
    else # 2.5+: "can't satisfy", 1
      expect(setup_outcome(w).first).to eq(11)
      expect(ours).to eq(theirs)
    end
  end

  it "counts a locked fastbundle like any gem, as bundle check does (a setup uses the running one)" do
    w = installed(%(gem "fastbundle"\n))
    expect(w.lockfile).to include("fastbundle (0.0.1)")
    ours, theirs = both(w)
    expect(ours).to eq(theirs).and eq([0, CHECK_SATISFIED, ""])
    remove_gem(w, "fastbundle")
    ours, theirs = both(w)
    expect(ours).to eq(theirs)
    expect(ours[2]).to include(" * fastbundle (0.0.1)\n")
    expect(setup_outcome(w)).to eq([0, ""])
  end

  context "where the bundle cannot be checked" do
    it "exits 10 without a Gemfile, 4 for a Gemfile that raises, 18 for another Ruby, as bundle check does" do
      outside = World.new
      ours, theirs = both(outside)
      expect(ours).to eq(theirs)
      expect(ours[0]).to eq(10)

      [["raise \"boom\"\n", 4], [%(ruby "2.0.0"\n), 18]].each do |line, status|
        w = installed
        w.gemfile(w.read("Gemfile") + line)
        ours, theirs = both(w)
        expect([ours[0], theirs[0]]).to eq([status, status])
        expect(ours[2]).to eq(setup_outcome(w).last)
      end
    end

    it "gives the setup's message and status for a lockfile it cannot use, never a password" do
      w = installed
      lock = w.lockfile
      w.file("Gemfile.lock", "<<<<<<< HEAD\n#{lock}=======\n#{lock}>>>>>>> other\n")
      ours, = both(w)
      expect(ours[0]).to eq(20)
      expect(ours).to eq([setup_outcome(w).first, "", setup_outcome(w).last])
      expect(ours[2]).to include("Gemfile.lock")
      expect(ours.join).not_to include("s3cr3t")
      expect(ours[2]).not_to match(FastBundleCLI::BACKTRACE)

      # Where unfrozen Bundler would resolve (no lockfile at all), fastbundle
      # never does: the setup's 16 and its advice.
      File.delete(w.path("Gemfile.lock"))
      ours = fastbundle(w, "check")
      expect([ours[2].exitstatus, ours[1]]).to eq(setup_outcome(w))
      expect(ours[2].exitstatus).to eq(16)
      expect(File.exist?(w.path("Gemfile.lock"))).to be(false)
    end
  end
end
