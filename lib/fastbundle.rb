# frozen_string_literal: true

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
  # Gemfile.lock as Bundler's LockfileParser reads it: #specs, #sources,
  # #platforms, #dependencies, #checksums, #ruby_version, #bundled_with.
  #
  # Credentials: `inspect`, `to_s` and error messages never show the
  # userinfo of a URL (`https://***@host/`). The one exception is what you
  # ask for verbatim: `sources[i].remotes` (and `sources[i].options`) return
  # the text as written in the file, credentials included, so that code
  # which must authenticate can use it. Do not print them.
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

# Bundler's own code requires pathname, so under Bundler the Gemfile and the
# app can use Pathname and Kernel#Pathname without requiring it; some do.
# Loading it costs a millisecond of every boot, so both load it on first use.
unless defined?(Pathname)
  Object.autoload(:Pathname, "pathname")
  module Kernel
    private def Pathname(path) # rubocop:disable Naming/MethodName -- pathname.so's global function
      Kernel.send(:remove_method, :Pathname) # pathname.so defines the real one
      Kernel.require "pathname"
      Pathname(path)
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
      require_relative "fastbundle/iseq_cache"
      # Everything the setup loads is loaded before it changes $LOAD_PATH: the
      # first require after that rebuilds Ruby's expanded load path (~6 ms
      # for 600 gems), a cost that belongs to the app's first require, as
      # after any static list of $LOAD_PATH entries.
      ISeqCache.require_files(File.join(__dir__, "fastbundle", "runtime.rb"),
                              File.join(__dir__, "fastbundle", "bundler_facade.rb"))
      @env_before_setup ||= ENV.to_hash # Bundler.original_env's source
      Environment.preserve_original_env
      # One walk up the directory tree per setup, and plain Strings: loading
      # Pathname alone costs more than a millisecond of a boot.
      gemfile = find_gemfile or raise GemfileNotFound, "Could not locate Gemfile"
      lockfile = lockfile_path(gemfile)
      # Installed specs are read on another thread while the Gemfile runs.
      Native.prefetch(environment_request(gemfile, lockfile)) unless @definition
      runtime = Runtime.new(gemfile, lockfile, definition(gemfile, lockfile))
      runtime.setup(groups)
      @runtime = runtime
      @setup = runtime if groups.empty?
      install_bundler_facade
      runtime
    end

    # Bundler.require(*groups): sets those groups up unless the whole bundle
    # already is, then requires their gems (see Autorequire). Without groups:
    # :default.
    #
    # NB: inside FastBundle's own singleton methods a bare `require "x"` now
    # means this method; use Kernel.require there.
    def require(*groups)
      setup(*groups).require(*groups)
    end

    # The Bundler constant for code written for Bundler (bundler_facade.rb),
    # loaded through the recorder's instruction cache when that is in use.
    def install_bundler_facade
      unless defined?(BundlerFacade)
        facade = File.join(__dir__, "fastbundle", "bundler_facade.rb")
        defined?(ISeqCache) ? ISeqCache.require_files(facade) : Kernel.require(facade)
      end
      BundlerFacade.install
    end

    # ENV as it was when the first setup began (Bundler.original_env is
    # computed from it); nil before any setup.
    attr_reader :env_before_setup

    # The Runtime of the latest setup (of all groups or some).
    attr_reader :runtime

    # The evaluated Gemfile (FastBundle::Definition).
    def definition(gemfile = default_gemfile, lockfile = lockfile_for(gemfile))
      @definition ||= begin
        environment_request(gemfile.to_s, lockfile.to_s)
        require_relative "fastbundle/dsl"
        # bundler/setup silences Bundler's UI (the Gemfile's warnings) unless
        # STDOUT is a terminal.
        Dsl.evaluate(gemfile.to_s, lockfile.to_s, warn: $stdout.tty? || ENV.key?("BUNDLER_FORCE_TTY"))
      end
    end

    # The part of a plan request that does not depend on the Gemfile, taken
    # once, before the Gemfile runs: Bundler too reads BUNDLE_* (its Settings
    # copy them) and fixes the bundle path before evaluating the Gemfile, so
    # a Gemfile that sets ENV["BUNDLE_WITHOUT"] changes nothing. Enough for
    # Native.prefetch to read installed specs while the Gemfile is evaluated.
    def environment_request(gemfile, lockfile)
      @environment_request ||= {
        "root" => File.dirname(gemfile),
        "gemfile" => gemfile,
        "lockfile" => lockfile,
        "dependencies" => [],
        "sources" => [],
        "optional_groups" => [],
        "groups" => nil,
        "env" => ENV.select { |k, _| k.start_with?("BUNDLE_") },
        "user_home" => Gem.user_home,
        "gem_path" => Gem.path,
        "gem_dir" => Gem.dir,
        "default_specifications_dir" => Gem.default_specifications_dir,
        "default_dir" => Gem.default_dir,
        "platform" => Gem::Platform.local.to_s,
        "ruby_scope" => "#{RUBY_ENGINE}/#{RbConfig::CONFIG["ruby_version"]}",
        "extension_api_version" => Gem.extension_api_version
      }
    end

    # Pathname for the methods that answer with one, as Bundler's do. Its
    # default gem is active under Bundler from `require "bundler"` on; here
    # it becomes active when first needed (a setup marks it without loading).
    def load_pathname
      Kernel.require "pathname"
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
      load_pathname
      Pathname.new(gemfile).expand_path
    end

    def default_lockfile
      lockfile_for(default_gemfile)
    end

    # gems.rb -> gems.locked, else <gemfile>.lock (a Pathname, as Bundler's).
    def lockfile_for(gemfile)
      load_pathname
      Pathname.new(lockfile_path(gemfile.to_s))
    end

    # lockfile_for on a String path.
    def lockfile_path(gemfile)
      File.basename(gemfile) == "gems.rb" ? File.join(File.dirname(gemfile), "gems.locked") : "#{gemfile}.lock"
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
      load_pathname
      return Pathname.new(@runtime.plan["bundle_path"]) if @runtime

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
