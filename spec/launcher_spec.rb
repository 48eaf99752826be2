# frozen_string_literal: true

require "spec_helper"

# bin/fastbundle (`fastbundle binstubs`) and its native launcher: which
# path answers (the launcher from stored facts, or the Ruby command), that
# both give the same ENV, and that facts are never used once something they
# depend on changed. cli_exec_spec.rb runs every `bundle exec` comparison
# through the binstub too. FASTBUNDLE_DEBUG=1 makes the launcher say why it
# hands over to the Ruby command.
RSpec.describe "bin/fastbundle and the exec launcher" do
  include FastBundleCLI

  HANDED_OVER = /^fastbundle-launcher: (.*): running the Ruby command$/.freeze

  # A path gem with an executable, and a Ruby script Bundler loads in-process.
  def app
    w = World.new
    GemFactory.source(w.path("alpha"), name: "alpha", version: "1.0.0", executables: ["alphacmd"])
    w.gemfile(%(gem "alpha", path: "alpha"\n))
    w.bundle("install")
    w.file("bin/tool", "#!/usr/bin/env ruby\nputs ENV.fetch(\"BUNDLER_VERSION\")\n")
    File.chmod(0o755, w.path("bin/tool"))
    _, err, status = fastbundle(w, "binstubs")
    raise "fastbundle binstubs failed: #{err}" unless status.success?

    w
  end

  let(:world) { app }

  # [stdout, why the Ruby command answered or nil, status] of bin/fastbundle ARGS.
  def launch(*args, env: {}, world: self.world)
    out, err, status = world.run(world.path("bin/fastbundle"), *args, env: { "FASTBUNDLE_DEBUG" => "1", "PWD" => world.dir }.merge(env),
                                 allow_failure: true)
    [out, err[HANDED_OVER, 1], status]
  end

  def env_lines(out)
    out.lines.reject { |l| l.start_with?("_=") }.sort.join
  end

  def facts_files(world)
    Dir.glob(File.join(world.home, ".cache", "fastbundle", "exec", "*"))
  end

  it "answers exec without a Ruby parent once a Ruby parent stored its facts, with that parent's ENV" do
    first, why, status = launch("exec", "env")
    expect([why, status.exitstatus]).to eq(["no current facts", 0])
    expect(facts_files(world).size).to eq(1)
    second, why, status = launch("exec", "env")
    expect([why, status.exitstatus]).to eq([nil, 0])
    ruby_parent, = fastbundle(world, "exec", "env", env: { "PWD" => world.dir, "FASTBUNDLE_DEBUG" => "1" })
    expect(env_lines(second)).to eq(env_lines(first)).and eq(env_lines(ruby_parent))
    expect(second).not_to include("FASTBUNDLE_STORE_EXEC_FACTS")
    expect(second).to include("RUBYOPT=-r#{File.join(LIB_DIR, "fastbundle", "setup")}")

    # A gem's executable: RubyGems' wrapper, loaded in-process if its
    # shebang is one Bundler knows (not Debian's `#!/usr/bin/env ruby3.1`).
    out, _, status = launch("exec", "alphacmd")
    expect([out, status.exitstatus]).to eq([fastbundle(world, "exec", "alphacmd")[0], 0])
    expect(out).to eq("alphacmd from alpha-1.0.0\n")
    out, why, = launch("exec", "--gemfile", world.path("Gemfile"), "ruby", "-e", "puts ENV['BUNDLE_GEMFILE']")
    expect([out, why]).to eq(["#{world.path("Gemfile")}\n", nil])
  end

  it "hands over what the Ruby parent loads in-process, options it does not take, and a missing Gemfile" do
    launch("exec", "true")
    out, why, = launch("exec", "bin/tool")
    expect(why).to eq("a Ruby script, loaded in-process")
    expect(out).to eq("#{fastbundle(world, "exec", "bin/tool")[0]}")
    _, why, = launch("exec", "bin/tool", env: { "BUNDLE_DISABLE_EXEC_LOAD" => "true" })
    expect(why).to be_nil
    out, why, status = launch("exec", "--help")
    expect([why, status.exitstatus, out]).to eq(["options it does not take", 0, fastbundle(world, "exec", "--help")[0]])
    # Kernel.exec("echo hi"): a command line, split by Ruby (or given to sh).
    out, why, status = launch("exec", "echo hi")
    expect([out, why, status.exitstatus]).to eq(["hi\n", "a command line", 0])
    _, err, status = world.run(world.path("bin/fastbundle"), "exec", "true", env: { "FASTBUNDLE_DEBUG" => "1" }, chdir: "../home",
                                                                                allow_failure: true)
    expect([err[HANDED_OVER, 1], status.exitstatus]).to eq(["no Gemfile", 10])
    out, why, status = launch("--version")
    expect([out, why, status.exitstatus]).to eq([fastbundle(world, "--version")[0], nil, 0])
  end

  it "asks Ruby again when a gem is installed, and sets the newest Bundler's ENV" do
    launch("exec", "true")
    expect(launch("exec", "true")[1]).to be_nil
    repo = World.tmpdir("bundler-gem")
    world.gem("install", "--local", "--no-document",
              GemFactory.build(repo, name: "bundler", version: "2.99.0", executables: ["bundle"]))
    out, why, = launch("exec", "ruby", "-e", "puts ENV['BUNDLER_VERSION']")
    expect([out, why]).to eq(["2.99.0\n", "no current facts"])
    again, why, = launch("exec", "env")
    expect(why).to be_nil
    ruby_parent, = fastbundle(world, "exec", "env", env: { "PWD" => world.dir, "FASTBUNDLE_DEBUG" => "1" })
    expect(env_lines(again)).to eq(env_lines(ruby_parent))
    expect(again).to include("BUNDLER_VERSION=2.99.0")
  end

  it "keys facts on what RubyGems reads from ENV, and never uses a damaged or foreign file" do
    launch("exec", "true")
    _, why, = launch("exec", "true", env: { "GEM_REQUIREMENT_BUNDLER" => "< 1" })
    expect(why).to eq("no current facts")
    # A credential among them is keyed by its digest, never written.
    secret = "rubygems_0123456789abcdef_planted_api_key"
    2.times { launch("exec", "true", env: { "GEM_HOST_API_KEY" => secret }) }
    expect(launch("exec", "true", env: { "GEM_HOST_API_KEY" => secret })[1]).to be_nil
    expect(facts_files(world).map { |f| File.binread(f) }.join).not_to include(secret)
    file = facts_files(world).min_by { |f| File.mtime(f) }
    bytes = File.binread(file)
    bytes.setbyte(bytes.size - 3, bytes.getbyte(bytes.size - 3) ^ 1)
    File.binwrite(file, bytes)
    _, why, status = launch("exec", "true")
    expect([why, status.exitstatus]).to eq(["no current facts", 0])
    expect(launch("exec", "true")[1]).to be_nil # stored again
    File.chmod(0o620, file) # another user could have written it
    expect(launch("exec", "true")[1]).to eq("no current facts")
    expect(launch("exec", "true")[1]).to be_nil
    expect(launch("exec", "true", env: { "FASTBUNDLE_CACHE" => "0" })[1]).to eq("no cache")
  end

  it "writes bin/fastbundle once, and again with --force" do
    out, err, status = fastbundle(world, "binstubs")
    expect([out, err, status.exitstatus]).to eq(["", "Skipped bin/fastbundle since it already exists.\nIf you want to overwrite it, use --force.\n", 0])
    out, _, status = fastbundle(world, "binstubs", "--force")
    expect([out.lines.first, status.exitstatus]).to eq(["Wrote bin/fastbundle.\n", 0])
    expect(File.stat(world.path("bin/fastbundle")).mode & 0o777).to eq(0o755)
    _, err, status = fastbundle(World.new, "binstubs")
    expect(status.exitstatus).to eq(10)
    expect(err).to include("Gemfile")
  end
end
