# frozen_string_literal: true

# Usage: ruby tests/data/gem_dirs/generate.rb
#
# Rebuilds the gem dirs tests/gem_dirs.rs reads, with spec files written by
# the real `gem install` (RubyGems 3.3.15): gems are built with `gem build`
# from tiny sources and installed with `gem install --local --install-dir`.
# Caches, docs and build logs are dropped to keep the fixtures small.
require "fileutils"
require "tmpdir"

HERE = __dir__

def gem_source(dir, name:, version:, platform: nil, require_paths: nil, extension: false)
  FileUtils.mkdir_p(File.join(dir, "lib"))
  File.write(File.join(dir, "lib", "#{name}.rb"), "# #{name}\n")
  files = ["lib/#{name}.rb"]
  (require_paths || []).each do |rp|
    next if rp == "lib"

    FileUtils.mkdir_p(File.join(dir, rp))
    File.write(File.join(dir, rp, "#{name}_extra.rb"), "# extra\n")
    files << "#{rp}/#{name}_extra.rb"
  end
  if extension
    ext = "ext/#{name}"
    FileUtils.mkdir_p(File.join(dir, ext))
    # A build that compiles nothing: RubyGems still runs it and records
    # gem.build_complete, which is all the fixtures need.
    File.write(File.join(dir, ext, "extconf.rb"), <<~RUBY)
      File.write("Makefile", "all:\\n\\ninstall:\\n\\nclean:\\n")
    RUBY
    files << "#{ext}/extconf.rb"
  end
  File.write(File.join(dir, "#{name}.gemspec"), <<~RUBY)
    Gem::Specification.new do |s|
      s.name = #{name.inspect}
      s.version = #{version.inspect}
      s.summary = "fixture"
      s.authors = ["fastbundle"]
      s.license = "MIT"
      s.files = #{files.inspect}
      #{"s.platform = #{platform.inspect}" if platform}
      #{"s.require_paths = #{require_paths.inspect}" if require_paths}
      #{"s.extensions = [\"ext/#{name}/extconf.rb\"]" if extension}
    end
  RUBY
  Dir.chdir(dir) { system("gem", "build", "--silent", "#{name}.gemspec", exception: true, out: File::NULL) }
  Dir[File.join(dir, "*.gem")].first
end

def install(gem_file, into)
  system("gem", "install", "--local", "--install-dir", into, "--no-document", "--ignore-dependencies",
         "--quiet", gem_file, exception: true, out: File::NULL)
end

def prune(dir)
  %w[cache doc build_info plugins bin].each { |d| FileUtils.rm_rf(File.join(dir, d)) }
  Dir[File.join(dir, "extensions/**/{gem_make.out,mkmf.log}")].each { |f| FileUtils.rm_f(f) }
  Dir[File.join(dir, "gems/*/ext/**/Makefile")].each { |f| FileUtils.rm_f(f) }
end

Dir.mktmpdir("gem-dirs-fixtures-") do |tmp|
  gems = {
    "first" => [
      { name: "alpha", version: "1.0.0" },
      { name: "multi", version: "2.0.0", require_paths: ["lib", "vendor/lib"] },
      { name: "native", version: "1.0.0", platform: "x86_64-linux" },
      { name: "gnu", version: "1.0.0", platform: "x86_64-linux-gnu" },
      { name: "withext", version: "0.1.0", extension: true },
      { name: "pre", version: "1.0.0.rc1" },
      { name: "dashed-name", version: "0.2.0" }
    ],
    "second" => [
      { name: "alpha", version: "1.0.0", require_paths: ["lib", "second"] },
      { name: "alpha", version: "1.1.0" }
    ]
  }
  gems.each do |dir, list|
    target = File.join(HERE, dir)
    FileUtils.rm_rf(target)
    list.each_with_index do |g, i|
      install(gem_source(File.join(tmp, "#{dir}-#{i}"), **g), target)
    end
    prune(target)
  end
end

# Two of Debian's default gem specs, as RubyGems finds them in
# Gem.default_specifications_dir (one with extensions).
default = File.join(HERE, "default_specs")
FileUtils.rm_rf(default)
FileUtils.mkdir_p(default)
%w[json-2.6.1 abbrev-0.1.0].each do |full_name|
  FileUtils.cp(File.join(Gem.default_specifications_dir, "#{full_name}.gemspec"), default)
end
