# frozen_string_literal: true

require_relative "../ruby_version"

module FastBundle
  class Dsl
    # The Gemfile DSL beyond `gem`, blocks and plain sources, but common in
    # real Gemfiles: git/github/path sources, git_source, `ruby`, source
    # options. Loaded by Dsl.sources! on first use and prepended to Dsl so
    # these definitions replace the loading stubs in dsl/core.rb.
    module Sources
      GITHUB_PULL_REQUEST_URL = %r{\Ahttps://github\.com/([A-Za-z0-9_\-\.]+/[A-Za-z0-9_\-\.]+)/pull/(\d+)\z}.freeze

      GITLAB_MERGE_REQUEST_URL = %r{\Ahttps://gitlab\.com/([A-Za-z0-9_\-\./]+)/-/merge_requests/(\d+)\z}.freeze

      BUILTIN_GIT_SOURCES = {
        "github" => lambda do |repo_name|
          if repo_name =~ GITHUB_PULL_REQUEST_URL
            head = "refs/pull/#{$2}/head"
            as_ref = BundlerVersions.github_pull_request_as_ref?
            { "git" => "https://github.com/#{$1}.git", "branch" => as_ref ? nil : head, "ref" => as_ref ? head : nil,
              "tag" => nil }
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
        # Only registered when BundlerVersions.gitlab_git_source?.
        "gitlab" => lambda do |repo_name|
          if repo_name =~ GITLAB_MERGE_REQUEST_URL
            { "git" => "https://gitlab.com/#{$1}.git", "branch" => nil, "ref" => "refs/merge-requests/#{$2}/head",
              "tag" => nil }
          else
            repo_name = "#{repo_name}/#{repo_name}" unless repo_name.include?("/")
            "https://gitlab.com/#{repo_name}.git"
          end
        end,
      }.freeze

      def git_source(name, &block)
        raise InvalidOption, "You need to pass a block to #git_source" unless block_given?

        if valid_keys.include?(name.to_s)
          raise InvalidOption, "You cannot use #{name} as a git source. It " \
                               "is a reserved key. Reserved keys are: #{valid_keys.join(", ")}"
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
        unless block_given?
          raise(BundlerVersions.github_block_error_is_invalid_argument? ? InvalidArgumentError : ArgumentError,
                "GitHub sources require a block")
        end

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
        else
          rubygems_source(source, &blk)
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
        version = options["version"].to_s.strip.gsub("-", ".pre.") if BundlerVersions.git_source_version_in_identity?
        identity = [:git, safe_uri, Definition::CredentialFilter.digest(uri), ref, options["branch"],
                    File.basename(uri.to_s, ".git"), version,
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
        # HOME, or another user's home (from the password database: unkeyable)
        read_outside!(path.to_s.match?(%r{\A~(/|\z)}) ? "HOME" : nil) if path.to_s.start_with?("~")
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

      def gemfile_root
        File.dirname(@gemfile || File.expand_path("Gemfile"))
      end

      # "3.2.2", "ruby-3.2.2" (.ruby-version), "ruby 3.2.2 # comment"
      # (.tool-versions); anything else: the whole file, stripped.
      def normalize_ruby_file(filename)
        file = File.join(File.dirname(@gemfile || File.expand_path("Gemfile")), filename.to_s)
        @input_files << file
        content = read_file(file)
        (m = /^ruby(-|\s+)([^\s#]+)/.match(content)) ? m[2] : content.strip
      end

      def deprecation(message)
        ui_warn("[DEPRECATED] #{message}") unless truthy_env?("BUNDLE_SILENCE_DEPRECATIONS")
      end

      def truthy_env?(key)
        read_outside!(key)
        v = ENV[key]
        !v.nil? && !v.empty? && !%w[false no 0].include?(v.downcase)
      end
    end

    prepend Sources
  end
end
