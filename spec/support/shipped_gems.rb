# frozen_string_literal: true

require "fileutils"

# The gems this checkout ships, built once per test run with the real
# `rake native` / `rake gem` into a directory of the run (never pkg/), and
# what it takes to install them as a user without Rust would.
module ShippedGems
  module_function

  def pkg_dir
    @pkg_dir ||= World.tmpdir("pkg")
  end

  # pkg/fastbundle-<version>-<platform>.gem, for this Ruby's minor only: the
  # checkout is shared with the Debian 13 chroot (bin/test-modern), so other
  # minors' .so files may be there too (the gem carrying several is
  # spec/shipping_spec.rb's own case).
  def platform_gem
    @platform_gem ||= rake("native", "fastbundle-*-#{Gem::Platform.local}.gem",
                           "RUBY_VERSIONS" => RUBY_VERSION[/\A\d+\.\d+/])
  end

  # pkg/fastbundle-<version>.gem (vendored crates inside)
  def source_gem
    @source_gem ||= rake("gem", "fastbundle-#{version}.gem")
  end

  def version
    @version ||= File.read(File.join(ROOT_DIR, "lib", "fastbundle", "version.rb"))[/VERSION = "([^"]+)"/, 1]
  end

  def rake(task, pattern, extra_env = {})
    env = World.clean_env.merge("PKG_DIR" => pkg_dir).merge(extra_env)
    out, err, status = World.spawn_capture(env, ["rake", task], chdir: ROOT_DIR, timeout: 900)
    raise "rake #{task} failed (#{status.inspect}):\n#{out}\n#{err}" unless status&.success?

    Dir[File.join(pkg_dir, pattern)].first or raise "rake #{task} made no #{pattern} in #{pkg_dir}:\n#{out}"
  end

  # A directory holding only ruby, gem and bundle: a PATH with neither
  # cargo nor a C compiler.
  def bare_bin
    @bare_bin ||= World.tmpdir("bare-bin").tap do |dir|
      # ruby3.1 too: RubyGems' binstubs start with `#!/usr/bin/env ruby3.1`.
      tools = { "ruby" => RbConfig.ruby, RbConfig::CONFIG["ruby_install_name"] => RbConfig.ruby,
                "gem" => "/usr/bin/gem", "bundle" => World::BUNDLE_BIN }
      tools.each do |name, target|
        File.symlink(target, File.join(dir, name))
      end
    end
  end

  # PATH for WORLD with nothing to compile with: its gem bin dir, then ruby/gem/bundle.
  def bare_path(world)
    [File.join(world.gem_home, "bin"), bare_bin].join(File::PATH_SEPARATOR)
  end

  # The cargo a developer has: on PATH or rustup's ~/.cargo/bin.
  def cargo
    dirs = ENV.fetch("PATH", "").split(File::PATH_SEPARATOR) + [File.join(Dir.home, ".cargo", "bin")]
    dirs.map { |d| File.join(d, "cargo") }.find { |c| File.file?(c) && File.executable?(c) }
  end

  # The files and metadata of a .gem, without installing it.
  def spec_of(gem_file)
    require "rubygems/package"
    Gem::Package.new(gem_file).spec
  end
end
