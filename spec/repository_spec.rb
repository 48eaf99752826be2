# frozen_string_literal: true

require "spec_helper"

# The repository holds sources only: nothing a build, a benchmark or a boot
# writes (caches under a HOME, compiled extensions, packaged gems, vendored
# crates) may be committed. Stray compiled-instruction caches (`30/.cache/…`,
# written by a benchmark run with a relative HOME) were once.
RSpec.describe "the repository" do
  GENERATED_FILES = {
    "a cache written under a HOME" => %r{(\A|/)\.cache/},
    "fastbundle's compiled-instruction or plan cache" => %r{(\A|/)fastbundle/(iseq|plan)/},
    "a directory named like a relative HOME" => %r{\A\d+/},
    "a compiled extension" => /\.(so|bundle|dll|o)\z/,
    "a packaged gem" => /\.gem\z/,
    "build output" => %r{\A(pkg|target|tmp)/},
    "vendored crates" => %r{(\A|/)vendor/crates/|(\A|/)\.cargo-checksum\.json\z}
  }.freeze

  it "tracks no generated file" do
    skip "not a git checkout" unless File.exist?(File.join(ROOT_DIR, ".git"))

    files = IO.popen(["git", "-C", ROOT_DIR, "ls-files", "-z"], &:read).split("\0")
    expect(files).to include("Cargo.lock", "lib/fastbundle.rb")
    offenders = GENERATED_FILES.flat_map { |what, pattern| files.grep(pattern).map { |f| "#{f} (#{what})" } }
    expect(offenders).to eq([])
  end
end
