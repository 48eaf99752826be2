# frozen_string_literal: true

# `require "fastbundle"`: FastBundle.setup, FastBundle.require and the native
# core. This file and the three it requires are compiled from source on
# every boot; what a boot runs (fastbundle/boot.rb) comes from the
# compiled-instruction cache: compiling it cost 2.3 M instructions a boot,
# loading it 0.6 M. The rest of FastBundle's API (definition, root,
# bundle_path ...) is in fastbundle/api.rb and the error classes in
# fastbundle/errors.rb, each loaded on first use.
require_relative "fastbundle/version"
require_relative "fastbundle/native"
require_relative "fastbundle/iseq_cache"

FastBundle::ISeqCache.require_files(File.join(__dir__, "fastbundle", "boot.rb"))
