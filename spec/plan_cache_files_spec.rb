# frozen_string_literal: true

require "spec_helper"

# Issue 11: what the cache's files may be and what a boot then does.
# Damaged, truncated, foreign and planted entries are ignored (and
# replaced), a directory others can write is never read, a cache dir that
# cannot be made costs nothing and prints nothing, and 32 processes booting
# one app at once on a cold cache all get the right answer and leave one
# valid entry.
RSpec.describe "The plan cache's files" do
  include SetupParity
  include PlanCacheHelpers

  def self.world
    World.cached(:plan_cache_files) do |w|
      repo = World.tmpdir("plan-cache-files-gems")
      GemFactory.build(File.join(repo, "gems"), name: "f-one", version: "1.0.0")
      GemFactory.build(File.join(repo, "gems"), name: "f-two", version: "2.0.0", deps: { "f-one" => [] })
      GemFactory.source(w.path("local/f-path"), name: "f-path", version: "0.1.0")
      w.gemfile(<<~G)
        source "#{GemServer.start(repo).url}"
        gem "f-two"
        gem "f-path", path: "local/f-path"
      G
      w.bundle("install")
    end
  end

  let(:world) { self.class.world }
  let(:cache) { World.tmpdir("cache") }
  let(:env) { { "FASTBUNDLE_CACHE_DIR" => cache } }
  let(:expected) { boot(world, :fastbundle, env: env, cache: false) }

  def entry
    entries = Dir[File.join(cache, "plan", "*")]
    expect(entries.size).to eq(1), entries.inspect
    entries.first
  end

  # A boot with the cache that gives the uncached answer; whether it was a hit.
  def expect_right_answer(env = self.env)
    b = boot(world, :fastbundle, env: env)
    expect(b.status).to be_success, b.err
    expect(b.dump).to eq(expected.dump)
    b
  end

  it "gives Bundler's answer, the same cold and warm" do
    theirs = boot(world, :bundler, env: env)
    expect_same_state(theirs.dump, expected.dump)
    expect(warm_boot(world, env: env).dump).to eq(expected.dump)
  end

  it "ignores an entry damaged in any byte, truncated or emptied, and writes it again" do
    warm_boot(world, env: env)
    good = File.binread(entry)
    damaged = [0, 8, 16, 24, good.bytesize / 2, good.bytesize - 1].map do |i|
      bad = good.dup
      bad.setbyte(i, bad.getbyte(i) ^ 0xff)
      ["byte #{i} flipped", bad]
    end
    damaged += [["truncated", good.byteslice(0, good.bytesize - 7)], ["empty", ""], ["garbage", "\x00" * 4096]]
    damaged.each do |what, bytes|
      File.binwrite(entry, bytes)
      b = expect_right_answer
      expect(b.hit).to be(false), what
      expect(miss_reason(b)).to match(/cache entry is|another fastbundle build/), "#{what}: #{b.err}"
      expect(expect_right_answer.hit).to be(true), "#{what}: not written again"
    end
  end

  it "ignores an entry written by another fastbundle build" do
    warm_boot(world, env: env)
    bytes = File.binread(entry)
    bytes[8, 8] = [0].pack("Q<") # the build id
    File.binwrite(entry, bytes)
    b = expect_right_answer
    expect(miss_reason(b)).to eq("the cache entry was written by another fastbundle build")
  end

  it "ignores another app's entry planted under this app's name" do
    other = World.new
    other.gemfile(world.read("Gemfile").sub(/^gem "f-path".*\n/, ""))
    other.bundle("install")
    ours = File.basename(warm_boot(world, env: env) && entry)
    warm_boot(other, env: env)
    theirs = Dir[File.join(cache, "plan", "*")].find { |e| File.basename(e) != ours }
    File.rename(theirs, File.join(cache, "plan", ours))
    b = expect_right_answer
    expect(b.hit).to be(false)
    expect(miss_reason(b)).to eq("the Ruby or gem environment changed (Gem.path, platform, Ruby, fastbundle)")
  end

  it "never reads a directory others can write, nor an entry that is not the user's alone" do
    warm_boot(world, env: env)
    File.chmod(0o777, File.join(cache, "plan"))
    b = expect_right_answer
    expect(miss_reason(b)).to include("not a directory owned by this user and writable by it alone")
    File.chmod(0o700, File.join(cache, "plan"))
    File.chmod(0o666, entry)
    b = expect_right_answer
    expect(miss_reason(b)).to include("not a file of this user's alone")
    File.chmod(0o600, entry)
    expect(expect_right_answer.hit).to be(true)
  end

  it "costs nothing and prints nothing when the cache dir cannot be made" do
    file = File.join(cache, "a-file")
    File.write(file, "")
    quiet = { "FASTBUNDLE_DEBUG" => nil }
    uncached = boot(world, :fastbundle, env: quiet, cache: false)
    ["#{file}/sub", "/proc/fastbundle-cache", file].each do |dir|
      b = boot(world, :fastbundle, env: quiet.merge("FASTBUNDLE_CACHE_DIR" => dir))
      expect(b.status).to be_success, b.err
      expect([b.err, b.dump]).to eq([uncached.err, uncached.dump]), dir
    end
  end

  it "never puts a cache under the current directory when HOME is relative" do
    %w[relative-home .].each do |home|
      b = boot(world, :fastbundle, env: { "HOME" => home, "XDG_CACHE_HOME" => "rel", "FASTBUNDLE_CACHE_DIR" => nil })
      expect(b.status).to be_success, b.err
      expect(Dir.children(world.dir).grep(/\A(relative-home|rel|\.cache)\z/)).to be_empty
    end
  end

  it "lets 32 processes boot one app at once on a cold cache: every answer right, one valid entry left" do
    env = PlanCacheHelpers::DEBUG.merge(self.env).merge("RUBYLIB" => LIB_DIR, "SETUP_WITH" => "fastbundle")
    cmd = [World::RUBY_BIN, "-rfastbundle/setup", SetupParity::DUMP]
    outputs = Array.new(32) do
      Thread.new { World.spawn_capture(world.env(env), cmd, chdir: world.dir) }
    end.map(&:value)
    outputs.each do |out, err, status|
      expect(status).to be_success, err
      expect(JSON.parse(out)).to eq(expected.dump)
    end
    expect(Dir.children(File.join(cache, "plan")).size).to eq(1) # no temporary file left either
    expect(warm_boot(world, env: self.env).hit).to be(true)
  end
end
