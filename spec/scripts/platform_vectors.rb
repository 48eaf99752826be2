# frozen_string_literal: true

# Usage: ruby spec/scripts/platform_vectors.rb [OUT.json]
#
# Records what the installed RubyGems and Bundler answer to every platform
# question src/platform.rs answers, by calling their own code: Gem::Platform
# parsing and matching, Bundler's MatchPlatform/GemHelpers, the variant a
# SpecSet built by Bundler's LockfileParser hands to materialization, how a
# LazySpecification materializes, and Definition's PLATFORMS checks.
# tests/platform.rs replays the vectors against the Rust code;
# spec/platform_vectors_spec.rb checks the committed file is this output.
#
# Loads real Bundler, so it runs in its own process, from an empty directory
# with a private HOME, an empty Gemfile and no other BUNDLE_* settings.
require "fileutils"
require "json"
require "tmpdir"

ROOT = File.expand_path("../..", __dir__)
# RubyGems 3.5+ with its Bundler (2.5+) reads platforms differently
# (src/platform.rs Rules): their vectors are a file of their own.
MODERN = Gem::Version.new(Gem::VERSION) >= Gem::Version.new("3.5")
OUT = ARGV[0] || File.join(ROOT, "tests/data/#{MODERN ? "platform_vectors_rubygems36" : "platform_vectors"}.json")

ENV.keys.grep(/\A(BUNDLE|BUNDLER|GEM)_/).each { |k| ENV.delete(k) }
WORK = Dir.mktmpdir("platform-vectors-")
at_exit { FileUtils.rm_rf(WORK) }
Dir.chdir(WORK)
ENV["HOME"] = Dir.pwd
# Bundler's sources want a root; an empty Gemfile gives one.
File.write("Gemfile", "")
ENV["BUNDLE_GEMFILE"] = File.expand_path("Gemfile")

require "bundler"
require "bundler/lockfile_parser"

RUBY_PLATFORM_STR = Gem::Platform::RUBY

# ---- platform strings ---------------------------------------------------------

CLASSIC = %w[
  ruby x86_64-linux x86_64-linux-gnu x86_64-linux-musl x86_64-linux-gnux32 x86_64-linuxmusl x86_64-linux-eabi
  aarch64-linux aarch64-linux-gnu aarch64-linux-musl arm-linux arm-linux-gnu arm-linux-musl
  arm-linux-gnueabihf arm-linux-eabihf arm-linux-musleabihf armv7l-linux armv7l-linux-eabihf armv8-linux
  arm64-darwin arm64-darwin-20 arm64-darwin21 x86_64-darwin x86_64-darwin-19 x86_64-darwin19
  universal-darwin universal-darwin-9 universal-darwin9 i686-darwin8 powerpc-darwin powerpc-darwin8
  x86-linux i386-linux i486-linux i586-linux i686-linux i686-linux-gnu x86-linux-musl
  x86_64-freebsd amd64-freebsd-13 x86_64-freebsd13 x86_64-freebsd-13
  x64-mingw32 x64-mingw-ucrt x86-mingw32 i386-mingw32 universal-mingw32 x86_64-mingw32 mingw32 aarch64-mingw-ucrt
  x64-mswin64 x64-mswin64_140 x64-mswin64-140 mswin32 i386-mswin32 i386-mswin32_80 x86-mswin32-60 mswin64
  java jruby universal-java universal-java-11 universal-java-17 universal-java11 java1.5 java8 javax
  dalvik dalvik21 dotnet dotnet2.0 universal-dotnet macruby universal-macruby
  cygwin i386-cygwin x86_64-cygwin sparc-solaris2.8 sparc-solaris-2.10 x86-solaris2.10
  i386-openbsd4.0 x86_64-openbsd6.5 x86_64-openbsd x86_64-netbsdelf hppa-hpux11 ia64-hpux
  powerpc-aix5.3.0.0 powerpc-aix5 s390x-linux ppc64le-linux riscv64-linux riscv64-linux-gnu loongarch64-linux
  x86_64-unknown wasm32-wasi x86_64-linux-android foo_platform test_platform2 bar_platform_platform3
  linux darwin - -- x86_64- -linux a-b-c-d a-b-c-d1 x86--1 mswin mswinx64
].freeze

