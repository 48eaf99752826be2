# frozen_string_literal: true

# Specs run against the working tree: lib/ first on the load path, the compiled
# extension (lib/fastbundle/<X.Y>/fastbundle.so) put there by `rake compile`.
LIB_DIR = File.expand_path("../lib", __dir__)
$LOAD_PATH.unshift(LIB_DIR) unless $LOAD_PATH.include?(LIB_DIR)
ROOT_DIR = File.expand_path("..", __dir__)

Dir[File.join(__dir__, "support", "*.rb")].sort.each { |f| require f }

RSpec.configure do |config|
  config.expect_with(:rspec) { |c| c.syntax = :expect }
  config.disable_monkey_patching!
  config.order = :defined
end
