# frozen_string_literal: true

require "json"

# One boot of spec/scripts/hostile_probe.rb under bundler/setup or
# fastbundle/setup, frozen for both (unfrozen Bundler re-resolves a torn
# lockfile and may write its own), for the specs that boot many processes
# while files change under them.
module ProbeBoot
  PROBE = File.join(ROOT_DIR, "spec/scripts/hostile_probe.rb")

  module_function

  # [[load path, loaded specs] without either tool's own lib dir, or
  # [:failed, status, stderr]; and the boot's stderr].
  def run(world, tool, env = {})
    args = [tool == :bundler ? "-rbundler/setup" : "-rfastbundle/setup", PROBE]
    env = env.merge("RUBYLIB" => tool == :fastbundle ? LIB_DIR : nil, "BUNDLE_FROZEN" => "true")
    out, err, status = world.ruby(*args, env: env, allow_failure: true, timeout: 120)
    return [[:failed, status.exitstatus, err], err] unless status.success?

    json = JSON.parse(out)
    [[json["load_path"].reject { |p| p == LIB_DIR || p.include?("/bundler-") },
      json["loaded_specs"].reject { |name, _| name == "bundler" }], err]
  end
end
