# frozen_string_literal: true

module FastBundle
  # What `Bundler.settings` returns before real Bundler is loaded: the same
  # answers as Bundler::Settings#[] (local config > BUNDLE_* env > global
  # config > Bundler's defaults; keys as Symbols or Strings; booleans,
  # numbers and with/without lists converted as Bundler converts them).
  # The config files are found and read by the Rust core, as for setup.
  # Any other Settings method loads real Bundler and asks its settings.
  class Settings
    # Bundler 2.3's typed keys and defaults (lib/bundler/settings.rb).
    BOOL_KEYS = %w[
      allow_deployment_source_credential_changes allow_offline_install auto_clean_without_path auto_install
      cache_all cache_all_platforms clean default_install_uses_path deployment disable_checksum_validation
      disable_exec_load disable_local_branch_check disable_local_revision_check disable_shared_gems
      disable_version_check force_ruby_platform forget_cli_options frozen gem.changelog gem.coc gem.mit
      git.allow_insecure global_gem_cache ignore_messages init_gems_rb inline no_install no_prune
      path_relative_to_cwd path.system plugins prefer_patch print_only_version_number
      setup_makes_kernel_gem_public silence_deprecations silence_root_warning suppress_install_using_messages
      update_requires_all_flag use_gem_version_promoter_for_major_updates
    ].freeze
    NUMBER_KEYS = %w[jobs redirect retry ssl_verify_mode timeout].freeze
    ARRAY_KEYS = %w[with without].freeze
    DEFAULTS = {
      "BUNDLE_SILENCE_DEPRECATIONS" => false,
      "BUNDLE_DISABLE_VERSION_CHECK" => true,
      "BUNDLE_PREFER_PATCH" => false,
      "BUNDLE_REDIRECT" => 5,
      "BUNDLE_RETRY" => 3,
      "BUNDLE_TIMEOUT" => 10,
    }.freeze
    # `mirror.https://host/.fallback_timeout` style keys around a URI.
    URI_KEY = %r{\A(\w+\.)?(https?.*?)(\.fallback_timeout)?\z}i.freeze

    # `env`: the BUNDLE_* variables (as they were at setup).
    def initialize(root, env, user_home)
      files = Native.settings_files(root.to_s, env, user_home)
      @local = files["local"]
      @env = env.select { |k, _| k.length > 7 }
      @global = files["global"]
    end

    def [](name)
      key = key_for(name)
      value = nil
      [@local, @env, @global, DEFAULTS].each { |level| break if !(value = level[key]).nil? }
      converted_value(value, name)
    end

    # Every configured setting's name, Bundler-style ("path.system").
    def all
      (@global.keys | @local.keys | @env.keys).map do |key|
        key.sub(/^BUNDLE_/, "").gsub("___", "-").gsub("__", ".").downcase
      end.sort
    end

    # Names only: values may be credentials (`gems.example.com`, mirrors),
    # which Bundler's own Settings#inspect shows. #[] returns a value as it
    # is configured: the caller asked for it by name.
    def inspect
      "#<#{self.class} #{all.join(", ")}>"
    end

    def local_overrides
      all.each_with_object({}) { |k, repos| repos[k.delete_prefix("local.")] = self[k] if k.start_with?("local.") }
    end

    def app_cache_path
      @app_cache_path ||= self[:cache_path] || "vendor/cache"
    end

    def ignore_config?
      ENV["BUNDLE_IGNORE_CONFIG"]
    end

    # :path -> "BUNDLE_PATH", "path.system" -> "BUNDLE_PATH__SYSTEM"; a
    # source URI is normalised first ("https://host" -> "BUNDLE_HTTPS://HOST/").
    def key_for(name)
      name = normalize_uri(name) if name.is_a?(String) && name.start_with?("http", "mirror.http")
      "BUNDLE_#{name.to_s.gsub(".", "__").gsub("-", "___").upcase}"
    end

    # Bundler::Settings' other public methods (2.3); a static list, so that
    # respond_to? never loads Bundler.
    LAZY_METHODS = %i[
      allow_sudo? credentials_for gem_mirrors locations mirror_for path pretty_values_for processor_count
      set_command_option set_command_option_if_given set_global set_local temporary validate!
    ].freeze

    def respond_to_missing?(name, include_private = false)
      LAZY_METHODS.include?(name) || super
    end

    ruby2_keywords def method_missing(name, *args, &block)
      BundlerFacade.load_real_bundler("Bundler.settings.#{name}")
      real = real_settings
      return super unless real.respond_to?(name)

      real.public_send(name, *args, &block)
    end

    private

    def real_settings
      BundlerFacade.real_bundler? ? ::Bundler.settings : Object.new
    end

    def converted_value(value, name)
      if ARRAY_KEYS.include?(name.to_s)
        value ? value.tr(" ", ":").split(":").map(&:to_sym) : []
      elsif value.nil?
        nil
      elsif bool_key?(name) || value == "false"
        value.is_a?(String) ? !value.match?(/\A(false|f|no|n|0|)\z/i) : value != false
      elsif NUMBER_KEYS.include?(name.to_s)
        value.to_i
      else
        value.to_s
      end
    end

    def bool_key?(name)
      name = name.to_s
      BOOL_KEYS.include?(name) || BOOL_KEYS.include?(name.split(".").first)
    end

    def normalize_uri(name)
      prefix = suffix = nil
      uri = name
      if (m = URI_KEY.match(name))
        prefix, uri, suffix = m[1], m[2], m[3]
      end
      uri = "#{uri}/" unless uri.end_with?("/")
      Kernel.require "uri"
      parsed = URI(uri)
      raise ArgumentError, format("Gem sources must be absolute. You provided '%s'.", parsed) unless parsed.absolute?

      "#{prefix}#{parsed}#{suffix}"
    end
  end
end
