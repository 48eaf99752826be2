# frozen_string_literal: true

require "spec_helper"

# FastBundle.setup reads installed specs on another thread while the Gemfile
# is evaluated (Native.prefetch), from the environment as it was before the
# Gemfile ran. The Gemfile is Ruby and may change ENV; Bundler has copied
# the BUNDLE_* settings and fixed the bundle path before evaluating it, so
# such changes do not count, for Bundler nor for us.
RSpec.describe "FastBundle.setup and a Gemfile that changes ENV" do
  def self.world
    World.cached(:prefetch) do |w|
      repo = World.tmpdir("prefetch-gems")
      %w[only tested].each { |name| GemFactory.build(File.join(repo, "gems"), name: name, version: "1.0.0") }
      server = GemServer.start(repo)
      w.gemfile(%(source "#{server.url}"\ngem "only"\ngem "tested", group: :test\n))
      w.bundle("install") # into GEM_HOME
      w.bundle("install", env: { "BUNDLE_PATH" => "vendor/bundle" }) # and into vendor/bundle
    end
  end

  def gem_paths(world, with:)
    code = 'puts $LOAD_PATH.grep(/(only|tested)-1\.0\.0/)'
    out, = if with == :bundler
             world.ruby("-rbundler/setup", "-e", code)
           else
             world.ruby("-rfastbundle/setup", "-e", code, env: { "RUBYLIB" => LIB_DIR })
           end
    out.lines.map(&:chomp)
  end

  around do |example|
    @world = self.class.world
    gemfile = @world.read("Gemfile")
    example.run
  ensure
    @world.gemfile(gemfile)
  end

  it "keeps the bundle path the environment had before the Gemfile ran" do
    @world.gemfile(%(ENV["BUNDLE_PATH"] = "vendor/bundle"\n) + @world.read("Gemfile"))
    theirs = gem_paths(@world, with: :bundler)
    expect(theirs.size).to eq(2)
    expect(theirs).to all(include("/gem_home/gems/"))
    expect(gem_paths(@world, with: :fastbundle)).to eq(theirs)
  end

  it "reads groups from the environment before the Gemfile ran" do
    @world.gemfile(%(ENV["BUNDLE_WITHOUT"] = "test"\n) + @world.read("Gemfile"))
    theirs = gem_paths(@world, with: :bundler)
    expect(theirs.size).to eq(2)
    expect(gem_paths(@world, with: :fastbundle)).to eq(theirs)
  end

  it "gives Bundler's answer when nothing changes" do
    theirs = gem_paths(@world, with: :bundler)
    expect(theirs.size).to eq(2)
    expect(gem_paths(@world, with: :fastbundle)).to eq(theirs)
  end
end
