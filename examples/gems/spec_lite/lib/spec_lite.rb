# frozen_string_literal: true

require "text_diff"

# assert_equal that shows a line diff when two strings differ.
module SpecLite
  VERSION = "0.5.0"

  class Failure < StandardError; end

  module_function

  def assert_equal(expected, actual)
    return true if expected == actual

    detail = if expected.is_a?(String) && actual.is_a?(String)
               TextDiff.lines(expected, actual).join("\n")
             else
               "expected #{expected.inspect}, got #{actual.inspect}"
             end
    raise Failure, detail
  end
end
