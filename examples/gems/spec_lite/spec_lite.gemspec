# frozen_string_literal: true

Gem::Specification.new do |s|
  s.name = "spec_lite"
  s.version = "0.5.0"
  s.summary = "Tiny assertions with readable failure diffs"
  s.authors = ["fastbundle example"]
  s.license = "MIT"
  s.required_ruby_version = ">= 2.7"
  s.files = Dir["lib/**/*.rb"]
  s.add_dependency "text_diff", "~> 1.0"
end
