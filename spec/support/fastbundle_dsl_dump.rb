# frozen_string_literal: true

# Evaluates a Gemfile with FastBundle::Dsl and prints what it recorded as
# JSON, in the shape bundler_dsl_dump.rb prints for real Bundler:
#
#   ruby -Ilib spec/support/fastbundle_dsl_dump.rb path/to/Gemfile
#
# When required by spec_helper it only defines FastBundleDslParity, the
# helpers the parity spec uses to run both dumpers hermetically.

require "json"
require "open3"
require "rbconfig"
require "tmpdir"

module FastBundleDslDump
  module_function

  def run(gemfile)
    # As under setup: the native extension loaded (GemfileCache keys the
    # records of Gemfiles that read ENV on digests computed by it).
    require "fastbundle"
    require "fastbundle/dsl"

    result =
      begin
        definition = FastBundle::Dsl.evaluate(gemfile, warn: false)
        dump(definition)
      rescue FastBundle::Error => e
        { "ok" => false, "class" => e.class.name, "status" => e.status_code, "message" => e.message.to_s,
          "gemfile_error" => e.is_a?(FastBundle::GemfileError) }
      rescue SystemExit => e
        { "ok" => false, "exit" => e.status }
      end
    # Not part of the answer: whether it came from a recorded Definition
    # (the recorder, dsl/core.rb, was never loaded).
    result["from_record"] = $LOADED_FEATURES.none? { |f| f.end_with?("/fastbundle/dsl/core.rb") }
    puts JSON.pretty_generate(result)
  end

  def plain(value)
    case value
    when nil, true, false, Integer, String then value
    when Symbol then value.to_s
    when Array then value.map { |v| plain(v) }
    when Hash then value.to_h { |k, v| [k.to_s, plain(v)] }
    else value.to_s
    end
  end

  def source_hash(source)
    return nil unless source

    return { "type" => "gem", "remotes" => source.remotes.dup } if source.gem?

    plain(source.to_h)
  end

  def dump(definition)
    deps = definition.dependencies.map do |dep|
      h = dep.to_h
      {
        "name" => h["name"],
        "requirements" => h["requirements"],
        "type" => h["type"].to_s,
        "groups" => h["groups"].map(&:to_s),
        "platforms" => h["platforms"].map(&:to_s),
        "autorequire" => h["autorequire"],
        "source" => source_hash(dep.source),
        "env" => plain(h["env"]),
        "should_include" => dep.should_include?,
        "force_ruby_platform" => h["force_ruby_platform"],
        "gemfile" => h["gemfile"],
      }
    end
    rv = definition.ruby_version
    others = definition.sources.reject { |s| s.gem? && s.global? }
    {
      "ok" => true,
      "dependencies" => deps,
      "optional_groups" => definition.optional_groups.map(&:to_s),
      "ruby_version" => rv && {
        "versions" => rv.versions, "engine" => rv.engine,
        "engine_versions" => rv.engine_versions.map(&:to_s),
        "patchlevel" => rv.patchlevel&.to_s, "string" => rv.to_s
      },
      "global_remotes" => definition.global_source.remotes.dup,
      "sources" => others.map { |s| source_hash(s) }.uniq.sort_by(&:to_json),
      "gemspecs" => definition.gemspecs.map { |s| "#{s.name}-#{s.version}" },
      "gemfiles" => definition.gemfiles.dup,
      "warnings" => definition.warnings.dup,
    }
  end
end

