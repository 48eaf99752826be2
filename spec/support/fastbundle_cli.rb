# frozen_string_literal: true

# Runs this checkout's `fastbundle` command (exe/fastbundle, which loads
# lib/ by require_relative) in a World, as a user runs it there.
module FastBundleCLI
  EXE = File.join(ROOT_DIR, "exe", "fastbundle")
  BACKTRACE = /:\d+:in [`']/.freeze

  # [stdout, stderr, status] of `fastbundle ARGS` in WORLD.
  def fastbundle(world, *args, env: {}, chdir: nil)
    FastBundleCLI.run_command(world, *args, env: env, chdir: chdir)
  end

  def self.run_command(world, *args, env: {}, chdir: nil)
    world.run(World::RUBY_BIN, EXE, *args, env: env, allow_failure: true, chdir: chdir)
  end

  # [stdout, stderr, status] of `bundle ARGS` in WORLD.
  def bundle(world, *args, env: {}, chdir: nil)
    world.run(World::BUNDLE_BIN, *args, env: env, allow_failure: true, chdir: chdir)
  end
end
