# -*- encoding: utf-8 -*-
# stub: dashed-name 0.2.0 ruby lib

Gem::Specification.new do |s|
  s.name = "dashed-name".freeze
  s.version = "0.2.0"

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.require_paths = ["lib".freeze]
  s.authors = ["fastbundle".freeze]
  s.date = "2026-11-21"
  s.licenses = ["MIT".freeze]
  s.rubygems_version = "3.3.15".freeze
  s.summary = "fixture".freeze

  s.installed_by_version = "3.3.15" if s.respond_to? :installed_by_version
end
