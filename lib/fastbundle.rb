# frozen_string_literal: true

require "pathname" # Bundler loads it too: both leave its default gem activated
require_relative "fastbundle/version"
require_relative "fastbundle/errors"

# The native core: a precompiled gem ships one .so per Ruby minor version
# under lib/fastbundle/<X.Y>/; a source install (or `rake compile`) builds
# lib/fastbundle/fastbundle.so.
begin
  ruby_minor = RUBY_VERSION[/\A\d+\.\d+/]
  require_relative "fastbundle/#{ruby_minor}/fastbundle"
rescue LoadError
  require "fastbundle/fastbundle"
end

module FastBundle
  class Lockfile
    # Parses lockfile text. `path` is only used in messages.
    def self.parse(text, path = nil)
      __parse(text, path&.to_s)
    end

    # Reads and parses a lockfile; a missing or unreadable file is a
    # LockfileError naming it, like Bundler's.
    def self.read(path)
      path = path.to_s
      text = begin
        File.binread(path)
      rescue SystemCallError => e
        raise LockfileError, "Could not read the lockfile #{path}: #{e.message.sub(/ @ \w+/, "")}"
      end
      __parse(text, path)
    end
  end
end

module FastBundle
  class << self
    # Bundler.setup(*groups): puts the bundle's gems on the load path and
    # isolates the process from gems outside it. Without groups: every group
    # not excluded by `without`/optional, done once (later calls return the
    # same runtime, as Bundler's do).
    def setup(*groups)
      return @setup if @setup

      groups = groups.map(&:to_sym)
      require_relative "fastbundle/runtime"
      Environment.preserve_original_env
      gemfile = default_gemfile # one walk up the directory tree per setup
      lockfile = lockfile_for(gemfile)
      runtime = Runtime.new(gemfile.to_s, lockfile.to_s, definition(gemfile, lockfile))
      runtime.setup(groups)
      @setup = runtime if groups.empty?
      runtime
    end

    # The evaluated Gemfile (FastBundle::Definition).
    def definition(gemfile = default_gemfile, lockfile = lockfile_for(gemfile))
      @definition ||= begin
        require_relative "fastbundle/dsl"
        # bundler/setup silences Bundler's UI (the Gemfile's warnings) unless
        # STDOUT is a terminal.
        Dsl.evaluate(gemfile.to_s, lockfile.to_s, warn: $stdout.tty? || ENV.key?("BUNDLER_FORCE_TTY"))
      end
    end

    # Bundler::SharedHelpers.find_gemfile: BUNDLE_GEMFILE, else gems.rb or
    # Gemfile in the current directory or the nearest parent. nil if none.
    def find_gemfile
      given = ENV["BUNDLE_GEMFILE"]
      return File.expand_path(given) if given && !given.empty?

      current = Dir.pwd
      loop do
        %w[gems.rb Gemfile].each do |name|
          path = File.join(current, name)
          return path if File.file?(path)
        end
        parent = File.dirname(current)
        return nil if parent == current

        current = parent
      end
    end

    def default_gemfile
      gemfile = find_gemfile or raise GemfileNotFound, "Could not locate Gemfile"
      Pathname.new(gemfile).expand_path
    end

    def default_lockfile
      lockfile_for(default_gemfile)
    end

    # gems.rb -> gems.locked, else <gemfile>.lock.
    def lockfile_for(gemfile)
      name = gemfile.basename.to_s == "gems.rb" ? "gems.locked" : "#{gemfile.basename}.lock"
      gemfile.dirname.join(name)
    end

    # Bundler.root: the Gemfile's directory; without a Gemfile, the parent of
    # the nearest .bundle/ directory (not the user's ~/.bundle).
    def root
      default_gemfile.dirname
    rescue GemfileNotFound
      bundle_dir = find_bundle_dir or raise GemfileNotFound, "Could not locate Gemfile or .bundle/ directory"
      Pathname.new(File.dirname(bundle_dir))
    end

    # Where `bundle install` put (and setup looks for) the bundle's gems:
    # Bundler.bundle_path, which sets nothing up.
    def bundle_path
      return Pathname.new(@setup.plan["bundle_path"]) if @setup

      request = {
        "root" => root.to_s,
        "env" => ENV.select { |k, _| k.start_with?("BUNDLE_") },
        "user_home" => Gem.user_home,
        "gem_dir" => Gem.dir,
        "ruby_scope" => "#{RUBY_ENGINE}/#{RbConfig::CONFIG["ruby_version"]}"
      }
      Pathname.new(Native.bundle_path(request))
    end

    private

    def find_bundle_dir
      current = Dir.pwd
      loop do
        dir = File.join(current, ".bundle")
        return (dir == File.join(Gem.user_home, ".bundle") ? nil : dir) if File.directory?(dir)

        parent = File.dirname(current)
        return nil if parent == current

        current = parent
      end
    end
  end
end
