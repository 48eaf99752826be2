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

  # An app whose Gemfile (foo, and baz in group :extra) has two real
  # lockfiles, foo 1.0 and foo 2.0 (which needs bar), both installed from a
  # gem server: [world, path of lockfile A, path of lockfile B].
  def two_lockfile_world
    repo = World.tmpdir("two-lockfile-gems")
    gems = File.join(repo, "gems")
    GemFactory.build(gems, name: "foo", version: "1.0.0")
    GemFactory.build(gems, name: "bar", version: "1.0.0")
    GemFactory.build(gems, name: "foo", version: "2.0.0", deps: { "bar" => [">= 1.0"] })
    GemFactory.build(gems, name: "baz", version: "1.0.0")
    server = GemServer.start(repo)
    w = World.new
    extra = %(group :extra do\n  gem "baz"\nend\n)
    w.gemfile(%(source "#{server.url}"\ngem "foo", "1.0.0"\n#{extra}))
    w.bundle("install")
    w.gemfile(%(source "#{server.url}"\ngem "foo"\n#{extra}))
    w.bundle("lock", "--local")
    lock_a = w.file("lock-a", w.lockfile)
    w.bundle("lock", "--update", "foo")
    w.bundle("install")
    [w, lock_a, w.file("lock-b", w.lockfile)]
  end
end
