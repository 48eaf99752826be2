# frozen_string_literal: true

require "find"
require "spec_helper"

# Credentials planted in every place at once — a rubygems remote's
# password, a token given as a source's user (Gemfury, GitHub), a git
# remote's token, BUNDLE_<HOST> in ENV and in .bundle/config, a mirror URL
# in ~/.bundle/config, a token the Gemfile reads from ENV — then fastbundle
# boots, prints everything an app might print (spec/scripts/secrets_probe.rb),
# fails in every way that names a source, and panics. Nothing it prints
# (stdout, stderr, FASTBUNDLE_DEBUG=1 output, uncaught errors with their
# causes), nor the `fastbundle` command's, nor any file it writes (HOME, caches, the app) may contain one.
# Real Bundler 2.3.15 runs the same probes in the same worlds; what it
# shows is tallied (printed), not asserted: it is the comparison for
# docs/robustness.md.
SECRETS_PROBE = File.join(ROOT_DIR, "spec/scripts/secrets_probe.rb")

RSpec.describe "credentials: planted everywhere at once, never printed or written" do

  before(:all) do
    @seed = Integer(ENV.fetch("SEED", Random.new_seed % (2**31)))
    puts "\nsecrets_spec: seed #{@seed} (SEED=#{@seed} repeats it)"
    rng = Random.new(@seed)
    word = ->(tag) { "#{tag}#{rng.bytes(6).unpack1("H*")}" }
    @secret = {
      gemfile_password: word["pw"], gemfile_token_user: word["tok"], git_token: word["git"],
      env_host_setting: word["envcred"], local_host_setting: word["localcred"], global_mirror: word["mirror"],
      env_token_in_gemfile: word["envtok"], invalid_url_password: word["dslpw"], panic_message: word["panic"]
    }
    @bundler_shows = Hash.new { |h, k| h[k] = [] } # secret => [runs where Bundler printed it]
    @written = [] # files fastbundle created or changed

    repo = World.tmpdir("gems")
    GemFactory.build(File.join(repo, "gems"), name: "beta", version: "2.1.0")
    GemFactory.build(File.join(repo, "gems"), name: "alpha", version: "1.0.0", deps: { "beta" => ["~> 2.0"] })
    GemFactory.build(File.join(repo, "gems"), name: "gamma", version: "0.3.0")
    @servers = [GemServer.start(repo), GemServer.start(repo)]
    @git_dir = File.join(World.tmpdir("git"), "gitgem")
    GemFactory.git_repo(@git_dir, name: "gitgem", version: "0.9.0")
  end

  def secret
    @secret
  end

  # Every credential this world's processes see in their environment.
  def env
    { "BUNDLE_127__0__0__1" => "u:#{secret[:env_host_setting]}", "GEMFURY_TOKEN" => secret[:env_token_in_gemfile],
      "BUNDLE_FROZEN" => "true" }
  end

  # World A: credentials in the Gemfile's text, the lockfile and settings.
  def world_a
    @world_a ||= begin
      p1, p2 = @servers.map(&:port)
      w = World.new
      w.gemfile(<<~G)
        source "http://user:#{secret[:gemfile_password]}@127.0.0.1:#{p1}"
        source "http://#{secret[:gemfile_token_user]}@127.0.0.1:#{p2}" do
          gem "gamma"
        end
        gem "alpha"
        gem "gitgem", git: "#{@git_dir}"
      G
      w.bundle("install", env: env.merge("BUNDLE_FROZEN" => nil))
      # A git remote with a token, as CI checkouts have: same repository
      # name, so the same checkout directory.
      remote = "https://x-access-token:#{secret[:git_token]}@github.example.com/acme/gitgem.git"
      w.gemfile(w.read("Gemfile").sub(@git_dir, remote))
      w.file("Gemfile.lock", w.lockfile.sub("remote: #{@git_dir}", "remote: #{remote}"))
      w.bundle("config", "set", "--local", "gems.example.com", "deploy:#{secret[:local_host_setting]}", env: env)
      w.bundle("config", "set", "--global", "mirror.https://rubygems.org",
               "https://m:#{secret[:global_mirror]}@mirror.example.com", env: env)
      w
    end
  end

  # World B: no credential in the Gemfile's text; a token read from ENV.
  def world_b
    @world_b ||= begin
      w = World.new
      w.gemfile(%(source "http://\#{ENV.fetch("GEMFURY_TOKEN")}@127.0.0.1:#{@servers[0].port}"\ngem "alpha"\n))
      w.bundle("install", env: env.merge("BUNDLE_FROZEN" => nil))
      w
    end
  end

  # [path => [size, mtime, inode]] of every file under the world's root.
  def snapshot(world)
    files = {}
    Find.find(world.root) do |f|
      st = File.lstat(f)
      files[f] = [st.size, st.mtime.to_r, st.ino] if st.file?
    end
    files
  end

  # Runs a fastbundle command; records the files it created or changed.
  def ours(world, *args, extra_env: {})
    before = snapshot(world)
    out, err, status = world.ruby(*args, env: env.merge("RUBYLIB" => LIB_DIR).merge(extra_env), allow_failure: true)
    after = snapshot(world)
    puts "--- fastbundle #{args.last[0, 60]}:\n#{out}#{err}" if ENV["SHOW_OUTPUT"]
    @written.concat(after.keys.select { |f| after[f] != before[f] })
    [out + err, status]
  end

  def theirs(label, world, *args)
    out, err, = world.ruby(*args, env: env, allow_failure: true)
    puts "--- Bundler, #{label}:\n#{out}#{err}" if ENV["SHOW_OUTPUT"]
    secret.each { |name, s| @bundler_shows[name] << label if (out + err).include?(s) }
    out + err
  end

  def expect_no_secret(text, what)
    secret.each { |name, s| expect(text).not_to include(s), "#{what} shows the #{name} secret:\n#{text}" }
  end

  it "a boot, everything an app prints about the bundle, FASTBUNDLE_DEBUG=1, twice (warm caches)" do
    [world_a, world_b].each do |w|
      # Bundler 2.3 locks the Gemfile's credentials with the remote; 2.5+
      # locks the remote without them (Source::Rubygems#credless_remotes).
      expect(w.lockfile).to include(w.equal?(world_a) ? secret[:gemfile_password] : secret[:env_token_in_gemfile])
        .or include("  remote: http://127.0.0.1:")
      2.times do |i|
        output, status = ours(w, "-rfastbundle/setup", SECRETS_PROBE, extra_env: { "SETUP_WITH" => "fastbundle", "FASTBUNDLE_DEBUG" => "1" })
        expect(status).to be_success, output
        expect(output).to include("***@127.0.0.1") # the sources were shown, redacted
        expect_no_secret(output, "boot #{i + 1} in #{w.dir}")
      end
      theirs("boot", w, "-rbundler/setup", SECRETS_PROBE, "SETUP_WITH" => "bundler")
    end
    # World A's Gemfile holds credentials: nothing of it is cached.
    expect(Dir[File.join(world_a.home, ".cache/fastbundle/iseq/*/gemfile*")]).to eq([])
    # World B's Definition came from the record the first boot wrote.
    expect(Dir[File.join(world_b.home, ".cache/fastbundle/iseq/*/gemfile*.definition")].size).to eq(1)
  end

  it "the fastbundle command: check, explain, explain GEM, exec" do
    exe = File.join(ROOT_DIR, "exe", "fastbundle")
    [%w[check], %w[explain], %w[explain gitgem], %w[explain gamma], ["exec", World::RUBY_BIN, "-e", "p 1"]].each do |args|
      output, status = ours(world_a, exe, *args, extra_env: { "FASTBUNDLE_DEBUG" => "1" })
      expect(status).to be_success, "fastbundle #{args.join(" ")}: #{output}"
      expect_no_secret(output, "fastbundle #{args.join(" ")}")
      # Its source, redacted, where the lockfile holds the userinfo (Bundler 2.3;
      # 2.5+ locks rubygems remotes without it).
      expect(output).to include("***@127.0.0.1") if args == %w[explain gamma] && world_a.lockfile.include?("remote: http://user:")
    end
  end

  it "errors that name sources: changed sources, a missing git checkout, an unreadable lockfile line" do
    w = world_a
    gemfile = w.read("Gemfile")
    lockfile = w.lockfile
    checkout = Dir[File.join(w.gem_home, "bundler/gems/gitgem-*")].first
    changes = {
      "sources changed" => -> { w.gemfile(gemfile.sub(":#{@servers[0].port}\"", ":#{@servers[1].port}\"")) },
      "git checkout missing" => -> { FileUtils.mv(checkout, "#{checkout}.away") },
      "lockfile line unreadable" => -> { w.file("Gemfile.lock", lockfile.sub(%r{^  remote: (http://(user:)?)}, '  remote \\1')) },
    }
    # The rubygems remote line holds the userinfo only as Bundler 2.3 locks it.
    names_userinfo = { "lockfile line unreadable" => lockfile.include?("  remote: http://user:") }
    changes.each do |what, change|
      change.call
      begin
        output, status = ours(w, "-rfastbundle/setup", "-e", "puts :booted", extra_env: { "FASTBUNDLE_DEBUG" => "1" })
        expect(status.exitstatus).to be_between(1, 30), "#{what}: #{output}"
        # the message names the source, redacted
        expect(output).to include("***@"), "#{what}: #{output}" if names_userinfo.fetch(what, true)
        expect_no_secret(output, what)
        uncaught, = ours(w, "-e", "require 'fastbundle'; FastBundle.setup")
        expect_no_secret(uncaught, "#{what}, uncaught")
        theirs(what, w, "-e", "require 'bundler'; Bundler.setup")
      ensure
        w.gemfile(gemfile)
        w.file("Gemfile.lock", lockfile)
        FileUtils.mv("#{checkout}.away", checkout) if File.exist?("#{checkout}.away")
      end
    end
  end

  it "a Gemfile that does not evaluate, uncaught (Ruby prints the causes)" do
    w = world_a
    gemfile = w.read("Gemfile")
    w.gemfile("#{gemfile}source \"https://user:#{secret[:invalid_url_password]}@gems example.com\"\n")
    begin
      output, status = ours(w, "-rfastbundle/setup", "-e", "puts :booted", extra_env: { "FASTBUNDLE_DEBUG" => "1" })
      expect(status.exitstatus).to eq(4), output
      expect(output).to include("***@gems example.com")
      expect_no_secret(output, "the Gemfile error")
      uncaught, status = ours(w, "-e", "require 'fastbundle'; FastBundle.setup")
      expect(uncaught).to include("URI::InvalidURIError") # the cause is printed, cleaned
      expect(status).not_to be_success
      expect_no_secret(uncaught, "the uncaught Gemfile error")
      theirs("Gemfile error", w, "-e", "require 'bundler'; Bundler.setup")
    ensure
      w.gemfile(gemfile)
    end
  end

  it "a panic in the Rust core, with and without FASTBUNDLE_DEBUG=1" do
    code = "require 'fastbundle'; FastBundle::Native.__panic_for_test(" \
           "'https://u:#{secret[:panic_message]}@h.example/ and https://#{secret[:panic_message]}@h.example/')"
    [{}, { "FASTBUNDLE_DEBUG" => "1" }].each do |debug|
      output, status = ours(world_a, "-e", code, extra_env: debug)
      expect(output).to include("FastBundle::InternalError", "***@h.example")
      expect(output).to include("fastbundle: panic at") if debug.any?
      expect(status).not_to be_success
      expect_no_secret(output, "the panic #{debug}")
    end
  end

  it "no file fastbundle wrote holds a credential" do
    expect(@written).not_to be_empty # its caches, under the world's HOME
    @written.uniq.each do |file|
      next unless File.file?(file)

      expect_no_secret(File.binread(file), file)
    end
    shown = @bundler_shows.transform_values(&:uniq)
    puts "secrets_spec: real Bundler printed #{shown.size} of #{secret.size} planted credentials " \
         "(fastbundle: 0): #{shown.map { |k, runs| "#{k} (#{runs.join(", ")})" }.join("; ")}"
  end
end
