# frozen_string_literal: true

require "fileutils"

# The Rails fixture app (spec/fixtures/rails_app) in a World with Debian's
# system gems: used by spec/rails_app_spec.rb and bench/rails_bench.rb.
module RailsApp
  FIXTURE = File.expand_path("../fixtures/rails_app", __dir__)

  module_function

  # Copies the app into WORLD (a World with system_gems: true), resolves and
  # installs its Gemfile with `bundle install --local`, and makes the
  # databases under Bundler: development gets db/seeds.rb's three widgets,
  # test one widget of its own ("Test rig").
  def build(world)
    FileUtils.cp_r(File.join(FIXTURE, "."), world.dir)
    world.bundle("install", "--local")
    world.ruby("bin/rails", "db:migrate", "db:seed")
    test = { "RAILS_ENV" => "test" }
    world.ruby("bin/rails", "db:migrate", env: test)
    world.ruby("bin/rails", "runner", 'Widget.create!(name: "Test rig", price_cents: 4200)', env: test)
    world
  end

  # config/boot.rb as a Rails 6.1 app has it, with SETUP ("bundler/setup" or
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
