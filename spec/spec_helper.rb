# frozen_string_literal: true

# Specs run against the working tree: lib/ first on the load path, the compiled
# extension (lib/fastbundle/<X.Y>/fastbundle.so) put there by `rake compile`.
LIB_DIR = File.expand_path("../lib", __dir__)
$LOAD_PATH.unshift(LIB_DIR) unless $LOAD_PATH.include?(LIB_DIR)
ROOT_DIR = File.expand_path("..", __dir__)

# Support libraries; `*_dump.rb` files are scripts run in subprocesses (some
# load real Bundler, which must never enter the spec process itself).
Dir[File.join(__dir__, "support", "*.rb")].sort.each { |f| require f unless f.end_with?("_dump.rb") }

# FASTBUNDLE_GC_STRESS=1: every call into the native extension under
# GC.stress, here and in fastbundle's subprocesses (`rake test:gc_stress`).
require_relative "scripts/gc_stress" if ENV["FASTBUNDLE_GC_STRESS"] == "1"

RSpec.configure do |config|
  config.expect_with(:rspec) { |c| c.syntax = :expect }
  config.disable_monkey_patching!
  config.order = :defined
end