def lockfile_platforms
  found = []
  Dir[File.join(ROOT, "spec/fixtures/lockfiles/real/*.lock")].sort.each do |f|
    section = nil
    File.foreach(f) do |line|
      line = line.chomp
      if line =~ /\A\S/
        section = line
      elsif section == "PLATFORMS" && line =~ /\A  (\S+)\z/
        found << $1
      elsif line =~ /\A    \S+ \([^-)]*-([^)]+)\)\z/
        found << $1
      end
    end
  end
  found
end

PLATFORMS = (CLASSIC + lockfile_platforms).uniq.freeze

def plat(s)
  Gem::Platform.new(s)
end

def platform_array(p)
  p.is_a?(Gem::Platform) ? p.to_a : nil
end

# Gem::Platform.local and Gem.platforms as on a machine of platform `s`.
def with_local(s)
  local = plat(s)
  Gem::Platform.instance_variable_set(:@local, local)
  Gem.platforms = [RUBY_PLATFORM_STR, local]
  yield local
ensure
  Gem::Platform.instance_variable_set(:@local, nil)
  Gem.platforms = []
end

def with_force_ruby(force, &blk)
  Bundler.settings.temporary(force_ruby_platform: force || nil, &blk)
end

parsed = PLATFORMS.map { |s| plat(s) }
platforms = PLATFORMS.zip(parsed).map do |s, p|
  { "input" => s, "to_s" => p.to_s, "to_a" => platform_array(p), "generic" => Bundler::GemHelpers.generic(p).to_s }
end

# One row per spec platform `a`, one character or number per local/user
# platform `b` (same order as "platforms"): `a === b`, match_spec? of a spec
# of platform a with Gem.platforms [ruby, b] ([ruby] for b = ruby), platforms_match?(a, b), and
# the specificity score of a for b.
SpecLike = Struct.new(:platform, :name)
bits = ->(vals) { vals.map { |v| v ? "1" : "0" }.join }
pairs = parsed.map.with_index do |a, i|
  {
    "a" => i,
    "eq3" => bits.(parsed.map { |b| a === b }),
    "match_spec" => bits.(parsed.map do |b|
      # A `ruby` local stands for Gem.platforms == [ruby].
      Gem.platforms = b.is_a?(Gem::Platform) ? [RUBY_PLATFORM_STR, b] : [RUBY_PLATFORM_STR]
      Gem::Platform.match_spec?(SpecLike.new(a, "x"))
    end),
    "platforms_match" => bits.(parsed.map { |b| Bundler::MatchPlatform.platforms_match?(a, b) }),
    "specificity" => parsed.map { |b| Bundler::GemHelpers.platform_specificity_match(a, b) }
  }
end
Gem.platforms = []

# ---- variant choice ---------------------------------------------------------

LOCALS = %w[
  x86_64-linux x86_64-linux-musl aarch64-linux aarch64-linux-musl arm-linux armv7l-linux-eabihf x86-linux
  x86_64-darwin-21 arm64-darwin-22 universal-darwin-20 x64-mingw-ucrt x64-mingw32 x86-mingw32 universal-java-17
  java x64-mswin64-140 x86_64-freebsd-13
].freeze

RACC = ["racc (~> 1.4)"].freeze
NOKOGIRI = [
  ["1.16.0", "ruby", RACC], ["1.16.0", "aarch64-linux", RACC], ["1.16.0", "arm-linux", RACC],
  ["1.16.0", "arm64-darwin", RACC], ["1.16.0", "java", RACC], ["1.16.0", "x64-mingw-ucrt", RACC],
  ["1.16.0", "x64-mingw32", RACC], ["1.16.0", "x86-linux", RACC], ["1.16.0", "x86-mingw32", RACC],
  ["1.16.0", "x86_64-darwin", RACC], ["1.16.0", "x86_64-linux", RACC]
].freeze

