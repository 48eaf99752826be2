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

      # Runtime#setup: Bundler 2.5+ puts every default gem the bundle does
      # not hold into Gem::Specification.all (so find_by_name("json") finds
      # the default gem); 2.3 counts them but never yields them.
      def default_gems_in_specification_all?
        modern?
      end

      # SharedHelpers.set_bundle_variables: Bundler 2.5+ sets BUNDLER_SETUP
      # (and preserves BUNDLER_ORIG_BUNDLER_SETUP), which RubyGems 3.5+
      # requires in every child process before anything else.
      def sets_bundler_setup?
        modern?
      end

      # A git gem's extension dir: Bundler 2.3 names it after the checkout
      # (<repo>-<rev12>); 2.5+ appends the gem's own directory when the gem
      # lives in a subdirectory of the repository (<repo>-<rev12>-<dir>), so
      # two gems of one repository get two dirs.
      def git_extension_dir_name(checkout, gem_dir_name)
        modern? ? [checkout, gem_dir_name].uniq.join("-") : checkout
      end
    end
  end
end
