# frozen_string_literal: true

Gem::Specification.new do |s|
  s.name = "text_diff"
  s.version = "1.0.0"
  s.summary = "Line diffs of two strings"
  s.authors = ["fastbundle example"]
  s.license = "MIT"
  s.required_ruby_version = ">= 2.7"
  s.files = Dir["lib/**/*.rb"]
end
