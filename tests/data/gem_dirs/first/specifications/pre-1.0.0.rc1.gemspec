# -*- encoding: utf-8 -*-
# stub: pre 1.0.0.rc1 ruby lib

Gem::Specification.new do |s|
  s.name = "pre".freeze
  s.version = "1.0.0.rc1"

  s.required_rubygems_version = Gem::Requirement.new("> 1.3.1".freeze) if s.respond_to? :required_rubygems_version=
  s.require_paths = ["lib".freeze]
  s.authors = ["fastbundle".freeze]
  s.date = "2026-11-21"
  s.licenses = ["MIT".freeze]
  s.rubygems_version = "3.3.15".freeze
  s.summary = "fixture".freeze

  s.installed_by_version = "3.3.15" if s.respond_to? :installed_by_version
end
