# frozen_string_literal: true

module FastBundle
  module CLI
    # `fastbundle check`: `bundle check`'s answer — are all gems of the
    # bundle (the groups a setup uses: without/with honoured) installed for
    # this platform? Exit 0 and Bundler's message, or Bundler's list of what
    # is missing and 1. It never resolves and never writes Gemfile.lock
    # (`bundle check` writes it unless --dry-run): anything else a setup
    # would refuse (no lockfile, a Gemfile the lockfile no longer matches, a
    # bad lockfile, a git checkout missing ...) gets the message and status
    # of `require "fastbundle/setup"`.
    class Check < Command
      BANNER = <<~TEXT
        Usage: fastbundle check [options]

        Tells whether every gem the bundle needs on this platform is installed, as
        `bundle check` does: exits 0, or lists the missing gems and exits 1. Never
        writes Gemfile.lock.
      TEXT

      def run
        parse(option_parser(BANNER) do |o|
          o.on("--dry-run", "Accepted as bundle check accepts it (fastbundle never writes Gemfile.lock)") { nil }
        end)
        raise UsageError, "check takes no arguments, got #{@argv.join(" ")}" unless @argv.empty?

        load_fastbundle
        require_relative "../bundler_versions"
        BundlerVersions.assume_installed # the Bundler a plan would find; no plan yet
        # No Gemfile (for 2.3: nor .bundle/): Bundler's 10.
        FastBundle.root unless BundlerVersions.check_locates_gemfile_first?
        gemfile = FastBundle.default_gemfile.to_s
        lockfile = FastBundle.lockfile_path(gemfile)
        begin
          missing = missing_specs(gemfile, lockfile)
        rescue GitError
          raise unless BundlerVersions.check_rescues_git_error?

          $stderr.puts "Bundler can't satisfy your Gemfile's dependencies."
          $stderr.puts "Install missing gems with `bundle install`."
          return 1
        end
        if missing.empty?
          $stdout.puts "The Gemfile's dependencies are satisfied"
          return 0
        end

        $stderr.puts "The following gems are missing"
        missing.each { |name, version| $stderr.puts " * #{name} (#{version})" }
        $stderr.puts "Install missing gems with `bundle install`"
        1
      end

      private

      # [[name, version]] of the locked gems not installed, in the order
      # the setup walks them.
      def missing_specs(gemfile, lockfile)
        begin
          FastBundle.setup # every check a setup makes, in its order
        rescue GemNotFound
          nil # listed by the plan below
        end
        # The setup uses the running fastbundle for a locked one (as Bundler
        # itself); `bundle check` counts fastbundle as any other gem.
        ISeqCache.require_files(File.expand_path("../planner.rb", __dir__))
        Native.plan(Runtime.new(gemfile, lockfile).plan_request([]).merge("provided" => []))
        []
      rescue GemNotFound => e
        raise unless e.missing_gems

        locked = FastBundle::Lockfile.read(lockfile).specs.to_h { |s| [s.full_name, [s.name, s.version]] }
        e.missing_gems.map { |full| locked.fetch(full) { [full, "?"] } }
      end
    end
  end
end
