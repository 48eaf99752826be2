# frozen_string_literal: true

require "digest"
require "fileutils"
require "net/http"
require "rubygems/package"
require "socket"
require "time"
require "webrick"
require "zlib"

# A gem server on 127.0.0.1 speaking the compact index, the protocol
# rubygems.org and Gemstash serve and Bundler 2.x prefers:
#
#   GET /versions          "created_at: …\n---\n" then "NAME V1,V2-PLATFORM INFO_MD5" per gem
#   GET /info/NAME         "---\n" then "VERSION[-PLATFORM] DEP:REQ&REQ,…|checksum:SHA256,ruby:REQ,rubygems:REQ"
#   GET /names             "---\n" then one name per line
#   GET /gems/FULL.gem     the package itself
#
# It also serves the full index beside it, as rubygems.org and Gemstash do
# (specs.4.8.gz, quick/Marshal.4.8/…: see write_full_index): Bundler still
# reads that one where the compact index cannot answer for every source
# (Bundler 2.6 with a second, file:// source, say).
#
# Every index response carries the headers both Bundlers check: an ETag that
# is the quoted MD5 of the whole body (Bundler 2.3 compares it with the MD5
# of its cached copy) and `Repr-Digest: sha-256=:…:` (Bundler 2.5+ verifies
# it); `Range: bytes=N-` answers 206 with the tail and `If-None-Match` 304,
# as Bundler asks once it has a cached copy. With `credentials: "user:pass"`
# every request needs that HTTP basic auth (401 otherwise), as a private gem
# server does; Bundler then takes them from `bundle config` / BUNDLE_<HOST>.
#
# Why in-process WEBrick: the server dies with the rspec process even on
# SIGKILL (no orphaned servers), binding port 0 gives a free port without a
# race, and the thread serves while the main thread waits on subprocesses.
class GemServer
  ALL = []

  attr_reader :dir, :port, :credentials

  # Collects "METHOD /path STATUS" lines from WEBrick's access log, so specs can
  # assert what was fetched (e.g. that a runtime made no network requests).
  class RequestLog
    def initialize
      @lines = []
      @mutex = Mutex.new
    end

    def <<(line)
      @mutex.synchronize { @lines << line.chomp }
    end

    def to_a
      @mutex.synchronize { @lines.dup }
    end

    def clear
      @mutex.synchronize { @lines.clear }
    end
  end

  # The compact index of a directory of .gem files, built by reading each
  # package's own spec (as `gem generate_index` did for the full index).
  class CompactIndex
    attr_reader :files

    def initialize(gem_paths)
      specs = gem_paths.map { |path| [Gem::Package.new(path).spec, path] }
      by_name = specs.group_by { |spec, _| spec.name }.sort.to_h
      @files = { "names" => "---\n#{by_name.keys.map { |n| "#{n}\n" }.join}" }
      versions = by_name.map do |name, list|
        list = list.sort_by { |spec, _| [spec.version, spec.platform.to_s] }
        info = "---\n#{list.map { |spec, path| info_line(spec, path) }.join}"
        @files["info/#{name}"] = info
        "#{name} #{list.map { |spec, _| version_id(spec) }.join(",")} #{Digest::MD5.hexdigest(info)}\n"
      end
      @files["versions"] = "created_at: #{Time.at(0).utc.iso8601}\n---\n#{versions.join}"
    end

    private

    def version_id(spec)
      spec.platform.to_s == "ruby" ? spec.version.to_s : "#{spec.version}-#{spec.platform}"
    end

    def info_line(spec, path)
      deps = spec.runtime_dependencies.sort_by(&:name).map { |d| "#{d.name}:#{requirement(d.requirement)}" }
      meta = ["checksum:#{Digest::SHA256.file(path).hexdigest}"]
      meta << "ruby:#{requirement(spec.required_ruby_version)}" unless spec.required_ruby_version.none?
      meta << "rubygems:#{requirement(spec.required_rubygems_version)}" unless spec.required_rubygems_version.none?
      "#{version_id(spec)} #{deps.join(",")}|#{meta.join(",")}\n"
    end

    def requirement(req)
      req.requirements.map { |op, v| "#{op} #{v}" }.sort.join("&")
    end
  end

  # The full index a `file://` source is read from (Bundler uses the compact
  # index only over HTTP): what `gem generate_index` wrote before RubyGems
  # 3.5 dropped it. specs/latest_specs/prerelease_specs.4.8.gz (gzipped
  # Marshal of [name, Gem::Version, platform]) and
  # quick/Marshal.4.8/FULL.gemspec.rz (deflated Marshal of the spec), for
  # DIR/gems/*.gem. Returns DIR.
  def self.write_full_index(dir)
    specs = Dir[File.join(dir, "gems", "*.gem")].sort.map { |path| Gem::Package.new(path).spec }
    raise ArgumentError, "no .gem files in #{dir}/gems" if specs.empty?

    quick = File.join(dir, "quick", "Marshal.#{Gem.marshal_version}")
    FileUtils.mkdir_p(quick)
    specs.each { |spec| File.binwrite(File.join(quick, "#{spec.full_name}.gemspec.rz"), Zlib::Deflate.deflate(Marshal.dump(spec))) }
    tuple = ->(spec) { [spec.name, spec.version, spec.platform.to_s] }
    released, prerelease = specs.partition { |spec| !spec.version.prerelease? }
    latest = released.group_by { |spec| [spec.name, spec.platform.to_s] }.map { |_, list| list.max_by(&:version) }
    { "specs" => released, "latest_specs" => latest, "prerelease_specs" => prerelease }.each do |name, list|
      Zlib::GzipWriter.open(File.join(dir, "#{name}.#{Gem.marshal_version}.gz")) do |gz|
        gz.write(Marshal.dump(list.map(&tuple).sort_by { |n, v, p| [n, v, p] }))
      end
    end
    dir
  end

  # DIR must contain gems/*.gem; as a convenience, *.gem directly in DIR are
  # hard-linked into DIR/gems first. credentials: "user:password" or nil.
  def self.start(dir, credentials: nil)
    new(dir, credentials: credentials).tap(&:start)
  end

  # Registered lazily (not at load time) so it runs after specs even under
  # rspec/autorun, whose own at_exit runs the suite.
  def self.stop_all_at_exit
    @stop_all_at_exit ||= at_exit { ALL.dup.each(&:stop) }
  end

  def initialize(dir, credentials: nil)
    @dir = File.expand_path(dir)
    @credentials = credentials
    @log = RequestLog.new
    @mutex = Mutex.new
  end

  # ["GET /versions 200", "GET /info/alpha 200", ...] since start/clear_requests.
  def requests
    @log.to_a
  end

  def clear_requests
    @log.clear
  end

  # The source URL for a Gemfile (never with the credentials in it).
  def url
    "http://127.0.0.1:#{@port}"
  end

  # The `bundle config` key Bundler looks credentials up under for this
  # server (Settings#credentials_for: the URI, then the host).
  def config_key
    "#{url}/"
  end

  def start
    reindex
    @server = WEBrick::HTTPServer.new(
      BindAddress: "127.0.0.1", Port: 0,
      Logger: WEBrick::Log.new(File::NULL), AccessLog: [[@log, "%m %U %s"]],
      DoNotReverseLookup: true
    )
    @server.mount_proc("/") { |req, res| serve(req, res) }
    @port = @server.listeners.first.addr[1]
    @thread = Thread.new { @server.start }
    @thread.report_on_exception = false
    self.class.stop_all_at_exit
    ALL << self
    wait_ready!
    clear_requests # drop the readiness probes
    self
  end

  # Rebuilds the index; call after adding .gem files while running.
  def reindex
    gems = File.join(@dir, "gems")
    FileUtils.mkdir_p(gems)
    Dir[File.join(@dir, "*.gem")].each do |g|
      target = File.join(gems, File.basename(g))
      FileUtils.ln(g, target, force: true) unless File.exist?(target) && File.identical?(g, target)
    end
    paths = Dir[File.join(gems, "*.gem")].sort
    raise ArgumentError, "no .gem files in #{gems}" if paths.empty?

    index = CompactIndex.new(paths)
    @mutex.synchronize do
      @index = index
      self.class.write_full_index(@dir)
    end
    self
  end

  def stop
    return unless @server

    @server.shutdown
    @thread&.join(5)
    @server = nil
    ALL.delete(self)
  end

  private

  def serve(req, res)
    return unauthorized(res) unless authorized?(req)

    path = req.path.delete_prefix("/")
    if full_index_file?(path) && File.file?(file = File.join(@dir, path))
      res["Content-Type"] = "application/octet-stream"
      res.body = File.binread(file)
    elsif (body = @mutex.synchronize { @index.files[path] })
      index_response(req, res, body)
    else
      res.status = 404
      res.body = "not found\n"
    end
  end

  FULL_INDEX = %r{\A(?:gems/[^/]+\.gem|(?:latest_|prerelease_)?specs\.4\.8\.gz|quick/Marshal\.4\.8/[^/]+\.gemspec\.rz)\z}.freeze

  def full_index_file?(path)
    FULL_INDEX.match?(path) && !path.include?("..")
  end

  def index_response(req, res, body)
    etag = %("#{Digest::MD5.hexdigest(body)}")
    res["Content-Type"] = "text/plain; charset=utf-8"
    res["ETag"] = etag
    res["Repr-Digest"] = "sha-256=:#{[Digest::SHA256.digest(body)].pack("m0")}:"
    res["Accept-Ranges"] = "bytes"
    if req["If-None-Match"] == etag
      res.status = 304
    elsif (from = req["Range"].to_s[/\Abytes=(\d+)-\z/, 1]&.to_i) && from < body.bytesize
      res.status = 206
      res["Content-Range"] = "bytes #{from}-#{body.bytesize - 1}/#{body.bytesize}"
      res.body = body.byteslice(from..)
    else
      res.body = body
    end
  end

  def authorized?(req)
    return true unless @credentials

    req["Authorization"] == "Basic #{[@credentials].pack("m0")}"
  end

  def unauthorized(res)
    res.status = 401
    res["WWW-Authenticate"] = %(Basic realm="fastbundle test gems")
    res.body = "authentication required\n"
  end

  # One request: the socket already listens, so it waits in the backlog
  # until the server thread accepts it (no polling).
  def wait_ready!
    http = Net::HTTP.new("127.0.0.1", @port, nil) # nil: never via an env proxy
    http.open_timeout = http.read_timeout = 30
    get = Net::HTTP::Get.new("/versions")
    get.basic_auth(*@credentials.split(":", 2)) if @credentials
    code = http.start { |h| h.request(get) }.code
    raise "gem server on port #{@port} answered #{code} to GET /versions" unless code == "200"
  rescue SystemCallError, IOError, Net::OpenTimeout, Net::ReadTimeout => e
    stop
    raise "gem server on port #{@port} did not become ready: #{e.message}"
  end
end
