# frozen_string_literal: true

# The native core (FastBundle::Native, FastBundle::Lockfile): a precompiled
# gem ships one .so per Ruby minor version under lib/fastbundle/<X.Y>/; a
# source install (or `rake compile`) builds lib/fastbundle/fastbundle.so.
unless defined?(FastBundle::Native)
  begin
    require_relative "#{RUBY_VERSION[/\A\d+\.\d+/]}/fastbundle"
  rescue LoadError
    require "fastbundle/fastbundle"
  end
end
