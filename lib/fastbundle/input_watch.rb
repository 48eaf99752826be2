# frozen_string_literal: true

module FastBundle
  # What the gemspecs of a cold setup read, for the plan cache's key: a
  # path gem's gemspec is Ruby, and its version or require paths may come
  # from a file (`require_relative "lib/x/version"`, Rails'
  # `File.read("../RAILS_VERSION")`) or an ENV entry.
  #
  # While a gemspec is evaluated (InputWatch.gemspec), hooks on IO/File,
  # Process, ENV and the top-level object note:
  # - files read or opened (keyed by content) and files tested
  #   (`File.exist?` and friends: keyed by what they are);
  # - ENV entries read (keyed by value);
  # - commands run: `git ls-files` (the usual way to list a gem's files) is
  #   allowed, since file lists are never served from the cache (a cached
  #   spec holds name, version, platform, paths and dependencies; anything
  #   else is evaluated when first asked for); any other command makes the
  #   answer one no key can see, and the plan is not cached.
  # Files loaded with require/require_relative show in $LOADED_FEATURES:
  # every feature under the app or a path gem is keyed (#files).
  # Dir.glob and Dir[] list files: not keyed, for the same reason as
  # `git ls-files`.
  #
  # The hooks are prepended once, in a process that evaluates a gemspec on
  # a cache miss, and do nothing outside InputWatch.gemspec.
  class InputWatch
    FILE_LIST_COMMAND = /\A\s*git\s+(?:-C\s+\S+\s+)?ls-files\b/.freeze
    KEY = :__fastbundle_input_watch

    class << self
      # The watch of the cold setup under way, if any.
      attr_accessor :collector

      # Evaluates a gemspec (the block), noting what it reads.
      def gemspec(file)
        watch = collector
        return yield unless watch

        install_hooks
        previous = Thread.current[KEY]
        Thread.current[KEY] = [watch, file]
        begin
          yield
        ensure
          Thread.current[KEY] = previous
        end
      end

      def current
        Thread.current[KEY]
      end

      # Warnings are watched for the whole cold setup (the Gemfile too):
      # ruby -w's compile warnings, a gemspec's deprecation `warn`.
      def install_warning_hook
        return if @warning_hook

        @warning_hook = true
        Warning.singleton_class.prepend(WarningHooks)
      end

      def install_hooks
        return if @installed

        @installed = true
        IO.singleton_class.prepend(IOHooks)
        File.singleton_class.prepend(FileHooks)
        Process.singleton_class.prepend(ProcessHooks)
        ENV.singleton_class.prepend(EnvHooks)
        Kernel.prepend(KernelHooks)
      end
    end

    attr_reader :reason, :env_names

    def initialize(root)
      @root = root
      @read = []
      @tested = []
      @env_names = []
      @reason = nil
    end

    # Runs the block with this watch collecting.
    def collect
      InputWatch.install_warning_hook
      InputWatch.collector = self
      yield
    ensure
      InputWatch.collector = nil
    end

    # Files to key by content: those read, and the features loaded from the
    # app or from `source_dirs` (path gems, git checkouts).
    def files(source_dirs)
      prefixes = [@root, *source_dirs].map { |d| d.end_with?("/") ? d : "#{d}/" }
      loaded = $LOADED_FEATURES.select { |f| prefixes.any? { |p| f.start_with?(p) } }
      (@read + loaded).uniq
    end

    # Paths tested (File.exist? and friends), keyed by what they are.
    def tested_paths
      @tested.uniq
    end

    def saw_read(path)
      path = File.expand_path(path.to_path) if path.respond_to?(:to_path)
      @read << File.expand_path(path) if path.is_a?(String)
    end

    def saw_test(path)
      path = path.to_path if path.respond_to?(:to_path)
      @tested << File.expand_path(path) if path.is_a?(String)
    end

    def saw_env(name)
      @env_names << name.to_s unless @env_names.include?(name.to_s)
    end

    # Bundler prints what the Gemfile and gemspecs warn on every boot; a
    # boot answered from the cache evaluates neither, so it would not.
    def saw_warning
      @reason ||= "the Gemfile or a gemspec printed a warning, which Bundler prints on every boot"
    end

    def saw_command(file, argv)
      line = argv.flatten.reject { |a| a.is_a?(Hash) }.map(&:to_s).join(" ")
      return if FILE_LIST_COMMAND.match?(line)

      @reason ||= "#{file} runs a command (#{line.split(" ").first(2).join(" ")} ...), which no cache key can see"
    end

    # The watch and gemspec being evaluated on this thread, if any.
    module Hooked
      module_function

      def note
        current = InputWatch.current or return
        watch, file = current
        Thread.current[KEY] = nil # our own calls below are not the gemspec's
        begin
          yield watch, file
        ensure
          Thread.current[KEY] = current
        end
      end
    end

    module IOHooks
      %i[read binread readlines foreach open sysopen new].each do |m|
        define_method(m) do |*args, **kw, &blk|
          Hooked.note { |w, _| w.saw_read(args.first) if args.first.is_a?(String) || args.first.respond_to?(:to_path) }
          super(*args, **kw, &blk)
        end
      end

      def popen(*args, **kw, &blk)
        Hooked.note { |w, f| w.saw_command(f, args) }
        super
      end
    end

    module WarningHooks
      def warn(*args, **kw)
        InputWatch.collector&.saw_warning
        super
      end
    end

    module FileHooks
      %i[exist? file? directory? readable? size size? zero? empty? symlink? executable?].each do |m|
        define_method(m) do |*args|
          Hooked.note { |w, _| w.saw_test(args.first) }
          super(*args)
        end
      end
    end

    module ProcessHooks
      def spawn(*args, **kw)
        Hooked.note { |w, f| w.saw_command(f, args) }
        super
      end
    end

    module EnvHooks
      %i[[] fetch key? has_key? include? member?].each do |m|
        define_method(m) do |*args, &blk|
          Hooked.note { |w, _| w.saw_env(args.first) }
          super(*args, &blk)
        end
      end
    end

    module KernelHooks
      private

      def `(cmd)
        Hooked.note { |w, f| w.saw_command(f, [cmd]) }
        super
      end

      %i[system spawn exec].each do |m|
        define_method(m) do |*args, **kw|
          Hooked.note { |w, f| w.saw_command(f, args) }
          super(*args, **kw)
        end
      end

      def open(*args, **kw, &blk)
        Hooked.note do |w, f|
          first = args.first.to_s
          first.start_with?("|") ? w.saw_command(f, [first[1..]]) : w.saw_read(args.first)
        end
        super
      end
    end
  end
end
