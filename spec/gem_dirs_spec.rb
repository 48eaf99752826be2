# frozen_string_literal: true

require "spec_helper"
require "fileutils"
require "json"
require "open3"
require "rbconfig"
require "tmpdir"

# src/gem_dirs.rs (through examples/gem_dirs_dump.rs) against RubyGems' own
# Gem::Specification.stubs, run in a subprocess with the same GEM_PATH: the
# same specs, full names, require paths, gem paths and spec files, on
# Debian's real system gem dirs and on fixture dirs with damaged spec files.
RSpec.describe "gem dir scanning parity with RubyGems" do
  # Prints what RubyGems sees, plus the inputs the Rust scan needs.
  GEM_DIRS_RUBYGEMS_VIEW = <<~'RUBY'
    require "json"
    out = {
      "path" => Gem.path, "default_specifications_dir" => Gem.default_specifications_dir,
      "default_dir" => Gem.default_dir, "platform" => Gem::Platform.local.to_s,
      "ext_api" => Gem.extension_api_version.to_s, "default_ext_dir" => Gem.default_ext_dir_for(Gem.default_dir),
      "rubygems" => Gem::VERSION
    }
    begin
      out["stubs"] = Gem::Specification.stubs.map do |s|
        {
          "full_name" => s.full_name, "name" => s.name, "version" => s.version.to_s, "platform" => s.platform.to_s,
          "stubbed" => s.stubbed?, "default_gem" => s.default_gem?, "spec_file" => s.loaded_from,
          "full_gem_path" => s.full_gem_path, "require_paths" => s.full_require_paths,
          "extensions_built" => !s.missing_extensions?
        }
      end
    rescue StandardError => e
      out["raised"] = e.class.name
    end
    puts JSON.generate(out)
  RUBY

  def rubygems_view(gem_path = nil)
    env = World.clean_env
    env["GEM_PATH"] = gem_path if gem_path
    out, err, status = Open3.capture3(env, RbConfig.ruby, "-e", GEM_DIRS_RUBYGEMS_VIEW)
    raise "ruby failed: #{err}" unless status.success?

    JSON.parse(out)
  end

  def rust_view(view, dirs = view["path"])
    cmd = ["cargo", "run", "--release", "--example", "gem_dirs_dump", "-q", "--",
           "--platform", view["platform"], "--ext-api", view["ext_api"], "--rubygems", view["rubygems"],
           "--default-specs", view["default_specifications_dir"], "--default-base", view["default_dir"], "--", *dirs]
    out, err, status = Open3.capture3(*cmd, chdir: ROOT_DIR)
    raise "gem_dirs_dump failed: #{err}" unless status.success?

    lines = out.lines.map { |l| JSON.parse(l) }
    { specs: lines.filter_map { |l| l["spec"] }, errors: lines.filter_map { |l| l["error"] } }
  end

  GEM_DIRS_FIELDS = %w[name version platform default_gem spec_file full_gem_path require_paths extensions_built].freeze

  # Every stub RubyGems found, field by field; specs without a stub only by
  # full name and spec file (RubyGems evaluated them; we hand them to Ruby).
  def expect_same(view, rust)
    expect(view["default_ext_dir"]).to be_nil # the extension dir layout we compute
    ours = rust[:specs].to_h { |s| [s["full_name"], s] }
    # RubyGems 3.5+ no longer drops a stub whose full name came earlier (an
    # installed copy of a default gem, the same gem in two gem dirs); its
    # sorted stubs put the one it activates first: that one counts.
    theirs = view["stubs"].each_with_object({}) { |s, h| h[s["full_name"]] ||= s }
    expect(ours.keys.sort).to eq(theirs.keys.sort)
    theirs.each do |full_name, stub|
      mine = ours.fetch(full_name)
      expect(mine["has_stub"]).to eq(stub["stubbed"]), full_name
      fields = stub["stubbed"] ? GEM_DIRS_FIELDS : %w[spec_file default_gem]
      expect(mine.slice(*fields)).to eq(stub.slice(*fields)), full_name
    end
  end

  describe "Debian's system gem dirs (default GEM_PATH)" do
    before(:all) do
      @view = rubygems_view
      @rust = rust_view(@view)
    end

    it "finds every spec RubyGems finds, with the same require paths" do
      expect(@view["stubs"].size).to be > 50
      expect_same(@view, @rust)
    end

    it "puts default gems under Gem.default_dir, not next to their specs" do
      json = @rust[:specs].find { |s| s["name"] == "json" && s["default_gem"] }
      expect(json["spec_file"]).to start_with(@view["default_specifications_dir"])
      expect(json["full_gem_path"]).to eq(File.join(@view["default_dir"], "gems", json["full_name"]))
    end

    it "reports only missing gem dirs as problems" do
      expect(@rust[:errors].map { |e| e["kind"] }.uniq - ["MissingGemDir"]).to eq([])
    end
  end

  describe "fixture dirs written by gem install, plus damaged spec files" do
    before(:all) do
      @root = Dir.mktmpdir("gem-dirs-spec-")
      data = File.join(ROOT_DIR, "tests/data/gem_dirs")
      %w[first second].each { |d| FileUtils.cp_r(File.join(data, d), @root) }
      specs = File.join(@root, "first/specifications")
      write = lambda do |name, text|
        File.binwrite(File.join(specs, name), text)
      end
      # The body only matters where RubyGems evaluates it: for specs without
      # a stub, and for missing_extensions? (which asks the full spec).
      stub = lambda do |line, ext = nil|
        body = "Gem::Specification.new { |s| s.name = 'never'; s.version = '0'; s.extensions = #{ext ? [ext.strip] : []} }"
        "# -*- encoding: utf-8 -*-\n# stub: #{line}\n#{ext ? "# stub: #{ext}\n" : ""}\n#{body}\n"
      end
      write.call("rc-1.0.pre.rc1.gemspec", stub.call("rc 1.0-rc1 ruby lib"))
      write.call("bogus-0.gemspec", stub.call("bogus 1..0 ruby lib"))
      write.call("gnu-2.0-aarch64-linux.gemspec", stub.call("gnu 2.0 aarch64-linux-gnu lib"))
      write.call("paths-1.gemspec", stub.call("paths 1 ruby lib\0\0ext\0"))
      write.call("spaced-1.gemspec", stub.call("spaced 1 ruby my lib"))
      write.call("none-1.gemspec", stub.call("none 1 ruby "))
      # Short stub lines: the last field is the require path.
      write.call("short-1.0.gemspec", stub.call("short 1.0"))
      write.call("three-1.0.gemspec", stub.call("three 1.0 ruby"))
      write.call("one.gemspec", stub.call("one"))
      write.call("nulext-1.gemspec", stub.call("nulext 1 ruby lib", "\0\0"))
      write.call("crlf-1.gemspec", stub.call("crlf 1 ruby lib\r", "ext/x\r"))
      write.call("unbuilt-1.gemspec", stub.call("unbuilt 1 ruby lib", "ext/unbuilt/extconf.rb"))
      write.call(".hidden-1.gemspec", stub.call("hidden 1 ruby lib"))
      # No stub line: RubyGems evaluates these.
      write.call("legacy-3.0.0.gemspec", "Gem::Specification.new do |s|\n  s.name = 'legacy'\n  s.version = '3.0.0'\nend\n")
      write.call("cut-1.0.gemspec", "# -*- encoding: utf-8 -*-\n# stub: cut 1.0 ruby lib\n" \
                                    "Gem::Specification.new { |s| s.name = 'cut'; s.version = '1.0' }")
      FileUtils.rm_rf(File.join(@root, "first/gems/alpha-1.0.0"))
      @dirs = [File.join(@root, "first"), File.join(@root, "second")]
      @view = rubygems_view(@dirs.join(":"))
      @rust = rust_view(@view)
    end

    after(:all) { FileUtils.rm_rf(@root) }

    it "agrees with RubyGems on every spec" do
      expect(@view["raised"]).to be_nil
      expect_same(@view, @rust)
      names = @rust[:specs].map { |s| s["full_name"] }
      # RubyGems 3.3 names the aarch64-linux-gnu gem ...-aarch64-linux, 3.5+ keeps -gnu.
      gnu = "gnu-2.0-#{Gem::Platform.new("aarch64-linux-gnu")}"
      expect(names).to include("rc-1.0.pre.rc1", "bogus-0", gnu, "legacy-3.0.0", "cut-1.0",
                               "short-1.0", "three-1.0", "one-")
    end

    it "keeps the first dir's spec of a repeated full name" do
      alpha = @rust[:specs].find { |s| s["full_name"] == "alpha-1.0.0" }
      expect(alpha["spec_file"]).to start_with(@dirs[0])
    end

    it "reports the removed gem dir" do
      missing = @rust[:errors].select { |e| e["kind"] == "MissingGemDir" }.map { |e| File.basename(e["path"]) }
      expect(missing).to include("alpha-1.0.0.gemspec")
    end

    it "errors where RubyGems raises on an empty stub line" do
      dir = Dir.mktmpdir("gem-dirs-empty-", @root)
      FileUtils.mkdir_p(File.join(dir, "specifications"))
      File.binwrite(File.join(dir, "specifications/empty-1.0.gemspec"), "#\n# stub: \n\n")
      view = rubygems_view(dir)
      expect(view["raised"]).to eq("NoMethodError")
      rust = rust_view(view)
      expect(rust[:errors].map { |e| e["kind"] }).to include("BrokenStub")
    end

    it "errors where RubyGems raises on a stub that is not UTF-8" do
      dir = Dir.mktmpdir("gem-dirs-bad-", @root)
      FileUtils.mkdir_p(File.join(dir, "specifications"))
      File.binwrite(File.join(dir, "specifications/bad-1.0.gemspec"), "#\n# stub: bad 1.0 ruby li\xFFb\n\n".b)
      view = rubygems_view(dir)
      expect(view["raised"]).to eq("ArgumentError")
      rust = rust_view(view)
      expect(rust[:errors].map { |e| e["kind"] }).to include("InvalidUtf8")
    end
  end
end
