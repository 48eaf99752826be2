# frozen_string_literal: true

require_relative "fastbundle/version"
require_relative "fastbundle/errors"

# The native core: a precompiled gem ships one .so per Ruby minor version
# under lib/fastbundle/<X.Y>/; a source install (or `rake compile`) builds
# lib/fastbundle/fastbundle.so.
begin
  ruby_minor = RUBY_VERSION[/\A\d+\.\d+/]
  require_relative "fastbundle/#{ruby_minor}/fastbundle"
rescue LoadError
  require "fastbundle/fastbundle"
end

module FastBundle
  class Lockfile
    # Parses lockfile text. `path` is only used in messages.
    def self.parse(text, path = nil)
      __parse(text, path&.to_s)
    end

    # Reads and parses a lockfile; a missing or unreadable file is a
    # LockfileError naming it, like Bundler's.
    def self.read(path)
      path = path.to_s
      text = begin
        File.binread(path)
      rescue SystemCallError => e
        raise LockfileError, "Could not read the lockfile #{path}: #{e.message.sub(/ @ \w+/, "")}"
      end
      __parse(text, path)
    end
  end
end
