# frozen_string_literal: true

require "spec_helper"
require "fileutils"
require "json"
require "open3"
require "rbconfig"
require "tmpdir"

# tests/platform.rs checks src/platform.rs against tests/data/platform_vectors.json
# (RubyGems 3.3 / Bundler 2.3) and platform_vectors_rubygems36.json (3.6 / 2.6).
# This spec proves the file of this environment's RubyGems is what the
# installed RubyGems and Bundler answer: it regenerates the vectors
# (spec/scripts/platform_vectors.rb, which calls their real code in a
# subprocess) and requires the very same bytes.
PLATFORM_VECTORS_FILE = Gem::Version.new(Gem::VERSION) >= Gem::Version.new("3.5") ? "platform_vectors_rubygems36.json" : "platform_vectors.json"
RSpec.describe "tests/data/#{PLATFORM_VECTORS_FILE}" do
  PLATFORM_VECTORS_JSON = File.join(ROOT_DIR, "tests/data", PLATFORM_VECTORS_FILE)
  PLATFORM_VECTORS_SCRIPT = File.join(ROOT_DIR, "spec/scripts/platform_vectors.rb")

  before(:all) do
    @out = File.join(Dir.mktmpdir("platform-vectors-"), "vectors.json")
    _, err, status = Open3.capture3(World.clean_env, RbConfig.ruby, PLATFORM_VECTORS_SCRIPT, @out)
    raise "platform_vectors.rb failed:\n#{err}" unless status.success?

    @fresh = JSON.parse(File.read(@out))
    @committed = JSON.parse(File.read(PLATFORM_VECTORS_JSON))
  end

  after(:all) { FileUtils.rm_rf(File.dirname(@out)) }

  it "was recorded with the RubyGems and Bundler installed here" do
    # The script's Bundler is the newest installed, which `require "bundler"` loads.
    expect(@committed.values_at("ruby", "rubygems", "bundler")).to eq([RUBY_VERSION, Gem::VERSION, @fresh["bundler"]])
  end

  it "is exactly what they answer today" do
    differing = @fresh.keys.select { |k| @fresh[k] != @committed[k] }
    expect(differing).to eq([]), "regenerate with `ruby #{PLATFORM_VECTORS_SCRIPT.delete_prefix("#{ROOT_DIR}/")}`"
    expect(File.binread(@out)).to eq(File.binread(PLATFORM_VECTORS_JSON))
  end

  it "covers a broad matrix" do
    expect(@committed["platforms"].size).to be >= 80
    expect(@committed["lockfile"].size).to be >= 300
    # Bundler 2.6's variant choice and materialization are not ported yet,
    # so not recorded for it (spec/scripts/platform_vectors.rb).
    if Gem::Version.new(@committed["rubygems"]) < Gem::Version.new("3.5")
      expect(@committed["variants"].size).to be >= 300
      expect(@committed["materialize"].size).to be >= 100
    end
    # Every platform named in the real lockfiles is among the parsed ones.
    inputs = @committed["platforms"].map { |p| p["input"] }
    expect(inputs).to include("x86_64-linux-gnu", "x64-mingw-ucrt", "universal-java-18", "arm64-darwin-22")
  end
end
