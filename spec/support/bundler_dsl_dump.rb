# frozen_string_literal: true

# Evaluates a Gemfile with real Bundler (Bundler::Dsl, no resolution) and
# prints what it recorded as JSON, in the shape fastbundle_dsl_dump.rb prints
# for FastBundle::Dsl:
#
#   ruby spec/support/bundler_dsl_dump.rb path/to/Gemfile
#
# Run it in a subprocess (the parity spec does, hermetically). spec_helper
# requires every spec/support file, so nothing happens when it is required.

module BundlerDslDump
  module_function

  # Upstream Bundler (2.4-2.6) features the Gemfile(5) manual documents but
  # the installed 2.3.15 lacks, transcribed from upstream's dsl.rb,
  # dependency.rb, current_ruby.rb and ruby_dsl.rb. Applied only with
  # --upstream (the parity spec uses it for fixtures that need them, and
  # checks separately that plain 2.3.15 really cannot evaluate them):
  #   - the :windows platform family and _NN forms up to 3.5;
  #   - gem "x", force_ruby_platform: true;
  #   - ruby file: ".ruby-version" / ".tool-versions".
  def backport_upstream!
    versions = (18..27).to_a + (30..35).to_a
    spec = { ruby: versions, mri: versions, rbx: nil, truffleruby: nil, jruby: [18, 19], windows: versions,
             mswin: versions, mswin64: versions - [18], mingw: versions, x64_mingw: versions - [18, 19] }
    platforms = spec.flat_map { |p, vs| [p, *Array(vs).map { |v| :"#{p}_#{v}" }] }.freeze
    Bundler::Dsl.send(:remove_const, :VALID_PLATFORMS)
    Bundler::Dsl.const_set(:VALID_PLATFORMS, platforms)
    Bundler::Dsl.send(:remove_const, :VALID_KEYS)
    Bundler::Dsl.const_set(:VALID_KEYS, %w[group groups git path glob name branch ref tag require submodules
                                           platform platforms type source install_if gemfile force_ruby_platform].freeze)

    Bundler::CurrentRuby.class_eval do
      define_method(:windows?) { Gem.win_platform? }
      versions.each do |v|
        prefix = "#{v / 10}.#{v % 10}."
        define_method(:"on_#{v}?") { RUBY_VERSION.start_with?(prefix) }
        spec.each_key { |p| define_method(:"#{p}_#{v}?") { send(:"#{p}?") && send(:"on_#{v}?") } }
      end
    end

    Bundler::Dependency.class_eval do
      attr_reader :force_ruby_platform

      alias_method :initialize_without_force_ruby_platform, :initialize
      define_method(:initialize) do |name, version, options = {}, &blk|
        initialize_without_force_ruby_platform(name, version, options, &blk)
        @force_ruby_platform = options["force_ruby_platform"]
      end
    end

    Bundler::RubyDsl.module_eval do
      alias_method :ruby_without_file, :ruby
      define_method(:ruby) do |*ruby_version|
        options = ruby_version.last.is_a?(Hash) ? ruby_version.last : {}
        if options[:file]
          raise Bundler::GemfileError, "Do not pass version argument when using :file option" unless ruby_version.size == 1

          content = Bundler.read_file(File.join(File.dirname(@gemfile.to_s), options[:file]))
          version = content =~ /^ruby(-|\s+)([^\s#]+)/ ? $2 : content.strip
          ruby_without_file(version, options.reject { |k, _| k == :file })
        else
          ruby_without_file(*ruby_version)
        end
      end
    end
  end

  def run(gemfile, upstream: false)
    require "bundler"
    require "json"
    # fastbundle's credential filter (plain Ruby; see #filter).
    require_relative "../../lib/fastbundle/definition"
    backport_upstream! if upstream

    gemfile = File.expand_path(gemfile)
    ENV["BUNDLE_GEMFILE"] ||= gemfile
    warnings = []
    ui = Bundler::UI::Silent.new
    ui.define_singleton_method(:warn) { |msg, _newline = nil| warnings << msg.to_s }
    Bundler.ui = ui

    dsl = Bundler::Dsl.new
    result =
      begin
        dsl.eval_gemfile(gemfile)
        dsl.check_primary_source_safety
        dump(dsl, warnings)
      rescue Bundler::BundlerError => e
        { "ok" => false, "class" => e.class.name, "status" => e.status_code, "message" => e.message.to_s }
      rescue SystemExit => e
        { "ok" => false, "exit" => e.status }
      rescue StandardError, ScriptError => e
        unwrapped(e, dsl)
      end
    puts JSON.pretty_generate(result)
  end

  # Bundler 2.5+ lets errors raised outside the Gemfile's own code through
  # as they are: their message (credentials filtered as fastbundle's
  # messages filter them) and the Gemfile line they came from.
  def unwrapped(error, dsl)
    files = dsl.instance_variable_get(:@gemfiles).map(&:to_s)
    at = error.backtrace_locations&.find { |l| files.include?(l.path) }
    { "ok" => false, "unwrapped" => true, "class" => error.class.name,
      "message" => FastBundle::Definition::CredentialFilter.filter_string(error.message),
      "location" => at && "#{at.path}:#{at.lineno}" }
  end

  # The URI Bundler keeps, shown by fastbundle's rule (every userinfo as
  # ***, src/redact.rs), so both dumps compare the sources the tools hold.
  # Bundler's own display differs by version (2.3 keeps a lone user, a
  # token; 2.5+ drops it), which is not what is compared here: the secrets
  # spec checks what each tool prints.
  def filter(uri)
    FastBundle::Definition::CredentialFilter.filter(uri.to_s)
  end

  def plain(value)
    case value
    when nil, true, false, Integer, String then value
    when Symbol then value.to_s
    when Array then value.map { |v| plain(v) }
    when Hash then value.to_h { |k, v| [k.to_s, plain(v)] }
    when Regexp then { "regexp" => value.source, "options" => value.options }
    else value.to_s
    end
  end

  def source_hash(source)
    case source
    when nil then nil
    when Bundler::Source::Git
      opts = source.options
      { "type" => "git", "uri" => filter(source.uri), "branch" => opts["branch"], "ref" => opts["ref"],
        "tag" => opts["tag"], "submodules" => plain(opts["submodules"]), "glob" => opts["glob"]&.to_s,
        "name" => opts["name"]&.to_s, "version" => opts["version"]&.to_s }
    when Bundler::Source::Path # includes Source::Gemspec
      opts = source.options
      h = { "type" => source.is_a?(Bundler::Source::Gemspec) ? "gemspec" : "path",
            "path" => source.path.to_s, "expanded_path" => source.send(:expanded_path).to_s,
            "root_path" => source.root_path.to_s, "glob" => opts["glob"]&.to_s,
            "name" => opts["name"]&.to_s, "version" => opts["version"]&.to_s, "global" => opts["global"] ? true : false }
      h["gemspec"] = source.gemspec.name if source.is_a?(Bundler::Source::Gemspec)
      h
    when Bundler::Source::Rubygems
      # Bundler keeps remotes newest first; report them in Gemfile order.
      { "type" => "gem", "remotes" => source.remotes.reverse.map { |r| filter(r) } }
    else
      { "type" => source.class.name }
    end
  end

  def dump(dsl, warnings)
    sources = dsl.instance_variable_get(:@sources)
    ruby_version = dsl.instance_variable_get(:@ruby_version)
    deps = dsl.dependencies.map do |dep|
      {
        "name" => dep.name,
        "requirements" => dep.requirement.as_list,
        "type" => dep.type.to_s,
        "groups" => dep.groups.map(&:to_s),
        "platforms" => dep.platforms.map(&:to_s),
        # Bundler.require treats `true` as the gem's name.
        "autorequire" => dep.autorequire&.map { |f| f == true ? dep.name : plain(f) },
        "source" => source_hash(dep.source),
        # Bundler 2.3 keeps it in @env, 2.5+ in the options hash.
        "env" => plain(dep.instance_variable_defined?(:@env) ? dep.instance_variable_get(:@env) : dep.instance_variable_get(:@options)&.[]("env")),
        "should_include" => dep.should_include? ? true : false,
        "force_ruby_platform" => dep.respond_to?(:force_ruby_platform) && dep.force_ruby_platform ? true : false,
        "gemfile" => dep.gemfile.to_s,
      }
    end
    others = sources.non_global_rubygems_sources + sources.path_sources + sources.git_sources
    {
      "ok" => true,
      "dependencies" => deps,
      # Only Symbols take effect (Definition compares them with Symbol groups).
      "optional_groups" => dsl.instance_variable_get(:@optional_groups).grep(Symbol).map(&:to_s),
      "ruby_version" => ruby_version && {
        "versions" => ruby_version.versions, "engine" => ruby_version.engine,
        "engine_versions" => ruby_version.engine_versions.map(&:to_s),
        "patchlevel" => ruby_version.patchlevel&.to_s, "string" => ruby_version.to_s
      },
      "global_remotes" => sources.global_rubygems_source.remotes.reverse.map { |r| filter(r) },
      "sources" => others.map { |s| source_hash(s) }.uniq.sort_by(&:to_json),
      "gemspecs" => dsl.gemspecs.map { |s| "#{s.name}-#{s.version}" },
      "gemfiles" => dsl.instance_variable_get(:@gemfiles).map(&:to_s),
      "warnings" => warnings,
    }
  end
end

if $PROGRAM_NAME == __FILE__
  upstream = ARGV.delete("--upstream")
  BundlerDslDump.run(ARGV.fetch(0), upstream: !upstream.nil?)
end
