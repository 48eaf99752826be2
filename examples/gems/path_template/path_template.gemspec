# frozen_string_literal: true

Gem::Specification.new do |s|
  s.name = "path_template"
  s.version = "0.4.0"
  s.summary = "Match URL paths against templates like /books/:id"
  s.authors = ["fastbundle example"]
  s.license = "MIT"
  s.required_ruby_version = ">= 2.7"
  s.files = Dir["lib/**/*.rb"]
end
