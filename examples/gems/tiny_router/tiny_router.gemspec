# frozen_string_literal: true

Gem::Specification.new do |s|
  s.name = "tiny_router"
  s.version = "1.2.0"
  s.summary = "A very small request router"
  s.authors = ["fastbundle example"]
  s.license = "MIT"
  s.required_ruby_version = ">= 2.7"
  s.files = Dir["lib/**/*.rb"]
  s.add_dependency "path_template", "~> 0.4"
end
