# frozen_string_literal: true

# What a boot runs of `require "fastbundle"` (loaded by fastbundle.rb
# through the compiled-instruction cache): FastBundle.setup, FastBundle.require,
# the plan request, find_gemfile, FastBundle::Lockfile.
module FastBundle
  %i[Error InternalError GemfileError GemNotFound GemfileNotFound GitError PathError GemspecError UnreadableGemspec
     InvalidOption ProductionError RubyVersionMismatch LockfileError CyclicDependencyError GemfileLockNotFound
     GemRequireError].each { |name| autoload(name, File.join(__dir__, "errors.rb")) }

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

  # Methods of FastBundle defined in fastbundle/api.rb.
  API_METHODS = %i[definition warn_gemfile? load_pathname default_gemfile default_lockfile lockfile_for root
                   bundle_path].freeze

  class << self
    # Bundler.setup(*groups): puts the bundle's gems on the load path and
    # isolates the process from gems outside it. Without groups: every group
    # not excluded by `without`/optional, done once (later calls return the
    # same runtime, as Bundler's do).
    def setup(*groups)
      return @setup if @setup

      groups = groups.map(&:to_sym)
      # Everything the setup loads is loaded before it changes $LOAD_PATH: the
      # first require after that rebuilds Ruby's expanded load path (~6 ms
      # for 600 gems), a cost that belongs to the app's first require, as
      # after any static list of $LOAD_PATH entries.
      ISeqCache.require_files(File.join(__dir__, "runtime.rb")) unless defined?(Runtime)
      @env_before_setup ||= ENV.to_hash # Bundler.original_env's source
      Environment.preserve_original_env
      # One walk up the directory tree per setup, and plain Strings: loading
      # Pathname alone costs more than a millisecond of a boot.
      gemfile = find_gemfile or raise GemfileNotFound, "Could not locate Gemfile"
      runtime = Runtime.new(gemfile, lockfile_path(gemfile))
      runtime.setup(groups)
      @runtime = runtime
      @setup = runtime if groups.empty?
      Environment.provide_bundler_constant
      runtime.store_plan unless runtime.cached?
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

    # ENV as it was when the first setup began (Bundler.original_env is
    # computed from it); nil before any setup.
    attr_reader :env_before_setup

    # The Runtime of the latest setup (of all groups or some).
    attr_reader :runtime

    API_METHODS.each do |name|
      define_method(name) do |*args, &block|
        ISeqCache.require_files(File.join(__dir__, "api.rb"))
        public_send(name, *args, &block)
      end
    end

    def debug?
      (value = ENV["FASTBUNDLE_DEBUG"]) && !value.empty? && value != "0"
    end

    def debug(message)
      $stderr.puts("fastbundle: #{message}")
    end

    # The part of a plan request that does not depend on the Gemfile, taken
    # once, before the Gemfile runs: Bundler too reads BUNDLE_* (its Settings
    # copy them) and fixes the bundle path before evaluating the Gemfile, so
    # a Gemfile that sets ENV["BUNDLE_WITHOUT"] changes nothing. Enough for
    # Native.boot to look up the plan cache, and on a miss for the prefetch
    # thread to read installed specs while the Gemfile is evaluated.
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
        "extension_api_version" => Gem.extension_api_version,
        # Gem::Platform's rules differ by RubyGems version (src/platform.rs Rules).
        "rubygems_version" => Gem::VERSION,
        # The running fastbundle stands in for a bundled one (running_spec.rb).
        "provided" => ["fastbundle"],
        # What else the plan cache is keyed on (src/plan_cache.rs): the Ruby
        # build, and which fastbundle runs from where.
        "facts" => [RUBY_DESCRIPTION, Gem::VERSION, VERSION, ISeqCache::LIB]
      }
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

    # gems.rb -> gems.locked, else <gemfile>.lock.
    def lockfile_path(gemfile)
      File.basename(gemfile) == "gems.rb" ? File.join(File.dirname(gemfile), "gems.locked") : "#{gemfile}.lock"
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
