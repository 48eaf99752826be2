# frozen_string_literal: true

require "spec_helper"
require "fastbundle/native"

# Issue 12, caches: every kind of cache file fastbundle reads — the plan
# entry, the compiled Gemfile, the recorded Definition, a compiled Ruby file
# of fastbundle's own — damaged (a sample of flipped bytes and cuts; every
# byte and every length of real files is cargo test's job:
# tests/cache_files.rs), from another fastbundle or format, or another
# app's (or file's) under this one's name, is ignored: the boot's answer is
# the FASTBUNDLE_CACHE=0 boot's (which is Bundler's, checked first) and the
# file is written again. Cache dirs that others can write, that another
# user owns, that are files, on a read-only or a full disk: never read,
# nothing printed, the right answer. A relative or missing HOME writes
# nothing under the current directory.
module CacheFilesDamaged
  GEMS = %w[d-one d-two].freeze
  QUIET = { "FASTBUNDLE_DEBUG" => nil }.freeze

  # The payload of a sealed file (nil if damaged), through the core's own reader.
  def self.payload(path)
    FastBundle::Native.read_cache_file(path)
  end

  # Runs the block with a fresh tmpfs (mount options `opts`) at `dir`,
  # unmounted afterwards whatever happens.
  def self.with_tmpfs(dir, opts)
    FileUtils.mkdir_p(dir)
    system("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir, exception: true)
    yield dir
  ensure
    system("umount", dir) if File.read("/proc/self/mountinfo").include?(" #{dir} ")
  end

  def self.can_mount?
    return false unless Process.euid.zero?

    probe = Dir.mktmpdir("fb-mount-probe-")
    ok = system("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe, err: File::NULL)
    system("umount", probe) if ok
    Dir.rmdir(probe)
    ok
  end

  # Writes zeros to `path`: `bytes` of them, or until the disk is full.
  def self.fill(path, bytes)
    File.open(path, "wb") do |f|
      chunk = "\0" * 4096
      written = 0
      written += f.syswrite(chunk) while bytes.nil? || written < bytes
    end
  rescue Errno::ENOSPC
    nil
  end

  # Every name under `dir` (recursively, dot files too), for before/after listings.
  def self.listing(dir)
    Dir.glob("**/*", File::FNM_DOTMATCH, base: dir).reject { |p| p.end_with?("/.", "/..") || p == "." }.sort
  end
end

RSpec.describe "Damaged, foreign and swapped cache files; cache dirs that cannot be trusted or written" do
  include SetupParity
  include PlanCacheHelpers

  def self.world
    World.cached(:cache_files_damaged) do |w|
      repo = World.tmpdir("cache-damaged-gems")
      GemFactory.build(File.join(repo, "gems"), name: "d-one", version: "1.0.0")
      GemFactory.build(File.join(repo, "gems"), name: "d-two", version: "2.0.0", deps: { "d-one" => [] })
      w.gemfile(%(source "#{GemServer.start(repo).url}"\ngem "d-two"\n))
      w.bundle("install")
    end
  end

  let(:world) { self.class.world }
  let(:cache) { World.tmpdir("cache") }
  let(:env) { { "FASTBUNDLE_CACHE_DIR" => cache } }
  let(:uncached) { boot(world, :fastbundle, env: CacheFilesDamaged::QUIET, cache: false) }

  def iseq_dir
    dirs = Dir[File.join(cache, "iseq", "*")]
    expect(dirs.size).to eq(1), dirs.inspect
    dirs.first
  end

  # The cache files of each kind after a cold and a warm boot.
  def files
    warm_boot(world, env: env)
    gemfile = File.join(iseq_dir, "gemfile#{world.path("Gemfile").tr("/", "%")}")
    {
      plan: Dir[File.join(cache, "plan", "*")].first,
      compiled_gemfile: gemfile,
      gemfile_record: "#{gemfile}.definition",
      iseq: Dir[File.join(iseq_dir, "*%dsl%evaluate.rb.*")].first
    }.each { |kind, f| expect(f && File.file?(f)).to be(true), "no #{kind} file" }
  end

  # A boot that reads `kind`: the plan entry on every boot; the Gemfile's
  # files and the cold path's compiled files when there is no plan entry;
  # the compiled Gemfile when there is no record either.
  def boot_reading(kind, env: self.env)
    FileUtils.rm_rf(File.join(cache, "plan")) unless kind == :plan
    FileUtils.rm_f(Dir[File.join(iseq_dir, "gemfile*.definition")]) if kind == :compiled_gemfile
    boot(world, :fastbundle, env: CacheFilesDamaged::QUIET.merge(env))
  end

  # The file is whole again: a compiled Gemfile byte for byte as before; a
  # compiled fastbundle file with the same instructions (its bytes depend on
  # which of its symbols the process made first, from source or from another
  # cached file); a record (whose sources hold process-local fingerprints)
  # with the same header; a plan entry the next boot uses.
  def expect_rewritten(kind, path, good, what)
    case kind
    when :plan then expect(boot(world, :fastbundle, env: env).hit).to be(true), "#{what}: not written again"
    when :gemfile_record
      expect(CacheFilesDamaged.payload(path)&.lines&.first).to eq(good.byteslice(24..).lines.first), what
    when :iseq
      disasm = ->(data) { data && RubyVM::InstructionSequence.load_from_binary(data).disasm }
      expect(disasm.call(CacheFilesDamaged.payload(path))).to eq(disasm.call(good.byteslice(24..))), "#{what}: not written again"
    else expect(File.binread(path)).to eq(good), "#{what}: not written again"
    end
  end

  # The boot gave the uncached answer and printed what it prints.
  def expect_uncached_answer(b, what)
    expect(b.status).to be_success, "#{what}: #{b.err}"
    expect([b.err, b.dump]).to eq([uncached.err, uncached.dump]), what
  end

  # Damaged copies of `good`: bytes flipped in each header word, the first
  # payload bytes, the first and last place of each gem name, the middle and the end; cut
  # inside and right after the header, in half, by one byte; empty.
  def damaged_copies(good)
    at = [0, 7, 8, 15, 16, 23, 24, 25, good.bytesize / 2, good.bytesize - 1]
    CacheFilesDamaged::GEMS.each do |g|
      [good.index(g), good.rindex(g)].compact.each { |i| at << (i + g.bytesize - 1) }
    end
    flips = at.uniq.map do |i|
      bad = good.b
      bad.setbyte(i, bad.getbyte(i) ^ 0x01)
      ["byte #{i} flipped", bad]
    end
    cuts = [0, 23, 24, 32, good.bytesize / 2, good.bytesize - 1].uniq.map { |n| ["cut to #{n}", good.byteslice(0, n)] }
    flips + cuts
  end

  it "answers as Bundler does with the cache off (the baseline of every example)" do
    expect_same_state(boot(world, :bundler, env: env).dump, uncached.dump)
  end

  %i[plan gemfile_record compiled_gemfile iseq].each do |kind|
    it "ignores a #{kind} file damaged in a sampled byte or cut, and writes it again" do
      path = files.fetch(kind)
      good = File.binread(path)
      cases = damaged_copies(good)
      cases.each do |what, bytes|
        File.binwrite(path, bytes)
        expect_uncached_answer(boot_reading(kind), "#{kind}, #{what}")
        expect_rewritten(kind, path, good, "#{kind}, #{what}")
      end
      puts "\n#{kind}: #{cases.size} damaged copies of #{good.bytesize} bytes"
    end
  end

  # Sealed files of another fastbundle: a valid seal around another
  # format's header; and a seal of another format.
  {
    gemfile_record: ["FBDF3 ", "FBDF2 "],
    compiled_gemfile: ["FBGF4 ", "FBGF3 "],
    iseq: ["YARB", "YARA"]
  }.each do |kind, (ours, theirs)|
    it "ignores a #{kind} file of another fastbundle or format" do
      path = files.fetch(kind)
      good = File.binread(path)
      payload = CacheFilesDamaged.payload(path)
      expect(payload).to start_with(ours)
      expect(FastBundle::Native.write_cache_file(path, payload.sub(ours, theirs))).to be(true)
      expect_uncached_answer(boot_reading(kind), "#{kind} of another version")
      expect_rewritten(kind, path, good, "#{kind} of another version")
      other_seal = good.b
      other_seal.setbyte(7, 2) # FBSEAL\0\x02
      File.binwrite(path, other_seal)
      expect_uncached_answer(boot_reading(kind), "#{kind} in another seal format")
      expect_rewritten(kind, path, good, "#{kind} in another seal format")
    end
  end

  it "ignores another app's Gemfile files, and another fastbundle file's compiled code, under this one's name" do
    ours = files
    other = World.new
    other.gemfile(world.read("Gemfile").sub("d-two", "d-one"))
    other.bundle("install")
    warm_boot(other, env: env)
    their_gemfile = File.join(iseq_dir, "gemfile#{other.path("Gemfile").tr("/", "%")}")
    swaps = {
      gemfile_record: "#{their_gemfile}.definition",
      compiled_gemfile: their_gemfile,
      iseq: Dir[File.join(iseq_dir, "*%planner.rb.*")].first
    }
    swaps.each do |kind, theirs|
      good = File.binread(ours[kind])
      FileUtils.cp(theirs, ours[kind])
      expect_uncached_answer(boot_reading(kind), "#{kind} swapped")
      expect_rewritten(kind, ours[kind], good, "#{kind} swapped")
    end
  end

  context "in cache dirs that cannot be trusted" do
    # Valid files planted where a boot would use them, each giving another
    # answer than the right one: a recorded Definition that names d-one in
    # place of d-two, and compiled code for dsl/evaluate.rb that aborts.
    def plant_poison(paths)
      record = CacheFilesDamaged.payload(paths[:gemfile_record])
      at = record.rindex("d-two")
      record[at, 5] = "d-one"
      expect(FastBundle::Native.write_cache_file(paths[:gemfile_record], record)).to be(true)
      evaluate = File.join(LIB_DIR, "fastbundle", "dsl", "evaluate.rb")
      poison = RubyVM::InstructionSequence.compile("abort 'POISONED ISEQ'", evaluate, evaluate).to_binary
      expect(FastBundle::Native.write_cache_file(paths[:iseq], poison)).to be(true)
      FileUtils.rm_rf(File.join(cache, "plan"))
    end

    it "would be steered by the planted files in a trusted dir (the poison works)" do
      plant_poison(files)
      b = boot(world, :fastbundle, env: CacheFilesDamaged::QUIET.merge(env))
      expect(b.status).not_to be_success
      expect(b.err).to include("POISONED ISEQ")
      File.unlink(files_now = Dir[File.join(iseq_dir, "*%dsl%evaluate.rb.*")].first)
      FileUtils.rm_rf(File.join(cache, "plan"))
      b = boot(world, :fastbundle, env: CacheFilesDamaged::QUIET.merge(env))
      expect([b.status.success?, b.dump]).not_to eq([true, uncached.dump]), files_now
    end

    {
      "the cache root writable by others (o+w)" => ->(c, _) { File.chmod(0o707, c) },
      "the cache root writable by its group (g+w)" => ->(c, _) { File.chmod(0o770, c) },
      "the compiled-files dir writable by others" => ->(_, i) { File.chmod(0o703, i) },
      "the cache root owned by another user (uid 65534)" => ->(c, _) { File.chown(65_534, nil, c) },
      "the compiled-files dir owned by another user" => ->(_, i) { File.chown(65_534, 65_534, i) }
    }.each do |what, change|
      it "never reads #{what}" do
        skip "chown needs root" if what.include?("another user") && !Process.euid.zero?
        plant_poison(files)
        change.call(cache, iseq_dir)
        before = CacheFilesDamaged.listing(cache)
        2.times { expect_uncached_answer(boot(world, :fastbundle, env: CacheFilesDamaged::QUIET.merge(env)), what) }
        # Nothing made or written there either (a root not ours: not even the plan dir).
        expect(CacheFilesDamaged.listing(cache)).to eq(before) if what.include?("root")
      end
    end

    # Without a compiled copy of the Gemfile (ruby -w, or no trusted dir
    # for compiled files) the plan cache still keeps a plain Gemfile's answer.
    it "still keeps the plan when compiled files are not used (ruby -w; their dir writable by others)" do
      [["ruby -w", { "RUBYOPT" => "-w" }, -> {}], ["compiled-files dir g+w", {}, -> { File.chmod(0o770, iseq_dir) }]]
        .each do |what, run_env, change|
          FileUtils.rm_rf(cache)
          FileUtils.mkdir_p(cache, mode: 0o700)
          files
          change.call
          FileUtils.rm_rf(File.join(cache, "plan"))
          right = boot(world, :fastbundle, env: run_env, cache: false)
          b = warm_boot(world, env: env.merge(run_env))
          expect([b.err.lines.grep_v(/\Afastbundle: /), b.dump]).to eq([right.err.lines.grep_v(/\Afastbundle: /), right.dump]), what
        end
    end

    it "makes nothing inside an empty cache root others can write or another user owns" do
      [[0o777, nil], [0o755, 65_534]].each do |mode, uid|
        next if uid && !Process.euid.zero?

        root = World.tmpdir("untrusted-root")
        File.chmod(mode, root)
        File.chown(uid, nil, root) if uid
        2.times do
          b = boot(world, :fastbundle, env: CacheFilesDamaged::QUIET.merge("FASTBUNDLE_CACHE_DIR" => root))
          expect_uncached_answer(b, "root #{mode.to_s(8)} of uid #{uid || Process.euid}")
        end
        expect(Dir.children(root)).to be_empty, "made in a root of mode #{mode.to_s(8)}, uid #{uid}"
        b = boot(world, :fastbundle, env: { "FASTBUNDLE_CACHE_DIR" => root })
        expect(miss_reason(b)).to include("not a directory owned by this user and writable by it alone")
      end
    end

    it "never reads a plan dir or entry owned by another user" do
      skip "chown needs root" unless Process.euid.zero?
      files
      plan = File.join(cache, "plan")
      File.chown(65_534, nil, plan)
      b = boot(world, :fastbundle, env: env)
      expect(miss_reason(b)).to include("not a directory owned by this user")
      File.chown(0, nil, plan)
      File.chown(65_534, nil, Dir[File.join(plan, "*")].first)
      b = boot(world, :fastbundle, env: env)
      expect(miss_reason(b)).to include("not a file of this user's alone")
      expect_uncached_answer(boot(world, :fastbundle, env: CacheFilesDamaged::QUIET.merge(env)), "entry of uid 65534")
    end
  end

  it "costs nothing and prints nothing when a cache's subdirectory is a file" do
    %w[plan iseq].each do |sub|
      dir = World.tmpdir("cache-with-file")
      File.write(File.join(dir, sub), "not a directory\n")
      2.times do
        b = boot(world, :fastbundle, env: CacheFilesDamaged::QUIET.merge("FASTBUNDLE_CACHE_DIR" => dir))
        expect_uncached_answer(b, "#{sub} is a file")
      end
      expect(File.read(File.join(dir, sub))).to eq("not a directory\n")
    end
  end

  context "on a read-only or a full disk" do
    before(:all) { @can_mount = CacheFilesDamaged.can_mount? }
    before { skip "needs root and tmpfs mounts (#{Process.euid.zero? ? "mount failed" : "not root"})" unless @can_mount }

    it "boots right and prints nothing on a read-only disk, empty or holding a warm cache" do
      mnt = File.join(World.tmpdir("ro"), "mnt")
      CacheFilesDamaged.with_tmpfs(mnt, "size=4m,mode=0700") do
        ro = { "FASTBUNDLE_CACHE_DIR" => File.join(mnt, "cache") }
        system("mount", "-o", "remount,ro", mnt, exception: true)
        2.times { expect_uncached_answer(boot(world, :fastbundle, env: CacheFilesDamaged::QUIET.merge(ro)), "empty ro") }
        expect(Dir.children(mnt)).to be_empty

        system("mount", "-o", "remount,rw", mnt, exception: true)
        warm_boot(world, env: ro)
        system("mount", "-o", "remount,ro", mnt, exception: true)
        b = boot(world, :fastbundle, env: ro)
        expect(b.hit).to be(true), b.err # a cache shipped with a read-only deploy is used
        expect_uncached_answer(boot(world, :fastbundle, env: CacheFilesDamaged::QUIET.merge(ro)), "warm ro")
        entry = Dir[File.join(mnt, "cache", "plan", "*")].first
        # A stale entry there cannot be rewritten: a miss, still quiet.
        lock = world.read("Gemfile.lock")
        expected = uncached
        world.file("Gemfile.lock", "#{lock}\n")
        begin
          expect_uncached_answer(boot(world, :fastbundle, env: CacheFilesDamaged::QUIET.merge(ro)), "stale ro")
        ensure
          world.file("Gemfile.lock", lock)
        end
        expect(expected.dump).to eq(uncached.dump)
        expect(File.file?(entry)).to be(true)
      end
    end

    it "boots right, prints nothing and leaves no partial file on a full disk" do
      mnt = File.join(World.tmpdir("full"), "mnt")
      CacheFilesDamaged.with_tmpfs(mnt, "size=256k,mode=0700") do
        full = { "FASTBUNDLE_CACHE_DIR" => File.join(mnt, "cache") }
        # Room for the directories and a few files, then none at all.
        [[200 << 10, "almost full"], [nil, "full"]].each do |bytes, what|
          filler = File.join(mnt, "filler")
          CacheFilesDamaged.fill(filler, bytes)
          3.times { expect_uncached_answer(boot(world, :fastbundle, env: CacheFilesDamaged::QUIET.merge(full)), what) }
          leftovers = CacheFilesDamaged.listing(mnt).grep(/\.tmp\z/)
          expect(leftovers).to be_empty, "#{what}: #{leftovers.inspect}"
          Dir.glob(File.join(mnt, "cache", "**", "*")).select { |f| File.file?(f) }.each do |f|
            next if CacheFilesDamaged.payload(f) || File.basename(File.dirname(f)) == "plan"

            raise "#{what}: #{f} is neither sealed nor a plan entry"
          end
          File.unlink(filler)
        end
      end
    end
  end

  it "never writes under the current directory with a relative or missing HOME" do
    [{ "HOME" => "rel-home" }, { "HOME" => nil }, { "HOME" => ".", "XDG_CACHE_HOME" => "rel-xdg" }].each do |home|
      run_env = CacheFilesDamaged::QUIET.merge("FASTBUNDLE_CACHE_DIR" => nil, "XDG_CACHE_HOME" => nil).merge(home)
      theirs = boot(world, :fastbundle, env: run_env, cache: false)
      before = CacheFilesDamaged.listing(world.dir)
      2.times do
        b = boot(world, :fastbundle, env: run_env)
        expect(b.status).to be_success, "#{home}: #{b.err}"
        expect([b.err, b.dump]).to eq([theirs.err, theirs.dump]), home.inspect
      end
      expect(CacheFilesDamaged.listing(world.dir)).to eq(before), home.inspect
    end
  end
end
