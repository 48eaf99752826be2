# frozen_string_literal: true

# Run after a setup (Bundler's or fastbundle's) in a world of
# spec/hostile_inputs_spec.rb: prints JSON of what the process got.
require "json"

puts JSON.generate(
  "load_path" => $LOAD_PATH.map(&:to_s),
  "loaded_specs" => Gem.loaded_specs.to_h { |name, s| [name, s.version.to_s] },
  # Set by code planted outside every gem dir, if anything ran it.
  "hostile_ran" => defined?($HOSTILE_RAN) && $HOSTILE_RAN ? true : false
)
