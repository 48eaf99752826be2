# frozen_string_literal: true

require "spec_helper"
require "json"

# Every field Bundler's own LockfileParser reports must equal ours, for
# lockfiles written in this run by real `bundle lock` / `bundle install` and
# for real-world lockfiles collected under spec/fixtures/lockfiles/real.
RSpec.describe "FastBundle::Lockfile parity with Bundler::LockfileParser" do
  GENERATED = %w[
    lock_sources lock_all_platforms install_vendor install_ruby_version crlf_generated source_blocks
  ].freeze
  REAL = Dir[File.join(__dir__, "fixtures/lockfiles/**/*.lock")].sort.freeze

  def self.build_worlds
    repo = World.tmpdir("gems")
    gems = File.join(repo, "gems")
    GemFactory.build(gems, name: "beta", version: "2.1.0")
    GemFactory.build(gems, name: "alpha", version: "1.0.0", deps: { "beta" => ["~> 2.0"] })
    GemFactory.build(gems, name: "gamma", version: "0.3.0", deps: { "beta" => [">= 1.0", "< 3"], "alpha" => [] })
    GemFactory.build(gems, name: "platy", version: "1.0.0")
    GemFactory.build(gems, name: "platy", version: "1.0.0", platform: "x86_64-linux")
    GemFactory.build(gems, name: "platy", version: "1.0.0", platform: "java")
    GemFactory.build(gems, name: "pre", version: "2.0.0.rc1")
    server = GemServer.start(repo)

    # A second source, served from the file system.
    file_repo = World.tmpdir("filegems")
    GemFactory.build(File.join(file_repo, "gems"), name: "delta", version: "4.0.0", deps: { "beta" => [] })
    GemServer.write_full_index(file_repo)

    world = World.new
    git_dir = World.tmpdir("gitgem")
    GemFactory.git_repo(git_dir, name: "gitgem", version: "0.9.0", deps: { "beta" => [">= 2"] }, branch: "feature")
    tag_dir = World.tmpdir("taggem")
    GemFactory.git_repo(tag_dir, name: "taggem", version: "1.2.0", tag: "v1.2.0")
    GemFactory.source(world.path("vendor/localgem"), name: "localgem", version: "0.1.0", deps: { "alpha" => ["~> 1.0"] })
    world.gemfile(<<~G)
      source "#{server.url}"
      gem "alpha"
      gem "platy"
      gem "pre", ">= 2.0.0.rc1"
      gem "gamma", "~> 0.3", group: :test
      gem "localgem", path: "vendor/localgem"
      gem "gitgem", git: "#{git_dir}", branch: "feature"
      gem "taggem", git: "#{tag_dir}", tag: "v1.2.0", glob: "*.gemspec"
      source "file://#{file_repo}" do
        gem "delta"
      end
    G
    out = {}
    world.bundle("lock")
    out["lock_sources"] = world.read("Gemfile.lock")
    world.bundle("lock", "--add-platform", "ruby", "java", "arm64-darwin", "x86_64-darwin-20", "x64-mingw-ucrt")
    out["lock_all_platforms"] = world.read("Gemfile.lock")
    out["crlf_generated"] = out["lock_sources"].gsub("\n", "\r\n")

    vendored = World.new
    vendored.gemfile(<<~G)
      source "#{server.url}"
      ruby "#{RUBY_VERSION}"
      gem "gamma"
      gem "platy"
    G
    vendored.config("path", "vendor/bundle")
    vendored.bundle("install")
    out["install_vendor"] = vendored.read("Gemfile.lock")
    vendored.gemfile(vendored.read("Gemfile").sub(/^ruby .*$/, %(ruby "~> #{RUBY_VERSION[/\d+\.\d+/]}.0", engine: "ruby", engine_version: "~> #{RUBY_VERSION[/\d+\.\d+/]}.0")))
    vendored.bundle("install")
    out["install_ruby_version"] = vendored.read("Gemfile.lock")

    blocks = World.new
    blocks.gemfile(<<~G)
      source "#{server.url}"
      source "file://#{file_repo}" do
        gem "delta"
      end
      source "#{server.url}" do
        gem "gamma"
      end
    G
    blocks.bundle("lock")
    out["source_blocks"] = blocks.read("Gemfile.lock")

    dir = World.tmpdir("locks")
    out.to_h { |name, text| [name, File.join(dir, "#{name}.lock").tap { |p| File.binwrite(p, text) }] }
  end

  def self.dump(mode, files)
    out, err, status = World.spawn_capture(World.clean_env, [RbConfig.ruby, File.join(__dir__, "scripts/lockfile_dump.rb"), mode, *files],
                                           chdir: ROOT_DIR)
    raise "lockfile_dump #{mode} failed: #{err}" unless status.success?

    JSON.parse(out)
  end

  before(:all) do
    @files = self.class.build_worlds.merge(REAL.to_h { |f| [File.basename(f), f] })
    @bundler = self.class.dump("bundler", @files.values)
    @ours = self.class.dump("fastbundle", @files.values)
  end

  it "compares against the Bundler installed here (#{World.bundler_version}) and at least 15 lockfiles" do
    expect(@bundler.values.first["bundler"]).to eq(World.bundler_version)
    expect(@files.size).to be >= 15
  end

  it "generated the sections it means to test" do
    sources = File.read(@files["lock_sources"])
    expect(sources).to include("GIT\n", "PATH\n", "  remote: file://", "  branch: feature\n", "  tag: v1.2.0\n",
                               "  glob: *.gemspec\n", "pre (2.0.0.rc1)")
    expect(File.read(@files["lock_all_platforms"])).to include("platy (1.0.0-java)", "  x64-mingw-ucrt\n", "  arm64-darwin\n")
    expect(File.read(@files["install_ruby_version"])).to include("RUBY VERSION\n   ruby #{RUBY_VERSION}")
    expect(File.binread(@files["crlf_generated"])).to include("\r\n")
  end

  (GENERATED + REAL.map { |f| File.basename(f) }).each do |name|
    describe name do
      let(:file) { @files.fetch(name) }
      let(:theirs) { @bundler.fetch(file) }
      let(:ours) { @ours.fetch(file) }

      it "parses without error in both" do
        expect(theirs).not_to have_key("error")
        expect(ours).not_to have_key("error")
      end

      it "reports the same specs, each with its dependencies and source" do
        # Bundler sorts specs by identifier; ours keep file order.
        key = ->(s) { [s["name"], s["version"], s["platform"]] }
        expect(ours["specs"].sort_by(&key)).to eq(theirs["specs"].sort_by(&key))
        expect(ours["specs"].size).to be > 0
      end

      it "reports the same sources, platforms, dependencies, ruby version and bundler version" do
        expect(ours["sources"]).to eq(theirs["sources"])
        expect(ours["platforms"]).to eq(theirs["platforms"])
        expect(ours["dependencies"]).to eq(theirs["dependencies"])
        expect(ours["ruby_version"]).to eq(theirs["ruby_version"])
        expect(ours["bundled_with"]).to eq(theirs["bundled_with"])
      end

      it "reads every CHECKSUMS line (a section Bundler 2.3 does not know)" do
        text = File.binread(file).gsub("\r\n", "\n")
        section = text[/^CHECKSUMS\n((?:  .*\n)*)/, 1].to_s
        expect(ours["checksums"].size).to eq(section.lines.size)
        section.lines.each do |line|
          sum = line.split(") ", 2)[1]&.strip
          name = line.strip[/\A\S+/]
          expect(ours["checksums"].select { |k, v| k.start_with?("#{name}-") && v == sum }).not_to be_empty
        end
      end
    end
  end
end
