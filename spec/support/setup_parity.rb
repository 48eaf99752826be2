# frozen_string_literal: true

require "json"

# Runs spec/scripts/setup_dump.rb twice in the same world with the same
# environment — once after Bundler's setup, once after fastbundle's — and
# compares what each process sees. Include it in a parity example group.
module SetupParity
  DUMP = File.join(ROOT_DIR, "spec/scripts/setup_dump.rb")

  # The ENV entries that legitimately differ: each tool puts its own lib dir
  # in RUBYLIB (fastbundle's child already has it there). RUBYOPT differs
  # only in which setup file it requires.
  OWN_ENV = %w[RUBYLIB BUNDLER_ORIG_RUBYLIB].freeze
  SETUP_REQUIRE = %r{-r\S*/(?:bundler|fastbundle)/setup(?:\.rb)?(?=\s|\z)}.freeze
  SETUP_PATH = %r{\A/\S*/(?:bundler|fastbundle)/setup\z}.freeze

  # [bundler_dump, fastbundle_dump]. With `require_setup` the dump runs after
  # `-rbundler/setup` / `-rfastbundle/setup`; without, the dump script itself
  # calls setup (SETUP_GROUPS) or only asks for paths (SETUP_PATHS_ONLY).
  # `chdir` is relative to the world's app dir.
  def dump_both(world, env: {}, require_setup: true, chdir: nil)
    [["bundler", {}], ["fastbundle", { "RUBYLIB" => LIB_DIR }]].map do |tool, tool_env|
      args = require_setup ? ["-r#{tool}/setup", DUMP] : [DUMP]
      out, err, status = world.ruby(args, env: env.merge(tool_env).merge("SETUP_WITH" => tool),
                                           allow_failure: true, chdir: chdir)
      raise "#{tool} setup failed (#{status.exitstatus}): #{err}" unless status.success?

      JSON.parse(out)
    end
  end

  # Bundler's own lib dir and ours are the one expected difference.
  def normalize(dump)
    dump = dump.dup
    dump.delete("bundler_files_loaded")
    dump["load_path"] = dump["load_path"].reject { |p| p.include?("/bundler-") || p == LIB_DIR }
    dump["loaded_specs"] = dump["loaded_specs"].reject { |n, _| n == "bundler" }
    dump["loaded_full_names"] = dump["loaded_full_names"].grep_v(/\Abundler-\d/) if dump["loaded_full_names"]
    dump["loaded_spec_dirs"] = dump["loaded_spec_dirs"].reject { |n, _| n == "bundler" } if dump["loaded_spec_dirs"]
    dump["specification_all"] = dump["specification_all"] - ["bundler"]
    env = dump.fetch("env").reject { |k, _| OWN_ENV.include?(k) }
    env["RUBYOPT"] = env["RUBYOPT"].gsub(SETUP_REQUIRE, "-r<setup>") if env["RUBYOPT"]
    # Bundler 2.5+: each names its own setup file.
    env["BUNDLER_SETUP"] = env["BUNDLER_SETUP"].sub(SETUP_PATH, "<setup>") if env["BUNDLER_SETUP"]
    dump["env"] = env
    dump
  end

  # Compares two dumps key by key; a failure shows both sides of each key
  # that differs, in full.
  def expect_same_state(theirs, ours)
    expect(theirs["bundler_files_loaded"]).to be > 0
    expect(ours["bundler_files_loaded"]).to eq(0) # fastbundle never loads Bundler
    theirs = normalize(theirs)
    ours = normalize(ours)
    aggregate_failures do
      (theirs.keys | ours.keys).each do |key|
        expect(ours[key]).to eq(theirs[key]), -> { state_diff(key, theirs[key], ours[key]) }
      end
    end
  end

  def state_diff(key, theirs, ours)
    message = "#{key} differs\n"
    if theirs.is_a?(Array) && ours.is_a?(Array) || theirs.is_a?(Hash) && ours.is_a?(Hash)
      message += "only Bundler's: #{(theirs.to_a - ours.to_a).inspect}\nonly ours: #{(ours.to_a - theirs.to_a).inspect}\n"
    end
    "#{message}--- Bundler\n#{JSON.pretty_generate(theirs)}\n--- fastbundle\n#{JSON.pretty_generate(ours)}"
  end
end
