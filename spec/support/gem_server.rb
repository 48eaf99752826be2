# frozen_string_literal: true

require "fileutils"
require "net/http"
require "socket"
require "webrick"

# Static gem repository served over HTTP on 127.0.0.1.
#
# Why in-process WEBrick: the server dies with the rspec process even on
# SIGKILL (no orphaned servers), binding port 0 gives a free port without a
# race, and the thread serves while the main thread waits on subprocesses.
#
# Bundler 2.3 tries /versions (compact index) -> 404, then
# /api/v1/dependencies -> 404, then the full index: specs.4.8.gz,
# prerelease_specs.4.8.gz, quick/Marshal.4.8/<full>.gemspec.rz and gems/<full>.gem.
# `gem generate_index` writes exactly those (plus latest_specs, unused).
class GemServer
  ALL = []

  attr_reader :dir, :port

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

  # DIR must contain gems/*.gem; as a convenience, *.gem directly in DIR are
  # hard-linked into DIR/gems first.
  def self.start(dir)
    new(dir).tap(&:start)
  end

  # Registered lazily (not at load time) so it runs after specs even under
  # rspec/autorun, whose own at_exit runs the suite.
  def self.stop_all_at_exit
    @stop_all_at_exit ||= at_exit { ALL.dup.each(&:stop) }
  end

  def initialize(dir)
    @dir = File.expand_path(dir)
    @log = RequestLog.new
  end

  # ["GET /versions 404", "GET /specs.4.8.gz 200", ...] since start/clear_requests.
  def requests
    @log.to_a
  end

  def clear_requests
    @log.clear
  end

  def url
    "http://127.0.0.1:#{@port}"
  end

  def start
    reindex
    @server = WEBrick::HTTPServer.new(
      BindAddress: "127.0.0.1", Port: 0, DocumentRoot: @dir,
      Logger: WEBrick::Log.new(File::NULL), AccessLog: [[@log, "%m %U %s"]],
      DoNotReverseLookup: true
    )
    @port = @server.listeners.first.addr[1]
    @thread = Thread.new { @server.start }
    @thread.report_on_exception = false
    self.class.stop_all_at_exit
    ALL << self
    wait_ready!
    clear_requests # drop the readiness probes
    self
  end

  # Regenerates the index; call after adding .gem files while running.
  def reindex
    gems = File.join(@dir, "gems")
    FileUtils.mkdir_p(gems)
    Dir[File.join(@dir, "*.gem")].each do |g|
      target = File.join(gems, File.basename(g))
      FileUtils.ln(g, target, force: true) unless File.exist?(target) && File.identical?(g, target)
    end
    raise ArgumentError, "no .gem files in #{gems}" if Dir[File.join(gems, "*.gem")].empty?

    GemFactory.run!(["gem", "generate_index", "--norc", "--quiet", "--directory", @dir], chdir: @dir)
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

  # Bounded poll: an HTTP GET of the full index must answer 200.
  def wait_ready!
    100.times do
      begin
        http = Net::HTTP.new("127.0.0.1", @port, nil) # nil: never via an env proxy
        http.open_timeout = 1
        http.read_timeout = 2
        res = http.start { |h| h.get("/specs.4.8.gz") }
        return if res.code == "200"
      rescue SystemCallError, IOError, Net::OpenTimeout, Net::ReadTimeout
        nil
      end
      sleep 0.05
    end
    stop
    raise "gem server on port #{@port} did not become ready"
  end
end
