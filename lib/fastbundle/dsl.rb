# frozen_string_literal: true

# The Gemfile recorder: `require "fastbundle/dsl"`, then
# FastBundle::Dsl.evaluate(path) -> FastBundle::Definition. Needs neither the
# native extension nor Bundler. The code is in dsl/core.rb (and dsl/cold.rb);
# this file only loads it through the compiled-instruction cache
# (iseq_cache.rb), because compiling the recorder's Ruby source is most of
# its cost on every boot.

require_relative "iseq_cache"

FastBundle::ISeqCache.require_files(File.join(__dir__, "dsl", "core.rb"))
