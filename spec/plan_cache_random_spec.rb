# frozen_string_literal: true

require "spec_helper"

# Issue 11: rounds of random edits to one world — the Gemfile (groups,
# gems added and removed, an edit that keeps size and mtime), the lockfile
# through real `bundle lock` / `bundle install`, gems installed and
# uninstalled, .bundle/config and BUNDLE_* variables, an ENV entry the
# Gemfile reads, a file a path gem's gemspec reads — and after each, two
# fastbundle boots with the plan cache on (the first may store an entry, the
# second is then answered from it) checked against real Bundler.setup in
# the same state. Bundler runs frozen (BUNDLE_FROZEN=true for every boot),
# fastbundle's contract. Zero wrong answers.
#
#   PLAN_CACHE_SEED=n   replay a run (the seed is printed)
#   PLAN_CACHE_ROUNDS=n how many rounds (default 200)
# Constants of an RSpec block are top-level: these live in a module of their own.
module RandomEdits
  SEED = Integer(ENV.fetch("PLAN_CACHE_SEED", Random.new_seed % 1_000_000))
  ROUNDS = Integer(ENV.fetch("PLAN_CACHE_ROUNDS", 200))
end

RSpec.describe "The plan cache under random edits" do
  include SetupParity
  include PlanCacheHelpers


  # name => versions on the server (the newest locked unless held back).
  RandomEdits::GEMS = { "r-a" => %w[1.0.0 1.1.0 2.0.0], "r-b" => %w[1.0.0 1.2.0], "r-c" => %w[0.9.0],
           "r-d" => %w[1.0.0], "r-e" => %w[3.0.0 3.1.0], "r-f" => %w[1.0.0] }.freeze
  RandomEdits::DEPS = { "r-b" => { "r-a" => [">= 1.0"] }, "r-d" => { "r-c" => [] } }.freeze
  RandomEdits::GROUPS = %w[default test development tools].freeze

  def self.gem_repo
    @gem_repo ||= begin
      repo = World.tmpdir("random-gems")
      RandomEdits::GEMS.each do |name, versions|
        versions.each do |v|
          GemFactory.build(File.join(repo, "gems"), name: name, version: v, deps: RandomEdits::DEPS.fetch(name, {}))
        end
      end
      repo
    end
  end

  def self.server
    @server ||= GemServer.start(gem_repo)
  end

  RandomEdits::ENGINE_GEMSPEC = <<~'RUBY'
    Gem::Specification.new do |s|
      s.name = "r-engine"
      s.version = "1.0.0"
      s.summary = "a path gem whose require paths come from a file"
      s.authors = ["fastbundle specs"]
      s.files = Dir.glob("**/*", base: __dir__)
      s.require_paths = File.read(File.join(__dir__, "PATHS")).split
    end
  RUBY

  # The Gemfile a model describes. Every gem is a recording's DSL call, so
  # the plan can be cached; `group:` of r-f comes from ENV.
  def gemfile(model)
    lines = ["source #{self.class.server.url.dump}", 'gem "r-engine", path: "engines/r-engine"']
    model[:gems].sort.each do |name, (group, requirement)|
      args = [name.dump]
      args << requirement.dump if requirement
      args << "group: :#{group}" unless group == "default"
      lines << "gem #{args.join(", ")}"
    end
    lines << 'gem "r-f", group: ENV["R_F_GROUP"] ? ENV["R_F_GROUP"].to_sym : :tools' if model[:rf]
    lines << "group :tools, optional: true do\nend"
    lines.join("\n") + "\n"
  end

  # Edits, each [name, weight, lambda(world, model, rng) -> description].
  def edits
    [
      ["regroup", 4, lambda do |w, m, rng|
        name = m[:gems].keys.sample(random: rng)
        m[:gems][name][0] = RandomEdits::GROUPS.sample(random: rng)
        w.gemfile(gemfile(m))
        "#{name} into group #{m[:gems][name][0]}"
      end],
      ["same-size rename", 1, lambda do |w, _m, _rng|
        path = w.path("Gemfile")
        text = File.read(path)
        return "nothing to rename" unless text.include?("group: :test")

        stat = File.stat(path)
        File.write(path, text.sub("group: :test", "group: :tesx"))
        File.utime(stat.atime, stat.mtime, path)
        "a test group renamed in place (size and mtime kept)"
      end],
      ["add or remove a gem", 2, lambda do |w, m, rng|
        absent = RandomEdits::GEMS.keys - m[:gems].keys - ["r-f"]
        if absent.empty? || (m[:gems].size > 2 && rng.rand < 0.5)
          name = m[:gems].keys.sample(random: rng)
          m[:gems].delete(name)
        else
          name = absent.sample(random: rng)
          m[:gems][name] = [RandomEdits::GROUPS.sample(random: rng), nil]
        end
        w.gemfile(gemfile(m))
        w.bundle("install", env: bundle_env(m))
        "#{m[:gems].key?(name) ? "added" : "removed"} #{name}, bundle install"
      end],
      ["requirement", 2, lambda do |w, m, rng|
        name = (m[:gems].keys & %w[r-a r-e r-b]).sample(random: rng)
        return "no gem with versions to hold" unless name

        versions = RandomEdits::GEMS[name]
        m[:gems][name][1] = rng.rand < 0.5 ? "<= #{versions.first}" : nil
        w.gemfile(gemfile(m))
        # (install alone refuses a requirement the locked version breaks)
        w.bundle("lock", "--update", name, env: bundle_env(m))
        w.bundle("install", env: bundle_env(m))
        "#{name} requirement #{m[:gems][name][1].inspect}, bundle lock --update #{name}, bundle install"
      end],
      ["uninstall", 2, lambda do |w, _m, rng|
        installed = Dir[File.join(w.gem_home, "specifications", "r-*.gemspec")].map { |f| File.basename(f, ".gemspec") }
        return "nothing installed" if installed.empty?

        full = installed.sample(random: rng)
        name, version = full.match(/\A(.*)-([^-]+)\z/).captures
        w.gem("uninstall", name, "-v", version, "--ignore-dependencies", "--executables", "--force")
        "gem uninstall #{full}"
      end],
      ["reinstall", 2, lambda do |w, m, _rng|
        w.bundle("install", env: bundle_env(m))
        "bundle install"
      end],
      ["extra version", 1, lambda do |w, _m, rng|
        name = %w[r-a r-e r-b].sample(random: rng)
        version = RandomEdits::GEMS[name].sample(random: rng)
        w.gem("install", "--local", "--no-document", "--ignore-dependencies",
              File.join(self.class.gem_repo, "gems", "#{name}-#{version}.gem"))
        "gem install #{name}-#{version}"
      end],
      ["config without", 2, lambda do |w, m, rng|
        m[:without] = rng.rand < 0.4 ? nil : RandomEdits::GROUPS.drop(1).sample(rng.rand(1..2), random: rng).join(":")
        w.config("without", m[:without])
        "config without=#{m[:without].inspect}"
      end],
      ["env with", 2, lambda do |_w, m, rng|
        m[:env_with] = rng.rand < 0.5 ? nil : RandomEdits::GROUPS.drop(1).sample(random: rng)
        "BUNDLE_WITH=#{m[:env_with].inspect}"
      end],
      ["gemfile env", 2, lambda do |w, m, rng|
        unless m[:rf]
          m[:rf] = true
          w.gemfile(gemfile(m))
          w.bundle("install", env: bundle_env(m))
          return "r-f added (group from ENV), bundle install"
        end
        m[:rf_group] = [nil, "default", "test", "tools"].sample(random: rng)
        "R_F_GROUP=#{m[:rf_group].inspect}"
      end],
      ["engine paths", 2, lambda do |w, _m, rng|
        paths = ["lib", *%w[more extra].sample(rng.rand(0..2), random: rng)].join(" ")
        File.write(w.path("engines/r-engine/PATHS"), "#{paths}\n")
        "r-engine PATHS=#{paths}"
      end]
    ]
  end

  # What `bundle install` needs to install every group (the world stays
  # installable whatever the selection).
  def bundle_env(_model)
    { "BUNDLE_WITH" => "tools", "R_F_GROUP" => nil }
  end

  def boot_env(model)
    env = { "BUNDLE_FROZEN" => "true" }
    env["BUNDLE_WITH"] = model[:env_with] if model[:env_with]
    env["R_F_GROUP"] = model[:rf_group] if model[:rf_group]
    env
  end

  def check(world, model, history)
    env = boot_env(model)
    theirs = boot(world, :bundler, env: env)
    ours = [boot(world, :fastbundle, env: env), boot(world, :fastbundle, env: env)]
    context = -> { "seed #{RandomEdits::SEED}, round #{history.size}: #{history.last}\nhistory:\n  #{history.join("\n  ")}" }
    if theirs.ok?
      ours.each do |b|
        expect(b.status).to be_success, -> { "#{context.call}\n#{b.err}" }
        normalize(theirs.dump).each_key do |key|
          expect(normalize(b.dump)[key]).to eq(normalize(theirs.dump)[key]),
                                            -> { "#{context.call}\n#{state_diff(key, normalize(theirs.dump)[key], normalize(b.dump)[key])}" }
        end
      end
    else
      _, err, status = world.ruby("-e", PlanCacheHelpers::BUNDLER_SETUP, env: PlanCacheHelpers::DEBUG.merge(env), allow_failure: true)
      ours.each do |b|
        expect(b.status.exitstatus).to eq(status.exitstatus), -> { "#{context.call}\nBundler: #{err}\nours: #{b.err}" }
      end
    end
    ours.count(&:hit)
  end

  it "gives Bundler's answer after every edit, from the cache or not" do
    puts "\nplan cache random spec: seed #{RandomEdits::SEED}, #{RandomEdits::ROUNDS} rounds (PLAN_CACHE_SEED=#{RandomEdits::SEED} to replay)"
    rng = Random.new(RandomEdits::SEED)
    world = World.new
    GemFactory.source(world.path("engines/r-engine"), name: "r-engine", version: "1.0.0",
                                                        files: { "PATHS" => "lib\n", "more/m.rb" => "", "extra/e.rb" => "" })
    File.write(world.path("engines/r-engine/r-engine.gemspec"), RandomEdits::ENGINE_GEMSPEC)
    model = { gems: { "r-a" => ["default", nil], "r-b" => ["default", nil], "r-d" => ["test", nil] } }
    world.gemfile(gemfile(model))
    world.bundle("lock", "--add-platform", "ruby")
    world.bundle("install", env: bundle_env(model))
    table = edits.flat_map { |e| [e] * e[1] }
    history = []
    hits = 0
    RandomEdits::ROUNDS.times do
      name, _, edit = table.sample(random: rng)
      history << "#{name}: #{edit.call(world, model, rng)}"
      hits += check(world, model, history)
    end
    puts "plan cache random spec: #{RandomEdits::ROUNDS} rounds, #{hits} of #{RandomEdits::ROUNDS * 2} fastbundle boots answered from the cache"
    expect(hits).to be > RandomEdits::ROUNDS / 2 # the cache was in play, not bypassed
  end
end
