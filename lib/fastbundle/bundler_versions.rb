# frozen_string_literal: true

module FastBundle
  # Bundler 2.3 and Bundler 2.6 answer some questions differently; fastbundle
  # answers as the Bundler that `require "bundler/setup"` would load in this
  # process: the newest installed on the original Gem.path or among the
  # default gems (the plan's "bundler", whose exe is BUNDLE_BIN_PATH). Every
  # such difference is a method here, named for what changed, and nowhere
  # else: callers ask the question, never compare versions themselves.
  #
  # Verified against Bundler 2.3.15 (Debian 12, RubyGems 3.3) and 2.6.7
  # (Debian 13, RubyGems 3.6), where the same parity specs run. Bundler 2.4
  # is not tested; the changes below all landed by 2.5, so 2.5 is the line.
  module BundlerVersions
    MODERN = [2, 5].freeze

    # Bundler's public singleton methods (lib/bundler.rb) that 2.6 has and
    # 2.3 lacks, and the reverse: what Bundler.respond_to? answers.
    PUBLIC_METHODS_ADDED = %i[auto_install auto_switch find_executable gem_version safe_load_marshal
                              unbundle_env!].freeze
    PUBLIC_METHODS_REMOVED = %i[load_marshal most_specific_locked_platform? requires_sudo? sudo].freeze

    class << self
      # The version string of the Bundler this process answers as; nil when
      # none is installed (then as Bundler 2.3, the older behaviour).
      attr_reader :version

      # Set from the plan (Runtime#setup), before anything below is asked.
      def use(version)
        @version = version
        @modern = version ? (version.split(".").first(2).map(&:to_i) <=> MODERN) >= 0 : false
      end

      def modern?
        @modern || false
      end

      # The Gemfile recorder runs before the plan, so before #use: then the
      # version is the newest Bundler installed on Gem.path or among the
      # default gems, as the plan finds it (src/plan.rs newest_bundler), read
      # from the spec file names alone. A later #use (the plan's) wins.
      def assume_installed
        use(installed_version) unless defined?(@version)
        @version
      end

      def installed_version
        dirs = Gem.path.map { |d| File.join(d, "specifications") } << Gem.default_specifications_dir
        versions = dirs.uniq.flat_map { |d| Dir.glob("bundler-*.gemspec", base: d) }.filter_map do |file|
          v = file.delete_prefix("bundler-").delete_suffix(".gemspec")
          Gem::Version.new(v) if Gem::Version.correct?(v)
        end
        versions.max&.to_s
      end

      # Runtime#setup: Bundler 2.5+ puts every default gem the bundle does
      # not hold into Gem::Specification.all (so find_by_name("json") finds
      # the default gem); 2.3 counts them but never yields them.
      def default_gems_in_specification_all?
        modern?
      end

      # CLI::Check: Bundler 2.5+ first builds the definition (without a
      # Gemfile: "Could not locate Gemfile", 10), where 2.3 first asks
      # Bundler.root (which also accepts a .bundle/ directory).
      def check_locates_gemfile_first?
        modern?
      end

      # CLI::Check: Bundler 2.5+ answers a bundle it cannot materialize (a git
      # checkout missing) with "Bundler can't satisfy your Gemfile's
      # dependencies." and 1; 2.3 lets the GitError out (11).
      def check_rescues_git_error?
        modern?
      end

      # CLI::Exec#run: Bundler 2.5+ execs a command found by a relative path
      # as "./path" (so the child's $0 says so); 2.3 as found.
      def exec_dot_slash_relative?
        modern?
      end

      # SharedHelpers.set_bundle_variables: Bundler 2.5+ sets BUNDLER_SETUP
      # (and preserves BUNDLER_ORIG_BUNDLER_SETUP), which RubyGems 3.5+
      # requires in every child process before anything else.
      def sets_bundler_setup?
        modern?
      end

      # Does this Bundler have the public singleton method NAME, given the
      # list of Bundler 2.3's (BundlerFacade::LAZY_METHODS)?
      def public_method?(name, bundler_23_methods)
        if modern?
          PUBLIC_METHODS_ADDED.include?(name) || (bundler_23_methods.include?(name) && !PUBLIC_METHODS_REMOVED.include?(name))
        else
          bundler_23_methods.include?(name)
        end
      end

      # Runtime#setup: with RubyGems 3.5+, Bundler 2.5+ turns RubyGems' gem
      # activation on require off (Gem.discover_gems_on_require = false) and
      # keeps RubyGems' Kernel#require; 2.3 puts Ruby's original back.
      def disables_gem_discovery?
        modern? && Gem.respond_to?(:discover_gems_on_require=)
      end

      # Runtime#setup: Bundler 2.5+ hands the bundle to Ruby 3.3+'s
      # Gem::BUNDLED_GEMS.replace_require, whose Kernel#require warns about
      # default gems becoming bundled gems (csv, base64 ...) required from
      # outside the bundle; 2.3 does not.
      def hooks_bundled_gems_warnings?
        modern?
      end

      # A default gem's gem_dir in Gem.loaded_specs: Bundler 2.3 hands on the
      # full gemspec's (under the spec file's own base dir, on Debian
      # /usr/lib/ruby/gems/X.Y.0), 2.6 with RubyGems 3.6 its stub's, which is
      # full_gem_path (under Gem.default_dir, /var/lib/gems/X.Y.0).
      def default_gem_dir_is_full_gem_path?
        modern?
      end

      # Runtime#require: Bundler 2.5+ wraps every LoadError of a gem's files
      # in GemRequireError (2.3 passes those of required files through), but
      # "the gem has no file of its name", and wraps the "foo/bar" retry's
      # errors too (2.3 never does).
      def require_wraps_load_errors?
        modern?
      end

      # Runtime#require's value: the dependencies of the requested groups
      # (2.5+), or every dependency of the Gemfile (2.3).
      def require_returns_selected?
        modern?
      end

      # A git gem's extension dir: Bundler 2.3 names it after the checkout
      # (<repo>-<rev12>); 2.5+ appends the gem's own directory when the gem
      # lives in a subdirectory of the repository (<repo>-<rev12>-<dir>), so
      # two gems of one repository get two dirs.
      def git_extension_dir_name(checkout, gem_dir_name)
        modern? ? [checkout, gem_dir_name].uniq.join("-") : checkout
      end

      # The Gemfile recorder (lib/fastbundle/dsl/). Its records are keyed
      # on the version (GemfileCache.definition_key).

      # Bundler 2.3 accepts `gem "x", type: ..., gemfile: ...` (internal
      # keys of its Dsl#gemspec); 2.5+ rejects them as unknown options.
      def gem_type_and_gemfile_options?
        !modern?
      end

      # Bundler 2.5+ has the built-in `gitlab:` git source.
      def gitlab_git_source?
        modern?
      end

      # `github: "https://github.com/o/r/pull/N"`: 2.5+ checks out
      # refs/pull/N/head as a ref, 2.3 as a branch.
      def github_pull_request_as_ref?
        modern?
      end

      # What the multiple-source warnings call several global sources.
      def global_sources_word
        modern? ? "global" : "primary"
      end

      # `ruby "3.3.0-preview1"`: Bundler 2.5+ reads "-" as ".", and names a
      # version that is no requirement (InvalidArgumentError, status 40);
      # 2.3 leaves both to Gem::Requirement.
      def checks_ruby_version_requirements?
        modern?
      end

      # Which errors of a Gemfile Bundler reports as "There was an error
      # parsing `Gemfile`" (the file and line): 2.3 every one, `exit`
      # included; 2.5+ only the DSL's own errors, syntax errors and errors
      # raised by the Gemfile's own code, and lets the rest through
      # unwrapped (a gemspec's error, a bad requirement inside RubyGems,
      # `exit`). fastbundle wraps those too (naming the file and line), but
      # lets its own errors and `exit` through as 2.5+ does.
      def wraps_every_gemfile_error?
        !modern?
      end

      # `github "o/r"` without a block: an InvalidArgumentError (status 40)
      # for 2.5+, a plain ArgumentError (a DSLError of status 4) for 2.3.
      def github_block_error_is_invalid_argument?
        modern?
      end

      # Is a git source's version (`gem "x", "1.0", git: ...`) part of its
      # equality? 2.3 yes; 2.5+ not, so a later equal source replaces the
      # earlier one in the source list.
      def git_source_version_in_identity?
        !modern?
      end

      # Bundler 2.3 warns about a Gemfile without a global source; 2.5+ not.
      def warns_implicit_global_source?
        !modern?
      end

      # Bundler 2.5+ evaluates every Gemfile (eval_gemfile too) under its
      # expanded path, so errors and __FILE__ name it; 2.3 under the path
      # as given.
      def evaluates_gemfiles_by_expanded_path?
        modern?
      end

      # Bundler 2.5+ adds a gemspec's gem and its development dependencies
      # without the enclosing blocks' groups, platforms and install_if, as
      # runtime dependencies marked gemspec_dev_dep that a Gemfile line
      # overrides (with a warning when it asks for another requirement);
      # 2.3 adds them as `gem` lines, the latter of type :development.
      def gemspec_dependencies_added_directly?
        modern?
      end
    end
  end
end
