# frozen_string_literal: true

Gem::Specification.new do |s|
  s.name = "bookshelf_catalog"
  s.version = "0.1.0"
  s.summary = "The bookshelf's catalog of books"
  s.authors = ["fastbundle example"]
  s.license = "MIT"
  s.required_ruby_version = ">= 2.7"
  s.files = Dir["lib/**/*.rb"]
  s.add_dependency "tidy_log", "~> 2.0"
end
