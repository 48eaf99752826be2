# frozen_string_literal: true

require "spec_helper"
require "fileutils"
require "json"
require "open3"
require "rbconfig"
require "tmpdir"

# tests/platform.rs checks src/platform.rs against tests/data/platform_vectors.json.
# This spec proves that file is what the installed RubyGems and Bundler
# answer: it regenerates the vectors (spec/scripts/platform_vectors.rb, which
# calls their real code in a subprocess) and requires the very same bytes.
RSpec.describe "tests/data/platform_vectors.json" do
  PLATFORM_VECTORS_JSON = File.join(ROOT_DIR, "tests/data/platform_vectors.json")
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
    expect(@committed.values_at("ruby", "rubygems", "bundler")).to eq([RUBY_VERSION, Gem::VERSION, "2.3.15"])
  end

  it "is exactly what they answer today" do
    differing = @fresh.keys.select { |k| @fresh[k] != @committed[k] }
    expect(differing).to eq([]), "regenerate with `ruby #{PLATFORM_VECTORS_SCRIPT.delete_prefix("#{ROOT_DIR}/")}`"
    expect(File.binread(@out)).to eq(File.binread(PLATFORM_VECTORS_JSON))
  end

  it "covers a broad matrix" do
    expect(@committed["platforms"].size).to be >= 80
    expect(@committed["variants"].size).to be >= 300
    expect(@committed["lockfile"].size).to be >= 300
    expect(@committed["materialize"].size).to be >= 100
    # Every platform named in the real lockfiles is among the parsed ones.
    inputs = @committed["platforms"].map { |p| p["input"] }
    expect(inputs).to include("x86_64-linux-gnu", "x64-mingw-ucrt", "universal-java-18", "arm64-darwin-22")
  end
end
