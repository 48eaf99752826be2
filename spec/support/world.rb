# frozen_string_literal: true

require "fileutils"
require "rbconfig"
require "shellwords"
require "tmpdir"

# A real, hermetic Ruby "world": an app dir with a Gemfile, its own HOME and
# GEM_HOME, in which real Bundler (and fastbundle) are run as subprocesses.
#
# Layout:  <root>/app       cwd of every command, Gemfile lives here (#dir)
#          <root>/home      HOME (Bundler cache/config, ~/.gem)
#          <root>/gem_home  GEM_HOME (`bundle install` target unless a path is configured)
#
# Expensive worlds: build once per spec file with
#   before(:all) { @world = World.cached(:my_file) { |w| w.gemfile(...); w.bundle("install") } }
# Everything lives under World.root, removed at exit unless KEEP_WORLDS=1.
class World
  class CommandFailed < StandardError
    attr_reader :stdout, :stderr, :status

    def initialize(cmd, dir, out, err, status)
      @stdout, @stderr, @status = out, err, status
      super("#{cmd.shelljoin} (in #{dir}) failed: #{status.inspect}\n--- stdout\n#{out}\n--- stderr\n#{err}")
    end
  end

  BUNDLE_BIN = "/usr/bin/bundle"
  RUBY_BIN = RbConfig.ruby
  DEFAULT_TIMEOUT = 300

  # Inherited variables that change what Bundler/RubyGems/git/fastbundle do.
  STRIP_PREFIXES = %w[BUNDLE_ BUNDLER_ GEM_ RUBYGEMS_ GIT_ XDG_ FASTBUNDLE_].freeze
  STRIP_NAMES = %w[RUBYOPT RUBYLIB GEMRC DEBIAN_RUBY_STANDALONE DEBIAN_DISABLE_RUBYGEMS_INTEGRATION
                   http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
                   MAKEFLAGS MFLAGS].freeze

  class << self
    # Per-process temp dir holding every world, tool HOME and gem repo.
    def root
      @root ||= begin
        dir = Dir.mktmpdir("fastbundle-worlds-")
        owner = Process.pid
        at_exit do
          next unless Process.pid == owner # forked children must not delete it

          if ENV["KEEP_WORLDS"] == "1"
            warn "KEEP_WORLDS=1: worlds kept in #{dir}"
          else
            FileUtils.rm_rf(dir)
          end
        end
        dir
      end
    end

    # A fresh, unique directory under root (for gem repos, path gems, ...).
    def tmpdir(prefix = "d")
      Dir.mktmpdir("#{prefix}-", root)
    end

    # Builds the world once per process per key; later calls return the same
    # object (treat it as read-only in tests, or copy files out).
    def cached(key, **opts)
      @cache ||= {}
      @cache[key] ||= new(File.join(root, "cached-#{key.to_s.gsub(/[^\w.-]/, "_")}"), **opts).tap { |w| yield w if block_given? }
    end

    # ENV minus everything in STRIP_*; the base of every child env.
    def clean_env
      ENV.to_h.reject { |k, _| STRIP_NAMES.include?(k) || STRIP_PREFIXES.any? { |p| k.start_with?(p) } }
    end

    # Debian's system gem dirs (never written to: GEM_HOME is the world's).
    def system_gem_dirs
      Gem.default_path.reject { |d| d.start_with?(Gem.user_home) }.select { |d| File.directory?(d) }
    end

    # A gem dir holding only Bundler (symlinks). Needed because with
    # GEM_PATH=GEM_HOME alone, /usr/bin/bundle activates the *default* gem
    # bundler 2.3.7 (lib/ruby/3.1.0) instead of Debian's bundler 2.3.15 that
    # lives in /usr/share/rubygems-integration/all.
    def bundler_gem_dir
      @bundler_gem_dir ||= begin
        spec = Gem::Specification.find_all_by_name("bundler").reject(&:default_gem?).max_by(&:version)
        dir = File.join(root, "bundler_gem_dir")
        if spec
          %w[specifications gems].each { |d| FileUtils.mkdir_p(File.join(dir, d)) }
          FileUtils.ln_sf(spec.loaded_from, File.join(dir, "specifications", File.basename(spec.loaded_from)))
          FileUtils.ln_sf(spec.full_gem_path, File.join(dir, "gems", File.basename(spec.full_gem_path)))
        end
        dir
      end
    end

    def bundler_version
      @bundler_version ||= Gem::Specification.find_all_by_name("bundler").reject(&:default_gem?).max_by(&:version)&.version&.to_s
    end

    # Runs CMD (array, no shell) with exactly ENV (unsetenv_others), stdin
    # /dev/null, in its own process group so a timeout can kill the whole tree.
    # Returns [stdout, stderr, Process::Status].
    def spawn_capture(env, cmd, chdir:, timeout: DEFAULT_TIMEOUT)
      out_r, out_w = IO.pipe
      err_r, err_w = IO.pipe
      pid = Process.spawn(env, [cmd.first, cmd.first], *cmd.drop(1), chdir: chdir, in: File::NULL,
                          out: out_w, err: err_w, pgroup: true, unsetenv_others: true)
      out_w.close
      err_w.close
      readers = [out_r, err_r].map { |io| Thread.new { io.read } }
      waiter = Process.detach(pid)
      timed_out = waiter.join(timeout).nil?
      # Kill on timeout, or if a leftover grandchild keeps the pipes open.
      kill_group(pid) if timed_out || readers.any? { |t| t.join(timed_out ? 0 : 5).nil? }
      readers.each { |t| t.join(5) }
      out, err = readers.map { |t| t.alive? ? "" : t.value }
      status = waiter.join(5) && waiter.value
      raise CommandFailed.new(cmd, chdir, out, err, "timed out after #{timeout}s") if timed_out

      [out, err, status]
    ensure
      [out_r, err_r].each { |io| io&.close unless io&.closed? }
    end

    # FASTBUNDLE_GC_STRESS=1: fastbundle's calls into its native extension
    # under GC.stress (spec/scripts/gc_stress.rb), loaded before its setup.
    def gc_stressed(args)
      at = args.index("-rfastbundle/setup") or return args
      args.dup.insert(at, "-r#{File.expand_path("../scripts/gc_stress.rb", __dir__)}")
    end

    private

    def kill_group(pid)
      Process.kill("KILL", -pid)
    rescue Errno::ESRCH, Errno::EPERM
      nil
    end
  end

  attr_reader :root, :dir, :home, :gem_home

  # system_gems: true puts Debian's system gem dirs on GEM_PATH (after
  # GEM_HOME); otherwise GEM_PATH is GEM_HOME + a Bundler-only dir.
  def initialize(root = nil, system_gems: false)
    @root = File.expand_path(root || World.tmpdir("world"))
    @dir = File.join(@root, "app")
    @home = File.join(@root, "home")
    @gem_home = File.join(@root, "gem_home")
    @system_gems = system_gems
    [@dir, @home, @gem_home].each { |d| FileUtils.mkdir_p(d) }
  end

  def path(rel)
    File.expand_path(rel, @dir)
  end

  def file(rel, content)
    p = path(rel)
    FileUtils.mkdir_p(File.dirname(p))
    File.write(p, content)
    p
  end

  def read(rel)
    File.read(path(rel))
  end

  def gemfile(text)
    file("Gemfile", text)
  end

  def lockfile
    File.exist?(path("Gemfile.lock")) ? read("Gemfile.lock") : nil
  end

  # The complete environment a child process sees (nothing else is inherited).
  def env(extra = {})
    gem_path = [@gem_home, *(@system_gems ? World.system_gem_dirs : [World.bundler_gem_dir])]
    World.clean_env.merge(
      "HOME" => @home,
      "GEM_HOME" => @gem_home,
      "GEM_PATH" => gem_path.join(File::PATH_SEPARATOR),
      # Fixed PATH: a caller's rbenv/rvm shims must not pick another ruby.
      "PATH" => [File.join(@gem_home, "bin"), *%w[/usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin]].join(":"),
      "BUNDLE_SILENCE_ROOT_WARNING" => "1", # cosmetic: specs run as root in CI
      "no_proxy" => "127.0.0.1,localhost"
    ).merge(extra.transform_keys(&:to_s)).compact # nil in extra removes a variable
  end

  # Real `bundle ARGS` in #dir. A single string argument is shell-split.
  def bundle(*args, env: {}, allow_failure: false, timeout: DEFAULT_TIMEOUT)
    args = args.first.shellsplit if args.size == 1 && args.first.include?(" ")
    run(BUNDLE_BIN, *args, env: env, allow_failure: allow_failure, timeout: timeout)
  end

  # ruby("code") => ruby -e code; ruby("-rbundler/setup", "-e", code) or
  # ruby(["script.rb"]) => those argv.
  def ruby(*args, env: {}, allow_failure: false, timeout: DEFAULT_TIMEOUT, chdir: nil)
    args = ["-e", args.first] if args.size == 1 && args.first.is_a?(String)
    args = World.gc_stressed(args.flatten) if ENV["FASTBUNDLE_GC_STRESS"] == "1"
    run(RUBY_BIN, *args.flatten, env: env, allow_failure: allow_failure, timeout: timeout, chdir: chdir)
  end

  # Real `gem ARGS` in this world's env, e.g. to put a second platform variant
  # into GEM_HOME: gem("install", "--local", "--ignore-dependencies", path).
  def gem(*args, env: {}, allow_failure: false, timeout: DEFAULT_TIMEOUT)
    run("gem", *args, env: env, allow_failure: allow_failure, timeout: timeout)
  end

  # Any command in #dir (or CHDIR relative to it) with #env.
  # Returns [stdout, stderr, status].
  def run(*cmd, env: {}, allow_failure: false, timeout: DEFAULT_TIMEOUT, chdir: nil)
    cmd = cmd.flatten.map(&:to_s)
    dir = chdir ? path(chdir) : @dir
    out, err, status = World.spawn_capture(self.env(env), cmd, chdir: dir, timeout: timeout)
    raise CommandFailed.new(cmd, dir, out, err, status) unless allow_failure || status.success?

    [out, err, status]
  end

  # `bundle config set --local KEY VALUE` (nil VALUE unsets) => app/.bundle/config.
  def config(key, value)
    if value.nil?
      bundle("config", "unset", "--local", key.to_s)
    else
      bundle("config", "set", "--local", key.to_s, value.to_s)
    end
  end
end