# Runs both dumpers in hermetic subprocesses and compares them.
module FastBundleDslParity
  SUPPORT_DIR = __dir__
  ROOT = File.expand_path("../..", __dir__)

  module_function

  # Environment for a dumper: no BUNDLE_*/GEM_*/RUBYOPT from outside, HOME
  # in a temporary directory, plus the fixture's own ENV file (KEY=VALUE).
  def env_for(gemfile, home, extra = {})
    env = ENV.keys.select { |k| k.start_with?("BUNDLE_", "GEM_") || %w[RUBYOPT RUBYLIB].include?(k) }.to_h { |k| [k, nil] }
    env["HOME"] = home
    env["BUNDLE_GEMFILE"] = gemfile
    env.merge(extra)
  end

  def fixture_env(dir)
    file = File.join(dir, "ENV")
    return {} unless File.exist?(file)

    File.readlines(file, chomp: true).reject { |l| l.strip.empty? || l.start_with?("#") }.to_h { |l| l.split("=", 2) }
  end

  def gemfile_in(dir)
    %w[gems.rb Gemfile].map { |n| File.join(dir, n) }.find { |f| File.file?(f) }
  end

  # [JSON output, stderr]; for fastbundle a third element, the output of a
  # second run with the same HOME, which finds the compiled Gemfile or the
  # recorded Definition in the cache the first run wrote (see
  # FastBundle::GemfileCache), and a fourth: whether it was the latter.
  def run_dumper(kind, gemfile, upstream: false)
    dir = File.dirname(gemfile)
    script = File.join(SUPPORT_DIR, kind == :bundler ? "bundler_dsl_dump.rb" : "fastbundle_dsl_dump.rb")
    args = [RbConfig.ruby]
    args << "-I#{File.join(ROOT, "lib")}" if kind == :fastbundle
    args.push(script, gemfile)
    args << "--upstream" if upstream
    Dir.mktmpdir("fb-dsl-home") do |home|
      runs = (kind == :fastbundle ? 2 : 1).times.map do
        out, err, status = Open3.capture3(env_for(gemfile, home, fixture_env(dir)), *args, chdir: dir)
        raise "#{kind} dumper crashed (#{status.exitstatus}) for #{gemfile}:\n#{err}\n#{out}" unless status.success?

        answer = JSON.parse(out)
        [answer, err, answer.delete("from_record")]
      end
      [runs[0][0], runs[0][1], runs[1]&.first, runs[1] && runs[1][2]]
    end
  end

  # Errors plain Bundler 2.3.15 gives for Gemfile(5) features it predates.
  UPSTREAM_ONLY_ERRORS = [
    /`(windows(_\d+)?|(ruby|mri|windows|mswin|mswin64|mingw|x64_mingw)_3[2-5])` is not a valid platform/,
    /You passed :force_ruby_platform as an option/,
  ].freeze

  # Does this fixture need upstream features (see BundlerDslDump.backport_upstream!)?
  # Focused fixtures say so with an UPSTREAM file; real ones are detected.
  def upstream_reason(dir, pristine)
    # Bundler 2.5+ has these features itself: compare with it as it is.
    return nil if Gem::Version.new(World.bundler_version) >= Gem::Version.new("2.5")

    marker = File.join(dir, "UPSTREAM")
    return File.read(marker).strip if File.exist?(marker)
    return "plain Bundler 2.3.15: #{pristine["message"][/\A\s*\[!\] (.{0,120})/m, 1]}" if !pristine["ok"] && UPSTREAM_ONLY_ERRORS.any? { |re| re.match?(pristine["message"]) }

    uses_ruby_file = Dir.glob(File.join(dir, "**/{Gemfile,gems.rb,*.rb}")).any? do |f|
      File.file?(f) && File.read(f, encoding: "UTF-8").match?(/^\s*ruby\b[ (]*file:/)
    end
    "ruby file: (not in Bundler 2.3.15)" if uses_ruby_file
  end

  # "path:line" of the " #  from path:line" line of a DSL error message.
  def location(message)
    message[/^ #  from (.+)$/, 1]
  end

  # Known, deliberate wording differences (see the report / ARCHITECTURE.md):
  # our messages say fastbundle, name our class, list the upstream options and
  # platforms, and the URI library is Ruby's rather than Bundler's vendored copy.
  def normalize_message(message)
    message = message.gsub("Bundler cannot continue", "fastbundle cannot continue")
                     .gsub("Bundler::Dsl", "FastBundle::Dsl")
                     .gsub("Bundler::URI", "URI")
                     .gsub("Gem::URI", "URI").gsub("bad URI (is not URI?)", "bad URI(is not URI?)")
                     .gsub(", force_ruby_platform", "")
    message.sub(/(The available options are: )\[[^\]]*\]/, '\1[...]')
  end
end

FastBundleDslDump.run(ARGV.fetch(0)) if $PROGRAM_NAME == __FILE__
