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

    # `groups` are Symbols. Returns what Bundler's Runtime#require returns:
    # every dependency (2.3), or those of the groups (2.5+).
    def require_groups(dependencies, groups)
      selected = dependencies.select { |dep| (dep.groups & groups).any? && dep.should_include? }
      wrap = BundlerVersions.require_wraps_load_errors?
      selected.each do |dep|
        next require_wrapping_load_errors(dep) if wrap

        files = dep.autorequire
        if files
          files.each { |file| require_gem_file(file) }
        else
          require_by_name(dep.name)
        end
      end
      BundlerVersions.require_returns_selected? ? selected : dependencies
    end

    # Bundler 2.5+'s rules: any LoadError other than "the gem has no file of
    # its name" becomes GemRequireError too, also from the "foo/bar" retry.
    def require_wrapping_load_errors(dep)
      Array(dep.autorequire || dep.name).each do |file|
        file = dep.name if file == true
        required = file
        begin
          Kernel.require(required)
        rescue LoadError => e
          unless dep.autorequire.nil? && e.path == required
            raise GemRequireError.new(e, "There was an error while trying to load the gem '#{file}'.")
          end

          if required.include?("-")
            required = required.tr("-", "/")
            retry
          end
        rescue RuntimeError => e
          raise GemRequireError.new(e, "There was an error while trying to load the gem '#{file}'.")
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
