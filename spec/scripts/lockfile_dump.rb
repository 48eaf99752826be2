# frozen_string_literal: true

# Usage: ruby lockfile_dump.rb bundler|fastbundle FILE...
# Prints JSON {file => dump} where dump describes every field both parsers
# report, in one shape, so a spec can compare them. Runs in a subprocess: the
# bundler mode loads real Bundler, which must not enter the spec process.
require "json"

mode, *files = ARGV

# Sources are compared by what identifies them.
def source_key(type, remotes, options)
  { "type" => type, "remotes" => remotes, "options" => options.sort.to_h }
end

def bundler_dump(text)
  lock = Bundler::LockfileParser.new(text)
  source_of = lambda do |s|
    case s
    when Bundler::Source::Git
      opts = s.options.reject { |k, _| k == "uri" }.transform_values { |v| v.is_a?(Array) ? v.map(&:to_s) : v.to_s }
      source_key("git", [s.uri], opts)
    when Bundler::Source::Path
      opts = s.options.reject { |k, _| k == "path" }.transform_values(&:to_s)
      source_key("path", [s.path.to_s], opts)
    when Bundler::Source::Rubygems
      source_key("gem", s.remotes.map(&:to_s), {})
    else
      source_key(s.class.name, [], {})
    end
  end
  {
    "bundler" => Bundler::VERSION,
    "specs" => lock.specs.map do |s|
      {
        "name" => s.name, "version" => s.version.to_s, "platform" => s.platform.to_s, "full_name" => s.full_name,
        "dependencies" => s.dependencies.map { |d| [d.name, d.requirement.as_list] },
        "source" => source_of.call(s.source)
      }
    end,
    "sources" => lock.sources.map(&source_of),
    "platforms" => lock.platforms.map(&:to_s),
    "dependencies" => lock.dependencies.transform_values do |d|
      { "requirements" => d.requirement.as_list, "pinned" => !d.source.nil? }
    end,
    "ruby_version" => lock.ruby_version,
    "bundled_with" => lock.bundler_version&.to_s
  }
end

def fastbundle_dump(text, path)
  lock = FastBundle::Lockfile.parse(text, path)
  source_of = lambda do |s|
    case s.type
    when :gem
      # Bundler keeps GEM remotes in priority order (last written first) and
      # normalises each to end in "/".
      source_key("gem", s.remotes.reverse.map { |r| r.end_with?("/") ? r : "#{r}/" }, {})
    else
      opts = s.options.transform_values { |v| v.is_a?(Array) ? v : v }
      source_key(s.type.to_s, s.remotes, opts)
    end
  end
  names = lock.specs.map(&:name)
  # We report platforms as written; Bundler reports Gem::Platform objects,
  # which this RubyGems normalises (3.3 reads `aarch64-linux-gnu` as
  # `aarch64-linux`). Compare what the two denote.
  platform = ->(p) { Gem::Platform.new(p).to_s }
  {
    "specs" => lock.specs.map do |s|
      plat = platform.call(s.platform)
      {
        "name" => s.name, "version" => s.version, "platform" => plat,
        "full_name" => plat == "ruby" ? "#{s.name}-#{s.version}" : "#{s.name}-#{s.version}-#{plat}",
        "dependencies" => s.dependencies.map { |n, reqs| [n, reqs.empty? ? [">= 0"] : reqs] },
        "source" => source_of.call(s.source)
      }
    end,
    "sources" => lock.sources.map(&source_of),
    "platforms" => lock.platforms.map(&platform),
    # Bundler records a pin as the spec's source: only for a name with a spec.
    "dependencies" => lock.dependencies.transform_values do |d|
      { "requirements" => d.requirements.empty? ? [">= 0"] : d.requirements,
        "pinned" => d.pinned? && d.name != "bundler" && names.include?(d.name) }
    end,
    "checksums" => lock.checksums,
    "ruby_version" => lock.ruby_version,
    "bundled_with" => lock.bundled_with
  }
end

if mode == "bundler"
  # Path sources resolve against Bundler.root, which needs some Gemfile.
  require "tmpdir"
  root = Dir.mktmpdir("lockfile-dump")
  File.write(File.join(root, "Gemfile"), "")
  ENV["BUNDLE_GEMFILE"] = File.join(root, "Gemfile")
  at_exit { FileUtils.rm_rf(root) }
  require "bundler"
else
  $LOAD_PATH.unshift(File.expand_path("../../lib", __dir__))
  require "fastbundle"
end

out = files.to_h do |file|
  text = File.binread(file)
  text.force_encoding(Encoding::UTF_8)
  dump = begin
    mode == "bundler" ? bundler_dump(text) : fastbundle_dump(text, file)
  rescue StandardError, ScriptError => e
    { "error" => e.class.name, "message" => e.message }
  end
  [file, dump]
end
puts JSON.generate(out)
