# frozen_string_literal: true

require "spec_helper"
require "rubygems/package"
require "digest"
require "json"

# Proves the test-support infrastructure builds real worlds: real `gem build`,
# a real HTTP gem source, real `bundle install` / `bundle lock`.
RSpec.describe "spec support (GemFactory, GemServer, World)" do
  include SetupParity

  before(:all) do
    @repo = World.tmpdir("repo")
    gems = File.join(@repo, "gems")
    @built = {
      leafy1: GemFactory.build(gems, name: "leafy", version: "1.0.0"),
      leafy2: GemFactory.build(gems, name: "leafy", version: "2.0.0"),
      twig: GemFactory.build(gems, name: "twig", version: "0.5.0"),
      branchy: GemFactory.build(gems, name: "branchy", version: "1.2.0", executables: ["branchy"],
                                      deps: { "leafy" => ["~> 1.0"], "twig" => [">= 0.1", "< 1"] }),
      platy: GemFactory.build(gems, name: "platy", version: "1.0.0"),
      platy_linux: GemFactory.build(gems, name: "platy", version: "1.0.0", platform: "x86_64-linux"),
      nativo: GemFactory.build(gems, name: "nativo", version: "0.1.0", extension: true),
      multipath: GemFactory.build(gems, name: "multipath", version: "1.0.0", require_paths: %w[lib ext_lib])
    }
    @server = GemServer.start(@repo)
    @local = GemFactory.source(File.join(World.tmpdir("path"), "localgem"),
                               name: "localgem", version: "0.2.0", deps: { "twig" => [">= 0"] })
    @git_dir = File.join(World.tmpdir("git"), "gitgem")
    @git_rev = GemFactory.git_repo(@git_dir, name: "gitgem", version: "0.3.0", branch: "feature", tag: "v0.3.0")
  end

  let(:gemfile) do
    <<~G
      source "#{@server.url}"
      gem "branchy"
      gem "platy"
      gem "nativo"
      gem "multipath"
      gem "localgem", path: "#{@local}"
      gem "gitgem", git: "#{@git_dir}", branch: "feature"
    G
  end

  # Requires every gem under bundler/setup and reports what got loaded.
  let(:probe) do
    <<~'RUBY'
      %w[branchy platy nativo multipath multipath_ext_lib localgem gitgem leafy twig].each { |g| require g }
      puts $LOADED_GEMS_MARK.sort.join(",")
      puts Nativo.native_answer
      puts $LOADED_FEATURES.grep(/nativo_ext\.so\z/).first
    RUBY
  end

  let(:expected_marks) do
    %w[branchy-1.2.0 gitgem-0.3.0 leafy-1.0.0 localgem-0.2.0 multipath-1.0.0 multipath-1.0.0:ext_lib nativo-0.1.0
       platy-1.0.0-x86_64-linux twig-0.5.0].sort.join(",")
  end

  # Expensive worlds are built once (World.cached) and shared by examples.
  def installed_world
    World.cached(:support_spec_gem_home) do |w|
      w.gemfile(gemfile)
      w.bundle("install")
    end
  end

  def vendored_world
    World.cached(:support_spec_vendor) do |w|
      w.gemfile(gemfile)
      w.config("path", "vendor/bundle")
      w.bundle("install")
    end
  end

  def lockfile_specs(lock, section)
    lock[/^#{section}\n(.*?)\n\n/m, 1]
  end

  describe GemFactory do
    it "builds real .gem files with the requested metadata" do
      spec = Gem::Package.new(@built[:branchy]).spec
      expect(spec.full_name).to eq("branchy-1.2.0")
      expect(spec.runtime_dependencies.map(&:to_s)).to contain_exactly("leafy (~> 1.0)", "twig (>= 0.1, < 1)")
      expect(spec.executables).to eq(["branchy"])
      expect(spec.files).to include("lib/branchy.rb", "lib/branchy/version.rb", "exe/branchy")

      expect(Gem::Package.new(@built[:platy_linux]).spec.platform.to_s).to eq("x86_64-linux")
      expect(Gem::Package.new(@built[:platy]).spec.platform.to_s).to eq("ruby")
      expect(Gem::Package.new(@built[:nativo]).spec.extensions).to eq(["ext/nativo/extconf.rb"])
      expect(Gem::Package.new(@built[:multipath]).spec.require_paths).to eq(%w[lib ext_lib])
    end

    it "makes a git repo with branch and tag at the returned revision" do
      expect(@git_rev).to match(/\A\h{40}\z/)
      %w[HEAD feature v0.3.0].each do |ref|
        expect(GemFactory.git(@git_dir, "rev-parse", "#{ref}^{commit}").strip).to eq(@git_rev)
      end
    end
  end

  describe GemServer do
    def get(path, headers = {}, server: @server)
      Net::HTTP.new("127.0.0.1", server.port, nil).start { |h| h.get(path, headers) }
    end

    it "serves the compact index: versions lists every variant, info lines carry dependencies and checksums" do
      versions = get("/versions").body
      expect(versions).to start_with("created_at: ")
      lines = versions.split("---\n", 2).last.lines.to_h { |l| l.split(" ", 2) }
      expect(lines["platy"]).to match(/\A1\.0\.0,1\.0\.0-x86_64-linux \h{32}\n\z/)
      expect(lines["leafy"]).to start_with("1.0.0,2.0.0 ")

      info = get("/info/branchy").body
      expect(Digest::MD5.hexdigest(info)).to eq(lines["branchy"].split.last)
      sha = Digest::SHA256.file(@built[:branchy]).hexdigest
      expect(info).to eq("---\n1.2.0 leafy:~> 1.0,twig:< 1&>= 0.1|checksum:#{sha}\n")
      expect(get("/gems/branchy-1.2.0.gem").body).to eq(File.binread(@built[:branchy]))
      expect(get("/info/nonesuch").code).to eq("404")
      expect(@server.url).to match(%r{\Ahttp://127\.0\.0\.1:\d+\z})
    end

    it "answers the conditional and partial requests of a cached index as Bundler expects" do
      full = get("/versions")
      expect(full["ETag"]).to eq(%("#{Digest::MD5.hexdigest(full.body)}"))
      expect(full["Repr-Digest"]).to eq("sha-256=:#{[Digest::SHA256.digest(full.body)].pack("m0")}:")
      expect(get("/versions", { "If-None-Match" => full["ETag"] }).code).to eq("304")
      tail = get("/versions", { "Range" => "bytes=10-" })
      expect([tail.code, tail.body]).to eq(["206", full.body.byteslice(10..)])
    end

    it "with credentials, refuses requests without them; Bundler takes them from bundle config or BUNDLE_<HOST>" do
      private_server = GemServer.start(@repo, credentials: "fbuser:fb-secret")
      gemfile = %(source "#{private_server.url}"\ngem "branchy"\n)
      expect(get("/versions", server: private_server).code).to eq("401")

      anonymous = World.new
      anonymous.gemfile(gemfile)
      out, err, status = anonymous.bundle("install", allow_failure: true)
      expect(status).not_to be_success
      expect(out + err).to include("Authentication is required for 127.0.0.1")

      configured = World.new
      configured.gemfile(gemfile)
      configured.config(private_server.config_key, "fbuser:fb-secret")
      configured.bundle("install")
      # fastbundle boots it as Bundler does; the secret lives only in the config.
      theirs, ours = dump_both(configured)
      expect_same_state(theirs, ours)
      expect(ours["loaded_specs"].map(&:first)).to include("branchy", "leafy", "twig")
      expect(JSON.dump(ours)).not_to include("fb-secret")

      by_env = World.new
      by_env.gemfile(gemfile)
      by_env.bundle("install", env: { "BUNDLE_127__0__0__1" => "fbuser:fb-secret" })
      expect(by_env.lockfile).to eq(configured.lockfile)
      expect(by_env.lockfile).not_to include("fb-secret")
      expect(private_server.requests).to include("GET /versions 401", "GET /info/branchy 200",
                                                 "GET /gems/branchy-1.2.0.gem 200")
    ensure
      private_server&.stop
    end
  end

  describe World do
    it "bundle install into GEM_HOME locks the x86_64-linux variant and bundler/setup loads everything" do
      w = installed_world
      lock = w.lockfile
      # Bundler 2.5+ locks the generic `ruby` platform beside the local one,
      # and with it the `ruby` variant of platy.
      ruby_locked = lock.include?("PLATFORMS\n  ruby\n")
      expect(ruby_locked).to eq(Gem::Version.new(World.bundler_version) >= Gem::Version.new("2.5"))
      expect(lockfile_specs(lock, "GEM")).to eq(<<~L.chomp)
        \  remote: #{@server.url}/
          specs:
            branchy (1.2.0)
              leafy (~> 1.0)
              twig (>= 0.1, < 1)
            leafy (1.0.0)
            multipath (1.0.0)
            nativo (0.1.0)
        #{ruby_locked ? "    platy (1.0.0)\n" : ""}    platy (1.0.0-x86_64-linux)
            twig (0.5.0)
      L
      expect(lock).to include("GIT\n  remote: #{@git_dir}\n  revision: #{@git_rev}\n  branch: feature\n" \
                              "  specs:\n    gitgem (0.3.0)\n")
      expect(lock).to include("PATH\n  remote: #{@local}\n  specs:\n    localgem (0.2.0)\n      twig\n")
      expect(lock).to include("  x86_64-linux\n\nDEPENDENCIES", "BUNDLED WITH\n   #{World.bundler_version}\n")

      # Installed into GEM_HOME; the C extension was compiled at install time.
      installed = Dir.children(File.join(w.gem_home, "gems"))
      expect(installed).to include("platy-1.0.0-x86_64-linux", "nativo-0.1.0", "leafy-1.0.0")
      expect(installed).not_to include("platy-1.0.0", "leafy-2.0.0")
      expect(Dir[File.join(w.gem_home, "extensions", "*", "*", "nativo-0.1.0", "nativo", "nativo_ext.so")]).not_to be_empty

      out, = w.ruby("-rbundler/setup", "-e", probe)
      marks, answer, so = out.lines.map(&:chomp)
      expect(marks).to eq(expected_marks)
      expect(answer).to eq("42")
      expect(so).to start_with(w.gem_home)

      expect(w.bundle("exec", "branchy").first).to eq("branchy from branchy-1.2.0\n")
    end

    it "bundle install with `path vendor/bundle` installs under the app" do
      w = vendored_world
      expect(w.read(".bundle/config")).to include(%(BUNDLE_PATH: "vendor/bundle"))
      ruby_dir = w.path("vendor/bundle/ruby/#{RbConfig::CONFIG["ruby_version"]}")
      expect(Dir.children(File.join(ruby_dir, "gems"))).to include("platy-1.0.0-x86_64-linux", "nativo-0.1.0")
      expect(Dir.children(File.join(ruby_dir, "bundler", "gems")).grep(/\Agitgem-\h{12}\z/).size).to eq(1)
      expect(Dir.glob("gems/*", base: w.gem_home)).to be_empty
      expect(w.lockfile).to eq(installed_world.lockfile)

      out, = w.ruby("-rbundler/setup", "-e", probe)
      marks, answer, so = out.lines.map(&:chomp)
      expect([marks, answer]).to eq([expected_marks, "42"])
      expect(so).to start_with(ruby_dir)
    end

    it "bundle lock works against the server without installing; --add-platform ruby locks both variants" do
      w = World.new
      w.gemfile(%(source "#{@server.url}"\ngem "branchy"\ngem "platy"\n))
      @server.clear_requests
      w.bundle("lock")
      expect(w.lockfile).to include("    platy (1.0.0-x86_64-linux)\n", "  x86_64-linux\n\nDEPENDENCIES")
      expect(Dir.glob("*/*", base: w.gem_home)).to be_empty
      # The compact index is used: versions, then the info of each gem needed; no .gem downloaded.
      expect(@server.requests).to include("GET /versions 200", "GET /info/branchy 200", "GET /info/leafy 200")
      expect(@server.requests.grep(%r{\AGET /gems/})).to be_empty

      w.bundle("lock", "--add-platform", "ruby")
      expect(lockfile_specs(w.lockfile, "GEM")).to include("    platy (1.0.0)\n    platy (1.0.0-x86_64-linux)\n")
      expect(w.lockfile).to include("PLATFORMS\n  ruby\n  x86_64-linux\n\n")
    end

    it "is hermetic: caller's Bundler/RubyGems env does not leak, HOME and GEM_HOME are the world's" do
      w = World.new
      leaked = { "BUNDLE_FROZEN" => "true", "BUNDLE_GEMFILE" => "/nonexistent/Gemfile", "RUBYOPT" => "-rnonexistent",
                 "RUBYLIB" => "/nonexistent", "GEM_HOME" => "/nonexistent", "BUNDLER_VERSION" => "9.9.9" }
      saved = leaked.keys.to_h { |k| [k, ENV[k]] }
      begin
        ENV.update(leaked)
        out, = w.ruby(<<~'RUBY')
          require "bundler"
          require "json"
          puts JSON.dump([ENV.keys.grep(/\A(BUNDLE_GEMFILE|BUNDLE_FROZEN|BUNDLER_VERSION|RUBYOPT|RUBYLIB)\z/),
                          Dir.home, Gem.dir, Gem.path, Bundler::VERSION])
        RUBY
      ensure
        ENV.update(saved)
      end
      keys, home, gem_dir, gem_path, version = JSON.parse(out)
      expect(keys).to eq([])
      expect([home, gem_dir]).to eq([w.home, w.gem_home])
      expect(gem_path).to eq([w.gem_home, World.bundler_gem_dir])
      expect(version).to eq(World.bundler_version) # not the 2.3.7 default gem

      sys = World.new(system_gems: true)
      expect(sys.env["GEM_PATH"].split(":")).to include(sys.gem_home, "/usr/share/rubygems-integration/all")
    end

    it "World.cached builds once; failures raise unless allow_failure" do
      expect(installed_world).to equal(installed_world)
      w = World.new
      expect { w.ruby("exit 3") }.to raise_error(World::CommandFailed, /exit 3/)
      _, err, status = w.ruby("warn 'boom'; exit 3", allow_failure: true)
      expect([status.exitstatus, err]).to eq([3, "boom\n"])
    end
  end
end
