# frozen_string_literal: true

require "spec_helper"
require_relative "support/fastbundle_dsl_dump" # FastBundleDslParity (loads no Bundler)

# For every focused and real-world Gemfile: evaluate it with real Bundler
# (spec/support/bundler_dsl_dump.rb) and with FastBundle::Dsl
# (spec/support/fastbundle_dsl_dump.rb), each in a hermetic subprocess run
# from the fixture's directory, and require the same answer: the same
# dependencies (name, requirements, type, groups, platforms, autorequire,
# source and its options, env, should_include?), optional groups, ruby
# version, sources, gemspecs, evaluated files and warnings; or, for bad
# input, an error from both with the same status code, pointing at the same
# file and line, with the same message (wording differences we chose are
# listed in FastBundleDslParity.normalize_message; a fixture's
# MESSAGE_DIFFERS file explains any other).
#
# fastbundle evaluates each Gemfile twice, in two processes sharing a cache
# directory (FastBundle::GemfileCache): the second run takes the compiled
# Gemfile from the cache or, for a recording (most focused fixtures, the
# Rails apps, Discourse's ENV conditions), the Definition the first run
# recorded, and must give the same answer.
#
# Gemfile(5) features newer than the installed Bundler 2.3.15 (a fixture's
# UPSTREAM file, or detected in real Gemfiles) are compared with Bundler
# 2.3.15 plus a transcription of upstream's code for them
# (BundlerDslDump.backport_upstream!), and we check that plain 2.3.15 indeed
# cannot give that answer.
DSL_FIXTURE_ROOT = File.join(ROOT_DIR, "spec", "fixtures", "gemfiles")
DSL_PARITY_DIRS = %w[focused real].flat_map do |kind|
  Dir.glob(File.join(DSL_FIXTURE_ROOT, kind, "*")).select { |d| File.directory?(d) }.sort.map { |d| [kind, d] }
end

# Gemfiles whose second evaluation must come from the Definition the first
# one recorded (GemfileCache): plain recordings, and Discourse's, which
# reads ENV entries by name.
DSL_RECORDED = %w[real/0-1123__rails-task-manager real/basecamp__fizzy real/basecamp__once-campfire
                  real/mastodon__mastodon real/discourse__discourse focused/basic_versions focused/git_source_custom
                  focused/duplicate_identical focused/env_symbol_hash focused/ruby_version focused/source_block].freeze

RSpec.describe "FastBundle::Dsl parity with Bundler #{Gem::Specification.find_by_name("bundler").version rescue "?"}" do
  it "has fixtures to compare" do
    expect(DSL_PARITY_DIRS.count { |kind, _| kind == "focused" }).to be >= 25
  end

  DSL_PARITY_DIRS.each do |kind, dir|
    gemfile = FastBundleDslParity.gemfile_in(dir)
    next unless gemfile

    it "#{kind}/#{File.basename(dir)}" do
      bundler, = FastBundleDslParity.run_dumper(:bundler, gemfile)
      ours, ours_err, ours_warm, from_record = FastBundleDslParity.run_dumper(:fastbundle, gemfile)
      expect(ours_warm).to eq(ours), "a second evaluation, from the cache, differs"
      if DSL_RECORDED.include?("#{kind}/#{File.basename(dir)}")
        expect(from_record).to be(true), "expected the second evaluation to come from the recorded Definition"
      end

      if (reason = FastBundleDslParity.upstream_reason(dir, bundler))
        # Plain 2.3.15 cannot give upstream's answer...
        expect(ours).not_to eq(bundler), "expected plain Bundler 2.3.15 to differ (#{reason})"
        # ...so compare with 2.3.15 + upstream's implementation of the feature.
        bundler, = FastBundleDslParity.run_dumper(:bundler, gemfile, upstream: true)
      end

      if bundler.key?("exit")
        expect(ours).to eq(bundler) # the Gemfile's `exit`, let through
      elsif bundler["unwrapped"]
        # Bundler 2.5+ let a Ruby error through unwrapped; fastbundle still
        # reports it with the Gemfile's line, and the same message.
        expect(ours["ok"]).to be(false), "Bundler fails on #{gemfile} (#{bundler["class"]}) but fastbundle does not"
        expect(ours["gemfile_error"]).to be(true)
        expect(FastBundleDslParity.location(ours["message"])).to eq(bundler["location"])
        expect(FastBundleDslParity.normalize_message(ours["message"]))
          .to include(FastBundleDslParity.normalize_message(bundler["message"].lines.first.chomp))
      elsif bundler["ok"]
        expect(ours["ok"]).to be(true), "Bundler evaluates #{gemfile} but fastbundle fails:\n#{ours["message"]}#{ours_err}"
        expect(ours).to eq(bundler)
      else
        expect(ours["ok"]).to be(false), "Bundler fails on #{gemfile} but fastbundle does not:\n#{bundler["message"]}"
        # Bundler 2.5+ lets a gemspec's error through as it is (not a Gemfile error).
        expect(ours["gemfile_error"]).to be(bundler["class"] != "Bundler::GemspecError")
        expect(ours["class"].split("::").last).to eq("GemspecError") if bundler["class"] == "Bundler::GemspecError"
        expect(ours["status"]).to eq(bundler["status"])
        expect(FastBundleDslParity.location(ours["message"])).to eq(FastBundleDslParity.location(bundler["message"]))
        expect(ours["message"]).to include("fastbundle cannot continue")
        unless File.exist?(File.join(dir, "MESSAGE_DIFFERS"))
          expect(FastBundleDslParity.normalize_message(ours["message"]))
            .to eq(FastBundleDslParity.normalize_message(bundler["message"]))
        end
      end
    end
  end
end
