# frozen_string_literal: true

# A path template such as "/books/:id": #match returns the named segments of
# a matching path, or nil.
class PathTemplate
  VERSION = "0.4.0"

  attr_reader :source

  def initialize(source)
    @source = source
    names = []
    pattern = source.split("/", -1).map do |segment|
      next Regexp.escape(segment) unless segment.start_with?(":")

      names << segment[1..]
      "([^/]+)"
    end.join("/")
    @names = names
    @regexp = /\A#{pattern}\z/
  end

  def match(path)
    m = @regexp.match(path) or return nil
    @names.zip(m.captures).to_h
  end
end
