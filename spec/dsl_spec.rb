# frozen_string_literal: true

require "spec_helper"
require "fastbundle/dsl"
require "open3"
require "rbconfig"
require "tmpdir"

RSpec.describe FastBundle::Dsl do
  DSL_FOCUSED_DIR = File.join(ROOT_DIR, "spec", "fixtures", "gemfiles", "focused")

  around do |example|
    Dir.mktmpdir("fastbundle-dsl-spec") do |dir|
      @dir = dir
      example.run
    end
  end

  def write(name, content)
    path = File.join(@dir, name)
    FileUtils.mkdir_p(File.dirname(path))
    File.write(path, content)
    path
  end

  def evaluate(content, name: "Gemfile", **opts)
    FastBundle::Dsl.evaluate(write(name, content), warn: false, **opts)
  end

  def error_for(content, name: "Gemfile")
    evaluate(content, name: name)
    raise "expected a GemfileError"
  rescue FastBundle::GemfileError => e
    e
  end

  # Every value reachable from `value` is plain data.
  def plain_data?(value)
    case value
    when String, Symbol, Integer, true, false, nil then true
    when Array then value.all? { |v| plain_data?(v) }
    when Hash then value.all? { |k, v| plain_data?(k) && plain_data?(v) }
    else false
    end
  end

  describe ".evaluate" do
    it "records the Gemfile, its root, the default lockfile and every evaluated file" do
      write("extra/more.rb", %(gem "more"\n))
      d = evaluate(%(source "https://rubygems.org"\ngem "rack"\neval_gemfile "extra/more.rb"\n))
      expect(d).to be_a(FastBundle::Definition)
      expect(d.gemfile).to eq(File.join(@dir, "Gemfile"))
      expect(d.root).to eq(@dir)
      expect(d.lockfile).to eq(File.join(@dir, "Gemfile.lock"))
      expect(d.gemfiles).to eq([File.join(@dir, "Gemfile"), File.join(@dir, "extra/more.rb")])
      expect(d.dependencies.map(&:name)).to eq(%w[rack more])
    end

    it "uses gems.locked next to gems.rb, and an explicit lockfile when given" do
      d = evaluate(%(gem "rack"\n), name: "gems.rb")
      expect(d.lockfile).to eq(File.join(@dir, "gems.locked"))
      d = FastBundle::Dsl.evaluate(File.join(@dir, "gems.rb"), "other.lock", warn: false)
      expect(d.lockfile).to eq(File.expand_path("other.lock"))
    end

    it "raises GemfileNotFound (status 10) for a missing Gemfile" do
      expect { FastBundle::Dsl.evaluate(File.join(@dir, "nope")) }
        .to raise_error(FastBundle::GemfileNotFound) { |e| expect(e.status_code).to eq(10) }
    end
  end

  describe "dependencies" do
    # The Bundler the recorder answers as (Bundler 2.5+ has no type: option).
    let(:old_keys) { FastBundle::BundlerVersions.assume_installed && FastBundle::BundlerVersions.gem_type_and_gemfile_options? }

    let(:definition) do
      evaluate(<<~G + (old_keys ? %(gem "dev", type: :development\n) : ""))
        source "https://rubygems.org"
        gem "plain"
        gem "versioned", "~> 1.2", ">= 1.2.3"
        gem "no_require", require: false
        gem "require_true", require: true
        gem "require_list", require: ["a", "b"]
        group :test, :ci do
          gem "grouped", platforms: [:mri, :jruby]
        end
      G
    end

    def dep(name)
      definition.dependencies.find { |d| d.name == name }
    end

    it "has Bundler's requirements, groups, platforms, type and file" do
      expect(dep("plain").requirements).to eq([">= 0"])
      expect(dep("versioned").requirements).to eq(["~> 1.2", ">= 1.2.3"])
      expect(dep("plain").groups).to eq([:default])
      expect(dep("grouped").groups).to eq(%i[test ci])
      expect(dep("grouped").platforms).to eq(%i[mri jruby])
      expect(dep("plain").type).to eq(:runtime)
      expect(dep("dev").type).to eq(:development) if old_keys
      expect(dep("grouped").gemfile).to eq(File.join(@dir, "Gemfile"))
      expect(dep("plain").source).to be_nil
    end

    it "reports autorequire as Bundler.require uses it" do
      expect(dep("plain").autorequire).to be_nil
      expect(dep("no_require").autorequire).to eq([])
      expect(dep("require_true").autorequire).to eq(["require_true"])
      expect(dep("require_list").autorequire).to eq(%w[a b])
    end

    it "evaluates platform, install_if and env conditions for this Ruby" do
      d = evaluate(<<~G)
        gem "mri", platforms: :mri
        gem "jruby", platforms: :jruby
        gem "windows", platforms: :windows
        install_if -> { false } do
          gem "never"
        end
        env "FASTBUNDLE_DSL_SPEC_VAR" do
          gem "env_gated"
        end
      G
      by = d.dependencies.to_h { |x| [x.name, x] }
      expect(by["mri"].should_include?).to eq(RUBY_ENGINE == "ruby" && !Gem.win_platform?)
      expect(by["jruby"].should_include?).to be(false)
      expect(by["windows"].should_include?).to eq(Gem.win_platform?)
      expect(by["never"].should_include?).to be(false)
      expect(by["env_gated"].should_include?).to be(false)
      ENV["FASTBUNDLE_DSL_SPEC_VAR"] = "1"
      expect(by["env_gated"].should_include?).to be(true)
    ensure
      ENV.delete("FASTBUNDLE_DSL_SPEC_VAR")
    end

    it "records sources with their options" do
      d = evaluate(<<~G)
        source "https://rubygems.org"
        gem "g", git: "https://github.com/x/g.git", branch: "main", submodules: true
        gem "h", github: "x/h", tag: "v1"
        gem "p", path: "vendor/p"
        source "https://gems.example.com" do
          gem "i"
        end
      G
      src = d.dependencies.to_h { |x| [x.name, x.source] }
      expect(src["g"].type).to eq(:git)
      expect(src["g"].options).to include("uri" => "https://github.com/x/g.git", "branch" => "main", "submodules" => true)
      expect(src["h"].options).to include("uri" => "https://github.com/x/h.git", "tag" => "v1")
      expect(src["p"].type).to eq(:path)
      expect(src["p"].options).to include("path" => "vendor/p", "expanded_path" => File.join(@dir, "vendor/p"))
      expect(src["i"].type).to eq(:gem)
      expect(src["i"].remotes).to eq(["https://gems.example.com/"])
      expect(d.global_source.remotes).to eq(["https://rubygems.org/"])
      expect(d.sources.map(&:type)).to eq(%i[gem git git path gem])
    end
  end

  describe "gemspec" do
    it "loads the gemspec from its directory and adds the gem and its development dependencies" do
      d = FastBundle::Dsl.evaluate(File.join(DSL_FOCUSED_DIR, "gemspec_basic", "Gemfile"), warn: false)
      expect(d.gemspecs.map(&:full_name)).to eq(["widget-1.4.2"])
      expect(d.gemspecs.first).to be_a(Gem::Specification)
      widget = d.dependencies.first
      expect(widget.name).to eq("widget")
      expect(widget.source.type).to eq(:gemspec)
      # Bundler 2.5+ adds them as runtime dependencies in the development group.
      expect(d.dependencies.select { |x| x.groups == [:development] }.map(&:name)).to eq(%w[rspec rubocop])
      expect(d.dependencies.map(&:name)).to eq(%w[widget rspec rubocop rake])
    end
  end

  describe "ruby" do
    it "records the ruby directive with Bundler's to_s" do
      d = evaluate(%(ruby "3.1.2", engine: "jruby", engine_version: "9.3.8.0", patchlevel: "20"\n))
      rv = d.ruby_version
      expect([rv.versions, rv.engine, rv.engine_versions, rv.patchlevel]).to eq([["3.1.2"], "jruby", ["9.3.8.0"], "20"])
      expect(rv.to_s).to eq("ruby 3.1.2p20 (jruby 9.3.8.0)")
      expect(evaluate(%(ruby ">= 2.7", "< 4"\n)).ruby_version.to_s).to eq("ruby >= 2.7, < 4")
    end

    it "reads .ruby-version and .tool-versions relative to the Gemfile (upstream ruby file:)" do
      write(".ruby-version", "ruby-3.2.2\n")
      expect(evaluate(%(ruby file: ".ruby-version"\n)).ruby_version.versions).to eq(["3.2.2"])
      write(".tool-versions", "nodejs 20\nruby 3.3.0 # pinned\n")
      expect(evaluate(%(ruby file: ".tool-versions"\n)).ruby_version.versions).to eq(["3.3.0"])
    end
  end

  describe "optional groups and plugins" do
    it "records optional groups as Symbols and plugins without installing them" do
      d = evaluate(<<~G)
        group :debug, optional: true do
          gem "pry"
        end
        plugin "bundler-graph", git: "https://example.com/graph.git"
      G
      expect(d.optional_groups).to eq([:debug])
      expect(d.plugins).to eq([{ "name" => "bundler-graph", "args" => [], "options" => { "git" => "https://example.com/graph.git" } }])
    end
  end

  describe "errors" do
    it "names the file and line like Bundler's DSLError" do
      e = error_for(%(source "https://rubygems.org"\n\ngem "rack"\ngemz "puma"\n))
      expect(e).to be_a(FastBundle::Dsl::DSLError)
      expect(e.status_code).to eq(4)
      expect(e.message).to start_with("\n[!] There was an error parsing `Gemfile`: " \
                                      "Undefined local variable or method `gemz' for Gemfile. fastbundle cannot continue.\n")
      expect(e.message).to include(" #  from #{File.join(@dir, "Gemfile")}:4\n")
      expect(e.message).to include(" >  gemz \"puma\"\n")
      expect(e.file).to eq(File.join(@dir, "Gemfile"))
      expect(e.line).to eq(4)
    end

    it "points at the line of a syntax error" do
      e = error_for(%(source "https://rubygems.org"\ngem "rack"\ngem "puma" if\n))
      expect(e.message).to match(/error parsing `Gemfile`: syntax error/)
      expect(e.line).to eq(4).or eq(3)
    end

    it "keeps Bundler's status codes (InvalidOption 15, DeprecatedError 12)" do
      expect(error_for(%(gem "rack", requires: false\n)).status_code).to eq(15)
      expect(error_for(%(git "https://example.com/x.git"\n)).status_code).to eq(12)
      expect(error_for(%(gem "rack", platforms: :linux\n)).message).to include("`linux` is not a valid platform")
    end

    it "names the nested file and line for eval_gemfile" do
      write("sub/inner.rb", %(\ngem "x", "~> nope"\n))
      e = error_for(%(gem "rack"\neval_gemfile "sub/inner.rb"\n))
      expect(e.message).to include("There was an error parsing `inner.rb`: Illformed requirement")
      # Bundler 2.5+ evaluates the file under its expanded path.
      inner = FastBundle::BundlerVersions.evaluates_gemfiles_by_expanded_path? ? File.join(@dir, "sub/inner.rb") : "sub/inner.rb"
      expect(e.message).to include(" #  from #{inner}:2\n")
      expect(e.line).to eq(2)
    end

    it "reports a missing eval_gemfile target" do
      e = error_for(%(gem "rack"\neval_gemfile "missing.rb"\n))
      expect(e.message).to include("No such file or directory")
      expect(e.message).to include("#{File.join(@dir, "Gemfile")}:2")
    end

    it "rejects conflicting duplicates and warns about identical ones" do
      e = error_for(%(gem "rack", "~> 2.0"\ngem "rack", "~> 3.0"\n))
      expect(e.message).to include("You cannot specify the same gem twice with different version requirements.\n" \
                                   "You specified: rack (~> 2.0) and rack (~> 3.0)")
      expect(e.line).to eq(2)

      path = write("Gemfile", %(gem "rack"\ngem "rack"\n))
      expect { FastBundle::Dsl.evaluate(path) }
        .to output(/Your Gemfile lists the gem rack \(>= 0\) more than once/).to_stderr
      expect { FastBundle::Dsl.evaluate(path, warn: false) }.not_to output.to_stderr
    end
  end

  describe "credentials" do
    let(:secret) { "s3cr3tP4ss" }
    let(:gemfile) do
      <<~G
        source "https://user:#{secret}@gems.example.com"
        source "https://user:#{secret}@gems.example.com"
        source "https://other:#{secret}@mirror.example.com"
        source "https://user:#{secret}@private.example.com" do
          gem "private"
        end
        gem "secret_git", git: "https://deploy:#{secret}@git.example.com/secret.git"
        gem "insecure", git: "git://deploy:#{secret}@git.example.com/secret.git"
      G
    end

    it "never shows a password in to_h, inspect, to_s or warnings" do
      d = evaluate(gemfile)
      texts = [d.to_h.inspect, d.inspect, d.to_s, d.warnings.join("\n"),
               d.dependencies.map { |x| [x.inspect, x.to_s, x.to_h.inspect, x.source.inspect, x.source.to_s] }.inspect,
               d.sources.map { |s| [s.inspect, s.to_s, s.options.inspect] }.inspect]
      texts.each { |t| expect(t).not_to include(secret) }
      expect(d.global_source.remotes).to eq(["https://***@gems.example.com/", "https://***@mirror.example.com/"])
      expect(d.dependencies.first.source.remotes).to eq(["https://***@private.example.com/"])
      expect(d.warnings.join).to include("git://***@git.example.com/secret.git")
    end

    it "never shows a password in error messages or on $stderr" do
      expect { evaluate(gemfile, warn: true) }.not_to output(/#{secret}/).to_stderr
      e = error_for(%(source "https://user:#{secret}@gems example.com"\n))
      expect(e.message).not_to include(secret)
      expect(e.message).to include("https://***@gems example.com")
      e = error_for(%(gem "a", source: "https://u:#{secret}@a.example.com"\ngem "a", source: "https://u:#{secret}@b.example.com"\n))
      expect(e.message).not_to include(secret)
      expect(e.message).to include("https://***@b.example.com/")
    end

    it "keeps tokens out, also where Bundler shows them (a token as the user)" do
      d = evaluate(%(gem "x", git: "https://TOKEN123:x-oauth-basic@github.com/o/x.git"\n))
      expect(d.dependencies.first.source.uri).to eq("https://***@github.com/o/x.git")
      expect(d.to_h.inspect).not_to include("TOKEN123")
      d = evaluate(%(source "https://TOKEN456@gem.fury.io/acme/"\ngem "y", git: "https://TOKEN789@github.com/o/y.git"\n))
      expect(d.global_source.remotes).to eq(["https://***@gem.fury.io/acme/"])
      expect([d.inspect, d.to_h.inspect, d.sources.map(&:to_s)].join).not_to include("TOKEN456", "TOKEN789")
      # ssh user names are account names, not secrets
      d = evaluate(%(gem "z", git: "ssh://git@github.com/o/z.git"\n))
      expect(d.dependencies.first.source.uri).to eq("ssh://git@github.com/o/z.git")
    end

    it "hides a userinfo anywhere in a source's description (a glob holding a URL)" do
      d = evaluate(%(gem "w", git: "https://github.com/o/w.git", glob: "https://TOKEN321@github.com/*.gemspec"\n))
      source = d.dependencies.first.source
      expect(source.to_s).to eq("https://github.com/o/w.git (glob: https://***@github.com/*.gemspec)")
      expect(source.inspect).not_to include("TOKEN321")
    end
  end

  describe "#to_h" do
    it "is plain data only, for every focused fixture" do
      evaluated = 0
      Dir.glob(File.join(DSL_FOCUSED_DIR, "*", "{Gemfile,gems.rb}")).sort.each do |gemfile|
        next if File.basename(File.dirname(gemfile)).start_with?("error_")

        env = {}
        env_file = File.join(File.dirname(gemfile), "ENV")
        File.readlines(env_file, chomp: true).each { |l| k, v = l.split("=", 2); env[k] = v } if File.exist?(env_file)
        saved = env.to_h { |k, _| [k, ENV[k]] }
        begin
          env.each { |k, v| ENV[k] = v }
          h = begin
            Dir.chdir(File.dirname(gemfile)) { FastBundle::Dsl.evaluate(gemfile, warn: false).to_h }
          rescue FastBundle::GemfileError
            # An error under this Bundler (type_option under 2.5+): the parity spec checks Bundler agrees.
            next
          end
          evaluated += 1
          expect(plain_data?(h)).to be(true), "#{gemfile}: #{h.inspect[0, 300]}"
          expect(h.keys).to include("gemfile", "dependencies", "sources", "ruby_version", "optional_groups", "gemfiles")
        ensure
          saved.each { |k, v| v.nil? ? ENV.delete(k) : ENV[k] = v }
        end
      end
      expect(evaluated).to be >= 40
    end
  end

  describe "loading" do
    def ruby_in_subprocess(code, gemfile, extra_env = {})
      env = ENV.keys.select { |k| k.start_with?("BUNDLE_", "GEM_") || %w[RUBYOPT RUBYLIB].include?(k) }.to_h { |k| [k, nil] }
      env["HOME"] = @dir
      env["XDG_CACHE_HOME"] = nil
      env["FASTBUNDLE_CACHE_DIR"] = nil
      env["FASTBUNDLE_CACHE"] = nil
      Open3.capture3(env.merge(extra_env), RbConfig.ruby, "-I#{LIB_DIR}", "-rfastbundle/dsl", "-e", code, gemfile,
                     chdir: File.dirname(gemfile))
    end

    it "caches its compiled code per Ruby and gives the same answer from the cache" do
      gemfile = File.join(DSL_FOCUSED_DIR, "git_option", "Gemfile")
      code = 'd = FastBundle::Dsl.evaluate(ARGV[0], warn: false); print Marshal.dump(d.to_h.merge("warnings" => d.warnings))'
      first, err, status = ruby_in_subprocess(code, gemfile)
      expect(status).to be_success, err
      cached = Dir.glob(File.join(@dir, ".cache", "fastbundle", "iseq", "*", "*"))
      # Entry names are the file's absolute path with "/" as "%": strip our
      # lib dir's exactly (the checkout may live under any directory, even
      # one called fastbundle).
      prefix = File.join(LIB_DIR, "fastbundle", "").gsub(%r{[/\\:]}, "%")
      ours = cached.map { |f| File.basename(f) }.select { |n| n.start_with?(prefix) }
      expect(ours.map { |n| n.delete_prefix(prefix)[/\A(.*?\.rb)\./, 1] }).to include("dsl%core.rb", "dsl%cold.rb", "definition.rb")
      second, err, status = ruby_in_subprocess(code, gemfile)
      expect(status).to be_success, err
      expect(Marshal.load(second)).to eq(Marshal.load(first))
      expect(Dir.glob(File.join(@dir, ".cache", "fastbundle", "iseq", "*", "*")).sort).to eq(cached.sort)

      FileUtils.rm_rf(File.join(@dir, ".cache"))
      third, err, status = ruby_in_subprocess(code, gemfile, "FASTBUNDLE_CACHE" => "0")
      expect(status).to be_success, err
      expect(Marshal.load(third)).to eq(Marshal.load(first))
      expect(File.exist?(File.join(@dir, ".cache"))).to be(false)
    end

    # Runs `code` after counting RubyVM::InstructionSequence.compile calls in
    # $compiles (instance_eval does not call it; the Gemfile cache does).
    def counting_compiles(code)
      "$compiles = 0\n" \
        "RubyVM::InstructionSequence.singleton_class.prepend(Module.new { def compile(*a, **k) = ($compiles += 1; super) })\n" \
        "#{code}"
    end

    # The payload of a sealed cache file (src/sealed.rs: 24 header bytes).
    def unsealed(file)
      File.binread(file).byteslice(24..)
    end

    # Writes PAYLOAD as a sealed cache file, so that it reaches the reader
    # behind the checksum.
    def write_sealed(file, payload)
      require "fastbundle"
      expect(FastBundle::Native.write_cache_file(file, payload)).to be(true)
    end

    def gemfile_cache_entries
      Dir.glob(File.join(@dir, ".cache", "fastbundle", "iseq", "*", "gemfile*")).grep_v(/\.definition\z/)
    end

    def definition_records
      Dir.glob(File.join(@dir, ".cache", "fastbundle", "iseq", "*", "gemfile*.definition"))
    end

    it "compiles an unchanged Gemfile once and runs it from the cache afterwards" do
      FileUtils.cp_r(File.join(DSL_FOCUSED_DIR, "cached_lambda"), @dir)
      gemfile = File.join(@dir, "cached_lambda", "Gemfile")
      code = counting_compiles(<<~'RUBY')
        d = FastBundle::Dsl.evaluate(ARGV[0], warn: false)
        print Marshal.dump([$compiles, d.dependencies.map { |x| [x.name, x.autorequire, x.requirements] }])
      RUBY
      first, err, status = ruby_in_subprocess(code, gemfile)
      expect(status).to be_success, err
      compiles, deps = Marshal.load(first)
      expect(compiles).to eq(2) # Gemfile and extra.rb
      expect(gemfile_cache_entries.map { |e| File.basename(e)[/[^%]+\z/] }).to contain_exactly("Gemfile", "extra.rb")
      expect(gemfile_cache_entries.map { |e| unsealed(e).split(" ", 3)[1] }).to eq(%w[iseq iseq])

      second, err, status = ruby_in_subprocess(code, gemfile)
      expect(status).to be_success, err
      expect(Marshal.load(second)).to eq([0, deps])

      # An edit that keeps the size and the mtime is still seen.
      stat = File.stat(gemfile)
      File.write(gemfile, File.read(gemfile).sub('"frozen-literal"', '"frozen-literaX"'))
      File.utime(stat.atime, stat.mtime, gemfile)
      third, err, status = ruby_in_subprocess(code, gemfile)
      expect(status).to be_success, err
      compiles, edited = Marshal.load(third)
      expect(compiles).to eq(1)
      expect(edited.map(&:first)).to eq(deps.map(&:first).map { |n| n == "frozen-literal" ? "frozen-literaX" : n })
    end

    it "evaluates the Gemfile correctly whatever state its cache entry is in" do
      gemfile = write("Gemfile", %(source "https://rubygems.org"\ngem "rack", "~> 2.0", require: false\ngem "pg"\n))
      code = 'print Marshal.dump(FastBundle::Dsl.evaluate(ARGV[0], warn: false).to_h["dependencies"])'
      expected, err, status = ruby_in_subprocess(code, gemfile)
      expect(status).to be_success, err
      entry = gemfile_cache_entries.fetch(0)
      sealed = File.binread(entry)
      good = unsealed(entry)
      header, rest = good.split("\n", 2)
      damaged = {
        "truncated" => good[0, good.bytesize - 40],
        "header only" => "#{header}\n",
        "sizes past the end" => header.sub(/ \d+ \d+ /, " 999999 999999 ") + "\n" + rest,
        "no constants field" => header.split(" ")[0, 5].join(" ") + "\n" + rest,
        "garbage" => "\x00\xFF" * 64,
        "empty" => "",
        "another version" => header.sub(FastBundle::GemfileCache::MAGIC, "FBGF9") + "\n" + rest,
      }
      # Behind a checksum that holds (each reaches the entry's reader) ...
      writes = damaged.map { |what, bytes| [what, -> { write_sealed(entry, bytes) }] }
      # ... and damage the checksum catches: every 97th byte flipped, a cut, no seal.
      (0...sealed.bytesize).step(97) do |i|
        flipped = sealed.dup
        flipped.setbyte(i, flipped.getbyte(i) ^ 0x10)
        writes << ["byte #{i} flipped", -> { File.binwrite(entry, flipped) }]
      end
      writes << ["cut", -> { File.binwrite(entry, sealed.byteslice(0, sealed.bytesize / 2)) }]
      writes << ["unsealed", -> { File.binwrite(entry, good) }]
      writes.each do |what, write|
        definition_records.each { |f| File.unlink(f) } # else the entry is not even read
        write.call
        out, err, status = ruby_in_subprocess(code, gemfile)
        expect(status).to be_success, "#{what}: #{err}"
        expect(Marshal.load(out)).to eq(Marshal.load(expected)), what
      end
      expect(File.binread(entry)).to eq(sealed) # rewritten by the last evaluation
    end

    # What a subprocess evaluation answered (everything but the lockfile),
    # with the frozen state of each dependency's values, and whether it
    # loaded the recorder (dsl/core.rb).
    RECORD_PROBE = <<~'RUBY'
      d = FastBundle::Dsl.evaluate(ARGV[0], warn: true)
      deps = d.dependencies.map do |x|
        [x.to_h, x.requirement, [x.name, x.requirements, x.groups, x.platforms].map(&:frozen?)]
      end
      print Marshal.dump([deps, d.to_h.tap { |h| h.delete("dependencies") }, d.warnings,
                          $LOADED_FEATURES.grep(%r{/dsl/core\.rb\z}).size])
    RUBY

    def probe(gemfile, extra_env = {})
      out, err, status = ruby_in_subprocess(RECORD_PROBE, gemfile, extra_env)
      expect(status).to be_success, err
      *answer, recorder_loaded = Marshal.load(out)
      [answer, err, recorder_loaded]
    end

    PLAIN_GEMFILE = <<~'RUBY'
      # frozen_string_literal: true
      source "https://rubygems.org"
      git_source(:forge) { |repo| "https://forge.example/#{repo}.git" }
      ruby ">= 2.7", engine: "ruby", engine_version: ">= 2.7"
      rails = "~> 6.1"
      gem "rails", rails
      gem "pg", ">= 1.1", "< 2.0", require: false
      gem "odd", "1.0-beta"
      gem "auto", require: %w[auto/a auto/b], platforms: %i[mri jruby]
      gem "dup", "~> 1.0"
      gem "dup", "~> 1.0"
      gem "forged", forge: "me/forged", branch: "main"
      gem "hub", github: "me/hub"
      gem "local", path: "vendor/local"
      group :test, optional: true do
        platforms :mri do
          gem "rspec", "~> 3.0", group: :ci
        end
      end
      source "https://gems.example" do
        gem "private"
      end
      git "https://example.com/mono.git", tag: "v1" do
        gem "mono-a"
      end
      env "WITH_EXTRA" do
        gem "extra"
      end
      install_if true do
        gem "always"
      end
      plugin "bundler-plugin", "~> 1.0"
    RUBY

    it "answers an unchanged plain Gemfile from its recorded Definition, without loading the recorder" do
      gemfile = write("Gemfile", PLAIN_GEMFILE)
      first, first_err, loaded = probe(gemfile)
      expect(loaded).to eq(1)
      expect(definition_records.size).to eq(1)
      expect(first_err).to include("Your Gemfile lists the gem dup (~> 1.0) more than once")

      second, second_err, loaded = probe(gemfile)
      expect(loaded).to eq(0)
      expect(second).to eq(first)
      expect(second_err).to eq(first_err) # the warnings, printed again
      expect(probe(gemfile, "WITH_EXTRA" => "1")[0]).not_to eq(first) # env: checked when asked, not recorded

      uncached, = probe(gemfile, "FASTBUNDLE_CACHE" => "0")
      expect(uncached).to eq(first)

      # An edit that keeps the size and the mtime is seen.
      stat = File.stat(gemfile)
      File.write(gemfile, File.read(gemfile).sub('gem "private"', 'gem "privatX"'))
      File.utime(stat.atime, stat.mtime, gemfile)
      edited, _, loaded = probe(gemfile)
      expect(loaded).to eq(1)
      expect(edited[0].map { |d| d[0]["name"] }).to eq(first[0].map { |d| d[0]["name"].sub("private", "privatX") })
      expect(probe(gemfile)).to eq([edited, first_err, 0])
    end

    it "records no Gemfile whose answer depends on more than its text" do
      other_home = File.join(@dir, "other-home")
      cases = {
        "ENV, by a name that is not a literal" => [%(source "https://rubygems.org"\nname = "WITH_A"\ngem "a" if ENV[name]\n),
                                                   { "WITH_A" => "1" }, {}],
        "ENV, whole" => [%(source "https://rubygems.org"\ngem "a" if ENV.to_h.key?("WITH_A")\n), { "WITH_A" => "1" }, {}],
        "a file test" => [%(source "https://rubygems.org"\ngem "a" if File.exist?("flag")\n),
                          -> { write("flag", "") }, -> { File.unlink(File.join(@dir, "flag")) }],
        "ruby file:" => [%(source "https://rubygems.org"\nruby file: ".ruby-version"\n),
                         -> { write(".ruby-version", "3.1.2\n") }, -> { write(".ruby-version", "3.0.4\n") }],
        "eval_gemfile" => [%(source "https://rubygems.org"\neval_gemfile "extra.rb"\n),
                           -> { write("extra.rb", %(gem "a"\n)) }, -> { write("extra.rb", %(gem "b"\n)) }],
        "a deprecation (BUNDLE_SILENCE_DEPRECATIONS)" => [%(source "https://a.example"\nsource "https://b.example"\ngem "a"\n),
                                                          {}, { "BUNDLE_SILENCE_DEPRECATIONS" => "1" }],
        "a git: URL (BUNDLE_GIT__ALLOW_INSECURE)" => [
          %(source "https://rubygems.org"\ngem "a", git: "git://example.com/a.git"\n),
          {}, { "BUNDLE_GIT__ALLOW_INSECURE" => "true" }
        ],
        "a ~ path (HOME)" => [%(source "https://rubygems.org"\npath "~/vendor" do\n  gem "a"\nend\n),
                              {}, { "HOME" => other_home, "XDG_CACHE_HOME" => File.join(@dir, ".cache") }],
      }
      cases.each do |what, (content, before, after)|
        FileUtils.rm_rf(File.join(@dir, ".cache"))
        gemfile = write("Gemfile", content)
        state = ->(s) { s.respond_to?(:call) ? (s.call; {}) : s }
        first, = probe(gemfile, state.call(before))
        after_env = state.call(after)
        second, = probe(gemfile, after_env)
        fresh, = probe(gemfile, after_env.merge("FASTBUNDLE_CACHE" => "0"))
        expect(fresh).not_to eq(first), "#{what}: the case does not vary"
        expect(second).to eq(fresh), what
        expect(definition_records).to eq([]), what
      end
    end

    it "records a Gemfile that reads ENV entries by name, keyed on their values" do
      gemfile = write("Gemfile", <<~'RUBY')
        source "https://rubygems.org"
        gem "a" if ENV["WITH_A"]
        gem "b", ENV.fetch("B_VERSION", "~> 1.0")
        case ENV["DB"]
        when "pg" then gem "pg"
        else gem "sqlite3"
        end
        gem "modern" if RUBY_VERSION >= "2.0" && !ENV.key?("NO_MODERN")
      RUBY
      worlds = [{ "WITH_A" => "1", "DB" => "pg" }, { "B_VERSION" => "~> 2.0" }, { "WITH_A" => "" }, { "NO_MODERN" => "" }]
      answers = worlds.map do |env|
        fresh, = probe(gemfile, env.merge("FASTBUNDLE_CACHE" => "0"))
        first, _, loaded = probe(gemfile, env)
        expect([first, loaded]).to eq([fresh, 1]), env.inspect # another world: evaluated (and recorded) again
        expect(probe(gemfile, env.merge("UNRELATED" => "x"))).to eq([fresh, "", 0]), env.inspect # from the record
        expect(definition_records.size).to eq(1)
        fresh
      end
      expect(answers.uniq.size).to eq(worlds.size)
    end

    it "records ENV entries as digests, never their values" do
      gemfile = write("Gemfile", %(source "https://rubygems.org"\ngem "a" if ENV["GEMFURY_TOKEN"]\n))
      token = "tok-#{rand(10**12)}-secret"
      first, _, loaded = probe(gemfile, "GEMFURY_TOKEN" => token)
      expect(loaded).to eq(1)
      expect(probe(gemfile, "GEMFURY_TOKEN" => token)).to eq([first, "", 0])
      expect(probe(gemfile, "GEMFURY_TOKEN" => "#{token}2")[2]).to eq(1) # another value: evaluated again
      records = definition_records
      expect(records.size).to eq(1)
      cached = Dir.glob(File.join(@dir, ".cache", "**", "*"), File::FNM_DOTMATCH).select { |f| File.file?(f) }
      cached.each { |f| expect(File.binread(f)).not_to include(token), f }

    end

    it "writes no cache entry for a Gemfile that holds credentials, and removes an earlier one" do
      plain = %(source "https://rubygems.org"\ngem "a"\n)
      secret = "pw-#{rand(10**12)}"
      holding = {
        "a password" => %(source "https://user:#{secret}@gems.example.com"\ngem "a"\n),
        "a token as the user" => %(source "https://#{secret}@gem.fury.io/acme/"\ngem "a"\n),
        "a git remote" => %(gem "a", git: "https://x-access-token:#{secret}@github.com/o/a.git"\n),
        "an interpolated userinfo" => %(t = "#{secret}"\nsource "https://u:\#{t}@gems.example.com"\ngem "a"\n),
      }
      holding.each do |what, content|
        FileUtils.rm_rf(File.join(@dir, ".cache"))
        gemfile = write("Gemfile", plain)
        probe(gemfile)
        expect(Dir.glob(File.join(@dir, ".cache", "fastbundle", "iseq", "*", "gemfile*"))).not_to be_empty
        write("Gemfile", content)
        2.times do
          _, err, = probe(gemfile)
          expect(err).not_to include(secret)
        end
        expect(Dir.glob(File.join(@dir, ".cache", "fastbundle", "iseq", "*", "gemfile*"))).to eq([]), what
        Dir.glob(File.join(@dir, ".cache", "**", "*"), File::FNM_DOTMATCH).select { |f| File.file?(f) }.each do |f|
          expect(File.binread(f)).not_to include(secret), "#{what}: #{f}"
        end
      end
      # An ssh user name is no credential: cached as before.
      FileUtils.rm_rf(File.join(@dir, ".cache"))
      gemfile = write("Gemfile", %(gem "a", git: "ssh://git@github.com/o/a.git"\n))
      probe(gemfile)
      expect(Dir.glob(File.join(@dir, ".cache", "fastbundle", "iseq", "*", "gemfile*"))).not_to be_empty
    end

    it "keys recorded Definitions on the Bundler they answer as, so another installed Bundler records again" do
      gemfile = write("Gemfile", PLAIN_GEMFILE)
      expect(probe(gemfile)[2]).to eq(1)
      expect(probe(gemfile)[2]).to eq(0)
      installed = FastBundle::BundlerVersions.installed_version
      expect(unsealed(definition_records.fetch(0))).to match(/\A\S+ \S+ \S+ bundler-#{Regexp.escape(installed.to_s)} /)

      # A newer Bundler on GEM_PATH (a real gemspec file where RubyGems keeps them).
      newer = File.join(@dir, "newer-gems")
      spec = Gem::Specification.new do |s|
        s.name = "bundler"
        s.version = "99.1.0"
        s.summary = "a newer Bundler"
        s.authors = ["fastbundle specs"]
        s.files = []
      end
      FileUtils.mkdir_p(File.join(newer, "specifications"))
      File.write(File.join(newer, "specifications", "bundler-99.1.0.gemspec"), spec.to_ruby)
      env = { "GEM_PATH" => ([newer] + Gem.path).join(File::PATH_SEPARATOR) }
      fresh, = probe(gemfile, env.merge("FASTBUNDLE_CACHE" => "0"))
      expect(probe(gemfile, env).values_at(0, 2)).to eq([fresh, 1]) # not the other Bundler's record
      expect(probe(gemfile, env)[2]).to eq(0)
      expect(unsealed(definition_records.fetch(0))).to match(/\A\S+ \S+ \S+ bundler-99\.1\.0 /)
      expect(probe(gemfile)[2]).to eq(1) # and back
    end

    it "evaluates again when the recorded Definition is damaged or was made by other code" do
      gemfile = write("Gemfile", PLAIN_GEMFILE)
      expected, = probe(gemfile)
      record = definition_records.fetch(0)
      good = unsealed(record)
      header, rest = good.split("\n", 2)
      damaged = {
        "truncated" => good[0, good.bytesize - 40],
        "header only" => "#{header}\n",
        "sizes past the end" => header.sub(/ \d+ \d+ (\d)\z/, ' 999999 999999 \1') + "\n" + rest,
        "garbage data" => "#{header}\n#{rest[0, rest.bytesize - 200]}#{"\x04\x08o:\x0fNoSuchClass" * 10}",
        "garbage" => "\x00\xFF" * 64,
        "empty" => "",
        "another recorder" => header.sub(/ (\d+)\./) { " #{$1.to_i + 1}." } + "\n" + rest,
        "another format" => header.sub(FastBundle::GemfileCache::DEFINITION_MAGIC, "FBDF9") + "\n" + rest,
      }
      damaged.each do |what, bytes|
        write_sealed(record, bytes)
        answer, _, loaded = probe(gemfile)
        expect([answer, loaded]).to eq([expected, 1]), what
      end
      expect(probe(gemfile).values_at(0, 2)).to eq([expected, 0]) # recorded again by the last evaluation
    end

    it "keys recorded Definitions on every file of the recorder" do
      recorder = Dir.glob(File.join(LIB_DIR, "fastbundle", "dsl", "*.rb")) +
                 %w[definition dependency current_ruby ruby_version gemfile_cache gemfile_cache_writer bundler_versions]
                 .map { |f| File.join(LIB_DIR, "fastbundle", "#{f}.rb") }
      expect(FastBundle::GemfileCache::RECORDER_FILES).to match_array(recorder)
    end

    it "keeps instance_eval for a Gemfile that defines constants" do
      gemfile = write("Gemfile", <<~'RUBY')
        source "https://rubygems.org"
        NAMES = %w[a b].freeze
        NAMES.each { |n| gem n }
      RUBY
      code = counting_compiles(<<~'RUBY')
        d = FastBundle::Dsl.evaluate(ARGV[0], warn: false)
        print Marshal.dump([$compiles, d.dependencies.map(&:name), defined?(::NAMES)])
      RUBY
      first, err, status = ruby_in_subprocess(code, gemfile)
      expect(status).to be_success, err
      expect(Marshal.load(first)).to eq([1, %w[a b], nil]) # compiled once, to find out
      expect(gemfile_cache_entries.map { |e| unsealed(e).split(" ", 3)[1] }).to eq(%w[source])
      second, err, status = ruby_in_subprocess(code, gemfile)
      expect(status).to be_success, err
      expect(Marshal.load(second)).to eq([0, %w[a b], nil])
    end

    it "uses a cached Gemfile only while the constants it names exist, so a NameError reads as under instance_eval" do
      gemfile = write("Gemfile", %(gem "probe", require: Probe::NAME\n))
      code = <<~'RUBY'
        Probe = Module.new.tap { |m| m.const_set(:NAME, "probe/x") } if ENV["DEFINE_PROBE"]
        begin
          print FastBundle::Dsl.evaluate(ARGV[0], warn: false).dependencies.first.autorequire.inspect
        rescue FastBundle::GemfileError => e
          print e.message[/uninitialized constant [\w:]+/]
        end
      RUBY
      out, err, status = ruby_in_subprocess(code, gemfile, "DEFINE_PROBE" => "1")
      expect(status).to be_success, err
      expect(out).to eq('["probe/x"]')
      expect(gemfile_cache_entries.map { |e| unsealed(e).split(" ", 3)[1] }).to eq(%w[iseq])
      out, err, status = ruby_in_subprocess(code, gemfile)
      expect(status).to be_success, err
      expect(out).to eq("uninitialized constant FastBundle::Dsl::Probe")
    end

    it "loads real Bundler only for a Gemfile that refers to it, unless told not to" do
      gemfile = File.join(DSL_FOCUSED_DIR, "bundler_constant", "Gemfile")
      code = <<~'RUBY'
        begin
          FastBundle::Dsl.evaluate(ARGV[0], warn: false, bundler_fallback: false)
        rescue FastBundle::GemfileError => e
          puts e.message[/uninitialized constant [\w:]*Bundler/]
        end
        puts defined?(Bundler).inspect
        puts FastBundle::Dsl.evaluate(ARGV[0], warn: false).dependencies.map(&:name).inspect
        puts defined?(Bundler).inspect
      RUBY
      out, err, status = ruby_in_subprocess(code, gemfile)
      expect(status).to be_success, err
      lines = out.lines.map(&:chomp)
      expect(lines[0]).to match(/uninitialized constant .*Bundler/)
      expect(lines[1..]).to eq(["nil", '["rack", "modern", "rack"]', '"constant"'])
    end

    it "is requirable on its own and loads no file of Bundler's" do
      gemfile = File.join(DSL_FOCUSED_DIR, "gemspec_basic", "Gemfile")
      code = <<~'RUBY'
        FastBundle::Dsl.evaluate(ARGV[0], warn: false)
        FastBundle::Dsl.evaluate(File.join(File.dirname(ARGV[0]), "../git_option/Gemfile"), warn: false)
        FastBundle::Dsl.evaluate(File.join(File.dirname(ARGV[0]), "../ruby_version/Gemfile"), warn: false)
        bundler = $LOADED_FEATURES.grep(%r{/bundler(?:-[\d.]+)?/|/bundler\.rb\z})
        puts bundler.inspect, defined?(Bundler).inspect, defined?(FastBundle::Dsl).inspect
      RUBY
      out, err, status = ruby_in_subprocess(code, gemfile)
      expect(status).to be_success, err
      expect(out.lines.map(&:chomp)).to eq(["[]", "nil", '"constant"'])
    end
  end
end
