# frozen_string_literal: true

# The precompiled platform gem (`rake native`): the source gem's Ruby files
# and command, plus the prebuilt lib/fastbundle/<X.Y>/fastbundle.so of each
# Ruby minor version it carries; no Rust sources, no extensions, so it
# installs without cargo or a C compiler.
#
#   PLATFORM       the gem's platform (default: this machine's,
#                  Gem::Platform.local); the .so files must be built for it
#   RUBY_VERSIONS  comma-separated minors to carry, e.g. 3.1,3.3 (default:
#                  every lib/fastbundle/<X.Y>/fastbundle.so present)
#
# required_ruby_version covers exactly the minors carried, as rake-compiler
# bounds its native gems (">= 3.1", "< 3.4.dev" for 3.1..3.3); since a
# range cannot skip a minor, the carried minors must be consecutive.
# Platforms with a libc suffix (x86_64-linux-musl) need RubyGems >= 3.3.22,
# the first to tell them apart.
#
# It is a gemspec only when FASTBUNDLE_NATIVE_GEM=1 (`rake native` sets it:
# FASTBUNDLE_NATIVE_GEM=1 gem build native.gemspec works too) and otherwise
# evaluates to nil: Bundler's path and git sources load every *.gemspec of a
# checkout (`gem "fastbundle", git: ...`), and there this file must not add
# a platform variant whose .so may not exist.
native_gem = lambda do
  source = Gem::Specification.load(File.join(__dir__, "fastbundle.gemspec")) or raise "fastbundle.gemspec did not load"

  platform = Gem::Platform.new(ENV["PLATFORM"].to_s.empty? ? Gem::Platform.local.to_s : ENV["PLATFORM"])
  present = Dir.glob("lib/fastbundle/*/fastbundle.so", base: __dir__).map { |f| f.split("/")[2] }
  minors = ENV["RUBY_VERSIONS"].to_s.empty? ? present : ENV["RUBY_VERSIONS"].split(/[,\s]+/)
  minors = minors.uniq.sort_by { |m| Gem::Version.new(m) }

  raise "no lib/fastbundle/<X.Y>/fastbundle.so to package: run `rake compile` first" if minors.empty?

  bad = minors.grep_v(/\A\d+\.\d+\z/)
  raise "RUBY_VERSIONS wants minor versions like 3.1, not #{bad.join(", ")}" unless bad.empty?

  missing = minors - present
  raise "no lib/fastbundle/#{missing.first}/fastbundle.so (build it with that Ruby: rake compile)" unless missing.empty?

  minors.each_cons(2) do |a, b|
    a_major, a_minor = a.split(".").map(&:to_i)
    b_major, b_minor = b.split(".").map(&:to_i)
    next if (b_major == a_major && b_minor == a_minor + 1) || (b_major == a_major + 1 && b_minor.zero?)

    raise "Ruby #{a} and #{b} are not consecutive: required_ruby_version would also admit the minors between, " \
          "which this gem has no .so for. Build those too, or make separate gems."
  end

  last_major, last_minor = minors.last.split(".").map(&:to_i)

  spec = source.dup
  spec.platform = platform
  spec.extensions = []
  spec.files = source.files.select { |f| f.start_with?("lib/", "exe/") || !f.include?("/") }
                     .reject { |f| %w[Cargo.toml Cargo.lock].include?(f) } +
               minors.map { |m| "lib/fastbundle/#{m}/fastbundle.so" }
  spec.required_ruby_version = [">= #{minors.first}", "< #{last_major}.#{last_minor + 1}.dev"]
  spec.required_rubygems_version = ">= 3.3.22" if platform.os == "linux" && platform.version
  spec
end

native_gem.call if ENV["FASTBUNDLE_NATIVE_GEM"] == "1"
