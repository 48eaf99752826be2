# frozen_string_literal: true

module FastBundle
  # The part of FastBundle's API a boot does not need, loaded on first use
  # (boot.rb defines stubs for these methods that load this file).
  class << self
    API_METHODS.each { |m| remove_method(m) }

    # The evaluated Gemfile (FastBundle::Definition): after a setup answered
    # from the plan cache, the Definition it kept, else the Gemfile evaluated.
    def definition(gemfile = default_gemfile, lockfile = lockfile_for(gemfile))
      @definition ||= @runtime&.cached_definition || begin
        environment_request(gemfile.to_s, lockfile.to_s)
        require_relative "dsl"
        Dsl.evaluate(gemfile.to_s, lockfile.to_s, warn: warn_gemfile?)
      end
    end

    # bundler/setup silences Bundler's UI (the Gemfile's warnings) unless
    # STDOUT is a terminal.
    def warn_gemfile?
      $stdout.tty? || ENV.key?("BUNDLER_FORCE_TTY")
    end

    # Pathname for the methods that answer with one, as Bundler's do. Its
    # default gem is active under Bundler from `require "bundler"` on; here
    # it becomes active when first needed (a setup marks it without loading).
    def load_pathname
      Kernel.require "pathname"
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
