# frozen_string_literal: true

require_relative "sources"

module FastBundle
  class Dsl
    # The rarest part of the Gemfile DSL (gemspec, duplicate gems, source
    # warnings, error messages), loaded by Dsl.cold! on first use (with
    # dsl/sources.rb, which it builds on) and prepended to Dsl so these
    # definitions replace the loading stubs.
    module Cold
      def gemspec(opts = nil)
        opts ||= {}
        path              = opts[:path] || "."
        glob              = opts[:glob]
        name              = opts[:name]
        development_group = opts[:development_group] || :development
        root              = gemfile_root
        # Joined, not normalised (Bundler's Pathname#join): "lib/.." finds
        # nothing when lib/ does not exist, as for Bundler.
        expanded_path     = path.to_s.start_with?("/") ? path.to_s : File.join(root, path.to_s)

        @cache_dirs << expanded_path
        gemspecs = Dir.glob("{,*}.gemspec", base: expanded_path).map! { |f| File.expand_path(f, expanded_path) }
        gemspecs.map! { |g| load_gemspec(g) }.compact!
        gemspecs.reject! { |s| s.name != name } if name
        specs_by_name_and_version = gemspecs.group_by { |s| [s.name, s.version] }

        case specs_by_name_and_version.size
        when 1
          specs = specs_by_name_and_version.values.first
          spec = specs.find { |s| platform_matches?(s.platform) } || specs.first

          @gemspecs << spec

          if BundlerVersions.gemspec_dependencies_added_directly?
            path(path, "glob" => glob, "name" => spec.name) { add_dependency(spec.name, [], :default) }
            spec.development_dependencies.each do |dep|
              add_dependency(dep.name, dep.requirement.as_list, development_group, gemspec_dev_dep: true)
            end
          else
            gem spec.name, :name => spec.name, :path => path, :glob => glob

            group(development_group) do
              spec.development_dependencies.each do |dep|
                gem dep.name, *(dep.requirement.as_list + [:type => :development])
              end
            end
          end
        when 0
          raise InvalidOption, "There are no gemspecs at #{display_join(root, path)}"
        else
          raise InvalidOption, "There are multiple gemspecs at #{display_join(root, path)}. " \
                               "Please use the :name option to specify which one should be used"
        end
      end

      private

      # Pathname#join (Bundler shows gemfile_root.join(path) in messages).
      def display_join(root, path)
        require "pathname"
        Pathname.new(root).join(path).to_s
      end

      # Bundler.load_gemspec: evaluated from its own directory (gemspecs use
      # relative paths and `git ls-files`); YAML gemspecs are parsed.
      def load_gemspec(file)
        @input_files << file
        contents = read_file(file)
        spec = if contents.start_with?("---")
          eval_yaml_gemspec(file, contents)
        else
          evaluate = -> { Dir.chdir(File.dirname(file)) { eval_gemspec(file, contents) } }
          defined?(InputWatch) ? InputWatch.gemspec(file, &evaluate) : evaluate.call
        end
        return unless spec

        spec.loaded_from = File.expand_path(file)
        spec
      end

      def eval_yaml_gemspec(path, contents)
        require "psych"
        Gem::Specification.from_yaml(contents)
      rescue ::Psych::SyntaxError, ArgumentError, Gem::EndOfYAMLException, Gem::Exception
        eval_gemspec(path, contents)
      end

      def eval_gemspec(path, contents)
        eval(contents, TOPLEVEL_BINDING.dup, File.expand_path(path)) # rubocop:disable Security/Eval
      rescue ScriptError, StandardError => e
        msg = "There was an error while loading `#{File.basename(path)}`: #{e.message}"
        raise GemspecError, DSLError.new(msg, path, e.backtrace, contents, e).to_s,
              cause: Definition::CredentialFilter.clean_exception(e)
      end

      def platform_matches?(platform)
        return true if platform.nil? || platform == Gem::Platform::RUBY

        local = Gem::Platform.local
        return true if platform == local

        Gem::Platform.new(platform) === local
      end

      # Bundler 2.5+'s Dsl#add_dependency, as `gemspec` uses it: no
      # enclosing group, platform or install_if; the block's source and env.
      def add_dependency(name, version, group, gemspec_dev_dep: false)
        groups = Array(group).map(&:to_sym).freeze
        dep = new_dependency(name, version.dup, :runtime, groups, NO_PLATFORMS, nil, @source, @env, true, nil, @gemfile)
        @gemspec_dev_deps[dep] = true if gemspec_dev_dep
        add_to_dependencies(dep)
      end

      # Bundler 2.5+'s rule for a second dependency of the same name: a
      # gemspec development dependency gives way to a Gemfile line (warning
      # when the line's requirement is not open but differs), two of them
      # are merged; else as 2.3. The dependency to add, or :skip.
      def resolve_duplicate_modern(current, dep)
        current_dev = @gemspec_dev_deps.key?(current)
        dep_dev = @gemspec_dev_deps.key?(dep)
        if current.requirement != dep.requirement
          if current_dev && dep_dev
            unless requirements_intersect?(current.requirement, dep.requirement)
              raise GemfileError, "Two gemspec development dependencies have conflicting requirements on the " \
                                  "same gem: #{dep} and #{current}"
            end
            dep = new_dependency(dep.name, (current.requirements + dep.requirements).uniq, :runtime, dep.groups,
                                 NO_PLATFORMS, nil, dep.source, dep.env, true, nil, dep.gemfile)
            @gemspec_dev_deps[dep] = true
          elsif current_dev || dep_dev
            gemspec_dep, gemfile_dep = dep_dev ? [dep, current] : [current, dep]
            unless current.requirements.include?(">= 0")
              ui_warn "A gemspec development dependency (#{gemspec_dep.name}, #{gemspec_dep.requirement}) is being " \
                      "overridden by a Gemfile dependency (#{gemfile_dep.name}, #{gemfile_dep.requirement}).\n" \
                      "This behaviour may change in the future. Please remove either of them, or make sure they " \
                      "both have the same requirement\n"
            end
          else
            raise_duplicate(current, dep)
          end
        end
        return dep if current_dev && dep_dev

        if current_dev
          delete_dependency(current)
          @deps_by_name[dep.name] = @dependencies.find { |d| d.name == dep.name } || dep
        elsif dep_dev
          return :skip
        elsif current.source != dep.source
          raise_duplicate(current, dep)
        else
          warn_duplicate(current)
        end
        dep
      end

      # Can one version satisfy both requirements? Bundler 2.5+ asks
      # PubGrub's version ranges, which treat versions as a dense order:
      # the bounds of all constraints together leave an interval, empty, or
      # one version, which an `!=` may exclude.
      def requirements_intersect?(*requirements)
        low = high = nil # [version, inclusive]
        excluded = []
        tighter = ->(bound, candidate, sign) do
          next candidate if bound.nil?

          cmp = (candidate[0] <=> bound[0]) * sign
          cmp.positive? || (cmp.zero? && !candidate[1]) ? candidate : bound
        end
        requirements.flat_map(&:requirements).each do |op, version|
          case op
          when ">", ">=" then low = tighter.call(low, [version, op == ">="], 1)
          when "<", "<=" then high = tighter.call(high, [version, op == "<="], -1)
          when "~>"
            low = tighter.call(low, [version, true], 1)
            high = tighter.call(high, [Gem::Version.new("#{version.bump}.A"), false], -1)
          when "="
            low = tighter.call(low, [version, true], 1)
            high = tighter.call(high, [version, true], -1)
          when "!=" then excluded << version
          end
        end
        return true if low.nil? || high.nil? || low[0] < high[0]

        low[0] == high[0] && low[1] && high[1] && excluded.none? { |v| v == low[0] }
      end

      def raise_duplicate(current, dep)
        if current.requirement != dep.requirement
          raise GemfileError, "You cannot specify the same gem twice with different version requirements.\n" \
                              "You specified: #{current.name} (#{current.requirement}) and #{dep.name} (#{dep.requirement})"
        end

        raise GemfileError, "You cannot specify the same gem twice coming from different sources.\n" \
                            "You specified that #{dep.name} (#{dep.requirement}) should come from " \
                            "#{current.source || "an unspecified source"} and #{dep.source}\n"
      end

      def source_safety_warnings
        if @global_path_source
          deprecation "You can no longer specify a path source by itself. Instead, \n" \
                      "either use the :path option on a gem, or specify the gems that \n" \
                      "bundler should find in the path source by passing a block to \n" \
                      "the path method, like: \n\n" \
                      "    path 'dir/containing/rails' do\n" \
                      "      gem 'rails'\n" \
                      "    end"
        end

        remotes = @global_source.remotes
        if remotes.empty?
          return unless BundlerVersions.warns_implicit_global_source?

          deprecation "This Gemfile does not include an explicit global source. " \
                      "Not using an explicit global source may result in a different lockfile being generated depending on " \
                      "the gems you have installed locally before bundler is run. " \
                      "Instead, define a global source in your Gemfile like this: source \"https://rubygems.org\"."
        elsif remotes.size > 1
          deprecation "Your Gemfile contains multiple #{BundlerVersions.global_sources_word} sources. " \
                      "Using `source` more than once without a block is a security risk, and " \
                      "may result in installing unexpected gems. To resolve this warning, use " \
                      "a block to indicate which gems should come from the secondary source."
        end
      end

    end

    prepend Cold

    class DSLError
      # The "file:line" the message points at, nil when unknown.
      def location
        to_s
        @location
      end

      def file
        location&.sub(/:\d+\z/, "")
      end

      def line
        location && location[/:(\d+)\z/, 1].to_i
      end

      private

      def contents
        @contents ||= dsl_path && File.exist?(dsl_path) && File.read(dsl_path)
      end

      def format_message
        trace_line, description = parse_line_number_from_description

        m = +"\n[!] #{description}. fastbundle cannot continue.\n"
        return finish(m) unless backtrace && dsl_path && contents

        trace_line = backtrace.find { |l| l.include?(dsl_path.to_s) } || trace_line
        return finish(m) unless trace_line

        line_number = trace_line.split(":")[1].to_i - 1
        lines = contents.lines.to_a
        indent = " #  "
        @location = trace_line.gsub(/:in.*$/, "")
        m << "\n#{indent}from #{@location}\n"
        m << "#{indent}-------------------------------------------\n"
        m << "#{indent}#{lines[line_number - 1]}" unless line_number.zero?
        m << " >  #{lines[line_number]}"
        m << "#{indent}#{lines[line_number + 1]}" unless line_number == lines.count - 1
        m << "\n" unless m.end_with?("\n")
        m << "#{indent}-------------------------------------------\n"
        finish(m)
      end

      def finish(message)
        Definition::CredentialFilter.filter_string(message)
      end

      # A SyntaxError's message starts with "path:line: "; point at that line
      # and drop it (and the caret drawing) from the description.
      def parse_line_number_from_description
        description = self.description
        if dsl_path && description =~ /((#{Regexp.quote File.expand_path(dsl_path.to_s)}|#{Regexp.quote dsl_path.to_s}):\d+)/
          trace_line = Regexp.last_match[1]
          description = description.sub(/\n.*\n(\.\.\.)? *\^~+$/, "").sub(/#{Regexp.quote trace_line}:\s*/, "").sub("\n", " - ")
        end
        [trace_line, description]
      end
    end
  end
end
