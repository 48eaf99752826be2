# frozen_string_literal: true

# One line per event: "level message key=value ...".
class TidyLog
  VERSION = "2.0.1"

  def initialize(io = $stderr)
    @io = io
  end

  %w[debug info warn error].each do |level|
    define_method(level) { |message, **fields| write(level, message, fields) }
  end

  def self.format(level, message, fields = {})
    ([level.ljust(5), message] + fields.map { |k, v| "#{k}=#{v}" }).join(" ")
  end

  private

  def write(level, message, fields)
    @io.puts(TidyLog.format(level, message, fields))
  end
end
