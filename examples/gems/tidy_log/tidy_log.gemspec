# frozen_string_literal: true

Gem::Specification.new do |s|
  s.name = "tidy_log"
  s.version = "2.0.1"
  s.summary = "One-line structured log messages"
  s.authors = ["fastbundle example"]
  s.license = "MIT"
  s.required_ruby_version = ">= 2.7"
  s.files = Dir["lib/**/*.rb"]
end
