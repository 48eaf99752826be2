# frozen_string_literal: true

# Run by `gem install` for the source gem: writes a Makefile that builds the
# Rust extension with cargo and installs it as fastbundle/fastbundle.<dlext>
# (lib/fastbundle.rb loads that when no prebuilt lib/fastbundle/<X.Y>/ copy
# fits). rb_sys's create_rust_makefile is the usual tool, but it is one more
# gem to install first; this needs only cargo.
#
# The source gem carries the crates of Cargo.lock in vendor/crates, so cargo
# runs --offline --locked against them: no registry is needed. Built from a
# checkout (a `git:` gem), where nothing is vendored, cargo fetches them.
# Cargo's target dir lives under this directory and `make install` removes
# it, so nothing of the build is left behind.
require "rbconfig"
require "shellwords"

GEM_ROOT = File.expand_path("../..", __dir__)
VENDOR = File.join(GEM_ROOT, "vendor", "crates")

def find_cargo
  candidates = [ENV["CARGO"]]
  candidates += ENV.fetch("PATH", "").split(File::PATH_SEPARATOR).map { |dir| File.join(dir, "cargo") }
  candidates << File.join(Dir.home, ".cargo", "bin", "cargo") if ENV["HOME"]
  candidates.compact.find { |c| File.file?(c) && File.executable?(c) }
end

cargo = find_cargo
unless cargo
  platform = Gem::Platform.local.to_s
  abort <<~MESSAGE

    fastbundle: cargo, Rust's build tool, is needed to build this gem from source and was
    not found (looked at $CARGO, every directory on PATH and ~/.cargo/bin).

    Either install Rust 1.75 or newer (https://rustup.rs, or your system's package: apt-get
    install cargo) and install the gem again, or use the precompiled gem, which needs no
    compiler, if one is published for your platform (#{platform}):

        gem install fastbundle --platform #{platform}

    (In a Gemfile, `bundle lock --add-platform #{platform}` makes Bundler pick it.)

  MESSAGE
end

dlext = RbConfig::CONFIG["DLEXT"]
soext = RbConfig::CONFIG["SOEXT"] || dlext
target_dir = File.join(__dir__, "target")
# Where `make install` puts the extension: RubyGems' staging dir, which
# RubyGems 3.3 sets in RbConfig before this script runs and 3.5+ passes to
# make as `sitearchdir=DIR` (the Makefile's value below is the default).
sitearchdir = RbConfig::CONFIG["sitearchdir"]
# cargo names a cdylib libfastbundle.so / libfastbundle.dylib / fastbundle.dll.
prefix = RbConfig::CONFIG["host_os"].match?(/mswin|mingw/) ? "" : "lib"
built = File.join(target_dir, "release", "#{prefix}fastbundle.#{soext}")
# bin/fastbundle's exec launcher (fastbundle binstubs), installed beside the
# extension, where lib/fastbundle/cli/binstubs.rb looks for it.
launcher = File.join(target_dir, "release", "fastbundle-launcher")

cargo_args = ["build", "--release", "--locked", "-p", "fastbundle", "-p", "fastbundle-launcher",
              "--manifest-path", File.join(GEM_ROOT, "Cargo.toml"), "--target-dir", target_dir]
if File.directory?(VENDOR)
  cargo_args += ["--offline",
                 "--config", 'source.crates-io.replace-with="vendored-sources"',
                 "--config", "source.vendored-sources.directory=#{VENDOR.dump}"]
end
# rb-sys builds against the Ruby that runs this script.
build = "RUBY=#{RbConfig.ruby.shellescape} #{[cargo, *cargo_args].shelljoin}"

File.write("Makefile", <<~MAKE)
  # Written by extconf.rb: build the fastbundle extension with cargo.
  TARGET = fastbundle.#{dlext}
  sitearchdir = #{sitearchdir.gsub("$", "$$")}

  all: $(TARGET)

  $(TARGET):
  \t#{build.gsub("$", "$$")}
  \tcp #{built.shellescape} $(TARGET)

  install: $(TARGET)
  \tmkdir -p "$(DESTDIR)$(sitearchdir)/fastbundle"
  \tcp $(TARGET) "$(DESTDIR)$(sitearchdir)/fastbundle/fastbundle.#{dlext}"
  \tcp -p #{launcher.shellescape} "$(DESTDIR)$(sitearchdir)/fastbundle/fastbundle-launcher"
  \trm -rf #{target_dir.shellescape} $(TARGET)

  clean:
  \trm -rf #{target_dir.shellescape} $(TARGET)

  .PHONY: all install clean
MAKE
