# frozen_string_literal: true

require "spec_helper"
require "json"

# The two gems as users get them: built by `rake native` and `rake gem`,
# installed the way a user installs them — the platform gem with a PATH that
# holds neither cargo nor cc, the source gem with no registry reachable — then
# an app gets fastbundle through `bundle install` from a gem server on
# 127.0.0.1 and boots with require "fastbundle/setup", compared with
# bundler/setup in the same world.
RSpec.describe "the shipped gems" do
  include SetupParity

  # Files a gem must never carry.
  NEVER_SHIPPED = %r{\A(spec|bench|tests|fuzz|examples|docs|bin|tmp|pkg|target|\.ci)/|\.gem\z|(\A|/)\.cache/}.freeze

  def self.gem_repo(fastbundle_gem)
    @gem_repos ||= {}
    @gem_repos[fastbundle_gem] ||= begin
      repo = World.tmpdir("gems")
      gems = File.join(repo, "gems")
      GemFactory.build(gems, name: "beta", version: "2.1.0")
      GemFactory.build(gems, name: "alpha", version: "1.0.0", deps: { "beta" => ["~> 2.0"] })
      FileUtils.cp(fastbundle_gem, gems)
      GemServer.start(repo)
    end
  end

  # Boots WORLD with require "fastbundle/setup" found by RubyGems (no
  # RUBYLIB: the installed gem), and with bundler/setup; returns both dumps.
  def boot_both(world, env = {})
    %w[bundler fastbundle].map do |tool|
      out, err, status = world.ruby("-e", "require '#{tool}/setup'; load #{SetupParity::DUMP.dump}",
                                    env: env.merge("SETUP_WITH" => tool), allow_failure: true)
      raise "#{tool}/setup failed (#{status.exitstatus}): #{err}" unless status.success?

      JSON.parse(out)
    end
  end

  # Both sides without the running fastbundle's own entries (its lib dir,
  # which RubyGems put on the load path when it activated fastbundle, as
  # RubyGems does for Bundler's) and its RUBYLIB/RUBYOPT.
  def without_own(dump, gem_dir)
    dump = normalize(dump)
    dump["load_path"] = dump["load_path"].reject { |p| p.start_with?(gem_dir) }
    dump
  end

  def installed_gem_dir(gem_home)
    Dir[File.join(gem_home, "gems", "fastbundle-#{ShippedGems.version}*")].first
  end

  shared_examples "an app booting through the installed gem" do
    it "boots with require \"fastbundle/setup\" with Bundler's answer, the bundled fastbundle being the running one" do
      gem_dir = installed_gem_dir(app.gem_home)
      theirs, ours = boot_both(app, "PATH" => ShippedGems.bare_path(app))
      expect([theirs["bundler_files_loaded"] > 0, ours["bundler_files_loaded"]]).to eq([true, 0])
      expect(without_own(ours, gem_dir)).to eq(without_own(theirs, gem_dir))
      expect(ours["load_path"]).to include(File.join(gem_dir, "lib"))
      expect(ours["loaded_spec_dirs"]).to include(["fastbundle", gem_dir, gem_dir])
      expect(ours["env"]["RUBYOPT"]).to eq("-r#{gem_dir}/lib/fastbundle/setup")
    end

    it "gives the same answer with gem \"fastbundle\" on the line before the require (the README's tip)" do
      env = { "PATH" => ShippedGems.bare_path(app), "SETUP_WITH" => "fastbundle" }
      by_name, after_gem = ["", "gem 'fastbundle'; "].map do |prelude|
        out, err, status = app.ruby("-e", "#{prelude}require 'fastbundle/setup'; load #{SetupParity::DUMP.dump}",
                                    env: env, allow_failure: true)
        raise "fastbundle/setup failed (#{status.exitstatus}): #{err}" unless status.success?

        JSON.parse(out)
      end
      expect(after_gem).to eq(by_name)
    end

    it "installs the fastbundle command, whose check and exec work in the app" do
      env = { "PATH" => ShippedGems.bare_path(app) }
      out, err, status = app.run("fastbundle", "check", env: env, allow_failure: true)
      expect([out, err, status.exitstatus]).to eq(["The Gemfile's dependencies are satisfied\n", "", 0])
      out, err, status = app.run("fastbundle", "exec", "ruby", "-e", 'require "alpha"; puts Gem.loaded_specs["fastbundle"].full_name',
                                 env: env, allow_failure: true)
      expect(status).to be_success, err
      expect(out).to eq("#{File.basename(installed_gem_dir(app.gem_home))}\n")
    end

    it "writes bin/fastbundle, whose exec the gem's native launcher answers" do
      env = { "PATH" => ShippedGems.bare_path(app), "FASTBUNDLE_DEBUG" => "1", "PWD" => app.dir }
      out, err, status = app.run("fastbundle", "binstubs", "--force", env: env, allow_failure: true)
      expect([out.lines.last, status.exitstatus]).to eq(["`bin/fastbundle exec CMD` starts CMD without a Ruby parent.\n", 0]), err
      code = 'require "alpha"; puts Gem.loaded_specs["fastbundle"].full_name'
      answers = 2.times.map { app.run("bin/fastbundle", "exec", "ruby", "-e", code, env: env, allow_failure: true) }
      expect(answers.map { |o, _, s| [o, s.exitstatus] }).to all(eq(["#{File.basename(installed_gem_dir(app.gem_home))}\n", 0]))
      expect(answers.map { |_, e, _| e[/fastbundle-launcher: (.*): running/, 1] }).to eq(["no current facts", nil])
    end
  end

  describe "the platform gem (rake native)" do
    let(:gem_file) { ShippedGems.platform_gem }

    it "carries the prebuilt extension of each Ruby it claims and nothing to build or test" do
      spec = ShippedGems.spec_of(gem_file)
      expect(File.basename(gem_file)).to eq("fastbundle-#{ShippedGems.version}-#{Gem::Platform.local}.gem")
      expect(spec.platform.to_s).to eq(Gem::Platform.local.to_s)
      expect(spec.extensions).to eq([])
      minor = RUBY_VERSION[/\A\d+\.\d+/]
      expect(spec.files).to include("lib/fastbundle/#{minor}/fastbundle.so", "lib/fastbundle/setup.rb", "exe/fastbundle",
                                    "libexec/fastbundle-launcher",
                                    "LICENSE", "CHANGELOG.md", "README.md")
      expect(spec.files.grep(/\.(rs|toml|lock)\z|extconf/)).to eq([])
      expect(spec.files.grep(NEVER_SHIPPED)).to eq([])
      expect(spec.required_ruby_version.to_s).to eq(">= #{minor}, < #{minor.sub(/\d+\z/) { |n| n.to_i + 1 }}.dev")
      expect(spec.required_ruby_version).to be_satisfied_by(Gem::Version.new(RUBY_VERSION))
      expect(spec.executables).to eq(["fastbundle"])
      expect(spec.license).to eq("MIT")
      expect(spec.metadata.keys).to include("source_code_uri", "changelog_uri", "homepage_uri")
    end

    it "carries several prebuilt Ruby minors, its Ruby requirement covering exactly those" do
      copy = World.tmpdir("native-copy")
      %w[fastbundle.gemspec native.gemspec lib exe README.md LICENSE CHANGELOG.md].each do |f|
        FileUtils.cp_r(File.join(ROOT_DIR, f), copy)
      end
      minor = RUBY_VERSION[/\A\d+\.\d+/]
      Dir[File.join(copy, "lib", "fastbundle", "*", "fastbundle.so")].each { |so| FileUtils.rm_rf(File.dirname(so)) }
      FileUtils.mkdir_p(File.join(copy, "lib", "fastbundle", minor))
      FileUtils.cp(File.join(ROOT_DIR, "lib", "fastbundle", minor, "fastbundle.so"), File.join(copy, "lib", "fastbundle", minor))
      # A second minor two above this one (as a chroot's Ruby would build it).
      major, low = minor.split(".").map(&:to_i)
      other = "#{major}.#{low + 2}"
      FileUtils.cp_r(File.join(copy, "lib", "fastbundle", minor), File.join(copy, "lib", "fastbundle", other))
      env = World.clean_env.merge("FASTBUNDLE_NATIVE_GEM" => "1")
      out, err, status = World.spawn_capture(env, ["gem", "build", "native.gemspec"], chdir: copy)
      expect(status).to be_success, out + err
      spec = ShippedGems.spec_of(Dir[File.join(copy, "*.gem")].first)
      expect(spec.files.grep(/\.so\z/)).to eq(["lib/fastbundle/#{minor}/fastbundle.so", "lib/fastbundle/#{other}/fastbundle.so"])
      carried = ->(v) { spec.required_ruby_version.satisfied_by?(Gem::Version.new(v)) }
      expect(["#{minor}.0", "#{minor}.9", "#{other}.0", "#{other}.12"].map(&carried)).to all(be(true))
      expect(["#{major}.#{low + 1}.0", "#{major}.#{low + 1}.7", "#{major}.#{low + 3}.0", "#{major}.#{low - 1}.9"].map(&carried)).to all(be(false))

      # Without the gemspec switch, Bundler's path/git sources see no second gemspec.
      out, = World.spawn_capture(World.clean_env, [RbConfig.ruby, "-e", 'p Gem::Specification.load("native.gemspec")'], chdir: copy)
      expect(out).to eq("nil\n")
    end

    it "refuses a .so built for another CPU than PLATFORM names" do
      env = World.clean_env.merge("PKG_DIR" => World.tmpdir("pkg"), "PLATFORM" => "aarch64-linux")
      out, err, status = World.spawn_capture(env, ["rake", "native"], chdir: ROOT_DIR)
      expect(status).not_to be_success
      expect(out + err).to include("fastbundle.so is built for ELF machine 62, not for aarch64-linux (183)")
      expect(Dir[File.join(env["PKG_DIR"], "*.gem")]).to eq([])
    end

    context "installed with neither cargo nor cc on PATH, then bundled by an app from a gem server" do
      let(:app) do
        World.cached(:shipped_platform_app) do |w|
          server = self.class.gem_repo(ShippedGems.platform_gem)
          w.gemfile(%(source "#{server.url}"\ngem "alpha"\ngem "fastbundle"\n))
          w.bundle("install", env: { "PATH" => ShippedGems.bare_path(w) })
        end
      end

      it "installs from the lockfile's platform variant" do
        expect(app.lockfile).to include("fastbundle (#{ShippedGems.version}-#{Gem::Platform.local})")
        expect(Dir.children(ShippedGems.bare_bin).sort).to eq(["bundle", "gem", "ruby", RbConfig::CONFIG["ruby_install_name"]].uniq.sort)
      end

      include_examples "an app booting through the installed gem"
    end

    it "works installed on GEM_PATH in an app that does not bundle it, through RUBYOPT=-rfastbundle/setup" do
      server = self.class.gem_repo(ShippedGems.platform_gem)
      w = World.new
      own = World.tmpdir("fastbundle-home")
      w.gem("install", "--local", "--no-document", "--install-dir", own, ShippedGems.platform_gem,
            env: { "PATH" => ShippedGems.bare_path(w) })
      w.gemfile(%(source "#{server.url}"\ngem "alpha"\n))
      w.bundle("install")
      env = { "GEM_PATH" => [w.gem_home, own, World.bundler_gem_dir].join(File::PATH_SEPARATOR) }
      theirs, ours = %w[bundler fastbundle].map do |tool|
        out, err, status = w.ruby([SetupParity::DUMP], env: env.merge("RUBYOPT" => "-r#{tool}/setup", "SETUP_WITH" => tool),
                                        allow_failure: true)
        raise "#{tool}: #{err}" unless status.success?

        JSON.parse(out)
      end
      gem_dir = installed_gem_dir(own)
      # As Bundler is in its own bundle under bundler/setup, the running
      # fastbundle is in Gem.loaded_specs and Gem::Specification.all.
      expect(ours["loaded_specs"]).to include(["fastbundle", ShippedGems.version])
      expect(ours["specification_all"]).to include("fastbundle")
      theirs, ours = [theirs, ours].map do |dump|
        dump = without_own(dump, gem_dir)
        dump["env"]["RUBYOPT"] = dump["env"]["RUBYOPT"].sub(/ -r(bundler|fastbundle)\/setup\z/, " -r<own setup>")
        dump["env"]["BUNDLER_ORIG_RUBYOPT"] = "-r<own setup>" # as the user set it
        %w[loaded_specs loaded_spec_dirs].each { |k| dump[k] = dump[k].reject { |n, *| n == "fastbundle" } }
        dump["loaded_full_names"] = dump["loaded_full_names"].grep_v(/\Afastbundle-\d/)
        dump.merge("specification_all" => dump["specification_all"] - ["fastbundle"])
      end
      expect(ours).to eq(theirs)
    end
  end

  describe "the source gem (rake gem)" do
    let(:gem_file) { ShippedGems.source_gem }

    it "carries the Rust sources, Cargo.lock and the vendored crates, nothing to test" do
      spec = ShippedGems.spec_of(gem_file)
      expect(spec.platform.to_s).to eq("ruby")
      expect(spec.extensions).to eq(["ext/fastbundle/extconf.rb"])
      expect(spec.files).to include("Cargo.toml", "Cargo.lock", "src/plan.rs", "ext/fastbundle/src/lib.rs", "launcher/src/main.rs",
                                    "exe/fastbundle", "LICENSE", "CHANGELOG.md")
      vendored = spec.files.grep(%r{\Avendor/crates/})
      expect(vendored.map { |f| f.split("/")[2] }.uniq).to include(a_string_starting_with("magnus-"))
      expect(vendored).to include(a_string_matching(%r{\Avendor/crates/magnus-[^/]+/\.cargo-checksum\.json\z}))
      expect(spec.files.grep(NEVER_SHIPPED)).to eq([])
      expect(spec.files.grep(/\.so\z/)).to eq([])
      expect(spec.required_ruby_version.to_s).to eq(">= 3.1")
      expect(spec.license).to eq("MIT")
    end

    context "installed with no registry reachable, then bundled by an app from a gem server" do
      let(:app) do
        World.cached(:shipped_source_app) do |w|
          self.class.install_source_gem(w)
          server = self.class.gem_repo(ShippedGems.source_gem)
          w.gemfile(%(source "#{server.url}"\ngem "alpha"\ngem "fastbundle"\n))
          w.bundle("install", env: { "PATH" => ShippedGems.bare_path(w) })
        end
      end

      # `gem install` with cargo on PATH but an empty CARGO_HOME (no registry
      # cache, no config) and every proxy pointing at a closed port.
      def self.install_source_gem(world)
        cargo = ShippedGems.cargo or raise "cargo is needed to test the source gem"

        cargo_home = World.tmpdir("empty-cargo-home")
        closed = "http://127.0.0.1:9"
        env = {
          "PATH" => [File.dirname(cargo), "/usr/bin", "/bin"].join(File::PATH_SEPARATOR),
          "CARGO_HOME" => cargo_home, "RUSTUP_HOME" => ENV["RUSTUP_HOME"] || File.join(Dir.home, ".rustup"),
          "http_proxy" => closed, "https_proxy" => closed, "HTTP_PROXY" => closed, "HTTPS_PROXY" => closed,
          "CARGO_HTTP_PROXY" => closed
        }
        out, err, status = world.gem("install", "--local", "--no-document", ShippedGems.source_gem, env: env,
                                                                                                 allow_failure: true, timeout: 900)
        raise "gem install of the source gem failed:\n#{out}\n#{err}" unless status.success?

        @cargo_home = cargo_home
      end

      class << self
        attr_reader :cargo_home
      end

      it "built the extension offline and left no build directory" do
        app
        gem_dir = installed_gem_dir(app.gem_home)
        expect(Dir.exist?(File.join(gem_dir, "ext", "fastbundle", "target"))).to be(false)
        expect(Dir[File.join(gem_dir, "ext", "fastbundle", "*.so")]).to eq([])
        expect(Dir[File.join(app.gem_home, "extensions", "*", "*", File.basename(gem_dir), "fastbundle", "fastbundle.so")].size)
          .to eq(1), Dir[File.join(app.gem_home, "extensions", "**", "*")].join("\n")
        expect(Dir[File.join(gem_dir, "lib", "fastbundle", "*", "fastbundle.so")]).to eq([]) # no prebuilt copy
        log = Dir[File.join(app.gem_home, "extensions", "*", "*", File.basename(gem_dir), "gem_make.out")].first
        expect(File.read(log)).to include("--offline", "--locked")
        expect(File.read(log)).not_to include("Downloading", "Updating crates.io")
        # Nothing fetched: no registry index or crate, no git checkout (only
        # cargo's own lock files, if any).
        expect(Dir.children(self.class.cargo_home) - %w[.package-cache .package-cache-mutate .global-cache]).to eq([])
        expect(app.lockfile).to include("fastbundle (#{ShippedGems.version})")
      end

      include_examples "an app booting through the installed gem"
    end

    it "says what to do when cargo is missing" do
      w = World.new
      out, err, status = w.gem("install", "--local", "--no-document", ShippedGems.source_gem,
                               env: { "PATH" => ShippedGems.bare_path(w), "HOME" => w.home, "CARGO" => nil },
                               allow_failure: true)
      expect(status).not_to be_success
      message = out + err
      expect(message).to include("fastbundle: cargo, Rust's build tool, is needed to build this gem from source")
      expect(message).to include("gem install fastbundle --platform #{Gem::Platform.local}")
    end
  end
end
