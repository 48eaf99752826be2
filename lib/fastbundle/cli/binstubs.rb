# frozen_string_literal: true

require "fileutils"
require "shellwords"

module FastBundle
  module CLI
    # `fastbundle binstubs`: writes bin/fastbundle (as `bundle binstubs
    # bundler` writes bin/bundle), a shell script that runs `exec` through
    # fastbundle's native launcher (launcher/). Through RubyGems' wrapper,
    # `fastbundle exec CMD` starts a Ruby, RubyGems and its activation of the
    # command before CMD even starts: more than CMD's own start-up. The
    # launcher sets the same ENV from facts a Ruby parent stored, and runs
    # that parent whenever it cannot be sure; every other command runs the
    # fastbundle command.
    class Binstubs < Command
      BANNER = <<~TEXT
        Usage: fastbundle binstubs [options]

        Writes bin/fastbundle in the app (beside its Gemfile): the fastbundle command,
        with `exec` answered by fastbundle's native launcher, without starting a Ruby
        of its own. An existing bin/fastbundle is kept unless --force is given.
      TEXT
      LAUNCHER = "fastbundle-launcher"
      # fastbundle's own root (lib/, exe/), as the launcher is told it.
      ROOT = File.expand_path("../../..", __dir__)

      def run
        options = { force: false, path: nil }
        parse(option_parser(BANNER) do |o|
          o.on("--force", "Overwrite an existing binstub") { options[:force] = true }
          o.on("--path DIR", "Write it into DIR instead of <app>/bin") { |dir| options[:path] = dir }
        end)
        raise UsageError, "binstubs takes no arguments, got #{@argv.join(" ")}" unless @argv.empty?

        load_fastbundle
        dir = File.expand_path(options[:path] || File.join(FastBundle.root.to_s, "bin"))
        write(File.join(dir, "fastbundle"), options[:force])
      end

      # The launcher this fastbundle carries: beside its lib/ (the platform
      # gem, a checkout after `rake compile`), or beside the extension a
      # source install built.
      def self.launcher
        root = ROOT
        so = $LOADED_FEATURES.find { |f| f.end_with?("/fastbundle.#{RbConfig::CONFIG["DLEXT"]}") }
        [File.join(root, "libexec", LAUNCHER), *(so && File.join(File.dirname(so), LAUNCHER))]
          .find { |f| File.file?(f) && File.executable?(f) }
      end

      private

      def write(file, force)
        shown = relative(file)
        if File.exist?(file) && !force
          $stderr.puts "Skipped #{shown} since it already exists."
          $stderr.puts "If you want to overwrite it, use --force."
          return 0
        end

        launcher = self.class.launcher
        FileUtils.mkdir_p(File.dirname(file))
        tmp = "#{file}.#{Process.pid}.tmp"
        File.write(tmp, script(launcher, ROOT), perm: 0o755)
        File.rename(tmp, file)
        $stdout.puts "Wrote #{shown}."
        $stdout.puts(launcher ? "`#{shown} exec CMD` starts CMD without a Ruby parent." :
                       "This fastbundle has no native launcher: #{shown} runs the fastbundle command.")
        0
      end

      def relative(file)
        file.delete_prefix("#{Dir.pwd}/")
      end

      def script(launcher, root)
        <<~SH
          #!/bin/sh
          # Written by `fastbundle binstubs` (fastbundle #{CLI.version}). `bin/fastbundle exec CMD`
          # goes through fastbundle's native launcher, which sets the bundle's ENV and
          # starts CMD without a Ruby of its own (it runs the Ruby command whenever it
          # cannot give exactly its answer). Other commands, and a launcher that is gone
          # (fastbundle upgraded or removed: run `fastbundle binstubs --force`), run the
          # fastbundle command through RubyGems.
          launcher=#{(launcher || "").shellescape}
          root=#{root.shellescape}
          if [ -n "$launcher" ] && [ -x "$launcher" ] && [ -f "$root/exe/fastbundle" ]; then
            exec "$launcher" "$root" "$@"
          elif [ -f "$root/exe/fastbundle" ]; then
            exec ruby "$root/exe/fastbundle" "$@"
          fi
          exec ruby -e 'load Gem.bin_path("fastbundle", "fastbundle")' -- "$@"
        SH
      end
    end
  end
end
