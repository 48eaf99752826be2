# frozen_string_literal: true

# Polls a set of files; #changed returns those whose mtime moved since the
# last call.
class FileWatch
  VERSION = "0.2.0"

  def initialize(paths)
    @paths = paths
    @mtimes = snapshot
  end

  def changed
    now = snapshot
    moved = now.keys.select { |p| now[p] != @mtimes[p] }
    @mtimes = now
    moved
  end

  private

  def snapshot
    @paths.to_h { |p| [p, File.exist?(p) ? File.mtime(p) : nil] }
  end
end
