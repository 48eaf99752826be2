# frozen_string_literal: true

require "spec_helper"

# Bad input and faults: each world is broken in one way, then real Bundler
# (`Bundler.with_friendly_errors { Bundler.setup }`, frozen and not) and
# fastbundle run on it in subprocesses. fastbundle must exit with Bundler's
# status (frozen Bundler's where the two differ: fastbundle never
# re-resolves), print a message naming the gem or file and the fix without a
# backtrace (unless FASTBUNDLE_DEBUG=1), raise the matching
# FastBundle::...Error from FastBundle.setup, and leave Gemfile.lock alone.
module SetupErrorsSpec
  # Bundler 2.3.15's plain bundler/setup raises (status 1) when stdout is not
  # a terminal; its friendly errors give the status a user sees.
  BUNDLER_SETUP = "require 'bundler'; require 'bundler/friendly_errors'; " \
                  "Bundler.with_friendly_errors { Bundler.setup }; puts :booted"
  # Prints the error's class and its ancestors up to FastBundle::Error.
  FASTBUNDLE_SETUP = "require 'fastbundle'; begin; FastBundle.setup; puts :booted; " \
                     "rescue FastBundle::Error => e; puts e.class.ancestors.take_while { |c| c != FastBundle::Error }.join(' < '); end"
  BACKTRACE = /:\d+:in [`']/.freeze

  Outcome = Struct.new(:ours, :debug, :error_class, :theirs, :theirs_unfrozen, keyword_init: true) do
    def status
      ours[2].exitstatus
    end

    def stderr
      ours[1]
    end
  end
end

RSpec.describe "setup errors: bad input and faults, against Bundler" do

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
    error_class = world.ruby("-e", SetupErrorsSpec::FASTBUNDLE_SETUP, env: ours_env, allow_failure: true)[0].strip
    after = File.exist?(world.path("Gemfile.lock")) ? File.binread(world.path("Gemfile.lock")) : nil
    expect(after).to eq(before), "fastbundle changed Gemfile.lock"

    theirs = world.ruby("-e", SetupErrorsSpec::BUNDLER_SETUP, env: env.merge("BUNDLE_FROZEN" => "true"), allow_failure: true)
    theirs_unfrozen = nil
    if unfrozen
      theirs_unfrozen = world.ruby("-e", SetupErrorsSpec::BUNDLER_SETUP, env: env, allow_failure: true)
      before ? File.binwrite(world.path("Gemfile.lock"), before) : FileUtils.rm_f(world.path("Gemfile.lock"))
    end
    SetupErrorsSpec::Outcome.new(ours: ours, debug: debug, error_class: error_class, theirs: theirs, theirs_unfrozen: theirs_unfrozen)
  end

  # The common contract of a failure: frozen Bundler's status, the error
  # class from FastBundle.setup, a message with every expected fragment, no
  # backtrace unless FASTBUNDLE_DEBUG=1, nothing printed on stdout.
  def expect_failure(outcome, status:, error:, includes: [])
    expect(outcome.theirs[2].exitstatus).to eq(status), "Bundler (frozen) said #{outcome.theirs[2].exitstatus}:\n#{outcome.theirs[1]}"
    expect(outcome.status).to eq(status), "fastbundle said #{outcome.status}:\n#{outcome.stderr}"
    expect(outcome.ours[0]).to eq("")
    expect(outcome.error_class.split(" < ")).to include("FastBundle::#{error}")
    expect(outcome.stderr).to include(*includes)
    expect(outcome.stderr).not_to match(SetupErrorsSpec::BACKTRACE)
    expect(outcome.debug[2].exitstatus).to eq(status)
    expect(outcome.debug[1]).to match(SetupErrorsSpec::BACKTRACE)
  end

  # Where Bundler versions differ on whether a setup boots at all (2.6
  # passes validate_platforms! whenever PLATFORMS lists ruby): whatever the
  # Bundler of this environment did, fastbundle does, with the failure
  # contract when it stops.
  def expect_as_bundler(outcome, error:, includes: [])
    if outcome.theirs[2].success?
      expect_boot(outcome)
    else
      expect_failure(outcome, status: outcome.theirs[2].exitstatus, error: error, includes: includes)
    end
  end

  def expect_boot(outcome)
    expect(outcome.theirs[0]).to eq("booted\n"), "Bundler (frozen) failed:\n#{outcome.theirs[1]}"
    expect(outcome.ours[0]).to eq("booted\n"), "fastbundle failed (#{outcome.status}):\n#{outcome.stderr}"
    expect(outcome.error_class).to eq("booted")
  end

  # $LOAD_PATH entries mentioning PATTERN after bundler/setup or fastbundle/setup.
  def load_paths(world, pattern, env: {})
    script = "puts $LOAD_PATH.grep(#{pattern.inspect})"
    theirs = world.ruby("-rbundler/setup", "-e", script, env: env.merge("BUNDLE_FROZEN" => "true"))[0]
    ours = world.ruby("-rfastbundle/setup", "-e", script, env: env.merge("RUBYLIB" => LIB_DIR))[0]
    [theirs, ours]
  end

  def installed_spec(world, full_name)
    File.join(world.gem_home, "specifications", "#{full_name}.gemspec")
  end

  describe "gems not installed" do
    it "a locked gem that is not installed: status 7 naming the gem" do
      w = World.new
      w.gemfile(%(source "#{server.url}"\ngem "alpha"\n))
      w.bundle("lock")
      expect_failure(run_all(w), status: 7, error: "GemNotFound", includes: ["alpha-1.0.0", "bundle install"])
    end

    it "several locked gems not installed: names every one" do
      w = World.new
      w.gemfile(%(source "#{server.url}"\ngem "alpha"\ngem "gamma"\n))
      w.bundle("lock")
      expect_failure(run_all(w), status: 7, error: "GemNotFound",
                                 includes: ["alpha-1.0.0", "beta-2.1.0", "gamma-0.3.0", "bundle install"])
    end

    it "a git gem whose checkout is gone: status 11 naming the repository" do
      git_dir = World.tmpdir("gitgem")
      GemFactory.git_repo(git_dir, name: "gitgem", version: "0.9.0")
      w = installed_world(%(source "#{server.url}"\ngem "gitgem", git: "#{git_dir}"\n))
      checkout = Dir[File.join(w.gem_home, "bundler/gems/gitgem-*")]
      expect(checkout.size).to eq(1)
      FileUtils.rm_rf(checkout)
      expect_failure(run_all(w), status: 11, error: "GitError", includes: [git_dir, "gitgem", "bundle install"])
    end
  end

  describe "broken installed gems" do
    let(:world) { installed_world(%(source "#{server.url}"\ngem "alpha"\n)) }

    # A spec file without a stub header is evaluated by RubyGems; one that
    # does not evaluate is not installed (Bundler: 7). `bundle install` alone
    # stops on it too (14), so the message says to remove it first.
    it "an installed gemspec of garbage: 7 naming the gem and the file; the advice repairs it" do
      File.write(installed_spec(world, "beta-2.1.0"), "garbage {{{ not ruby\n")
      expect_failure(run_all(world), status: 7, error: "GemNotFound",
                                     includes: ["beta-2.1.0", installed_spec(world, "beta-2.1.0"),
                                                "Remove that file and run `bundle install`"])
      FileUtils.rm(installed_spec(world, "beta-2.1.0"))
      world.bundle("install")
      expect_boot(run_all(world))
    end

    it "an installed gemspec that raises when evaluated: 7" do
      File.write(installed_spec(world, "beta-2.1.0"), "raise 'broken on purpose'\n")
      expect_failure(run_all(world), status: 7, error: "GemNotFound", includes: ["beta-2.1.0", "bundle install"])
    end

    it "a stub header that lies about the version: 7, as RubyGems believes the stub" do
      file = installed_spec(world, "beta-2.1.0")
      File.write(file, File.read(file).sub("# stub: beta 2.1.0 ruby lib", "# stub: beta 9.9.9 ruby lib"))
      expect_failure(run_all(world), status: 7, error: "GemNotFound", includes: ["beta-2.1.0", "bundle install"])
    end

    it "a stub header that lies about the require paths: the same load path as Bundler" do
      file = installed_spec(world, "beta-2.1.0")
      File.write(file, File.read(file).sub("# stub: beta 2.1.0 ruby lib", "# stub: beta 2.1.0 ruby nolib"))
      expect_boot(run_all(world))
      theirs, ours = load_paths(world, /beta/)
      expect(ours).to eq(theirs)
      expect(ours).to end_with("/gems/beta-2.1.0/nolib\n")
    end

    it "a directory in place of a gemspec: RubyGems cannot read it, Bundler exits 1; so do we, naming it" do
      file = installed_spec(world, "beta-2.1.0")
      FileUtils.rm(file)
      FileUtils.mkdir(file)
      expect_failure(run_all(world), status: 1, error: "UnreadableGemspec", includes: [file, "Is a directory"])
    end

    # RubyGems reads every spec file of every gem dir, so Bundler crashes (1)
    # on an unreadable one whichever gem it belongs to. fastbundle reads only
    # the spec files of locked gems (a machine may hold thousands of others):
    # it boots, with the bundle's load path, and says nothing of gamma.
    it "a dangling symlink as the gemspec of a gem outside the bundle: Bundler crashes, we boot (deliberate)" do
      w = installed_world(%(source "#{server.url}"\ngem "alpha"\ngem "gamma"\n))
      w.gemfile(%(source "#{server.url}"\ngem "alpha"\n))
      w.bundle("lock")
      file = installed_spec(w, "gamma-0.3.0")
      FileUtils.rm(file)
      File.symlink(File.join(w.root, "nowhere.gemspec"), file)
      outcome = run_all(w)
      expect(outcome.theirs[2].exitstatus).to eq(1)
      expect(outcome.ours[0]).to eq("booted\n")
      File.unlink(file)
      theirs, ours = load_paths(w, /alpha|gamma/)
      expect(ours).to eq(theirs).and include("alpha")
    end

    # Bundler's runtime puts the missing directory on the load path and
    # fails later, at `require`; the issue asks for a clear error instead,
    # so here fastbundle deliberately differs: 7 naming the gem, like the
    # "deleted" verdict of Bundler's own `bundle install` and `bundle info`.
    it "a gem dir deleted under an intact spec: 7 naming the gem, where Bundler boots and fails at require" do
      FileUtils.rm_rf(File.join(world.gem_home, "gems/beta-2.1.0"))
      outcome = run_all(world)
      expect(outcome.theirs[0]).to eq("booted\n")
      _, err, = world.ruby("-rbundler/setup", "-e", "require 'beta'", allow_failure: true)
      expect(err).to include("cannot load such file -- beta")
      expect(outcome.status).to eq(7)
      expect(outcome.error_class).to eq("FastBundle::GemNotFound")
      expect(outcome.stderr).to include("beta-2.1.0", File.join(world.gem_home, "gems/beta-2.1.0"), "has been deleted",
                                        "bundle install")
      expect(outcome.stderr).not_to match(SetupErrorsSpec::BACKTRACE)
      world.bundle("install")
      expect_boot(run_all(world))
    end

    it "a Debian-packaged gem, whose spec has no gem dir (files in vendor_ruby), boots like Bundler" do
      mail = Gem::Specification.find_all_by_name("mail").first
      skip "Debian's ruby-mail is not installed" unless mail&.full_gem_path&.include?("/rubygems-integration/")
      expect(File.directory?(mail.full_gem_path)).to be(false)
      w = World.new(system_gems: true)
      w.gemfile(%(source "https://rubygems.org"\ngem "mail"\n))
      w.bundle("install", "--local")
      expect_boot(run_all(w))
      theirs, ours = load_paths(w, /mail/)
      expect(ours).to eq(theirs)
      expect(ours).to include("#{mail.full_gem_path}/lib")
    end
  end

  describe "path and git gems" do
    def path_world
      installed_world(%(source "#{server.url}"\ngem "localgem", path: "vendor/localgem"\n)) do |w|
        GemFactory.source(w.path("vendor/localgem"), name: "localgem", version: "0.1.0", deps: { "beta" => [">= 0"] })
      end
    end

    def gemspec(world)
      world.path("vendor/localgem/localgem.gemspec")
    end

    it "a path gem whose directory is gone: PathError (13) naming the path" do
      w = path_world
      FileUtils.rm_rf(w.path("vendor/localgem"))
      expect_failure(run_all(w), status: 13, error: "PathError", includes: [w.path("vendor/localgem"), "does not exist"])
    end

    it "a path gem whose gemspec raises: GemspecError (14) naming the file and line" do
      w = path_world
      File.write(gemspec(w), "# a comment\nraise 'broken on purpose'\n")
      expect_failure(run_all(w), status: 14, error: "GemspecError",
                                 includes: ["broken on purpose", "#{gemspec(w)}:2", ">  raise 'broken on purpose'"])
    end

    it "a path gem whose gemspec has a syntax error: 14 naming the line" do
      w = path_world
      File.write(gemspec(w), "Gemfile::Specification.new do |s|\n  s.name = 'localgem'\n  s.version =\n")
      expect_failure(run_all(w), status: 14, error: "GemspecError", includes: ["syntax error", "#{gemspec(w)}:"])
    end

    it "a path gem whose gemspec changed version: frozen Bundler's 16, the gemspecs for path gems changed" do
      w = path_world
      File.write(gemspec(w), File.read(gemspec(w)).sub('"0.1.0"', '"0.2.0"'))
      outcome = run_all(w, unfrozen: true)
      expect(outcome.theirs_unfrozen[0]).to end_with("booted\n") # re-resolved
      expect_failure(outcome, status: 16, error: "ProductionError",
                              includes: ["localgem-0.1.0", "localgem 0.2.0", gemspec(w), "bundle install"])
    end

    it "a path gem whose gemspec gained a dependency: 16" do
      w = path_world
      File.write(gemspec(w), File.read(gemspec(w)).sub("s.add_dependency", "s.add_dependency \"gamma\"\n  s.add_dependency"))
      expect_failure(run_all(w), status: 16, error: "ProductionError", includes: ["gamma (>= 0)", "bundle install"])
    end

    it "a path gem whose gemspec is gone: 16" do
      w = path_world
      FileUtils.rm(gemspec(w))
      expect_failure(run_all(w), status: 16, error: "ProductionError",
                                 includes: ["no gemspec in #{w.path("vendor/localgem")} defines localgem"])
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
      # Unfrozen Bundler does something else with it: 2.3 re-resolves, 2.6 refuses.
      expect(outcome.theirs_unfrozen[0]).not_to eq(outcome.theirs[0])
    end

    it "a needed gem missing from the lockfile: frozen Bundler's 16" do
      w = installed_world(%(source "#{server.url}"\ngem "alpha"\n))
      w.file("Gemfile.lock", w.lockfile.sub("    beta (2.1.0)\n", ""))
      expect_failure(run_all(w), status: 16, error: "ProductionError",
                                 includes: ["Gemfile.lock does not have all the gems", "beta (needed by alpha)", "bundle install"])
    end
  end

  describe "the platform and the running Ruby" do
    let(:local) { Gem::Platform.local.to_s }

    it "a lockfile locked for another platform only: 16, says bundle lock --add-platform" do
      w = installed_world(%(source "#{server.url}"\ngem "alpha"\n))
      # Bundler 2.5+ locks a pure-Ruby bundle for ruby alone whatever was
      # added, so the PLATFORMS section is written as another machine's.
      w.file("Gemfile.lock", w.lockfile.sub(/^PLATFORMS\n(  .*\n)+/, "PLATFORMS\n  x86_64-darwin\n"))
      expect(w.lockfile).not_to include("  #{local}\n")
      expect_failure(run_all(w), status: 16, error: "ProductionError",
                                 includes: ["x86_64-darwin", "bundle lock --add-platform #{local}"])
    end

    it "a lockfile listing another platform and ruby: boots, as Bundler does" do
      w = installed_world(%(source "#{server.url}"\ngem "alpha"\n))
      w.file("Gemfile.lock", w.lockfile.sub(/^PLATFORMS\n(  .*\n)+/, "PLATFORMS\n  ruby\n  x86_64-darwin\n"))
      expect_boot(run_all(w))
    end

    it "a Ruby version the Gemfile does not allow: status 18" do
      w = installed_world(%(source "#{server.url}"\ngem "beta"\n))
      w.gemfile(%(source "#{server.url}"\nruby "~> 2.0"\ngem "beta"\n))
      expect_failure(run_all(w), status: 18, error: "RubyVersionMismatch",
                                 includes: ["Your Ruby version is #{RUBY_VERSION}, but your Gemfile specified ~> 2.0"])
    end

    it "another Ruby engine: 18" do
      w = installed_world(%(source "#{server.url}"\ngem "beta"\n))
      w.gemfile(%(source "#{server.url}"\nruby "#{RUBY_VERSION}", engine: "jruby", engine_version: "9.3.0"\ngem "beta"\n))
      expect_failure(run_all(w), status: 18, error: "RubyVersionMismatch",
                                 includes: ["Your Ruby engine is #{RUBY_ENGINE}, but your Gemfile specified jruby"])
    end

    it "another patchlevel: 18" do
      w = installed_world(%(source "#{server.url}"\ngem "beta"\n))
      w.gemfile(%(source "#{server.url}"\nruby "#{RUBY_VERSION}", patchlevel: "#{RUBY_PATCHLEVEL + 1}"\ngem "beta"\n))
      expect_failure(run_all(w), status: 18, error: "RubyVersionMismatch",
                                 includes: ["Your Ruby patchlevel is #{RUBY_PATCHLEVEL}, but your Gemfile specified #{RUBY_PATCHLEVEL + 1}"])
    end
  end

  describe "broken Gemfile and Gemfile.lock" do
    let(:world) { installed_world(%(source "#{server.url}"\ngem "alpha"\n)) }

    def break_lockfile(world)
      text = yield world.lockfile
      world.file("Gemfile.lock", text)
    end

    it "a Gemfile syntax error: 4 naming the file and line" do
      world.gemfile(%(source "#{server.url}"\ngem "alpha"\ngem "beta",\n  :foo =>\nend\n))
      expect_failure(run_all(world), status: 4, error: "GemfileError", # a Dsl::DSLError
                                     includes: ["syntax error", "#{world.path("Gemfile")}:5", ">  end"])
    end

    it "merge-conflict markers: 20 naming the file and the first marker's line" do
      break_lockfile(world) { |l| l.sub("PLATFORMS", "<<<<<<< HEAD\n=======\n>>>>>>> theirs\nPLATFORMS") }
      line = world.lockfile.lines.index("<<<<<<< HEAD\n") + 1
      expect_failure(run_all(world), status: 20, error: "LockfileError",
                                     includes: ["Gemfile.lock contains merge conflicts (first marker on line #{line})",
                                                "git checkout HEAD -- "])
    end

    it "a malformed version: 20 naming the file and line" do
      break_lockfile(world) { |l| l.sub("    beta (2.1.0)", "    beta (two)") }
      line = world.lockfile.lines.index("    beta (two)\n") + 1
      expect_failure(run_all(world), status: 20, error: "LockfileError",
                                     includes: ["#{world.path("Gemfile.lock")}:#{line}", "beta (two)"])
    end

    it "a malformed requirement: 20 naming the file and line" do
      break_lockfile(world) { |l| l.sub("      beta (~> 2.0)", "      beta (~~ 2.0)") }
      line = world.lockfile.lines.index("      beta (~~ 2.0)\n") + 1
      expect_failure(run_all(world), status: 20, error: "LockfileError",
                                     includes: ["#{world.path("Gemfile.lock")}:#{line}", "beta (~~ 2.0)"])
    end

    # Bundler's parser passes over a line it cannot read; frozen Bundler
    # then finds the lockfile incomplete (16). fastbundle passes over the
    # same line, gives the same status and names the line.
    it "a spec line cut short: frozen Bundler's 16, naming the line" do
      break_lockfile(world) { |l| l.sub("    beta (2.1.0)\n", "    beta (2.1.0\n") }
      line = world.lockfile.lines.index("    beta (2.1.0\n") + 1
      expect_failure(run_all(world), status: 16, error: "ProductionError",
                                     includes: ["beta (needed by alpha)", "#{world.path("Gemfile.lock")}:#{line}",
                                                "bundle install"])
    end

    it "a tab-indented spec line: 16, naming the line" do
      break_lockfile(world) { |l| l.sub("    beta (2.1.0)\n", "\tbeta (2.1.0)\n") }
      expect_failure(run_all(world), status: 16, error: "ProductionError",
                                     includes: ["#{world.path("Gemfile.lock")}:", "a tab was found"])
    end

    it "a platform line indented by three spaces: 16 naming the line and --add-platform, or boots where Bundler does" do
      local = Gem::Platform.local.to_s
      # Bundler 2.3 locks this machine's platform, 2.5+ ruby alone: the first entry.
      break_lockfile(world) { |l| l.sub(/^PLATFORMS\n  (\S+)\n/) { "PLATFORMS\n   #{$1}\n" } }
      expect(world.lockfile).to match(/^PLATFORMS\n   \S+\n/)
      expect_as_bundler(run_all(world), error: "ProductionError",
                                        includes: ["bundle lock --add-platform #{local}", "#{world.path("Gemfile.lock")}:"])
    end

    it "an unreadable BUNDLED WITH: Bundler ignores it, and so do we" do
      break_lockfile(world) { |l| l.sub(/^BUNDLED WITH\n.*\n/, "BUNDLED WITH\n   not-a-version\n") }
      expect_boot(run_all(world))
    end

    it "an empty lockfile: 16, with Bundler's first complaint (no platforms)" do
      break_lockfile(world) { "" }
      expect_failure(run_all(world), status: 16, error: "ProductionError",
                                     includes: ["bundle lock --add-platform #{Gem::Platform.local}"])
    end
  end

  describe "credentials in source URLs" do
    def expect_no_secret(outcome)
      expect(outcome.stderr).not_to include("secret")
      expect(outcome.debug[1]).not_to include("secret")
    end

    it "never appear in a message about changed sources" do
      port = server.port
      other = self.class.second_server.port
      w = installed_world(%(source "http://user:secret@127.0.0.1:#{port}"\ngem "beta"\n))
      # Bundler 2.3 also keeps them in Gemfile.lock; 2.6 only in the Gemfile.
      expect(w.read("Gemfile") + w.lockfile).to include("secret")
      w.gemfile(%(source "http://user:secret@127.0.0.1:#{other}"\ngem "beta"\n))
      outcome = run_all(w)
      locked_user = w.lockfile.include?("user:secret@") ? "***@" : "" # see above
      expect_failure(outcome, status: 16, error: "ProductionError",
                              includes: ["http://#{locked_user}127.0.0.1:#{port}/", "http://***@127.0.0.1:#{other}/"])
      expect_no_secret(outcome)
    end

    it "never appear when a git checkout is missing" do
      uri = "http://user:secret@127.0.0.1:9/gitgem.git"
      w = World.new
      w.gemfile(%(source "#{server.url}"\ngem "gitgem", git: "#{uri}"\n))
      w.file("Gemfile.lock", <<~L)
        GIT
          remote: #{uri}
          revision: #{"ab" * 20}
          specs:
            gitgem (0.9.0)

        GEM
          remote: #{server.url}/
          specs:

        PLATFORMS
          #{Gem::Platform.local}

        DEPENDENCIES
          gitgem!

        BUNDLED WITH
           2.3.15
      L
      outcome = run_all(w)
      expect_failure(outcome, status: 11, error: "GitError", includes: ["http://***@127.0.0.1:9/gitgem.git", "gitgem"])
      expect_no_secret(outcome)
    end

    it "never appear when an unreadable lockfile line holds them" do
      w = installed_world(%(source "http://user:secret@127.0.0.1:#{server.port}"\ngem "beta"\n))
      # Whether or not this Bundler wrote the credentials into the lockfile.
      w.file("Gemfile.lock", w.lockfile.sub(%r{  remote: http://(user:secret@)?}, "  remote http://user:secret@"))
      outcome = run_all(w)
      expect_failure(outcome, status: 16, error: "ProductionError", includes: ["remote http://***@127.0.0.1"])
      expect_no_secret(outcome)
    end
  end

  describe "no Gemfile" do
    it "does nothing, like Bundler" do
      w = World.new
      out, _, status = w.ruby("-rfastbundle/setup", "-e", "p defined?(FastBundle::Runtime)", env: { "RUBYLIB" => LIB_DIR })
      expect(status).to be_success
      expect(out).to eq("nil\n")
    end

    it "but FastBundle.setup raises GemfileNotFound (10), as Bundler.setup does" do
      w = World.new
      theirs = w.ruby("-e", SetupErrorsSpec::BUNDLER_SETUP, allow_failure: true)
      ours, = w.ruby("require 'fastbundle'; begin; FastBundle.setup; rescue FastBundle::Error => e; " \
                     "puts e.class, e.status_code, e.message; end", env: { "RUBYLIB" => LIB_DIR })
      expect(theirs[2].exitstatus).to eq(10)
      expect(ours).to eq("FastBundle::GemfileNotFound\n10\nCould not locate Gemfile\n")
    end
  end
end
