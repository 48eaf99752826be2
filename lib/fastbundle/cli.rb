# frozen_string_literal: true

module FastBundle
  # The `fastbundle` command (exe/fastbundle). This file is all that every
  # run loads; a subcommand loads what it needs when it runs (`exec` little:
  # its child does the setup).
  #
  # Exit statuses: a subcommand's own (see each), a FastBundle::Error's
  # status_code (Bundler's: 10 no Gemfile, 7 gems missing, 20 bad lockfile
  # ...), 15 for a usage error (Bundler's for an unknown command or option),
  # 1 for anything unexpected. No backtrace unless FASTBUNDLE_DEBUG=1.
  module CLI
    COMMANDS = {
      "exec" => ["Run a command in the context of the bundle, as `bundle exec` does", "exec"],
      "check" => ["Tell whether every gem of the bundle is installed, as `bundle check` does", "check"],
      "explain" => ["Show each $LOAD_PATH entry of the setup and why its gem is in the bundle", "explain"],
      "bench" => ["Time this app's boot with fastbundle and with Bundler", "bench"],
      "binstubs" => ["Write bin/fastbundle, whose exec starts a command without a Ruby parent", "binstubs"]
    }.freeze

    USAGE = <<~TEXT
      Usage: fastbundle COMMAND [options]

      Bundler's runtime, fast. Commands:
      #{COMMANDS.map { |name, (summary, _)| format("  %-9s %s", name, summary) }.join("\n")}

      fastbundle COMMAND --help shows a command's options.
      Options: -h, --help   this help    -v, --version   fastbundle's version

      In an app: require "fastbundle/setup" where it had require "bundler/setup".
    TEXT

    # Raised for a bad command line: the message, then status 15.
    class UsageError < StandardError; end

    class << self
      # Runs ARGV; returns the exit status (`exec` replaces the process).
      def start(argv)
        argv = argv.dup
        name = argv.shift
        case name
        when nil, "-h", "--help", "help"
          return help(argv.first)
        when "-v", "--version", "version"
          $stdout.puts "fastbundle #{version}"
          return 0
        end
        raise UsageError, "Unknown command #{name.inspect}. Commands: #{COMMANDS.keys.join(", ")}." unless COMMANDS.key?(name)

        Kernel.require File.join(__dir__, "cli", COMMANDS[name][1])
        catch(:exit) { CLI.const_get(name.capitalize).new(argv).run }
      rescue UsageError => e
        $stderr.puts "fastbundle: #{e.message}"
        $stderr.puts "Run `fastbundle #{name if COMMANDS.key?(name.to_s)} --help`.".squeeze(" ")
        15
      rescue Interrupt
        raise if @passthrough

        130
      rescue Errno::EPIPE
        0 # the reader (`| head`) has what it wanted
      rescue StandardError, ScriptError => e
        raise if @passthrough # an error of the command `exec` loaded: Ruby reports it

        report(e)
      end

      # `exec` loads a command into this process; from then on its errors
      # are its own (Ruby prints them, as under `bundle exec`).
      def passthrough!
        @passthrough = true
      end

      def help(command)
        if command && COMMANDS.key?(command)
          start([command, "--help"])
        else
          $stdout.puts USAGE
          0
        end
      end

      def version
        Kernel.require File.join(__dir__, "version")
        VERSION
      end

      # A FastBundle::Error reads as under `require "fastbundle/setup"`; anything
      # else is a bug, said so in one line.
      def report(error)
        Kernel.require File.join(__dir__, "errors")
        if error.is_a?(FastBundle::Error)
          $stderr.puts error.message
          status = error.status_code
        else
          $stderr.puts "fastbundle: #{error.class}: #{error.message}"
          $stderr.puts "This is a bug in fastbundle; set FASTBUNDLE_DEBUG=1 for the backtrace." unless debug?
          status = 1
        end
        $stderr.puts error.backtrace if debug?
        status
      end

      def debug?
        ENV["FASTBUNDLE_DEBUG"] && !["", "0"].include?(ENV["FASTBUNDLE_DEBUG"])
      end
    end

    # What every subcommand shares: its option parser, --help, --gemfile.
    class Command
      def initialize(argv)
        @argv = argv
      end

      private

      # Parses options with PARSER; `in_order` stops at the first argument
      # that is not an option (exec: the rest is the command's).
      def parse(parser, in_order: false)
        in_order ? parser.order!(@argv) : parser.parse!(@argv)
      rescue OptionParser::ParseError => e
        raise UsageError, e.message
      end

      def option_parser(banner)
        Kernel.require "optparse"
        OptionParser.new do |o|
          o.banner = banner
          o.separator ""
          yield o
          o.on("--gemfile FILE", "Use FILE as the Gemfile (sets BUNDLE_GEMFILE)") do |file|
            ENV["BUNDLE_GEMFILE"] = File.expand_path(file)
          end
          o.on("-h", "--help", "Show this help") do
            $stdout.puts o
            throw :exit, 0
          end
        end
      end

      def load_fastbundle
        Kernel.require File.expand_path("../fastbundle", __dir__)
      end
    end
  end
end
