# frozen_string_literal: true

# Turns bench/setup_bench.rb's JSON into an SVG line chart of setup overhead
# (median ms over `ruby -e1`) vs number of gems N, one line per runtime:
#
#   ruby bench/plot.rb [--linear] [--instructions] [tmp/bench-results/setup.json] [docs/setup-bench.svg]
#
# Log-log axes by default (--linear for linear ones). --instructions plots
# callgrind's instruction counts (setup_bench.rb --instructions) instead of
# wall time. Only the plain worlds (no engines world) are on the N axis.
# Plain hand-written SVG (no gems). A runtime missing from the results (e.g.
# fastbundle before it exists) is listed in the legend as "not available".
require "json"
require "cgi"

module SetupPlot
  REPO = File.expand_path("..", __dir__)
  SERIES = [
    ["bundler", "Bundler (-rbundler/setup)", "#d9534f"],
    ["cold", "fastbundle, FASTBUNDLE_CACHE=0", "#9b8fd6"],
    ["fastbundle", "fastbundle, plan cache warm", "#2a7ae2"],
    ["floor", "bundle --standalone setup.rb (floor)", "#5cb85c"]
  ].freeze
  W = 760
  H = 460
  LEFT = 70
  RIGHT = 250
  TOP = 60
  BOTTOM = 60

  module_function

  def main(argv)
    linear = argv.delete("--linear")
    @instructions = argv.delete("--instructions")
    json = File.expand_path(argv[0] || File.join(REPO, "tmp", "bench-results", "setup.json"))
    out = File.expand_path(argv[1] || File.join(REPO, "docs", "setup-bench.svg"))
    abort "no results at #{json}: run ruby bench/setup_bench.rb first" unless File.file?(json)
    File.write(out, svg(JSON.parse(File.read(json)), log: !linear))
    puts "wrote #{out}"
  end

  def svg(data, log: true)
    worlds = data["worlds"].select { |w| w["build"]["engines"].to_i.zero? }.sort_by { |w| w["n"] }
    ns = worlds.map { |w| w["n"] }
    overhead = lambda do |w, key|
      @instructions ? w.dig("instructions", "overhead", key)&.fdiv(1e6) : w["overhead_ms"][key]
    end
    points = SERIES.to_h do |key, _, _|
      [key, worlds.filter_map { |w| (v = overhead.(w, key)) && [w["n"], v] }]
    end
    unit = @instructions ? "M instructions" : "ms"
    vals = points.values.flatten(1).map(&:last)
    pw = W - LEFT - RIGHT
    ph = H - TOP - BOTTOM
    if log
      # Log-log: the small overheads (floor, fastbundle) stay readable next to
      # Bundler's, and equal ratios are equal distances. Values <= 0 (noise
      # below the baseline) and below 1 ms (noise on this machine) are drawn
      # on the bottom edge, labelled with their value.
      pos = vals.select(&:positive?)
      ylo = [10.0**Math.log10(pos.min || 1).floor, 1.0].max
      yhi = nice_max([pos.max || 10, ylo * 10].max, steps: [1, 2, 5, 10])
      xlo = ns.min / 1.6
      xhi = ns.max * 1.6
      x = ->(n) { LEFT + pw * Math.log(n.to_f / xlo) / Math.log(xhi / xlo) }
      y = ->(v) { TOP + ph - ph * Math.log([v, ylo].max / ylo) / Math.log(yhi / ylo) }
      yticks = (Math.log10(ylo).round..Math.log10(yhi).round).flat_map { |k| [1, 2, 5].map { |m| m * 10.0**k } }.select { |v| v <= yhi * 1.0001 }
    else
      ymax = nice_max([vals.max || 1, 1].max)
      xhi = (ns.max || 1) * 1.1 # room for the value labels right of the last point
      x = ->(n) { LEFT + pw * n.to_f / xhi }
      y = ->(v) { TOP + ph - ph * [v, 0].max.to_f / ymax }
      yticks = ticks(ymax)
    end

    e = []
    e << %(<rect width="#{W}" height="#{H}" fill="white"/>)
    e << text(LEFT, 26, "Boot overhead over `ruby -e1` vs installed gems in the bundle", size: 16, weight: "bold")
    what = @instructions ? "instructions of a fresh process (callgrind)" : "median wall ms of a fresh process, #{data["runs"]} interleaved runs"
    e << text(LEFT, 44, "#{what}; " \
                        "#{data["ruby"][/\Aruby \S+/]}, Bundler #{data["bundler"]}, #{data["cpus"]} CPUs, #{data["date"][0, 10]}",
              size: 11, fill: "#555")
    # Grid and axes.
    yticks.each do |v|
      major = !log || Math.log10(v).round(6) % 1 == 0
      e << %(<line x1="#{LEFT}" y1="#{f y.(v)}" x2="#{LEFT + pw}" y2="#{f y.(v)}" stroke="#{major ? "#d5d5d5" : "#eeeeee"}"/>)
      e << text(LEFT - 8, y.(v) + 4, num(v), anchor: "end", size: major ? 12 : 10, fill: major ? "#222" : "#777")
    end
    ns.each do |n|
      e << %(<line x1="#{f x.(n)}" y1="#{TOP + ph}" x2="#{f x.(n)}" y2="#{TOP + ph + 5}" stroke="#333"/>)
      e << text(x.(n), TOP + ph + 20, n.to_s, anchor: "middle")
    end
    e << %(<line x1="#{LEFT}" y1="#{TOP + ph}" x2="#{LEFT + pw}" y2="#{TOP + ph}" stroke="#333"/>)
    e << %(<line x1="#{LEFT}" y1="#{TOP}" x2="#{LEFT}" y2="#{TOP + ph}" stroke="#333"/>)
    e << text(LEFT + pw / 2, H - 14, "gems in the bundle (N#{log ? ", log scale" : ""})", anchor: "middle")
    e << %(<text x="18" y="#{TOP + ph / 2}" font-size="12" text-anchor="middle" ) +
         %(transform="rotate(-90 18 #{TOP + ph / 2})">overhead over ruby -e1 (#{unit}#{log ? ", log scale" : ""})</text>)
    # Series.
    SERIES.each do |key, _, color|
      pts = points[key]
      next if pts.empty?

      e << %(<polyline fill="none" stroke="#{color}" stroke-width="2.5" points="#{pts.map { |n, v| "#{f x.(n)},#{f y.(v)}" }.join(" ")}"/>)
      pts.each do |n, v|
        e << %(<circle cx="#{f x.(n)}" cy="#{f y.(v)}" r="4" fill="#{color}"/>)
        # The floor hugs the axis: its labels go right of the points, the others above.
        e << if key == "floor"
               text(x.(n) + 7, y.(v) + 4, num(v), size: 11, fill: color)
             else
               text(x.(n), y.(v) - 9, num(v), size: 11, fill: color, anchor: "middle")
             end
      end
    end
    # Legend.
    lx = LEFT + pw + 20
    SERIES.each_with_index do |(key, label, color), i|
      ly = TOP + 10 + i * 40
      missing = points[key].empty?
      e << %(<line x1="#{lx}" y1="#{ly}" x2="#{lx + 24}" y2="#{ly}" stroke="#{color}" stroke-width="2.5"#{missing ? ' stroke-dasharray="3 3"' : ""}/>)
      e << text(lx + 30, ly + 4, label, size: 11)
      e << text(lx + 30, ly + 18, missing ? "not available in this run" : "#{points[key].map { |_, v| format("%+.#{v.abs < 10 ? 1 : 0}f", v) }.join(", ")} #{@instructions ? "M" : "ms"}",
                size: 10, fill: "#666")
    end
    ratios = worlds.filter_map do |w|
      r = @instructions ? w.dig("instructions", "ratios", "bundler_over_fastbundle") : w["ratios"]["bundler_over_fastbundle"]
      noisy = !@instructions && (w["ratios_within_noise"] || []).include?("bundler_over_fastbundle")
      r && "N=#{w["n"]}: #{format("%.1f", r)}x#{noisy ? " (noise)" : ""}"
    end
    unless ratios.empty?
      e << text(lx, TOP + 190, "Bundler / fastbundle overhead", size: 11, weight: "bold")
      ratios.each_with_index { |s, i| e << text(lx, TOP + 206 + i * 15, s, size: 11) }
    end

    <<~SVG
      <svg xmlns="http://www.w3.org/2000/svg" width="#{W}" height="#{H}" viewBox="0 0 #{W} #{H}" font-family="sans-serif">
      #{e.join("\n")}
      </svg>
    SVG
  end

  def text(x, y, str, size: 12, anchor: "start", weight: "normal", fill: "#222")
    %(<text x="#{f x}" y="#{f y}" font-size="#{size}" text-anchor="#{anchor}" font-weight="#{weight}" fill="#{fill}">#{CGI.escapeHTML(str)}</text>)
  end

  # Smallest 1/2/2.5/5 x 10^k at or above v.
  def nice_max(v, steps: [1, 2, 2.5, 5, 10])
    mag = 10.0**Math.log10(v).floor
    steps.map { |m| m * mag }.find { |c| c >= v }.then { |c| c == c.to_i ? c.to_i : c }
  end

  def num(v)
    return format("%.0f", v) if v.abs >= 10 || v.zero?

    format("%.1f", v).sub(/\.0\z/, "")
  end

  def ticks(max)
    step = nice_max(max / 5.0)
    (0..(max / step).floor).map { |i| (i * step).then { |t| t == t.to_i ? t.to_i : t.round(1) } }
  end

  def f(v)
    format("%.1f", v)
  end
end

SetupPlot.main(ARGV) if $PROGRAM_NAME == __FILE__
