# frozen_string_literal: true

module FastBundle
  # fastbundle in an app's own bundle (`gem "fastbundle"`) is both the code
  # doing the setup and a locked gem: the position Bundler is in for itself.
  # As Bundler does for bundler, the plan skips it (its locked version and
  # whether that is installed do not matter) and the bundle holds the
  # running fastbundle instead, whatever version the lockfile or the
  # Gemfile names (Bundler 2.3 boots even when the Gemfile's `gem "bundler"`
  # requirement excludes the running Bundler).
  module RunningSpec
    NAME = "fastbundle"
    LIB = File.expand_path("..", __dir__)
    ROOT = File.dirname(LIB)

    module_function

    # The running fastbundle as a bundled spec: an installed gem's (the one
    # RubyGems activated, or the installed spec of this gem dir when it was
    # loaded by path, as a `fastbundle exec` child loads it), else, when the
    # Gemfile names fastbundle (a checkout on RUBYLIB or -I), one for this
    # checkout. nil when the app neither bundles fastbundle nor runs it as
    # a gem.
    def for(definition)
      spec = installed || (for_checkout if definition.dependencies.any? { |d| d.name == NAME })
      warn_if_unwanted(spec, definition) if spec && ENV["FASTBUNDLE_DEBUG"] && ENV["FASTBUNDLE_DEBUG"] != "0"
      spec
    end

    def installed
      activated = Gem.loaded_specs[NAME]
      if activated.respond_to?(:full_require_paths) && activated.full_require_paths.include?(LIB)
        return LoadedSpec.new(activated.name, activated.version.to_s, activated.platform.to_s, activated.full_name,
                              activated.full_gem_path, activated.loaded_from, activated.full_require_paths, nil, nil,
                              :gem, false)
      end
      # <gem dir>/gems/<full name>/lib, its spec in <gem dir>/specifications.
      full_name = File.basename(ROOT)
      spec_file = File.join(File.dirname(ROOT, 2), "specifications", "#{full_name}.gemspec")
      return nil unless File.basename(File.dirname(ROOT)) == "gems" && File.file?(spec_file)

      platform = full_name.delete_prefix("#{NAME}-#{VERSION}").delete_prefix("-")
      LoadedSpec.new(NAME, VERSION, platform.empty? ? "ruby" : platform, full_name, ROOT, spec_file, [LIB], nil, nil,
                     :gem, false)
    end

    # Where Bundler's `path:` source would point for this checkout.
    def for_checkout
      gemspec = File.join(ROOT, "#{NAME}.gemspec")
      LoadedSpec.new(NAME, VERSION, "ruby", "#{NAME}-#{VERSION}", ROOT, (gemspec if File.file?(gemspec)), [LIB],
                     nil, nil, :path, false)
    end

    def warn_if_unwanted(spec, definition)
      dep = definition.dependencies.find { |d| d.name == NAME }
      return if dep.nil? || dep.requirement.satisfied_by?(spec.version)

      warn "fastbundle: running #{spec.full_name}, which the Gemfile's #{dep} does not allow " \
           "(used anyway, as Bundler uses itself)"
    end
  end
end
