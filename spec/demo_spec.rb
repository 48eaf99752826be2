# frozen_string_literal: true

require "spec_helper"

# The README's main command: examples/demo.rb on a copy of the example app
# (its gems built and installed from scratch), checked against what
# bundler/setup and fastbundle/setup give when run here directly.
RSpec.describe "rake demo (examples/demo.rb)" do
  EXAMPLES = File.join(ROOT_DIR, "examples")
  DEMO = File.join(EXAMPLES, "demo.rb")

  before(:all) do
    @root = World.tmpdir("demo")
    FileUtils.cp_r(File.join(EXAMPLES, "gems"), @root)
    @app = File.join(@root, "app")
    FileUtils.mkdir_p(@app)
    # Only what git tracks (a developer's examples/app/vendor is not copied).
    %w[Gemfile Gemfile.lock .bundle app.rb components].each { |f| FileUtils.cp_r(File.join(EXAMPLES, "app", f), @app) }
    @env = World.clean_env.merge("HOME" => File.join(@root, "home"))
    @first = demo
    @second = demo
  end

  def demo
    out, err, status = World.spawn_capture(@env, [World::RUBY_BIN, DEMO, "--app", @app, "--runs", "1"], chdir: ROOT_DIR)
    raise "demo failed (#{status.inspect}):\n#{out}\n#{err}" unless status.success?

    out
  end

  def load_path(*args, code: "puts $LOAD_PATH")
    out, err, status = World.spawn_capture(@env.merge("RUBYLIB" => LIB_DIR), [World::RUBY_BIN, *args, "-e", code], chdir: @app)
    raise "#{args.inspect} failed: #{err}" unless status.success?

    out.lines(chomp: true)
  end

  it "installs the bundle once, from the committed lockfile, without changing it" do
    expect(@first).to include("Installed the bundle: built file_watch-0.2.0, path_template-0.4.0")
    expect(@second).to include("Bundle already installed in vendor/bundle.")
    expect(File.read(File.join(@app, "Gemfile.lock"))).to eq(File.read(File.join(EXAMPLES, "app", "Gemfile.lock")))
  end

  it "prints the load path fastbundle set, which is Bundler's, the require paths of Bundler's own spec aside" do
    bundler = load_path("-rbundler/setup")
    bundler_spec_paths = load_path("-rbundler/setup", code: 'puts Gem.loaded_specs["bundler"].full_require_paths')
    ours = load_path("-rfastbundle/setup")
    # Debian 12's Bundler is a default gem whose spec paths are not where its
    # lib dir is; Debian 13's bundler 2.6.7 gem has both in one place, which
    # fastbundle puts on the load path too (add_bundler_to_load_path).
    expect(ours - bundler_spec_paths).to eq(bundler - bundler_spec_paths)

    added = ours - load_path
    expect(added.size).to eq(8) # Bundler's lib dir, 6 built gems, the path gem
    expect(added).to include(File.join(@app, "components/catalog/lib"),
                             File.join(@app, "vendor/bundle/ruby/#{RbConfig::CONFIG["ruby_version"]}/gems/path_template-0.4.0/lib"))
    [@first, @second].each do |out|
      listed = out[/put 8 entries on \$LOAD_PATH.*?\n(.*?)\n\n/m, 1].to_s.lines(chomp: true).map { |l| l.strip.split.first }
      expect(listed.map { |p| File.expand_path(p, @app) }).to eq(added)
      expect(out).to include("Same $LOAD_PATH and Gem.loaded_specs as bundler/setup, Bundler's own gem aside: yes")
    end
  end

  it "boots the app with both setups and times them" do
    expect(@first).to include('GET /books/2 status=200 body="The Rust Programming Language by Klabnik, Nichols"')
    expect(@first).to include("Same output as with -rbundler/setup: yes")
    expect(@first).to match(/bundler\/setup +\+\d+\.\d ms\n  fastbundle\/setup +[+-]\d+\.\d ms/)
  end
end
