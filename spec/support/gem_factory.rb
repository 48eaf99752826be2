# frozen_string_literal: true

require "fileutils"
require "open3"
require "rbconfig"
require "timeout"

# Writes real gem source trees and builds them with the real `gem build`, so the
# worlds that Bundler and fastbundle run against contain nothing synthetic.
#
# Every generated lib/<name>.rb appends "<name>-<version>[-<platform>]" to
# $LOADED_GEMS_MARK, so a test can tell which gem *and which platform variant*
# was actually loaded.
module GemFactory
  class CommandFailed < StandardError; end

  module_function

  # Builds DIR/<full_name>.gem (source tree under DIR/.src/<full_name>) and
  # returns its path. Put gems for GemServer in <repo>/gems.
  def build(dir, name:, version:, platform: nil, **opts)
    full = full_name(name, version, platform)
    src = File.join(dir, ".src", full)
    FileUtils.rm_rf(src)
    source(src, name: name, version: version, platform: platform, **opts)
    gem_path = File.expand_path(File.join(dir, "#{full}.gem"))
    run!(["gem", "build", "--norc", "--silent", "#{name}.gemspec", "--output", gem_path], chdir: src)
    raise CommandFailed, "gem build produced no #{gem_path}" unless File.file?(gem_path)
    gem_path
  end

  # Writes an unbuilt gem source tree (with NAME.gemspec) into DIR itself and
  # returns DIR. Usable as a `path:` gem or as the content of a git repo.
  # files: {relpath => content} are written last, so they override defaults.
  def source(dir, name:, version:, deps: {}, dev_deps: {}, platform: nil, require_paths: ["lib"],
             files: {}, extension: false, executables: [], required_ruby_version: nil)
    mod = const_name(name)
    mark = full_name(name, version, platform)
    tree = {}
    tree["lib/#{name}/version.rb"] = "module #{mod}\n  VERSION = #{version.to_s.dump} unless const_defined?(:VERSION)\nend\n"
    tree["lib/#{name}.rb"] = <<~RUBY
      $LOADED_GEMS_MARK ||= []
      $LOADED_GEMS_MARK << #{mark.dump}
      require "#{name}/version"
      #{extension ? %(require "#{name}/#{name}_ext") : ""}
    RUBY
    # Extra require paths get a marker file each, e.g. ext_lib/<name>_ext_lib.rb.
    (require_paths - ["lib"]).each do |rp|
      tree["#{rp}/#{name}_#{File.basename(rp)}.rb"] = "$LOADED_GEMS_MARK ||= []\n$LOADED_GEMS_MARK << #{"#{mark}:#{rp}".dump}\n"
    end
    if extension
      # create_makefile("<name>/<name>_ext") => RubyGems installs the .so to lib/<name>/.
      tree["ext/#{name}/extconf.rb"] = "require \"mkmf\"\ncreate_makefile(#{"#{name}/#{name}_ext".dump})\n"
      tree["ext/#{name}/#{name}_ext.c"] = <<~C
        #include <ruby.h>
        static VALUE answer(VALUE self) { return INT2FIX(42); }
        void Init_#{name}_ext(void) {
          VALUE m = rb_define_module(#{mod.dump});
          rb_define_singleton_method(m, "native_answer", answer, 0);
        }
      C
    end
    executables.each do |exe|
      tree["exe/#{exe}"] = "#!/usr/bin/env ruby\nrequire #{name.dump}\nputs #{"#{exe} from #{mark}".dump}\n"
    end
    tree.merge!(files)
    tree.each { |rel, content| write(File.join(dir, rel), content) }
    executables.each { |exe| File.chmod(0o755, File.join(dir, "exe", exe)) }
    write(File.join(dir, "#{name}.gemspec"),
          gemspec(name: name, version: version, deps: deps, dev_deps: dev_deps, platform: platform,
                  require_paths: require_paths, extension: extension, executables: executables,
                  required_ruby_version: required_ruby_version))
    dir
  end

  # Writes a gem source tree into DIR, makes it a git repo with one commit, and
  # optionally a branch and/or tag pointing at that commit. Returns the full
  # revision SHA. Call again with commit_more(dir) to add commits.
  def git_repo(dir, branch: nil, tag: nil, **opts)
    source(dir, **opts)
    git(dir, "init", "--quiet", "--initial-branch=main")
    commit(dir, "initial")
    git(dir, "branch", branch) if branch
    git(dir, "tag", tag) if tag
    git(dir, "rev-parse", "HEAD").strip
  end

  # Commits everything in DIR (after you changed files) and returns the new SHA.
  def commit(dir, message = "update")
    git(dir, "add", "-A")
    git(dir, "commit", "--quiet", "--allow-empty", "-m", message)
    git(dir, "rev-parse", "HEAD").strip
  end

  def git(dir, *args)
    run!(["git", *args], chdir: dir)
  end

  def full_name(name, version, platform = nil)
    platform.nil? || platform.to_s == "ruby" ? "#{name}-#{version}" : "#{name}-#{version}-#{platform}"
  end

  # "foo-bar_baz" => "FooBarBaz" (prefixed if it would not be a constant).
  def const_name(name)
    c = name.split(/[^A-Za-z0-9]+/).map { |p| p[0].upcase + p[1..] }.join
    c.match?(/\A[A-Z]/) ? c : "G#{c}"
  end

  def gemspec(name:, version:, deps:, dev_deps:, platform:, require_paths:, extension:, executables:,
              required_ruby_version:)
    lines = []
    lines << "Gem::Specification.new do |s|"
    lines << "  s.name = #{name.dump}"
    lines << "  s.version = #{version.to_s.dump}"
    lines << "  s.platform = #{platform.to_s.dump}" if platform
    lines << "  s.summary = \"fastbundle test fixture #{name}\""
    lines << "  s.authors = [\"fastbundle specs\"]"
    lines << "  s.license = \"MIT\""
    # Glob at eval time (Bundler and `gem build` both chdir to the gemspec dir)
    # so tests can add files to path/git gems without regenerating the gemspec.
    lines << "  s.files = Dir.glob(\"**/*\", base: __dir__).select { |f| File.file?(File.join(__dir__, f)) && !f.end_with?(\".gem\") }"
    lines << "  s.require_paths = #{require_paths.inspect}"
    lines << "  s.extensions = [\"ext/#{name}/extconf.rb\"]" if extension
    unless executables.empty?
      lines << "  s.bindir = \"exe\""
      lines << "  s.executables = #{executables.inspect}"
    end
    lines << "  s.required_ruby_version = #{Array(required_ruby_version).inspect}" if required_ruby_version
    deps.each { |dep, reqs| lines << "  s.add_dependency #{dep.to_s.dump}, #{Array(reqs).inspect}" }
    dev_deps.each { |dep, reqs| lines << "  s.add_development_dependency #{dep.to_s.dump}, #{Array(reqs).inspect}" }
    lines << "end"
    lines.join("\n") + "\n"
  end

  def write(path, content)
    FileUtils.mkdir_p(File.dirname(path))
    File.write(path, content)
  end

  # Hermetic env for helper commands (gem build, git): throwaway HOME, no
  # inherited Bundler/RubyGems/git state, fixed git identity.
  def tool_env
    @tool_env ||= begin
      home = File.join(World.root, "tool_home")
      FileUtils.mkdir_p(home)
      World.clean_env.merge(
        "HOME" => home,
        "GEM_HOME" => File.join(home, "gems"), "GEM_PATH" => File.join(home, "gems"),
        "GIT_CONFIG_NOSYSTEM" => "1",
        "GIT_AUTHOR_NAME" => "fastbundle specs", "GIT_AUTHOR_EMAIL" => "specs@example.invalid",
        "GIT_COMMITTER_NAME" => "fastbundle specs", "GIT_COMMITTER_EMAIL" => "specs@example.invalid"
      )
    end
  end

  def run!(cmd, chdir:)
    out, err, status = World.spawn_capture(tool_env, cmd, chdir: chdir, timeout: 120)
    raise CommandFailed, "#{cmd.join(" ")} (in #{chdir}) failed: #{status.inspect}\n#{out}\n#{err}" unless status.success?

    out
  end
end
