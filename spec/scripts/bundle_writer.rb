# frozen_string_literal: true

# ruby bundle_writer.rb LOCK_A STOP  (in an app dir, with the app's ENV)
#
# Changes what the app's boots must answer, with real `bundle` commands, in
# a cycle, until the file STOP exists: `bundle lock --update foo` (foo 1.0
# -> 2.0, which needs bar), `bundle config set --local without extra`, the
# lockfile of foo 1.0 put back (renamed over Gemfile.lock, as a deploy or
# `git checkout` does: Bundler cannot downgrade a gem it may update), then
# `bundle config unset --local without`. Prints "step N WHAT" after each
# change (the spec launches its boots on these lines) and "steps N" at the end.
lock_a, stop = ARGV
$stdout.sync = true
steps = [
  ["lock --update foo", %w[bundle lock --update foo]],
  ["config set without extra", %w[bundle config set --local without extra]],
  ["lockfile A renamed in", nil],
  ["config unset without", %w[bundle config unset --local without]]
]
n = 0
until File.exist?(stop)
  what, cmd = steps[n % steps.size]
  if cmd
    system(*cmd, out: File::NULL, err: File::NULL) or abort "bundle_writer: #{cmd.join(" ")} failed"
  else
    File.binwrite("Gemfile.lock.writer-tmp", File.binread(lock_a))
    File.rename("Gemfile.lock.writer-tmp", "Gemfile.lock")
  end
  n += 1
  puts "step #{n} #{what}"
end
puts "steps #{n}"
