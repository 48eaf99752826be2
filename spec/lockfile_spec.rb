# frozen_string_literal: true

require "spec_helper"
require "fastbundle"
require "tmpdir"

RSpec.describe FastBundle::Lockfile do
  let(:text) do
    <<~L
      GIT
        remote: https://deploy:s3cret@git.example.com/acme/widgets.git
        revision: 0123456789abcdef0123456789abcdef01234567
        branch: main
        submodules: true
        specs:
          widgets (2.0.0)
            rack (>= 2.0, < 4)

      GEM
        remote: https://rubygems.org/
        remote: https://user:hunter2@gems.example.com/private/
        specs:
          nokogiri (1.16.0)
            racc (~> 1.4)
          nokogiri (1.16.0-x86_64-linux)
            racc (~> 1.4)
          racc (1.7.3)
          rack (3.0.8)

      PLATFORMS
        ruby
        x86_64-linux

      DEPENDENCIES
        nokogiri (~> 1.16)
        widgets!

      CHECKSUMS
        racc (1.7.3) sha256=abc123

      RUBY VERSION
         ruby 3.1.2p20

      BUNDLED WITH
         2.5.3
    L
  end

  subject(:lock) { described_class.parse(text, "Gemfile.lock") }

  it "exposes specs in file order with versions, platforms, full names, dependencies and sources" do
    expect(lock.specs.map(&:full_name)).to eq(%w[widgets-2.0.0 nokogiri-1.16.0 nokogiri-1.16.0-x86_64-linux racc-1.7.3 rack-3.0.8])
    noko = lock.specs[2]
    expect([noko.name, noko.version, noko.platform]).to eq(["nokogiri", "1.16.0", "x86_64-linux"])
    expect(lock.specs[1].platform).to eq("ruby")
    expect(lock.specs[0].dependencies).to eq([["rack", [">= 2.0", "< 4"]]])
    expect(lock.specs[3].dependencies).to eq([])
    expect(lock.specs[0].source).to eq(lock.sources[0])
    expect(lock.specs[1].source).to eq(lock.sources[1])
    expect(lock.specs[1].source).not_to eq(lock.sources[0])
  end

  it "exposes sources, platforms, dependencies, checksums, ruby version and bundler version" do
    git, gem = lock.sources
    expect(git.type).to eq(:git)
    expect(git.options).to eq("revision" => "0123456789abcdef0123456789abcdef01234567", "branch" => "main", "submodules" => "true")
    expect(gem.type).to eq(:gem)
    expect(gem.remotes).to eq(["https://rubygems.org/", "https://user:hunter2@gems.example.com/private/"])
    expect(lock.platforms).to eq(%w[ruby x86_64-linux])
    expect(lock.dependencies.keys).to eq(%w[nokogiri widgets])
    expect(lock.dependencies["nokogiri"].requirements).to eq(["~> 1.16"])
    expect(lock.dependencies["nokogiri"].pinned?).to be(false)
    expect(lock.dependencies["widgets"].pinned?).to be(true)
    expect(lock.dependencies["widgets"].requirements).to eq([])
    expect(lock.checksums).to eq("racc-1.7.3" => "sha256=abc123")
    expect(lock.ruby_version).to eq("ruby 3.1.2p20")
    expect(lock.bundled_with).to eq("2.5.3")
  end

  it "repeats a key's values as a list" do
    l = described_class.parse("PATH\n  remote: .\n  glob: a\n  glob: b\n  specs:\n    x (1)\n")
    expect(l.sources.first.options).to eq("glob" => %w[a b])
  end

  it "never shows credentials in inspect or to_s" do
    shown = [lock.inspect, lock.sources.map(&:inspect), lock.sources.map(&:to_s), lock.specs.map(&:inspect),
             lock.dependencies.values.map(&:inspect)].flatten.join("\n")
    expect(shown).not_to include("s3cret", "hunter2")
    expect(shown).to include("https://***@git.example.com/acme/widgets.git", "https://***@gems.example.com/private/")
    expect(shown).not_to include("deploy@", "user@")
  end

  describe "bad input" do
    def error_for(text, path = "/app/Gemfile.lock")
      described_class.parse(text, path)
    rescue FastBundle::LockfileError => e
      e
    else
      raise "expected a LockfileError"
    end

    it "names the file and line, says what was expected, exits with Bundler's status 20" do
      e = error_for("GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (3.0.8)\n    rails (seven)\n")
      expect(e.status_code).to eq(20)
      expect(e.message).to include("/app/Gemfile.lock:5", "rails (seven)", "expected a spec line")
    end

    it "gives merge conflicts their own message, like Bundler" do
      e = error_for("GEM\n  specs:\n<<<<<<< HEAD\n    rack (3.0.8)\n=======\n    rack (3.0.9)\n>>>>>>> main\n")
      expect(e.message).to include("contains merge conflicts", "line 3", "git checkout HEAD -- /app/Gemfile.lock")
    end

    it "keeps credentials out of error messages" do
      e = error_for("GEM\n  remote https://user:hunter2@gems.example.com/\n")
      expect(e.message).not_to include("hunter2")
      expect(e.message).to include("https://***@gems.example.com/")
      e = error_for("GEM\n  specs:\n    a (x)\n", "https://user:hunter2@example.com/Gemfile.lock")
      expect(e.message).not_to include("hunter2")
    end

    it "rejects invalid UTF-8 with the line, and survives NUL bytes and tabs" do
      e = error_for("GEM\n  specs:\n    caf\xE9 (1.0)\n".b)
      expect(e.message).to include(":3", "not valid UTF-8")
      expect(described_class.parse("GEM\n  specs:\n    a\0 (1.0)\n").specs.first.name).to eq("a\0")
      expect(error_for("GEM\n  specs:\n\track (1.0)\n").message).to include(":3", "tab")
    end

    it "reads a truncated file up to the cut, or names the cut line" do
      cut = text[0, text.index("racc (1.7.3)") + 6]
      expect(error_for(cut).message).to include("Gemfile.lock:#{cut.lines.size}")
      expect(described_class.parse(text[0, text.index("PLATFORMS")]).specs.size).to eq(5)
    end

    it "names a missing or unreadable file" do
      Dir.mktmpdir do |dir|
        missing = File.join(dir, "Gemfile.lock")
        expect { described_class.read(missing) }.to raise_error(FastBundle::LockfileError, /#{Regexp.escape(missing)}/)
        expect { described_class.read(dir) }.to raise_error(FastBundle::LockfileError, /Is a directory/)
      end
    end
  end

  it "turns a Rust panic into FastBundle::InternalError, never fatal" do
    expect { FastBundle::Native.__panic_for_test("boom") }
      .to raise_error(FastBundle::InternalError, /boom.*bug in fastbundle/m)
  end

  it "survives GC.stress while parsing and walking every object" do
    GC.stress = true
    l = described_class.parse(text)
    names = l.specs.map { |s| [s.full_name, s.dependencies, s.source.remotes] }
    GC.stress = false
    expect(names.size).to eq(5)
  ensure
    GC.stress = false
  end

  it "reads every real-world fixture" do
    Dir[File.join(__dir__, "fixtures/lockfiles/real/*.lock")].each do |f|
      expect(described_class.read(f).specs).not_to be_empty, f
    end
  end
end
