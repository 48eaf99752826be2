# frozen_string_literal: true

module FastBundle
  module CLI
    # `fastbundle exec CMD...`: Bundler's `bundle exec` (CLI::Exec) with
    # fastbundle/setup in place of bundler/setup.
    #
    # The parent pays no setup it does not need: it reads no Gemfile and no
    # lockfile, only the settings (for the bundle path), and sets the ENV
    # `bundle exec` sets — BUNDLE_GEMFILE, RUBYOPT=-r<lib>/fastbundle/setup,
    # RUBYLIB, PATH with the bundle's bin dir first, BUNDLE_BIN_PATH,
    # BUNDLER_VERSION and the BUNDLER_ORIG_* copies — then replaces itself
    # with CMD, whose own fastbundle/setup does the rest. Only a Ruby script
    # with one of the shebangs Bundler recognises is loaded into this process
    # after a setup here, as Bundler does unless `disable_exec_load` is set
    # (then it is exec'd like anything else).
    class Exec < Command
      BANNER = <<~TEXT
        Usage: fastbundle exec [options] COMMAND [ARGS...]

        Runs COMMAND with the bundle's gems, as `bundle exec COMMAND` does, with
        fastbundle/setup in place of bundler/setup. COMMAND is looked up on PATH,
        the bundle's bin dir first. Exits with COMMAND's status, or 126 when it
        cannot be run, 127 when it is not found, 128 when none is given.
      TEXT

      # Bundler 2.3's CLI::Exec#ruby_shebang?, exactly.
      def self.ruby_shebangs
        ["#!/usr/bin/env ruby\n", "#!/usr/bin/env jruby\n", "#!/usr/bin/env truffleruby\n", "#!#{Gem.ruby}\n"]
      end

      # Set by bin/fastbundle's native launcher when it ran this parent for
      # want of current facts: store them (and keep it from the command).
      STORE_FACTS = "FASTBUNDLE_STORE_EXEC_FACTS"

      def run
        @store_facts = ENV.delete(STORE_FACTS) && Time.now.to_f
        cmd = parse_options
        unless cmd
          $stderr.puts "fastbundle: exec needs a command to run"
          return 128
        end

        load_fastbundle
        # Through the compiled-instruction cache, as a setup loads it.
        require_cached File.expand_path("../runtime", __dir__) # Environment
        set_bundle_environment
        path = which(cmd)
        return kernel_load(cmd, path, @argv) if path && ruby_shebang?(path) && !disable_exec_load?

        path = "./#{path}" if path && BundlerVersions.exec_dot_slash_relative? && !File.absolute_path?(path)
        kernel_exec(cmd, path || cmd, @argv)
      end

      private

      # exec's own options, up to the command (everything after is the
      # command's), then the command or nil. Parsed by hand: optparse alone costs
      # the parent more than all the rest of its work.
      def parse_options
        while (arg = @argv.first)&.start_with?("-")
          @argv.shift
          case arg
          when "--" then break
          when "-h", "--help" then return usage
          when "--keep-file-descriptors", "--no-keep-file-descriptors" then nil # descriptors are kept, as Bundler 2 keeps them
          when "--gemfile", /\A--gemfile=/
            file = arg.include?("=") ? arg.split("=", 2).last : @argv.shift
            raise UsageError, "missing argument: --gemfile" if file.nil? || file.empty?

            ENV["BUNDLE_GEMFILE"] = File.expand_path(file)
          else
            raise UsageError, "invalid option: #{arg}"
          end
        end
        @argv.shift
      end

      def usage
        $stdout.puts BANNER
        $stdout.puts <<~TEXT

          Options:
              --gemfile FILE               Use FILE as the Gemfile (sets BUNDLE_GEMFILE)
              --[no-]keep-file-descriptors Accepted as bundle exec accepts it (descriptors are kept)
          -h, --help                       Show this help
        TEXT
        throw :exit, 0
      end

      def require_cached(file)
        Kernel.require File.expand_path("../iseq_cache", __dir__)
        ISeqCache.require_files(file)
      end

      def set_bundle_environment
        gemfile = FastBundle.find_gemfile
        # Without a Gemfile, Bundler.root is the parent of a .bundle/ dir, or 10.
        root = gemfile ? File.dirname(gemfile) : FastBundle.root.to_s
        request = { "root" => root, "env" => ENV.select { |k, _| k.start_with?("BUNDLE_") }, "user_home" => Gem.user_home,
                    "gem_dir" => Gem.dir, "ruby_scope" => "#{RUBY_ENGINE}/#{RbConfig::CONFIG["ruby_version"]}" }
        bundler = newest_bundler
        BundlerVersions.use(bundler&.first) # as the plan would (no plan here)
        store_exec_facts(bundler) if @store_facts
        Environment.preserve_original_env
        Environment.set_bundle_environment(gemfile, Native.bundle_path(request), bundler)
      end

      # What the native launcher needs to set this ENV without a Ruby parent,
      # keyed and stamped in Rust (fastbundle_core::exec_facts). Best effort:
      # an unwritable cache only means the launcher asks again.
      def store_exec_facts(bundler)
        rubygems = $LOADED_FEATURES.find { |f| f.end_with?("/rubygems.rb") }
        stamped = Gem.path.map { |d| File.join(d, "specifications") } << Gem.default_specifications_dir
        Native.store_exec_facts(
          "since" => @store_facts, "stamp_paths" => [*stamped, *rubygems], "ruby" => File.realpath(RbConfig.ruby),
          "root" => File.dirname(Environment::LIB_DIR), "gem_dir" => Gem.dir, "user_home" => Gem.user_home,
          "ruby_scope" => "#{RUBY_ENGINE}/#{RbConfig::CONFIG["ruby_version"]}", "rubylibdir" => RbConfig::CONFIG["rubylibdir"],
          "ruby_shebang" => self.class.ruby_shebangs.last, "bundler_version" => bundler&.first,
          "bundle_bin_path" => bundler && Environment.bundle_bin_path(bundler.last),
          "sets_bundler_setup" => BundlerVersions.sets_bundler_setup?,
          "dot_slash_relative" => BundlerVersions.exec_dot_slash_relative?
        )
      rescue StandardError
        nil
      end

      # The Bundler a child `bundle` would run: what a setup puts in
      # BUNDLE_BIN_PATH and BUNDLER_VERSION (newest installed).
      def newest_bundler
        spec = Gem::Specification.find_all_by_name("bundler").max_by(&:version)
        spec && [spec.version.to_s, spec.full_gem_path]
      end

      # Bundler.which: CMD itself if it names an executable file, else the
      # first executable CMD on PATH.
      def which(cmd)
        return cmd if File.file?(cmd) && File.executable?(cmd)

        ENV.fetch("PATH", "").split(File::PATH_SEPARATOR).each do |dir|
          dir = dir[1..-2] if dir.start_with?('"') && dir.end_with?('"')
          path = File.expand_path(cmd, dir)
          return path if File.file?(path) && File.executable?(path)
        end
        nil
      end

      def ruby_shebang?(file)
        if File.zero?(file)
          $stderr.puts "fastbundle: #{file} is empty"
          return false
        end
        shebangs = self.class.ruby_shebangs
        head = File.open(file, "rb") { |f| f.read(shebangs.map(&:size).max) }.to_s
        shebangs.any? { |s| head.start_with?(s) }
      end

      def disable_exec_load?
        Kernel.require File.expand_path("../settings", __dir__)
        Settings.new(FastBundle.root, ENV.select { |k, _| k.start_with?("BUNDLE_") }, Gem.user_home)["disable_exec_load"]
      end

      def kernel_exec(cmd, path, args)
        Kernel.exec(path, *args, close_others: false)
      rescue Errno::EACCES, Errno::ENOEXEC
        $stderr.puts "fastbundle: not executable: #{cmd}"
        126
      rescue Errno::ENOENT
        $stderr.puts "fastbundle: command not found: #{cmd}"
        $stderr.puts "Install missing gem executables with `bundle install`"
        127
      end

      # Bundler's kernel_load: the script runs here, after the setup.
      def kernel_load(cmd, file, args)
        ARGV.replace(args)
        $0 = file
        Process.setproctitle("#{file} #{args.join(" ")}".strip) if Process.respond_to?(:setproctitle)
        Kernel.require File.expand_path("../setup", __dir__) # a message and Bundler's status if it fails
        CLI.passthrough!
        Kernel.load(file)
        0
      rescue SystemExit, SignalException
        raise
      rescue Exception # rubocop:disable Lint/RescueException -- reported, then re-raised as Bundler does
        $stderr.puts "fastbundle: failed to load command: #{cmd} (#{file})"
        raise
      end
    end
  end
end
