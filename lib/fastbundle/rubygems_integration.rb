# frozen_string_literal: true

module FastBundle
  # The RubyGems side of isolation, as Bundler's RubygemsIntegration does it:
  # plain `require` (no gem activation), `Kernel#gem` that only knows the
  # bundle, `Gem::Specification.all` limited to the bundle plus default gems,
  # and binstub lookups (`Gem.bin_path`) answered from the bundle.
  module RubygemsIntegration
    module_function

    def add_to_load_path(paths)
      return Gem.add_to_load_path(*paths) if Gem.respond_to?(:add_to_load_path)

      if (index = Gem.load_path_insert_index)
        $LOAD_PATH.insert(index, *paths)
      else
        $LOAD_PATH.unshift(*paths)
      end
    end

    def mark_loaded(spec)
      current = Gem.loaded_specs[spec.name]
      current.activated = false if current.respond_to?(:activated=)
      spec.activated = true
      Gem.loaded_specs[spec.name] = spec
    end

    # Returns the default gems listed after the bundle (Bundler 2.5+), for
    # the plan cache: DEFAULT_ROWS are those a cached plan kept, else the
    # default stubs are read now.
    def replace_entrypoints(specs, gemfile_name, default_rows = nil)
      specs_by_name = DefaultGems.new
      specs.each { |s| specs_by_name[s.name] = s }
      defaults = BundlerVersions.default_gems_in_specification_all? ? specs_by_name.outside_bundle(default_rows) : []
      reverse_rubygems_kernel_mixin
      replace_require_for_bundled_gems(specs) if BundlerVersions.hooks_bundled_gems_warnings?
      replace_gem(specs_by_name, gemfile_name)
      stub_rubygems(BundlerVersions.default_gems_in_specification_all? ? specs_by_name.values + defaults : specs)
      replace_bin_path(specs_by_name, gemfile_name)
      Gem.clear_paths
      defaults
    end

    # The bundle by name, falling back to default gems (which stay
    # activatable with `gem`, as under Bundler). Default stubs are read only
    # when a name outside the bundle is asked for.
    class DefaultGems < Hash
      # The default gems the bundle does not hold, each as a LoadedSpec that
      # loads its full gemspec only when asked for more than its stub knows
      # (evaluating all ~70 costs ~20 ms of a boot; reading their stubs,
      # ~1.5 ms, is what a cached plan's ROWS save).
      def outside_bundle(rows)
        listed = if rows
                   LoadedSpec.from_rows(rows)
                 else
                   defaults.values.map do |stub|
                     LoadedSpec.new(stub.name, stub.version.to_s, stub.platform.to_s, stub.full_name, stub.full_gem_path,
                                    stub.loaded_from, stub.full_require_paths, nil, nil, :gem, true)
                   end
                 end
        listed.reject { |spec| key?(spec.name) }
      end

      def [](name)
        super || defaults[name]
      end

      # The bundle, then the default gems it does not hold, as full specs
      # (stubs know no executables) — Bundler's add_default_gems_to order.
      def all_values
        values + defaults.reject { |name, _| key?(name) }.values.map(&:to_spec)
      end

      private

      def defaults
        @defaults ||= Gem::Specification.default_stubs("*.gemspec").to_h { |s| [s.name, s] }
      end
    end

    # Ruby 3.3+'s bundled_gems.rb warns when a file of a default gem that is
    # (or is becoming) a bundled gem is required from outside the bundle;
    # Bundler 2.5+ hands it the bundle's specs, so does fastbundle then.
    # RubyGems 3.5+ has loaded it already: a require here, after the load
    # path changed, would make Ruby rebuild its expanded load path (~5 ms at
    # 600 gems) for nothing.
    def replace_require_for_bundled_gems(specs)
      unless defined?(::Gem::BUNDLED_GEMS)
        begin
          Kernel.require "bundled_gems"
        rescue LoadError
          return
        end
      end
      Gem::BUNDLED_GEMS.replace_require(specs) if Gem::BUNDLED_GEMS.respond_to?(:replace_require)
    end

    def redefine_method(klass, method, unbound_method = nil, &block)
      visibility = if klass.private_method_defined?(method) then :private
                   elsif klass.protected_method_defined?(method) then :protected
                   else :public
                   end
      klass.send(:remove_method, method) if klass.method_defined?(method, false) || klass.private_method_defined?(method, false)
      if unbound_method
        klass.send(:define_method, method, unbound_method)
      else
        klass.send(:define_method, method, &block)
      end
      klass.send(visibility, method)
    end

    # RubyGems' require activates gems on demand; inside a bundle it must not.
    # RubyGems 3.5+ can be told so, which Bundler 2.5+ does instead of
    # putting Ruby's own require back.
    def reverse_rubygems_kernel_mixin
      return Gem.discover_gems_on_require = false if BundlerVersions.disables_gem_discovery?

      kernel = (class << ::Kernel; self; end)
      [kernel, ::Kernel].each do |k|
        if k.private_method_defined?(:gem_original_require)
          redefine_method(k, :require, k.instance_method(:gem_original_require))
        end
      end
    end

    def replace_gem(specs_by_name, gemfile_name)
      kernel = (class << ::Kernel; self; end)
      [kernel, ::Kernel].each do |kernel_class|
        redefine_method(kernel_class, :gem) do |dep, *reqs|
          reqs.pop if reqs.last.is_a?(Hash)
          dep = Gem::Dependency.new(dep, reqs) unless dep.respond_to?(:name) && dep.respond_to?(:requirement)
          spec = specs_by_name[dep.name]
          return true if spec && dep.requirement.satisfied_by?(spec.version)

          message = if spec.nil?
                      "#{dep.name} is not part of the bundle. Add it to your #{gemfile_name}."
                    else
                      "can't activate #{dep}, already activated #{spec.full_name}. " \
                        "Make sure all dependencies are added to Gemfile."
                    end
          e = Gem::LoadError.new(message)
          e.name = dep.name
          e.requirement = dep.requirement if e.respond_to?(:requirement=)
          raise e
        end
      end
    end

    def stub_rubygems(specs)
      Gem::Specification.all = specs
      Gem.post_reset { Gem::Specification.all = specs }
      redefine_method((class << Gem; self; end), :finish_resolve) { |*| [] }
    end

    def replace_bin_path(specs_by_name, gemfile_name)
      gem_class = (class << Gem; self; end)
      redefine_method(gem_class, :find_spec_for_exe) do |gem_name, *args|
        exec_name = args.first
        raise ArgumentError, "you must supply exec_name" unless exec_name

        spec_with_name = specs_by_name[gem_name]
        matching = specs_by_name.all_values.select { |s| s.executables.include?(exec_name) }
        spec = matching.delete(spec_with_name)
        unless spec || !matching.empty?
          message = "can't find executable #{exec_name} for gem #{gem_name}"
          if spec_with_name.nil?
            message += ". #{gem_name} is not currently included in the bundle, " \
                       "perhaps you meant to add it to your #{gemfile_name}?"
          end
          raise Gem::Exception, message
        end
        unless spec
          spec = matching.shift
          warn "Bundler is using a binstub that was created for a different gem (#{spec.name}).\n" \
               "You should run `bundle binstub #{gem_name}` to work around a system/bundle conflict."
        end
        unless matching.empty?
          warn "The `#{exec_name}` executable in the `#{spec.name}` gem is being loaded, but it's also present " \
               "in other gems (#{matching.map(&:name).join(", ")}).\n" \
               "If you meant to run the executable for another gem, make sure you use a project specific " \
               "binstub (`bundle binstub <gem_name>`).\n" \
               "If you plan to use multiple conflicting executables, generate binstubs for them and " \
               "disambiguate their names."
        end
        spec
      end
      bin_path = lambda do |name, exec_name, *rest|
        return ENV["BUNDLE_BIN_PATH"] if exec_name == "bundle"

        spec = Gem.send(:find_spec_for_exe, name, exec_name, *rest) # private, as in RubyGems
        exec_name ||= spec.default_executable
        gem_bin = File.join(spec.full_gem_path, spec.bindir, exec_name)
        File.exist?(gem_bin) ? gem_bin : File.join(File.dirname(spec.loaded_from), spec.bindir, exec_name)
      end
      redefine_method(gem_class, :activate_bin_path) { |name, *args| bin_path.call(name, args.first, [args.last]) }
      redefine_method(gem_class, :bin_path) { |name, *args| bin_path.call(name, *args) }
    end
  end
end
