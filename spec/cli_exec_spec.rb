# frozen_string_literal: true

require "spec_helper"
require "json"

# `fastbundle exec` against `bundle exec` in the same worlds: the child's
# process state and ENV, gem executables, Ruby scripts loaded in-process,
# exit statuses (the command's, 126, 127, 128, 10), and a parent that sets
# no bundle up.
RSpec.describe "fastbundle exec" do
  include FastBundleCLI
  include SetupParity

  def self.world
    World.cached(:cli_exec) do |w|
      repo = World.tmpdir("gems")
      gems = File.join(repo, "gems")
      GemFactory.build(gems, name: "beta", version: "2.1.0", executables: ["betacmd"])
      GemFactory.build(gems, name: "alpha", version: "1.0.0", deps: { "beta" => ["~> 2.0"] })
      GemFactory.build(gems, name: "gamma", version: "0.3.0")
      server = GemServer.start(repo)
      w.gemfile(<<~G)
        source "#{server.url}"
        gem "alpha"
        group :test do
          gem "gamma"
        end
      G
      w.bundle("install")
      # A Ruby script with a shebang Bundler loads in-process.
      w.file("bin/tool", <<~RUBY)
        #!/usr/bin/env ruby
        require "json"
        puts JSON.generate("program" => $PROGRAM_NAME, "argv" => ARGV, "beta" => (require "beta"; Beta::VERSION),
                           "in_process" => $LOADED_FEATURES.any? { |f| f.end_with?("/bundler/cli/exec.rb", "/fastbundle/cli/exec.rb") },
                           "specs" => Gem.loaded_specs.keys.sort - ["bundler"])
      RUBY
      File.chmod(0o755, w.path("bin/tool"))
      w.file("not-executable", "echo hi\n")
    end
  end

  def world
    self.class.world
  end

  shared_examples "bundle exec's answers" do
    it "gives the command the process state and ENV of `bundle exec`" do
      theirs, ours = [[:bundle, "bundler"], [:fastbundle, "fastbundle"]].map do |tool, with|
        out, err, status = send(tool, world, "exec", "ruby", SetupParity::DUMP, env: { "SETUP_WITH" => with })
        expect(status).to be_success, err
        JSON.parse(out)
      end
      expect_same_state(theirs, ours)
      expect(ours["env"]["RUBYOPT"]).to eq("-r#{File.join(LIB_DIR, "fastbundle", "setup")}")
    end

    it "sets the ENV `bundle exec` sets for a command that is not Ruby" do
      theirs, ours = [:bundle, :fastbundle].map do |tool|
        out, err, status = send(tool, world, "exec", "env")
        expect(status).to be_success, err
        env = out.lines(chomp: true).to_h { |l| l.split("=", 2) }
        env["RUBYOPT"] = env["RUBYOPT"].gsub(SetupParity::SETUP_REQUIRE, "-r<setup>")
        env["BUNDLER_SETUP"] = env["BUNDLER_SETUP"].sub(SetupParity::SETUP_PATH, "<setup>") if env["BUNDLER_SETUP"]
        env.reject { |k, _| SetupParity::OWN_ENV.include?(k) }
      end
      expect(ours).to eq(theirs)
      expect(ours).to include("BUNDLE_GEMFILE" => world.path("Gemfile"), "BUNDLER_ORIG_RUBYOPT" => "BUNDLER_ENVIRONMENT_PRESERVER_INTENTIONALLY_NIL")
    end

    it "runs a bundled gem's executable, found on the bundle's bin path" do
      theirs = bundle(world, "exec", "betacmd")
      ours = fastbundle(world, "exec", "betacmd")
      expect(ours[2]).to be_success, ours[1]
      expect(ours[0]).to eq(theirs[0]).and eq("betacmd from beta-2.1.0\n")
    end

    it "loads a Ruby script into its own process after the setup, as Bundler does, unless disable_exec_load" do
      [{}, { "BUNDLE_DISABLE_EXEC_LOAD" => "true" }].each do |env|
        theirs, ours = [:bundle, :fastbundle].map do |tool|
          out, err, status = send(tool, world, "exec", "bin/tool", "a", "b c", env: env)
          expect(status).to be_success, err
          JSON.parse(out)
        end
        expect(ours).to eq(theirs)
        expect(ours).to include("argv" => ["a", "b c"], "beta" => "2.1.0", "in_process" => env.empty?)
      end
    end

    it "passes the command's exit status on" do
      [:bundle, :fastbundle].each do |tool|
        expect(send(tool, world, "exec", "ruby", "-e", "exit 3")[2].exitstatus).to eq(3)
      end
    end

    it "exits 127, 126 and 128 with Bundler's messages for a command not found, not executable or missing" do
      {
        ["nonesuch"] => [127, "command not found: nonesuch\nInstall missing gem executables with `bundle install`\n"],
        ["./not-executable"] => [126, "not executable: ./not-executable\n"],
        [] => [128, "exec needs a command to run\n"]
      }.each do |args, (status, message)|
        _, their_err, theirs = bundle(world, "exec", *args)
        _, our_err, ours = fastbundle(world, "exec", *args)
        expect([theirs.exitstatus, ours.exitstatus]).to eq([status, status])
        expect(their_err).to eq("bundler: #{message}")
        expect(our_err).to eq("fastbundle: #{message}")
      end
    end

    it "exits 10 outside a bundle, as bundle exec does" do
      outside = World.new
      _, their_err, theirs = bundle(outside, "exec", "ruby", "-e1")
      _, our_err, ours = fastbundle(outside, "exec", "ruby", "-e1")
      expect([ours.exitstatus, our_err]).to eq([theirs.exitstatus, their_err])
      expect(ours.exitstatus).to eq(10)
    end

    it "takes --gemfile, as bundle exec does" do
      gemfile = world.path("Gemfile")
      theirs = bundle(world, "exec", "--gemfile", gemfile, "betacmd", chdir: "../home") # outside the app
      ours = fastbundle(world, "exec", "--gemfile", gemfile, "betacmd", chdir: "../home")
      expect(theirs[2]).to be_success, theirs[1]
      expect(ours[2]).to be_success, ours[1]
      expect(ours[0]).to eq(theirs[0])
      _, _, status = fastbundle(world, "exec", "betacmd", chdir: "../home")
      expect(status.exitstatus).to eq(10)
    end

    context "when the bundle is broken" do
      let(:broken) do
        w = World.new
        w.gemfile(File.read(world.path("Gemfile")))
        FileUtils.cp(world.path("Gemfile.lock"), w.path("Gemfile.lock"))
        w.bundle("install")
        w.gem("uninstall", "beta", "--force", "--executables")
        w
      end

      it "gives the message and status of require \"fastbundle/setup\", without a backtrace unless FASTBUNDLE_DEBUG=1" do
        _, setup_err, setup = broken.ruby("-rfastbundle/setup", "-e1", env: { "RUBYLIB" => LIB_DIR }, allow_failure: true)
        _, err, status = fastbundle(broken, "exec", "ruby", "-e", "puts :booted")
        expect([status.exitstatus, err]).to eq([setup.exitstatus, setup_err])
        expect(status.exitstatus).to eq(7)
        expect(err).to include("beta-2.1.0").and include("bundle install")
        expect(err).not_to match(FastBundleCLI::BACKTRACE)
        _, debug_err, = fastbundle(broken, "exec", "ruby", "-e1", env: { "FASTBUNDLE_DEBUG" => "1" })
        expect(debug_err).to match(FastBundleCLI::BACKTRACE)
        # Bundler's plain bundler/setup says the same with a backtrace and 1.
        _, their_err, theirs = bundle(broken, "exec", "ruby", "-e1")
        expect(theirs.exitstatus).to eq(1)
        expect(their_err).to include("Could not find beta-2.1.0")
      end
    end

    it "sets no bundle up in the parent: the Gemfile is evaluated only by a Ruby child" do
      w = World.new
      w.gemfile(File.read(world.path("Gemfile")) + %(File.open(ENV.fetch("EVALUATIONS"), "a") { |f| f.puts $$ }\n))
      FileUtils.cp(world.path("Gemfile.lock"), w.path("Gemfile.lock"))
      counter = w.path("evaluations")
      env = { "EVALUATIONS" => counter, "FASTBUNDLE_CACHE" => "0" }
      w.bundle("install", env: env)
      File.write(counter, "")
      _, err, status = fastbundle(w, "exec", "true", env: env)
      expect(status).to be_success, err
      expect(File.read(counter)).to eq("")
      _, err, status = fastbundle(w, "exec", "ruby", "-e", "require 'beta'", env: env)
      expect(status).to be_success, err
      expect(File.read(counter).lines.size).to eq(1)
    end

    context "in a Rails app and with Debian's rspec" do
      let(:rails) { World.cached(:rails_app, system_gems: true) { |w| RailsApp.build(w) } }

      it "runs `rails runner` (config/boot.rb unchanged: require \"bundler/setup\") with the gems `bundle exec` gives" do
        rails.file("config/boot.rb", RailsApp.boot_rb("bundler/setup", false))
        code = 'puts Gem.loaded_specs.keys.sort.join(","); puts Widget.count'
        env = { "RAILS_ENV" => "development" }
        theirs = bundle(rails, "exec", "rails", "runner", code, env: env)
        ours = fastbundle(rails, "exec", "rails", "runner", code, env: env)
        expect(theirs[2]).to be_success, theirs[1]
        expect(ours[2]).to be_success, ours[1]
        # Bundler's own gem aside: boot.rb's require "bundler/setup" loads
        # Bundler after fastbundle/setup without activating its gem.
        expect(ours[0]).to eq(theirs[0].sub(",bundler,", ","))
        expect(ours[0].lines.first.split(",")).to include("rails", "activerecord", "sqlite3")
      end

      it "runs rspec (a Ruby script on PATH, loaded in-process) as bundle exec does" do
        w = World.cached(:cli_exec_rspec, system_gems: true) do |world|
          world.gemfile(%(source "https://rubygems.org"\ngem "rspec"\n))
          world.bundle("install", "--local")
          world.file("spec/one_spec.rb", %(RSpec.describe("x") { it("runs") { expect(Gem.loaded_specs).to have_key("rspec-core") } }\n))
        end
        theirs = bundle(w, "exec", "rspec", "spec/one_spec.rb")
        ours = fastbundle(w, "exec", "rspec", "spec/one_spec.rb")
        expect(theirs[2]).to be_success, theirs[0] + theirs[1]
        expect(ours[2]).to be_success, ours[0] + ours[1]
        expect(ours[0].sub(/Finished in .*/, "")).to eq(theirs[0].sub(/Finished in .*/, ""))
        expect(ours[0]).to include("1 example, 0 failures")
      end
    end
  end

  context "through the fastbundle command" do
    include_examples "bundle exec's answers"
  end

  # bin/fastbundle (fastbundle binstubs) runs the native launcher, which
  # answers exec from the facts a Ruby parent stored, and runs that parent
  # whenever it cannot be sure (launcher_spec.rb says which path answers).
  # Each call is preceded by `exec true`, which stores the facts where there
  # are none yet, so the call itself is the launcher's wherever it can be.
  context "through bin/fastbundle and its native launcher" do
    def self.binstub
      @binstub ||= begin
        dir = World.tmpdir("binstub")
        _, err, status = FastBundleCLI.run_command(world, "binstubs", "--path", dir)
        raise "fastbundle binstubs failed: #{err}" unless status.success?

        File.join(dir, "fastbundle")
      end
    end

    def fastbundle(world, *args, env: {}, chdir: nil)
      binstub = self.class.binstub
      env = with_pwd(world, env, chdir)
      world.run(binstub, "exec", "true", env: env, allow_failure: true, chdir: chdir) if args.first == "exec"
      world.run(binstub, *args, env: env, allow_failure: true, chdir: chdir)
    end

    # The binstub is a sh script, and sh sets PWD to the current directory:
    # both commands are run with the PWD a shell in that directory has.
    def bundle(world, *args, env: {}, chdir: nil)
      super(world, *args, env: with_pwd(world, env, chdir), chdir: chdir)
    end

    def with_pwd(world, env, chdir)
      { "PWD" => File.realpath(chdir ? world.path(chdir) : world.dir) }.merge(env)
    end

    include_examples "bundle exec's answers"
  end
end
