# frozen_string_literal: true

# Object.autoload(:Bundler, this file), registered by a setup: the Bundler
# constant, fastbundle's facade of it (bundler_facade.rb), made when code
# first names `Bundler` — or when real Bundler's own lib/bundler.rb opens
# `module Bundler` — so that a boot that never asks pays nothing for it.
FastBundle::ISeqCache.require_files(File.join(__dir__, "bundler_facade.rb"))
FastBundle::BundlerFacade.install
