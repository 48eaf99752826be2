# frozen_string_literal: true

module FastBundle
  # What a Gemfile says, as plain data: the result of FastBundle::Dsl.evaluate.
  #
  # Everything the Rust core needs is reachable through #to_h, which returns
  # only Strings, Symbols, Integers, Arrays, Hashes, true, false and nil (no
  # credentials: source URLs are shown as Bundler shows them, user at most).
  class Definition
    # Hides the userinfo of "scheme://userinfo@host..." as src/redact.rs
    # does: every user, token and password becomes "***" (Bundler's
    # URICredentialsFilter keeps the user, which leaks every token given as
    # one: https://TOKEN@gem.fury.io/...). A bare user of an ssh:// URL (an
    # account name; ssh authenticates with keys) stays. Unlike Bundler it
    # also filters strings that are not valid URIs, so a credential never
    # leaks through a malformed URL.
    module CredentialFilter
      HIDDEN = "***"
      USERINFO = %r{\A((?:[A-Za-z][A-Za-z0-9+.\-]*)?)://([^/?#]*)@}.freeze
      # In free-form text: a userinfo runs to the last "@" before the end of
      # the authority (whitespace, "/", "?", "#").
      IN_TEXT = %r{((?:[A-Za-z][A-Za-z0-9+.\-]*)?)://([^\s/?#]*)@}.freeze
      # What may hold a credential in a Gemfile's own text: a userinfo that
      # may be built by interpolation (`"https://#{token}@host"`).
      IN_SOURCE = %r{((?:[A-Za-z][A-Za-z0-9+.\-]*)?)://([^\s/?'"`]*)@}.freeze
      SSH_SCHEMES = %w[ssh git+ssh ssh+git].freeze

      module_function

      def filter(uri)
        return uri unless uri.is_a?(String) && uri.include?("@")

        m = USERINFO.match(uri)
        return uri unless m && hides?(m[1], m[2])

        "#{m[1]}://#{HIDDEN}@#{m.post_match}"
      end

      # Replaces every credential-bearing URL in a free-form message.
      def filter_string(str)
        return str unless str.is_a?(String) && str.include?("@") && str.include?("://")

        str.gsub(IN_TEXT) { hides?($1, $2) ? "#{$1}://#{HIDDEN}@" : $& }
      end

      # Whether this text (a Gemfile, say) holds what may be a credential in
      # a URL, so that no copy of it may be written anywhere.
      def holds_credentials?(text)
        return false unless text.include?("@") && text.include?("://")

        text.scan(IN_SOURCE).any? { |scheme, userinfo| hides?(scheme, userinfo) }
      end

      def hides?(scheme, userinfo)
        return false if userinfo.empty? || userinfo == HIDDEN

        !(SSH_SCHEMES.include?(scheme.downcase) && !userinfo.include?(":"))
      end

      # A process-local fingerprint of the credentials in `uri` (so two
      # sources differing only in their credentials still compare unequal,
      # as in Bundler) without keeping them anywhere.
      def digest(uri)
        return nil unless uri.is_a?(String) && uri.include?("@")

        m = USERINFO.match(uri)
        m && m[2].hash
      end

      # `exception` with the credentials filtered out of its message and out
      # of each of its causes' (Ruby prints the causes of an uncaught error).
      def clean_exception(exception)
        return nil unless exception

        cause = clean_exception(exception.cause)
        message = exception.message
        filtered = filter_string(message)
        return exception if filtered.equal?(message) && cause.equal?(exception.cause)

        copy = exception.exception(filtered)
        copy = RuntimeError.new(filtered).tap { |e| e.set_backtrace(exception.backtrace) } if copy.message != filtered
        begin
          raise copy, cause: cause # sets the cause; a set backtrace is kept
        rescue Exception => e # rubocop:disable Lint/RescueException
          e
        end
      end
    end

    # A source of gems named in the Gemfile. `type` is :gem (a rubygems
    # repository: the global one or a `source` block / `source:` option),
    # :git, :path or :gemspec (the path source created by `gemspec`).
    #
    # Equality follows Bundler's Source classes, so the same duplicate and
    # conflict checks give the same answer.
    class Source
      DEFAULT_GLOB = "{,*,*/*}.gemspec"

      attr_reader :type

      def initialize(type, options, identity)
        @type = type
        @options = options
        @identity = identity
      end

      # A rubygems source; `global` is the one made of top-level `source` lines.
      def self.rubygems(global: false)
        src = new(:gem, { "remotes" => [], "global" => global }, nil)
        src.instance_variable_set(:@remote_keys, [])
        src.instance_variable_set(:@remote_digests, [])
        src
      end

      # Adds an already normalised remote URI (String with trailing slash).
      # Duplicates (URI equality: scheme and host compared case-insensitively)
      # are ignored, as in Bundler::Source::Rubygems#add_remote.
      def add_remote(uri)
        key = Source.remote_key(uri).hash # never keep the raw URI (it may hold a password)
        return self if @remote_keys.include?(key)

        @remote_keys << key
        @remote_digests << [CredentialFilter.filter(uri), CredentialFilter.digest(uri)]
        @options["remotes"] << CredentialFilter.filter(uri)
        self
      end

      def self.remote_key(uri)
        m = %r{\A([^:/?#]+)://([^/?#]*)(.*)\z}m.match(uri)
        return uri unless m

        authority = m[2]
        at = authority.rindex("@")
        authority = at ? authority[0..at] + authority[(at + 1)..].downcase : authority.downcase
        "#{m[1].downcase}://#{authority}#{m[3]}"
      end

      def remotes
        @type == :gem ? @options["remotes"] : []
      end

      def global?
        @options["global"] ? true : false
      end

      def git?
        @type == :git
      end

      def path?
        @type == :path || @type == :gemspec
      end

      def gem?
        @type == :gem
      end

      def uri
        @options["uri"]
      end

      def path
        @options["path"]
      end

      def expanded_path
        @options["expanded_path"]
      end

      def [](key)
        @options[key.to_s]
      end

      # Options as plain data (copies).
      def options
        h = {}
        @options.each { |k, v| h[k] = v.is_a?(Array) ? v.dup : v }
        h
      end

      def to_h
        { "type" => @type.to_s }.merge!(options)
      end

      def identity
        @type == :gem ? [:gem, @remote_digests] : @identity
      end

      def ==(other)
        other.is_a?(Source) && identity == other.identity
      end
      alias eql? ==

      def hash
        identity.hash
      end

      # Human-readable, credential-free (filtered whole: a glob or a path may
      # hold a URL too), modelled on Bundler's Source#to_s.
      def to_s
        CredentialFilter.filter_string(to_s_as_written)
      end

      private def to_s_as_written
        case @type
        when :gem
          remotes.empty? ? "locally installed gems" : "rubygems repository #{remotes.join(", ")}"
        when :git
          glob = @options["glob"]
          glob && glob != DEFAULT_GLOB ? "#{uri} (glob: #{glob})" : uri.to_s
        else
          "source at `#{path}`"
        end
      end

      def inspect
        "#<#{self.class} #{@type} #{self}>"
      end
    end

    attr_reader :gemfile, :root, :lockfile, :dependencies, :sources, :ruby_version,
                :optional_groups, :gemspecs, :plugins, :gemfiles, :input_files, :warnings

    def initialize(gemfile:, lockfile:, dependencies:, sources:, ruby_version:, optional_groups:,
                   gemspecs:, plugins:, gemfiles:, input_files:, warnings:, cache_inputs: nil)
      @gemfile = gemfile
      @root = File.dirname(gemfile)
      @lockfile = lockfile
      @dependencies = dependencies
      @sources = sources
      @ruby_version = ruby_version
      @optional_groups = optional_groups
      @gemspecs = gemspecs
      @plugins = plugins
      @gemfiles = gemfiles
      @input_files = input_files
      @warnings = warnings
      @cache_inputs = cache_inputs
    end

    # What the plan cache keys an answer from this Definition on: the files
    # its evaluation read ("files"), the directories it listed ("dirs"),
    # the ENV entries it read and those its dependencies' `env` conditions
    # name ("env_names"); or a String saying why it cannot be keyed (the
    # Gemfile does more than the recorder can follow).
    def cache_inputs
      return @cache_inputs || "the Gemfile was not evaluated by the recorder" unless @cache_inputs.is_a?(Hash)

      names = @dependencies.flat_map do |d|
        case (env = d.env)
        when nil then []
        when Hash then env.keys.map(&:to_s)
        else [env.to_s]
        end
      end
      @cache_inputs.merge("env_names" => (@cache_inputs["env_names"] | names))
    end

    # The global rubygems source (top-level `source` lines), possibly with no
    # remotes.
    def global_source
      @sources.find { |s| s.gem? && s.global? }
    end

    # Every group named by a dependency, in first-seen order.
    def groups
      seen = {}
      @dependencies.each { |d| d.groups.each { |g| seen[g] = true } }
      seen.keys
    end

    def to_h
      index = {}
      @sources.each_with_index { |s, i| index[s] = i }
      {
        "gemfile" => @gemfile,
        "root" => @root,
        "lockfile" => @lockfile,
        "dependencies" => @dependencies.map { |d| d.to_h(index) },
        "sources" => @sources.map(&:to_h),
        "ruby_version" => @ruby_version&.to_h,
        "optional_groups" => @optional_groups.dup,
        "gemspecs" => @gemspecs.map { |s| gemspec_hash(s) },
        "plugins" => @plugins.map { |p| Definition.plain(p) },
        "gemfiles" => @gemfiles.dup,
        "input_files" => @input_files.dup,
        "warnings" => @warnings.dup,
      }
    end

    def inspect
      "#<#{self.class} #{@gemfile} dependencies=#{@dependencies.size} sources=#{@sources.map(&:to_s).inspect}>"
    end

    def to_s
      inspect
    end

    # Turns arbitrary recorded values (plugin options, env conditions) into
    # plain data: Regexps become their source text, other objects `to_s`,
    # credential-bearing URLs are filtered.
    def self.plain(value)
      case value
      when String then CredentialFilter.filter_string(value)
      when Symbol, Integer, true, false, nil then value
      when Float then value
      when Array then value.map { |v| plain(v) }
      when Hash
        h = {}
        value.each { |k, v| h[k.is_a?(Symbol) ? k.to_s : plain(k).to_s] = plain(v) }
        h
      when Regexp then { "regexp" => value.source, "options" => value.options }
      else CredentialFilter.filter_string(value.to_s)
      end
    end

    private

    def gemspec_hash(spec)
      {
        "name" => spec.name.to_s,
        "version" => spec.version.to_s,
        "platform" => spec.platform.to_s,
        "loaded_from" => spec.loaded_from,
        "require_paths" => Array(spec.require_paths).map(&:to_s),
        "dependencies" => spec.dependencies.map do |d|
          { "name" => d.name, "requirements" => d.requirement.as_list, "type" => d.type }
        end,
      }
    end
  end
end
