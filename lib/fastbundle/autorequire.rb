# frozen_string_literal: true

module FastBundle
  # The second half of Bundler.require: each direct Gemfile dependency of the
  # requested groups whose platform / install_if / env conditions hold is
  # required, in Gemfile order, with Bundler::Runtime#require's rules:
  #
  # - `require: false` requires nothing, `true` the gem's name, a String or
  #   an Array those files; a LoadError there is the caller's to see.
  # - no `require:` option: the gem's name; a LoadError for exactly that
  #   file means the gem has no such file, so "foo-bar" is tried as
  #   "foo/bar", and a miss there too is ignored.
  # - a RuntimeError raised by a gem's file becomes GemRequireError (status
  #   24) with Bundler's message; the original stays as #cause and
  #   #orig_exception. Other exceptions pass through untouched, as in Bundler.
  #
  # Every file goes through Kernel.require, so require hooks (bootsnap's
  # load-path cache, Zeitwerk, coverage tools) see each call.
  module Autorequire
    module_function

    # `groups` are Symbols. Returns the dependencies looked at.
    def require_groups(dependencies, groups)
      dependencies.each do |dep|
        next unless (dep.groups & groups).any? && dep.should_include?

        files = dep.autorequire
        if files
          files.each { |file| require_gem_file(file) }
        else
          require_by_name(dep.name)
        end
      end
    end

    def require_by_name(name)
      require_gem_file(name)
    rescue LoadError => e
      raise unless e.path == name
      return unless name.include?("-")

      namespaced = name.tr("-", "/")
      begin
        # Outside require_gem_file: Bundler does not wrap this one's errors.
        Kernel.require(namespaced)
      rescue LoadError => e
        raise unless e.path == namespaced
      end
    end

    def require_gem_file(file)
      Kernel.require(file)
    rescue RuntimeError => e
      raise GemRequireError.new(e, "There was an error while trying to load the gem '#{file}'.")
    end
  end
end