VARIANT_SETS = {
  "nokogiri_all" => NOKOGIRI,
  "nokogiri_gnu_musl" => [
    ["1.16.0", "ruby", RACC], ["1.16.0", "x86_64-linux-gnu", RACC], ["1.16.0", "x86_64-linux-musl", RACC],
    ["1.16.0", "aarch64-linux-gnu", RACC], ["1.16.0", "aarch64-linux-musl", RACC], ["1.16.0", "arm-linux-gnu", RACC],
    ["1.16.0", "arm-linux-musl", RACC], ["1.16.0", "arm64-darwin", RACC], ["1.16.0", "x86_64-darwin", RACC],
    ["1.16.0", "java", RACC], ["1.16.0", "x64-mingw-ucrt", RACC]
  ],
  "gnu_and_plain_same_identifier" => [["1.16.0", "x86_64-linux-gnu", []], ["1.16.0", "x86_64-linux", []], ["1.16.0", "ruby", []]],
  "musl_only_and_ruby" => [["1.6.0", "ruby", []], ["1.6.0", "x86_64-linux-musl", []], ["1.6.0", "aarch64-linux-musl", []]],
  "no_ruby_variant" => [["1.0.0", "x86_64-linux", []], ["1.0.0", "arm64-darwin", []], ["1.0.0", "x64-mingw32", []]],
  "darwin_versions" => [["2.0", "ruby", []], ["2.0", "x86_64-darwin-19", []], ["2.0", "x86_64-darwin", []],
                        ["2.0", "universal-darwin", []], ["2.0", "arm64-darwin-22", []]],
  "deps_differ" => [["1.7.0", "ruby", ["mini_portile2 (~> 2.8.0)"]], ["1.7.0", "x86_64-linux", []],
                    ["1.7.0", "x86_64-linux-musl", ["mini_portile2 (~> 2.8.0)"]], ["1.7.0", "arm64-darwin", []],
                    ["1.7.0", "x86_64-darwin", ["foo (>= 1)"]], ["1.7.0", "universal-darwin", ["foo (>= 1)"]]],
  "ties_same_deps" => [["3.0", "universal-linux", []], ["3.0", "linux", []], ["3.0", "ruby", []]],
  "ties_different_deps" => [["3.0", "linux", ["a (>= 0)"]], ["3.0", "universal-linux", ["b (>= 0)"]]],
  "java_family" => [["9.4", "universal-java-11", []], ["9.4", "java", []], ["9.4", "universal-java", []], ["9.4", "ruby", []]],
  "windows_family" => [["1.2", "x86-mingw32", []], ["1.2", "x64-mingw32", []], ["1.2", "x64-mingw-ucrt", []],
                       ["1.2", "x86-mswin32", []], ["1.2", "x64-mswin64-140", []], ["1.2", "universal-mingw32", []]],
  "arm_family" => [["0.5", "arm-linux", []], ["0.5", "armv7l-linux", []], ["0.5", "armv7l-linux-eabihf", []], ["0.5", "ruby", []]],
  "two_versions" => [["1.0.0", "ruby", []], ["1.1.0", "ruby", []], ["1.0.0", "x86_64-linux", []], ["1.1.0", "arm64-darwin", []]],
  "prerelease" => [["2.0.0.rc1", "ruby", []], ["2.0.0", "x86_64-linux", []], ["2.0.0.rc1", "x86_64-linux", []]],
  "ruby_only" => [["6.1.7", "ruby", []]],
  "foreign_only" => [["1.0", "java", []], ["1.0", "x64-mingw-ucrt", []]],
}.freeze

def lockfile_text(name, lines, platforms)
  out = +"GEM\n  remote: https://rubygems.org/\n  specs:\n"
  lines.each do |version, platform, deps|
    out << "    #{name} (#{platform == "ruby" ? version : "#{version}-#{platform}"})\n"
    deps.each { |d| out << "      #{d}\n" }
  end
  out << "\nPLATFORMS\n#{platforms.map { |p| "  #{p}\n" }.join}\nDEPENDENCIES\n  #{name}\n\nBUNDLED WITH\n   2.3.15\n"
end

# The index of the lockfile line a parsed spec came from: the last line with
# its identifier (a repeated identifier replaces the earlier spec).
def line_index(lines, spec)
  lines.rindex { |v, p, _| Gem::Version.new(v).to_s == spec.version.to_s && plat(p).to_s == spec.platform.to_s }
end

