# frozen_string_literal: true

require "spec_helper"
require "fastbundle/version"

# fastbundle in an app's own bundle is both the code doing the setup and a
# locked gem — the position Bundler is in for itself. The running fastbundle
# is the bundled one (Bundler's SpecSet#for skips "bundler" and adds the
# running Bundler), whatever version the lockfile names. The installed
# gems (platform and source) are covered by spec/shipping_spec.rb; here the
# running fastbundle is this checkout (RUBYLIB).
RSpec.describe "fastbundle in its own bundle" do
  include SetupParity

  def self.gem_repo
    @gem_repo ||= begin
      repo = World.tmpdir("gems")
      gems = File.join(repo, "gems")
      GemFactory.build(gems, name: "beta", version: "2.1.0")
      # Another "fastbundle", as an older release would be: its lib marks
      # $LOADED_GEMS_MARK if it is ever loaded.
      GemFactory.build(gems, name: "fastbundle", version: "0.0.1")
      [repo, GemServer.start(repo)]
    end
  end

  def server
    self.class.gem_repo.last
  end

  def fastbundle(world, code, env: {})
    world.ruby("-rfastbundle/setup", "-e", code, env: { "RUBYLIB" => LIB_DIR }.merge(env), allow_failure: true)
  end

  RUNNING_FASTBUNDLE_PROBE = <<~RUBY
    require "json"
    spec = Gem.loaded_specs["fastbundle"]
    gem_ok = begin; gem "fastbundle"; "ok"; rescue Gem::LoadError => e; e.message; end
    require "fastbundle"
    puts JSON.generate("version" => spec&.version&.to_s, "dir" => spec&.full_gem_path, "gem" => gem_ok,
                       "marks" => $LOADED_GEMS_MARK || [], "all" => Gem::Specification.map(&:name).include?("fastbundle"),
                       "locked_copy_on_load_path" => $LOAD_PATH.any? { |p| p.include?("/gems/fastbundle-0.0.1") },
                       "running_lib_on_load_path" => $LOAD_PATH.include?(ENV["RUBYLIB"]))
  RUBY

  context "as a path gem (this checkout)" do
    let(:world) do
      World.cached(:fastbundle_path_gem) do |w|
        w.gemfile(%(source "#{server.url}"\ngem "beta"\ngem "fastbundle", path: #{ROOT_DIR.dump}\n))
        w.bundle("install")
      end
    end

    # The running fastbundle's own load path entries (lib, and the
    # extension dir Bundler gives a path gem) are where they were before the
    # setup, as Bundler's own are. Bundler also validates the gemspec it
    # evaluates, which activates the default gem uri (its homepage and
    # metadata URIs); fastbundle never evaluates its own.
    def without_own(dump)
      dump = normalize(dump)
      dump["load_path"] = dump["load_path"].reject { |p| p.include?("/fastbundle-#{FastBundle::VERSION}") }
      %w[loaded_specs loaded_spec_dirs].each { |k| dump[k] = dump[k].reject { |n, *| n == "uri" } }
      dump["loaded_full_names"] = dump["loaded_full_names"].grep_v(/\Auri-\d/)
      dump
    end

    it "gives Bundler's answer, with this checkout as the bundled fastbundle" do
      theirs, ours = dump_both(world)
      expect(without_own(ours)).to eq(without_own(theirs))
      expect(ours["loaded_spec_dirs"]).to include(["fastbundle", ROOT_DIR, ROOT_DIR])
      expect(ours["loaded_specs"]).to include(["fastbundle", FastBundle::VERSION])
    end
  end

  context "locked at another version than the running one" do
    let(:world) do
      World.cached(:fastbundle_other_version) do |w|
        w.gemfile(%(source "#{server.url}"\ngem "beta"\ngem "fastbundle"\n))
        w.bundle("install")
      end
    end

    it "uses the running fastbundle, as Bundler uses the running Bundler, and never loads the locked one" do
      expect(world.lockfile).to include("fastbundle (0.0.1)")
      out, err, status = fastbundle(world, RUNNING_FASTBUNDLE_PROBE)
      expect(status).to be_success, err
      answer = JSON.parse(out)
      expect(answer).to include("version" => FastBundle::VERSION, "dir" => ROOT_DIR, "gem" => "ok", "all" => true)
      expect(answer["marks"]).to eq([])
      expect(answer).to include("locked_copy_on_load_path" => false, "running_lib_on_load_path" => true)
      expect(err).to eq("")
    end

    it "boots when the locked version is not installed at all, where Bundler stops with 7" do
      w = World.new
      w.gemfile(%(source "#{server.url}"\ngem "beta"\ngem "fastbundle"\n))
      w.bundle("install")
      w.gem("uninstall", "fastbundle", "--all", "--executables", "--force")
      _, _, bundler = w.ruby("-e", "require 'bundler'; require 'bundler/friendly_errors'; " \
                                   "Bundler.with_friendly_errors { Bundler.setup }", allow_failure: true)
      expect(bundler.exitstatus).to eq(7)
      out, err, status = fastbundle(w, RUNNING_FASTBUNDLE_PROBE)
      expect(status).to be_success, err
      expect(JSON.parse(out)).to include("version" => FastBundle::VERSION, "gem" => "ok")
    end

    it "accepts a Gemfile requirement the running version does not meet, as Bundler does, saying so under FASTBUNDLE_DEBUG" do
      w = World.new
      w.gemfile(%(source "#{server.url}"\ngem "beta"\ngem "fastbundle", "< 0.1"\n))
      w.bundle("install")
      out, err, status = fastbundle(w, RUNNING_FASTBUNDLE_PROBE)
      expect(status).to be_success, err
      expect(JSON.parse(out)["version"]).to eq(FastBundle::VERSION)
      expect(err).to eq("")
      _, err, status = fastbundle(w, "nil", env: { "FASTBUNDLE_DEBUG" => "1" })
      expect(status).to be_success
      expect(err).to include("fastbundle: running fastbundle-#{FastBundle::VERSION}, which the Gemfile's fastbundle (< 0.1) " \
                             "does not allow (used anyway, as Bundler uses itself)")
    end
  end

  it "leaves Gem.loaded_specs alone when the app does not bundle fastbundle and it runs from a checkout" do
    w = World.cached(:fastbundle_not_bundled) do |world|
      world.gemfile(%(source "#{server.url}"\ngem "beta"\n))
      world.bundle("install")
    end
    out, err, status = fastbundle(w, RUNNING_FASTBUNDLE_PROBE)
    expect(status).to be_success, err
    expect(JSON.parse(out)).to include("version" => nil, "all" => false,
                                       "gem" => "fastbundle is not part of the bundle. Add it to your Gemfile.")
  end
end
