# frozen_string_literal: true

# The source gem: `gem install` builds the Rust extension with cargo
# (ext/fastbundle/extconf.rb). `rake gem` packages it from a staging copy
# that also holds the crates of Cargo.lock, vendored (`cargo vendor`) when the
# gem is built, so that installing it needs no registry: cargo runs
# --offline --locked. native.gemspec derives the precompiled platform gem
# from this one.
#
# Files are listed by glob, not `git ls-files`: the spec is also evaluated
# from the staging copy and, as a path or git gem, by Bundler.
require_relative "lib/fastbundle/version"

Gem::Specification.new do |s|
  s.name = "fastbundle"
  s.version = FastBundle::VERSION
  s.summary = "Bundler's runtime (require \"bundler/setup\", Bundler.require) in Rust, at the cost of a static load path"
  s.description = <<~TEXT.tr("\n", " ").strip
    A drop-in replacement for Bundler's runtime: require "fastbundle/setup" where an app had
    require "bundler/setup". It gives Bundler's answer (load path and order, Gem.loaded_specs,
    isolation, Kernel#gem, ENV, errors and exit codes) from the same Gemfile, Gemfile.lock,
    settings and installed gems, without loading Bundler, and never writes Gemfile.lock.
    Comes with the fastbundle command: exec, check, explain, bench.
  TEXT
  s.authors = ["the fastbundle authors"]
  s.license = "MIT"
  s.homepage = "https://github.com/fastbundle/fastbundle"
  s.metadata = {
    "homepage_uri" => s.homepage,
    "source_code_uri" => s.homepage,
    "changelog_uri" => "#{s.homepage}/blob/main/CHANGELOG.md",
    "bug_tracker_uri" => "#{s.homepage}/issues",
    "rubygems_mfa_required" => "true"
  }
  # What the suite runs on (Debian 12: Ruby 3.1, RubyGems 3.3.15).
  s.required_ruby_version = ">= 3.1"
  s.required_rubygems_version = ">= 3.3"

  s.bindir = "exe"
  s.executables = ["fastbundle"]
  s.require_paths = ["lib"]
  s.extensions = ["ext/fastbundle/extconf.rb"]

  root = __dir__
  glob = ->(*patterns) { patterns.flat_map { |p| Dir.glob(p, File::FNM_DOTMATCH, base: root) } }
  ruby = glob.call("lib/**/*.rb")
  rust = glob.call("Cargo.toml", "Cargo.lock", "build.rs", "src/**/*.rs", "ext/fastbundle/Cargo.toml",
                   "ext/fastbundle/src/**/*.rs", "launcher/Cargo.toml", "launcher/src/**/*.rs",
                   "ext/fastbundle/extconf.rb")
  # Only in the staging copy `rake gem` makes; dot files (.cargo-checksum.json) included.
  vendored = glob.call("vendor/crates/**/*")
  files = ruby + rust + vendored + %w[exe/fastbundle README.md LICENSE CHANGELOG.md]
  s.files = files.uniq.select { |f| File.file?(File.join(root, f)) }.sort
end