# Bundler 2.6 chooses variants at materialization, among the installed
# specs (Materialization, select_best_local_platform_match): not ported yet,
# so not recorded for it.
variants = []
(MODERN ? {} : VARIANT_SETS).each do |set, lines|
  parser = Bundler::LockfileParser.new(lockfile_text("gem", lines, ["ruby"]))
  LOCALS.each do |local|
    [false, true].each do |force|
      with_local(local) do
        with_force_ruby(force) do
          # SpecSet#materialize calls for(deps, false, true): the real path of Bundler.setup.
          chosen = Bundler::SpecSet.new(parser.specs).for([Gem::Dependency.new("gem")], false, true)
          variants << { "set" => set, "local" => local, "force_ruby" => force,
                        "chosen" => chosen.select { |s| s.name == "gem" }.map { |s| line_index(lines, s) } }
        end
      end
    end
  end
end

# ---- PLATFORMS: validate_platforms!, add_current_platform, most specific ----------

PLATFORM_SETS = [
  [], %w[ruby], %w[x86_64-linux], %w[ruby x86_64-linux], %w[x86_64-linux-gnu], %w[x86_64-linux-musl],
  %w[aarch64-linux], %w[arm64-darwin x86_64-darwin], %w[x86_64-darwin-19], %w[universal-darwin],
  %w[java], %w[universal-java-11], %w[x64-mingw32], %w[x64-mingw-ucrt], %w[x86-mingw32 x64-mingw32],
  %w[mswin32], %w[ruby java x64-mingw32], %w[arm64-darwin ruby], %w[x86_64-darwin arm64-darwin x86_64-linux aarch64-linux],
  %w[arm-linux], %w[x86-linux], %w[universal-linux], %w[linux]
].freeze

