# frozen_string_literal: true

require "spec_helper"

# Issue 4's parity worlds: for each world and group selection, one process
# runs Bundler's setup and another fastbundle's, with the same environment,
# and what they see must be the same — the whole $LOAD_PATH (but for each
# tool's own lib dir), Gem.loaded_specs, isolation from installed gems
# outside the bundle, Kernel#gem's messages and the ENV for child processes.
RSpec.describe "FastBundle.setup parity across worlds" do
  include SetupParity

  # One gem server for every world of this file.
  def self.server
    @server ||= GemServer.start(gem_repo)
  end

  def self.gem_repo
    @gem_repo ||= begin
      repo = World.tmpdir("world-gems")
      gems = File.join(repo, "gems")
      GemFactory.build(gems, name: "ext-dep", version: "1.0.0")
      GemFactory.build(gems, name: "outside", version: "1.0.0")
      repo
    end
  end

  def self.gem_file(full_name)
    File.join(gem_repo, "gems", "#{full_name}.gem")
  end

  # Path and git gems with C extensions and several require paths. Bundler
  # puts their extension dirs on the load path: for a git gem
  # <bundle path>/bundler/gems/extensions/<platform>/<api>/<repo>-<rev12>
  # (built at install), for a path gem RubyGems' own extension dir beside
  # the gemspec's parent (never built: Bundler installs path gems with
  # extensions disabled).
  def self.ext_world(key, vendor: false)
    World.cached(key) do |w|
      git_dir = File.join(World.tmpdir("git-ext"), "gext")
      GemFactory.git_repo(git_dir, name: "gext", version: "0.3.0", extension: true, require_paths: %w[lib ext_lib],
                                   deps: { "ext-dep" => [">= 1"] })
      mono = File.join(World.tmpdir("git-mono"), "mono")
      GemFactory.source(File.join(mono, "monoext"), name: "monoext", version: "1.0.0", extension: true)
      GemFactory.source(File.join(mono, "monopaths"), name: "monopaths", version: "1.0.0",
                                                       require_paths: %w[lib more/lib])
      GemFactory.git(mono, "init", "--quiet", "--initial-branch=main")
      GemFactory.commit(mono, "two gems")
      GemFactory.source(w.path("vendor/pext"), name: "pext", version: "0.1.0", extension: true,
                                               require_paths: %w[lib ext_lib])
      GemFactory.source(w.path("vendor/ppaths"), name: "ppaths", version: "0.2.0", require_paths: %w[lib . gen/lib])
      # Outside the app, by a relative path: Bundler expands "..".
      GemFactory.source(File.join(w.root, "shared/pshared"), name: "pshared", version: "1.1.0")
      # No gemspec at all: Bundler makes one up from the name and version.
      GemFactory.write(File.join(w.root, "shared/nospec/lib/nospec.rb"), "$LOADED_GEMS_MARK ||= []\n$LOADED_GEMS_MARK << \"nospec\"\n")
      w.gemfile(<<~G)
        source "#{server.url}"
        gem "gext", git: "#{git_dir}"
        git "#{mono}" do
          gem "monoext"
          gem "monopaths"
        end
        gem "pext", path: "vendor/pext"
        gem "ppaths", path: "vendor/ppaths"
        gem "pshared", path: "../shared/pshared"
        gem "nospec", "0.0.1", path: "../shared/nospec"
      G
      w.config("path", "vendor/bundle") if vendor
      w.bundle("install")
      w.gem("install", "--local", "--no-document", gem_file("outside-1.0.0"))
    end
  end

  EXT_PROBES = {
    "OUTSIDE_GEMS" => "outside",
    "PROBE_GEMS" => "gext,gext:>= 1,pext,outside",
    # pext's extension is never built, so only its Ruby parts are required.
    "REQUIRE_GEMS" => "gext,gext_ext_lib,monoext,monopaths,monopaths_lib,ppaths_.,ppaths_lib,pext_ext_lib,pshared,nospec"
  }.freeze

  shared_examples "path and git gems with extensions" do |vendor|
    let(:world) { self.class.ext_world(vendor ? :ext_vendor : :ext_system, vendor: vendor) }

    it "puts the same extension and require-path dirs on $LOAD_PATH, and the git extensions load" do
      theirs, ours = dump_both(world, env: EXT_PROBES)
      expect_same_state(theirs, ours)
      expect(theirs["require_inside"].values).to all(eq("ok"))
      ext_dirs = theirs["load_path"].grep(%r{/extensions/})
      expect(ext_dirs.size).to eq(3) # gext, monoext, pext
      expect(ext_dirs.grep(%r{/bundler/gems/extensions/.*/gext-\h{12}\z}).size).to eq(1)
    end
  end

  context "path and git gems with C extensions and several require paths, in GEM_HOME" do
    include_examples "path and git gems with extensions", false
  end

  context "path and git gems with C extensions and several require paths, in vendor/bundle" do
    include_examples "path and git gems with extensions", true
  end
end
