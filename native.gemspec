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
# required_ruby_version covers exactly the minors carried: rake-compiler's
# bounds (">= 3.1", "< 3.4.dev" for 3.1 up to 3.3), and since RubyGems
# requirements are a conjunction and cannot skip a minor, each minor in
# between that is not carried is excluded patch by patch ("!= 3.2.0" up to
# "!= 3.2.49"; no Ruby minor has had 50 patch releases), so that RubyGems
# and Bundler take the source gem there instead of a gem without its .so.
# Across a major version the next major's X.0 must follow the last minor
# carried of the one before (3.4, 4.0).
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

  gaps = minors.each_cons(2).flat_map do |a, b|
    a_major, a_minor = a.split(".").map(&:to_i)
    b_major, b_minor = b.split(".").map(&:to_i)
    if b_major == a_major
      ((a_minor + 1)...b_minor).map { |m| "#{a_major}.#{m}" }
    elsif b_major == a_major + 1 && b_minor.zero?
      []
    else
      raise "Ruby #{a} and #{b}: carry #{b_major}.0 (or build separate gems); the minors between cannot be told apart"
    end
  end

  last_major, last_minor = minors.last.split(".").map(&:to_i)

  spec = source.dup
  spec.platform = platform
  spec.extensions = []
  spec.files = source.files.select { |f| f.start_with?("lib/", "exe/") || !f.include?("/") }
                     .reject { |f| %w[Cargo.toml Cargo.lock build.rs].include?(f) } +
               minors.map { |m| "lib/fastbundle/#{m}/fastbundle.so" } +
               # bin/fastbundle's exec launcher (fastbundle binstubs): one for every Ruby.
               (File.file?(File.join(__dir__, "libexec/fastbundle-launcher")) ? ["libexec/fastbundle-launcher"] : [])
  spec.required_ruby_version = [">= #{minors.first}", "< #{last_major}.#{last_minor + 1}.dev",
                                *gaps.flat_map { |m| (0..49).map { |patch| "!= #{m}.#{patch}" } }]
  spec.required_rubygems_version = ">= 3.3.22" if platform.os == "linux" && platform.version
  spec
end

native_gem.call if ENV["FASTBUNDLE_NATIVE_GEM"] == "1"
