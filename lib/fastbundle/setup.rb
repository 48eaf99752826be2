# frozen_string_literal: true

# `require "fastbundle/setup"`: Bundler's `require "bundler/setup"`, without
# Bundler. Outside a bundle (no Gemfile found) it does nothing, like
# Bundler. A problem is reported as a message and Bundler's exit status; set
# FASTBUNDLE_DEBUG=1 for the backtrace.
require_relative "../fastbundle"

if FastBundle.find_gemfile
  begin
    FastBundle.setup
  rescue FastBundle::Error => e
    $stderr.puts e.message
    $stderr.puts e.backtrace if ENV["FASTBUNDLE_DEBUG"] && ENV["FASTBUNDLE_DEBUG"] != "0"
    exit e.status_code
  end
end
