# frozen_string_literal: true

require_relative "bundler_versions"

module FastBundle
  # The Gemfile's `ruby` directive, with the same normalisation and `to_s` as
  # Bundler::RubyVersion ("ruby 3.1.2p20 (jruby 9.3.8.0)").
  class RubyVersion
    attr_reader :versions, :patchlevel, :engine, :engine_versions, :input_engine

    def initialize(versions, patchlevel, engine, engine_version)
      checks = BundlerVersions.checks_ruby_version_requirements?
      @versions = Array(versions).map do |v|
        if checks
          normalized = v.tr("-", ".")
          unless Gem::Requirement::PATTERN.match?(normalized)
            raise InvalidArgumentError, "#{v} is not a valid requirement on the Ruby version"
          end
          v = normalized
        end
        op, ver = Gem::Requirement.parse(v)
        op == "=" ? ver.to_s : "#{op} #{ver}"
      end
      @input_engine = engine && engine.to_s
      @engine = @input_engine || "ruby"
      @engine_versions = (engine_version && Array(engine_version)) || @versions
      @patchlevel = patchlevel
      # Fail the same way Bundler does on a bad first version.
      gem_version
      engine_gem_version
    end

    def gem_version
      @gem_version ||= Gem::Requirement.create(@versions.first).requirements.first.last
    end

    def engine_gem_version
      @engine_gem_version ||= Gem::Requirement.create(@engine_versions.first).requirements.first.last
    end

    def to_s(versions = self.versions)
      out = +"ruby #{versions_string(versions)}"
      out << "p#{patchlevel}" if patchlevel
      out << " (#{engine} #{versions_string(engine_versions)})" unless engine == "ruby"
      out
    end

    def single_version_string
      to_s(gem_version)
    end

    def inspect
      "#<#{self.class} #{self}>"
    end

    def ==(other)
      other.is_a?(RubyVersion) && versions == other.versions && engine == other.engine &&
        engine_versions == other.engine_versions && patchlevel == other.patchlevel
    end

    def versions_string(versions)
      Array(versions).join(", ")
    end

    def self.system
      @system ||= new(RUBY_VERSION.dup, RUBY_PATCHLEVEL.to_s, RUBY_ENGINE.dup, RUBY_ENGINE_VERSION.dup)
    end

    # Same contract as Bundler::RubyVersion#diff: nil when `other` (usually
    # RubyVersion.system) satisfies this requirement, else
    # [:engine|:version|:engine_version|:patchlevel, wanted, actual].
    def diff(other)
      raise ArgumentError, "Can only diff with a RubyVersion, not a #{other.class}" unless other.is_a?(RubyVersion)

      if engine != other.engine && @input_engine
        [:engine, engine, other.engine]
      elsif versions.empty? || !matches?(versions, other.gem_version)
        [:version, versions_string(versions), versions_string(other.versions)]
      elsif @input_engine && !matches?(engine_versions, other.engine_gem_version)
        [:engine_version, versions_string(engine_versions), versions_string(other.engine_versions)]
      elsif patchlevel && (!patchlevel.is_a?(String) || !other.patchlevel.is_a?(String) || !matches?(patchlevel, other.patchlevel))
        [:patchlevel, patchlevel, other.patchlevel]
      end
    end

    def to_h
      {
        "versions" => versions.dup,
        "engine" => engine,
        "engine_versions" => engine_versions.map(&:to_s),
        "input_engine" => input_engine,
        "patchlevel" => patchlevel&.to_s,
        "string" => to_s,
      }
    end

    private

    def matches?(requirements, version)
      # RUBY_PATCHLEVEL of -1 (ruby-head) only matches itself.
      return requirements == version if requirements.to_s == "-1" || version.to_s == "-1"

      Array(requirements).all? do |requirement|
        Gem::Requirement.create(requirement).satisfied_by?(Gem::Version.create(version))
      end
    end
  end
end
