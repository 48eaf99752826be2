# -*- encoding: utf-8 -*-
# stub: gnu 1.0.0 x86_64-linux lib

Gem::Specification.new do |s|
  s.name = "gnu".freeze
  s.version = "1.0.0"
  s.platform = "x86_64-linux-gnu".freeze

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.require_paths = ["lib".freeze]
  s.authors = ["fastbundle".freeze]
  s.date = "2026-11-21"
  s.licenses = ["MIT".freeze]
  s.rubygems_version = "3.3.15".freeze
  s.summary = "fixture".freeze

  s.installed_by_version = "3.3.15" if s.respond_to? :installed_by_version
end
