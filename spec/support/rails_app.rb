# frozen_string_literal: true

require "fileutils"

# The Rails fixture app in a World with Debian's system gems: used by
# spec/rails_app_spec.rb and bench/rails_bench.rb. One app per Rails that
# Debian ships, the same app written for each: spec/fixtures/rails_app on
# Debian 12's Rails 6.1, spec/fixtures/rails72_app on Debian 13's Rails 7.2.
module RailsApp
  FIXTURES = { "6.1" => "rails_app", "7.2" => "rails72_app" }.freeze

  module_function

  # The installed railties (Debian's): "6.1.7.10", "7.2.2.2".
  def rails_version
    @rails_version ||= Gem::Specification.find_all_by_name("railties").map(&:version).max.to_s
  end

  def rails_minor
    rails_version[/\A\d+\.\d+/]
  end

  # The installed version of one of the app's gems, as the probe names it.
  def installed(name)
    "#{name}-#{Gem::Specification.find_all_by_name(name).map(&:version).max}"
  end

  def fixture
    name = FIXTURES.fetch(rails_minor) { raise "no Rails fixture app for Rails #{rails_version} (have #{FIXTURES.keys.join(", ")})" }
    File.expand_path("../fixtures/#{name}", __dir__)
  end

  # Copies the app into WORLD (a World with system_gems: true), resolves and
  # installs its Gemfile with `bundle install --local`, and makes the
  # databases under Bundler: development gets db/seeds.rb's three widgets,
  # test one widget of its own ("Test rig").
  def build(world)
    FileUtils.cp_r(File.join(fixture, "."), world.dir)
    world.bundle("install", "--local")
    world.ruby("bin/rails", "db:migrate", "db:seed")
    test = { "RAILS_ENV" => "test" }
    world.ruby("bin/rails", "db:migrate", env: test)
    world.ruby("bin/rails", "runner", 'Widget.create!(name: "Test rig", price_cents: 4200)', env: test)
    world
  end

  # config/boot.rb as a Rails 6.1 or 7.2 app has it, with SETUP ("bundler/setup" or
  # "fastbundle/setup") in bundler/setup's place and bootsnap/setup optional
  # (its cache goes to tmp/cache).
  def boot_rb(setup, bootsnap)
    <<~RUBY
      # frozen_string_literal: true

      ENV["BUNDLE_GEMFILE"] ||= File.expand_path("../Gemfile", __dir__)

      require "#{setup}" # Set up gems listed in the Gemfile.
      #{bootsnap ? 'require "bootsnap/setup" # Speed up boot time by caching expensive operations.' : ""}
    RUBY
  end
end
