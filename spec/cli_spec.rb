# frozen_string_literal: true

require "spec_helper"
require "fastbundle/version"

# The fastbundle command's own conventions: help, version, usage errors
# (Bundler's status 15), and output that is plain text in a pipe.
RSpec.describe "the fastbundle command" do
  include FastBundleCLI

  let(:world) { World.new }

  def run_cli(*args)
    out, err, status = fastbundle(world, *args)
    [out, err, status.exitstatus]
  end

  it "prints its usage for --help, -h, help and no arguments, on stdout, exit 0" do
    usage = run_cli("--help")
    expect(usage[0]).to start_with("Usage: fastbundle COMMAND [options]\n")
    expect(usage[0]).to include("  exec ", "  check ", "  explain ", "  bench ")
    expect([usage[1], usage[2]]).to eq(["", 0])
    [[], ["-h"], ["help"]].each { |args| expect(run_cli(*args)).to eq(usage) }
    expect(usage[0]).not_to include("\e[") # no colours, terminal or pipe
  end

  it "prints each command's help for COMMAND --help and help COMMAND" do
    %w[exec check explain bench].each do |command|
      out, err, status = run_cli(command, "--help")
      expect([err, status]).to eq(["", 0])
      expect(out).to start_with("Usage: fastbundle #{command} ")
      expect(out).to include("--gemfile FILE")
      expect(run_cli("help", command)).to eq([out, err, status])
    end
  end

  it "prints its version" do
    expect(run_cli("--version")).to eq(["fastbundle #{FastBundle::VERSION}\n", "", 0])
    expect(run_cli("-v")).to eq(run_cli("--version"))
  end

  it "exits 15, as Bundler does, for an unknown command or option, saying where help is" do
    expect(run_cli("frobnicate")).to eq(["", "fastbundle: Unknown command \"frobnicate\". Commands: exec, check, explain, bench, binstubs.\n" \
                                             "Run `fastbundle --help`.\n", 15])
    expect(run_cli("check", "--frob")).to eq(["", "fastbundle: invalid option: --frob\nRun `fastbundle check --help`.\n", 15])
    expect(run_cli("exec", "--frob", "ruby")).to eq(["", "fastbundle: invalid option: --frob\nRun `fastbundle exec --help`.\n", 15])
    _, _, status = bundle(world, "frobnicate")
    expect(status.exitstatus).to eq(15)
  end
end
