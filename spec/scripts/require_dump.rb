# frozen_string_literal: true

# Calls Bundler.require or FastBundle.require (REQUIRE_WITH) with
# REQUIRE_GROUPS (comma separated; "s:name" passes a String) and prints JSON:
# the features it loaded, the gem markers, and the error it raised if any.
# Run after -rbundler/setup / -rfastbundle/setup, or alone (then require
# itself sets the groups up).
require "json"

groups = ENV.fetch("REQUIRE_GROUPS", "").split(",").map { |g| g.start_with?("s:") ? g[2..] : g.to_sym }
# Files that are Bundler's or fastbundle's own, or RubyGems' internals that
# Bundler loads for itself during its setup, are not what require loaded.
fastbundle_lib = ENV.fetch("FASTBUNDLE_LIB_DIR")
rubygems_lib = File.join(File.dirname($LOADED_FEATURES.find { |f| f.end_with?("/rubygems.rb") }), "rubygems/")
# Pathname too: Bundler requires it for itself, fastbundle only autoloads it
# (bundler_compat_spec checks it is there for code that relies on it).
pathname = ["pathname.rb", "pathname.so"].map { |f| $LOADED_FEATURES.find { |lf| lf.end_with?("/#{f}") } || f }
own = lambda do |f|
  f.include?("/gems/bundler-") || pathname.include?(f) ||
    f.start_with?(File.join(RbConfig::CONFIG["rubylibdir"], "bundler"), fastbundle_lib, rubygems_lib)
end

# A require hook like bootsnap's (on Kernel.require): it must see every file.
$hooked = []
Kernel.singleton_class.prepend(Module.new do
  def require(path)
    $hooked << path
    super
  end
end)

before = $LOADED_FEATURES.dup
result = { "status" => "ok" }
begin
  if ENV["REQUIRE_WITH"] == "bundler"
    require "bundler"
    Bundler.require(*groups)
  else
    require "fastbundle"
    FastBundle.require(*groups)
  end
rescue Exception => e # rubocop:disable Lint/RescueException
  lines = e.message.lines
  result = {
    "status" => "error",
    "class" => e.class.name.sub(/\A(Bundler|FastBundle)::/, ""),
    # Bundler's message embeds the original backtrace: compare its head (up
    # to the gem's own frame) and its last line; the frames of Bundler's or
    # fastbundle's own code differ by nature.
    "message_head" => lines.first(4).join,
    "message_tail" => lines.last,
    "status_code" => e.respond_to?(:status_code) ? e.status_code : nil,
    "load_error_path" => e.respond_to?(:path) ? e.path : nil,
    "cause" => e.cause && "#{e.cause.class}: #{e.cause.message}",
    # where the cause was raised, when that is a gem's file
    "cause_frame" => e.cause&.backtrace&.first&.then { |f| f.start_with?(ENV.fetch("GEM_HOME")) ? f : "(not a gem)" },
    "orig_exception" => e.respond_to?(:orig_exception) ? e.orig_exception.equal?(e.cause) : nil,
  }
end
result["added"] = ($LOADED_FEATURES - before).reject(&own)
result["loaded_features"] = $LOADED_FEATURES.reject(&own)
result["marks"] = $LOADED_GEMS_MARK || []
result["hooked"] = $hooked.reject { |f| f == "bundler" }
puts JSON.generate(result)
