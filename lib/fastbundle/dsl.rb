# frozen_string_literal: true

# The Gemfile recorder: `require "fastbundle/dsl"`, then
# FastBundle::Dsl.evaluate(path) -> FastBundle::Definition. Needs neither the
# native extension nor Bundler.
#
# Every boot loads this, so it is compiled from source every time and holds
# nothing else: Dsl.evaluate is in dsl/evaluate.rb, loaded (like the rest of
# the recorder) through the compiled-instruction cache (iseq_cache.rb),
# because compiling Ruby source is most of the cost of loading it.

require_relative "iseq_cache"

FastBundle::ISeqCache.require_files(File.join(__dir__, "dsl", "evaluate.rb"))
