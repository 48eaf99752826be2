# frozen_string_literal: true

require_relative "current_ruby"
require_relative "definition"

module FastBundle
  # One `gem` line of the Gemfile (or a dependency added by `gemspec`), with
  # what Bundler::Dependency keeps about it.
  class Dependency
    DEFAULT_REQUIREMENTS = [">= 0"].freeze

    attr_reader :name, :requirements, :type, :groups, :platforms, :source, :env,
                :force_ruby_platform, :gemfile
    alias requirements_list requirements

    # `requirements` is Gem::Requirement#as_list (frozen, possibly shared);
    # `requirement` a Gem::Requirement or nil (then built on demand from the
    # list). `groups` and `platforms` are frozen Symbol arrays. `autorequire`
    # is nil (no require: option) or the raw Array(require-option) (true
    # stays true here and #autorequire reports it as the gem name, as
    # Bundler.require treats it).
    def initialize(name, requirements, requirement, type, groups, platforms, autorequire, source, env, install_if,
                   force_ruby_platform, gemfile)
      @name = name
      @requirements = requirements
      @requirement = requirement
      @type = type
      @groups = groups
      @platforms = platforms
      @autorequire = autorequire
      @source = source
      @env = env
      @install_if = install_if
      @force_ruby_platform = force_ruby_platform
      @gemfile = gemfile
    end

    # The arguments this was made with, in #initialize's order (for
    # FastBundle::GemfileCache, which records Definitions).
    def initialize_arguments
      [@name, @requirements, @requirement, @type, @groups, @platforms, @autorequire, @source, @env, @install_if,
       @force_ruby_platform, @gemfile]
    end

    # As a Gem::Requirement (equal to the one Bundler builds).
    def requirement
      @requirement ||= Gem::Requirement.create(@requirements)
    end

    # nil: no require: option (Bundler.require tries the gem name);
    # []: require: false/nil; [name]: require: true; else the given paths.
    def autorequire
      return nil if @autorequire.nil?

      @autorequire_list ||= @autorequire.map { |f| f == true ? @name : f }
    end

    # The result of the Gemfile's install_if conditions (evaluated while the
    # Gemfile was read, as Bundler does).
    def install_if?
      @install_if ? true : false
    end

    def runtime?
      @type == :runtime
    end

    def development?
      @type == :development
    end

    # Would Bundler include this dependency for the running Ruby and ENV?
    # (install_if, env and platform conditions; Bundler::Dependency#should_include?)
    def should_include?
      (@install_if && current_env? && current_platform?) ? true : false
    end

    def current_env?
      return true unless @env

      if @env.is_a?(Hash)
        @env.all? do |key, val|
          actual = ENV[key.to_s]
          actual && (val.is_a?(String) ? actual == val : actual =~ val)
        end
      else
        ENV[@env.to_s]
      end
    end

    def current_platform?
      return true if @platforms.empty?

      @platforms.any? { |p| CurrentRuby.platform?(p) }
    end

    # Has an explicit source (shown with "!" in the lockfile's DEPENDENCIES).
    def explicit_source?
      !@source.nil?
    end

    def to_h(source_index = nil)
      {
        "name" => @name,
        "requirements" => requirements.dup,
        "type" => @type,
        "groups" => @groups.dup,
        "platforms" => @platforms.dup,
        "autorequire" => autorequire&.map { |f| Definition.plain(f) },
        "source" => @source&.to_h,
        "source_index" => source_index && @source ? source_index[@source] : nil,
        "env" => Definition.plain(@env),
        "install_if" => install_if?,
        "should_include" => should_include?,
        "force_ruby_platform" => @force_ruby_platform ? true : false,
        "gemfile" => @gemfile,
      }
    end

    def to_s
      "#{@name} (#{requirements.join(", ")})"
    end

    def inspect
      src = @source ? " source=#{@source}" : ""
      "#<#{self.class} #{self} groups=#{@groups.inspect} platforms=#{@platforms.inspect}#{src}>"
    end
  end
end