def definition_with(platforms_text)
  defn = Bundler::Definition.allocate
  parser = Bundler::LockfileParser.new("PLATFORMS\n#{platforms_text.map { |p| "  #{p}\n" }.join}\n")
  defn.instance_variable_set(:@platforms, parser.platforms.dup)
  defn.instance_variable_set(:@new_platform, nil)
  # Bundler 2.5+: the parser picks the most specific platform.
  defn.instance_variable_set(:@most_specific_locked_platform, parser.most_specific_locked_platform) if MODERN
  defn
end

# Bundler 2.5+ has no current_ruby_platform_locked?; add_current_platform
# answers whether it added the platform, and the most specific locked
# platform lives in the parser and each LazySpecification.
def ruby_platform_locked(defn)
  defn.send(MODERN ? :current_platform_locked? : :current_ruby_platform_locked?)
end

def adds_platform(defn, ruby_locked)
  return defn.send(:add_current_platform) ? true : false if MODERN

  defn.send(:add_current_platform) unless ruby_locked
  defn.instance_variable_get(:@new_platform) ? true : false
end

def most_specific(defn)
  MODERN ? defn.instance_variable_get(:@most_specific_locked_platform) : defn.most_specific_locked_platform
end

MESSAGE_LOCALS = %w[x86_64-linux x64-mingw-ucrt universal-java-17].freeze
lockfile = []
PLATFORM_SETS.each_with_index do |set, set_index|
  LOCALS.each do |local|
    [false, true].each do |force|
      with_local(local) do
        with_force_ruby(force) do
          defn = definition_with(set)
          supports = defn.send(:current_platform_locked?)
          ruby_locked = ruby_platform_locked(defn)
          message = begin
            defn.validate_platforms!
            nil
          rescue Bundler::ProductionError => e
            e.message
          end
          # Definition#initialize outside frozen mode.
          adds = adds_platform(defn, ruby_locked)

          fresh = definition_with(set)
          Bundler.instance_variable_set(:@definition, fresh)
          most = most_specific(fresh)
          lazy = Bundler::LazySpecification.new("gem", Gem::Version.new("1"), RUBY_PLATFORM_STR)
          lazy.most_specific_locked_platform = most if MODERN
          by_full_name = lazy.send(:ruby_platform_materializes_to_ruby_platform?) ? true : false
          Bundler.instance_variable_set(:@definition, nil)

          row = { "set" => set_index, "local" => local, "force_ruby" => force, "supports" => supports,
                  "ruby_locked" => ruby_locked, "adds_platform" => adds,
                  "most_specific" => most&.to_s, "by_full_name" => by_full_name }
          # The message's shape is the same everywhere: a few suffice.
          row["message"] = message if message && MESSAGE_LOCALS.include?(local)
          # Bundler 2.5+ validates more than current_platform_locked? (a listed ruby).
          row["validates"] = message.nil? if MODERN
          lockfile << row
        end
      end
    end
  end
end

# ---- materialization by name and version (PLATFORMS: ruby only) ----------------

FakeSource = Struct.new(:specs) do
  def local!; end
end

INSTALLED_SETS = {
  "ruby" => [["1.16.0", "ruby"]],
  "ruby_and_native" => [["1.16.0", "ruby"], ["1.16.0", "x86_64-linux"]],
  "native_then_ruby" => [["1.16.0", "x86_64-linux"], ["1.16.0", "ruby"]],
  "gnu_and_musl" => [["1.16.0", "x86_64-linux-musl"], ["1.16.0", "x86_64-linux"]],
  "foreign" => [["1.16.0", "ruby"], ["1.16.0", "arm64-darwin"], ["1.16.0", "java"], ["1.16.0", "x64-mingw32"]],
  "other_version" => [["1.15.0", "x86_64-linux"], ["1.16.0", "ruby"], ["1.16.0.0", "aarch64-linux"]],
  "universal" => [["1.16.0", "universal-darwin"], ["1.16.0", "x86_64-darwin-21"], ["1.16.0", "ruby"]],
  "none" => [],
}.freeze

# Bundler 2.6's materialize_for_installation: not ported yet (see variants).
materialize = []
(MODERN ? {} : INSTALLED_SETS).each do |set, installed|
  %w[ruby x86_64-linux arm64-darwin java].each do |locked_platform|
    %w[x86_64-linux aarch64-linux x86_64-darwin-21 universal-java-17 x64-mingw32].each do |local|
      with_local(local) do
        Bundler.instance_variable_set(:@definition, definition_with(%w[ruby]))
        index = Bundler::Index.new
        specs = installed.map do |version, platform|
          Gem::Specification.new do |s|
            s.name = "gem"
            s.version = version
            s.platform = platform
          end
        end
        specs.each { |s| index << s }
        source = FakeSource.new(index)
        specs.each { |s| s.source = source }
        lazy = Bundler::LazySpecification.new("gem", Gem::Version.new("1.16.0"), plat(locked_platform), source)
        found = lazy.__materialize__
        Bundler.instance_variable_set(:@definition, nil)
        materialize << { "installed" => set, "locked_platform" => locked_platform, "local" => local,
                         "chosen" => found && specs.index { |s| s.equal?(found) } }
      end
    end
  end
end

# ---- Gem::Version#<=> on what the selection compares -------------------------

VERSIONS = %w[1 1.0 1.0.0 1.0.1 1.1 1.10 1.9 2.0.0.rc1 2.0.0.rc2 2.0.0 2.0.0.a 2.0.0.b1 2.0-rc1 2.0.pre.rc1
              1.16.0 1.16.0.0 0.9 0.10 10.0 3.0.0.beta 3.0.0.beta.2 007 7 1.a 1.A 1.0.0.1].freeze
versions = VERSIONS.map { |a| VERSIONS.map { |b| Gem::Version.new(a) <=> Gem::Version.new(b) } }

data = {
  "generated_by" => "spec/scripts/platform_vectors.rb",
  "ruby" => RUBY_VERSION, "rubygems" => Gem::VERSION, "bundler" => Bundler::VERSION,
  "platforms" => platforms,
  "pairs" => pairs,
  "locals" => LOCALS,
  "variant_sets" => VARIANT_SETS.transform_values { |lines| lines.map { |v, p, d| { "version" => v, "platform" => p, "deps" => d } } },
  "variants" => variants,
  "platform_sets" => PLATFORM_SETS,
  "lockfile" => lockfile,
  "installed_sets" => INSTALLED_SETS,
  "materialize" => materialize,
  "versions" => VERSIONS,
  "version_cmp" => versions
}

# Keep the file short: one line per vector.
json = JSON.generate(data).gsub(/(?<=[\[,])(?=\{)/, "\n")
File.write(OUT, json + "\n")
warn "wrote #{OUT}: #{platforms.size} platforms, #{pairs.size**2} pairs, #{variants.size} variant choices, " \
     "#{lockfile.size} PLATFORMS checks, #{materialize.size} materializations"
