# frozen_string_literal: true

require_relative "../ruby_version"

module FastBundle
  class Dsl
    # The less common half of the Gemfile DSL (gemspec, git, path, ruby,
    # custom sources, error messages), loaded by Dsl.cold! on first use and
    # prepended to Dsl so these definitions replace the loading stubs.
    module Cold
      GITHUB_PULL_REQUEST_URL = %r{\Ahttps://github\.com/([A-Za-z0-9_\-\.]+/[A-Za-z0-9_\-\.]+)/pull/(\d+)\z}.freeze

      BUILTIN_GIT_SOURCES = {
        "github" => lambda do |repo_name|
          if repo_name =~ GITHUB_PULL_REQUEST_URL
            # As Bundler 2.3 and the Gemfile(5) manual: the PR head as a branch.
            {
              "git" => "https://github.com/#{$1}.git",
              "branch" => "refs/pull/#{$2}/head",
              "ref" => nil,
              "tag" => nil,
            }
          else
            repo_name = "#{repo_name}/#{repo_name}" unless repo_name.include?("/")
            "https://github.com/#{repo_name}.git"
          end
        end,
        "gist" => ->(repo_name) { "https://gist.github.com/#{repo_name}.git" },
        "bitbucket" => lambda do |repo_name|
          user_name, repo_name = repo_name.split("/")
          repo_name ||= user_name
          "https://#{user_name}@bitbucket.org/#{user_name}/#{repo_name}.git"
        end,
      }.freeze

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

        gemspecs = Dir.glob("{,*}.gemspec", base: expanded_path).map! { |f| File.expand_path(f, expanded_path) }
        gemspecs.map! { |g| load_gemspec(g) }.compact!
        gemspecs.reject! { |s| s.name != name } if name
        specs_by_name_and_version = gemspecs.group_by { |s| [s.name, s.version] }

        case specs_by_name_and_version.size
        when 1
          specs = specs_by_name_and_version.values.first
          spec = specs.find { |s| platform_matches?(s.platform) } || specs.first

          @gemspecs << spec

          gem spec.name, :name => spec.name, :path => path, :glob => glob

          group(development_group) do
            spec.development_dependencies.each do |dep|
              gem dep.name, *(dep.requirement.as_list + [:type => :development])
            end
          end
        when 0
          raise InvalidOption, "There are no gemspecs at #{display_join(root, path)}"
        else
          raise InvalidOption, "There are multiple gemspecs at #{display_join(root, path)}. " \
                               "Please use the :name option to specify which one should be used"
        end
      end

      def git_source(name, &block)
        raise InvalidOption, "You need to pass a block to #git_source" unless block_given?

        if VALID_KEYS.include?(name.to_s)
          raise InvalidOption, "You cannot use #{name} as a git source. It " \
                               "is a reserved key. Reserved keys are: #{VALID_KEYS.join(", ")}"
        end

        @git_sources[name.to_s] = block
      end

      def path(path, options = {}, &blk)
        options = normalize_hash(options)
        with_source(add_path_source(path, options, !block_given?), &blk)
      end

      def git(uri, options = {}, &blk)
        unless block_given?
          msg = "You can no longer specify a git source by itself. Instead, \n" \
                "either use the :git option on a gem, or specify the gems that \n" \
                "bundler should find in the git source by passing a block to \n" \
                "the git method, like: \n\n" \
                "  git 'git://github.com/rails/rails.git' do\n" \
                "    gem 'rails'\n" \
                "  end"
          raise DeprecatedError, msg
        end

        with_source(add_git_source(normalize_hash(options).merge("uri" => uri)), &blk)
      end

      def github(repo, options = {})
        raise ArgumentError, "GitHub sources require a block" unless block_given?

        github_uri = git_source_block("github").call(repo)
        git_options = normalize_hash(options).merge("uri" => github_uri)
        with_source(add_git_source(git_options)) { yield }
      end

      # Upstream Bundler's `ruby` (2.5+): adds `file:` (.ruby-version or
      # .tool-versions, relative to the Gemfile being evaluated).
      def ruby(*ruby_version)
        options = ruby_version.last.is_a?(Hash) ? ruby_version.pop : {}
        ruby_version.flatten!

        raise GemfileError, "Please define :engine_version" if options[:engine] && options[:engine_version].nil?
        raise GemfileError, "Please define :engine" if options[:engine_version] && options[:engine].nil?

        if options[:file]
          raise GemfileError, "Do not pass version argument when using :file option" unless ruby_version.empty?

          ruby_version << normalize_ruby_file(options[:file])
        end

        if options[:engine] == "ruby" && options[:engine_version] &&
           ruby_version != Array(options[:engine_version])
          raise GemfileEvalError, "ruby_version must match the :engine_version for MRI"
        end
        @ruby_version = RubyVersion.new(ruby_version, options[:patchlevel], options[:engine], options[:engine_version])
      end

      private

      def source_with_options(source, *args, &blk)
        options = args.last.is_a?(Hash) ? args.pop.dup : {}
        options = normalize_hash(options)
        source = normalize_source(source)

        if options.key?("type")
          options["type"] = options["type"].to_s
          # fastbundle never loads source plugins (Bundler says the same when
          # no installed plugin provides the type).
          raise InvalidOption, "No plugin sources available for #{options["type"]}"
        elsif block_given?
          with_source(add_rubygems_source(source), &blk)
        else
          @global_source.add_remote(normalize_remote(source))
          @global_source
        end
      end

      def normalize_source_slow(source)
        case source
        when :gemcutter, :rubygems, :rubyforge
          deprecation "The source :#{source} is deprecated because HTTP " \
                      "requests are insecure.\nPlease change your source to 'https://" \
                      "rubygems.org' if possible, or 'http://rubygems.org' if not."
          "http://rubygems.org"
        when String
          source
        else
          raise GemfileError, "Unknown source '#{source}'"
        end
      end

      def normalize_remote_slow(uri)
        # Loaded without activating the uri default gem: Bundler parses with
        # its vendored copy, so after its setup Gem.loaded_specs has no uri.
        Kernel.private_method_defined?(:gem_original_require) ? gem_original_require("uri") : require("uri")
        parsed = URI(uri)
        if !parsed.absolute? || (parsed.is_a?(URI::HTTP) && parsed.host.nil?)
          raise ArgumentError, "The source must be an absolute URI. For example:\n" \
                               "source 'https://rubygems.org'"
        end
        parsed.to_s
      end

      def validate_keys(command, opts, valid_keys)
        if opts["branch"] && !(opts["git"] || opts["github"] || opts.keys.any? { |k| @git_sources.key?(k) })
          raise GemfileError, %(The `branch` option for `#{command}` is not allowed. Only gems with a git source can specify a branch)
        end

        invalid_keys = opts.keys - valid_keys
        return true if invalid_keys.empty?

        message = +"You passed #{invalid_keys.map { |k| ":#{k}" }.join(", ")} "
        message << if invalid_keys.size > 1
          "as options for #{command}, but they are invalid."
        else
          "as an option for #{command}, but it is invalid."
        end
        message << " Valid options are: #{valid_keys.join(", ")}."
        message << " You may be able to resolve this by upgrading Bundler to the newest version."
        raise InvalidOption, message
      end

      def git_source_block(name)
        @git_sources[name] || BUILTIN_GIT_SOURCES[name]
      end

      def apply_git_source(git_name, opts)
        git_opts = git_source_block(git_name).call(opts[git_name])
        git_opts = { "git" => git_opts } if git_opts.is_a?(String)
        opts.merge!(git_opts) do |key, _gemfile_value, _git_source_value|
          raise GemfileError, %(The :#{key} option can't be used with `#{git_name}: #{opts[git_name].inspect}`)
        end
      end

      def add_git_or_path_sources(name, version, opts)
        %w[git path].each do |type|
          next unless (param = opts[type])

          first = version.first
          options = if (first.is_a?(String) || first.is_a?(Symbol)) && first =~ /^\s*=?\s*(\d[^\s]*)\s*$/
            opts.merge("name" => name, "version" => $1)
          else
            opts.dup
          end
          opts["source"] = type == "git" ? git(param, options) {} : path(param, options) {}
        end
      end

      # Bundler::Source::Git's options and equality.
      def add_git_source(options)
        glob = options["glob"]
        %w[ref branch tag revision].each { |k| options[k] = options[k].to_s if options[k] }
        uri = options["uri"] || ""
        ref = options["ref"] || options["branch"] || options["tag"]
        safe_uri = uri.is_a?(String) ? Definition::CredentialFilter.filter(uri) : uri.to_s
        identity = [:git, safe_uri, Definition::CredentialFilter.digest(uri), ref, options["branch"],
                    File.basename(uri.to_s, ".git"), options["version"].to_s.strip.gsub("-", ".pre."),
                    glob || Definition::Source::DEFAULT_GLOB, options["submodules"]]
        data = {
          "uri" => safe_uri,
          "branch" => options["branch"],
          "ref" => options["ref"],
          "tag" => options["tag"],
          "submodules" => Definition.plain(options["submodules"]),
          "glob" => glob&.to_s,
          "name" => options["name"]&.to_s,
          "version" => options["version"]&.to_s,
        }
        source = add_source_to_list(Definition::Source.new(:git, data, identity))

        if uri.is_a?(String) && uri.match?(/^git:/) && !truthy_env?("BUNDLE_GIT__ALLOW_INSECURE")
          ui_warn "The git source `#{safe_uri}` uses the `git` protocol, " \
                  "which transmits data without encryption. Disable this warning with " \
                  "`bundle config set --local git.allow_insecure true`, or switch to the `https` " \
                  "protocol to keep your data secure."
        end
        source
      end

      # Bundler::Source::Path (or ::Gemspec when a loaded gemspec has the
      # name): path shown relative to the evaluating file's directory unless
      # given absolute; equal when the expanded path and version are.
      def add_path_source(path, options, global)
        root = gemfile_root
        begin
          expanded = File.expand_path(path, root)
        rescue ArgumentError => e
          raise PathError, "There was an error while trying to use the path " \
                           "`#{path}`.\nThe error message was: #{e.message}."
        end
        raw = path.respond_to?(:to_path) ? path.to_path : path.to_str
        spec = @gemspecs.find { |g| g.name == options["name"] }
        type = spec ? :gemspec : :path
        data = {
          "path" => raw.start_with?("/") ? expanded : relative_path(expanded, root),
          "expanded_path" => expanded,
          "root_path" => root,
          "glob" => options["glob"]&.to_s,
          "name" => options["name"]&.to_s,
          "version" => options["version"]&.to_s,
          "global" => global,
        }
        data["gemspec"] = spec.name if spec
        source = add_source_to_list(Definition::Source.new(type, data, [type, expanded, options["version"]]))
        @global_path_source ||= source if global
        source
      end

      # Pathname#relative_path_from for two clean absolute paths.
      def relative_path(dest, base)
        return "." if dest == base

        d = dest == "/" ? [""] : dest.split("/", -1)
        b = base == "/" ? [""] : base.split("/", -1)
        i = 0
        i += 1 while i < d.size && i < b.size && d[i] == b[i]
        parts = Array.new(b.size - i, "..").concat(d[i..])
        parts.empty? ? "." : parts.join("/")
      end

      # Pathname#join (Bundler shows gemfile_root.join(path) in messages).
      def display_join(root, path)
        require "pathname"
        Pathname.new(root).join(path).to_s
      end

      def gemfile_root
        File.dirname(@gemfile || File.expand_path("Gemfile"))
      end

      # Bundler.load_gemspec: evaluated from its own directory (gemspecs use
      # relative paths and `git ls-files`); YAML gemspecs are parsed.
      def load_gemspec(file)
        @input_files << file
        contents = read_file(file)
        spec = if contents.start_with?("---")
          eval_yaml_gemspec(file, contents)
        else
          Dir.chdir(File.dirname(file)) { eval_gemspec(file, contents) }
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
        raise GemspecError, DSLError.new(msg, path, e.backtrace, contents, e).to_s
      end

      def platform_matches?(platform)
        return true if platform.nil? || platform == Gem::Platform::RUBY

        local = Gem::Platform.local
        return true if platform == local

        Gem::Platform.new(platform) === local
      end

      # "3.2.2", "ruby-3.2.2" (.ruby-version), "ruby 3.2.2 # comment"
      # (.tool-versions); anything else: the whole file, stripped.
      def normalize_ruby_file(filename)
        file = File.join(File.dirname(@gemfile || File.expand_path("Gemfile")), filename.to_s)
        @input_files << file
        content = read_file(file)
        (m = /^ruby(-|\s+)([^\s#]+)/.match(content)) ? m[2] : content.strip
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
          deprecation "This Gemfile does not include an explicit global source. " \
                      "Not using an explicit global source may result in a different lockfile being generated depending on " \
                      "the gems you have installed locally before bundler is run. " \
                      "Instead, define a global source in your Gemfile like this: source \"https://rubygems.org\"."
        elsif remotes.size > 1
          deprecation "Your Gemfile contains multiple primary sources. " \
                      "Using `source` more than once without a block is a security risk, and " \
                      "may result in installing unexpected gems. To resolve this warning, use " \
                      "a block to indicate which gems should come from the secondary source."
        end
      end

      def deprecation(message)
        ui_warn("[DEPRECATED] #{message}") unless truthy_env?("BUNDLE_SILENCE_DEPRECATIONS")
      end

      def truthy_env?(key)
        v = ENV[key]
        !v.nil? && !v.empty? && !%w[false no 0].include?(v.downcase)
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
