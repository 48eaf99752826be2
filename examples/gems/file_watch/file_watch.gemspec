# frozen_string_literal: true

Gem::Specification.new do |s|
  s.name = "file_watch"
  s.version = "0.2.0"
  s.summary = "Poll files for changes (for reloading in development)"
  s.authors = ["fastbundle example"]
  s.license = "MIT"
  s.required_ruby_version = ">= 2.7"
  s.files = Dir["lib/**/*.rb"]
end
