# frozen_string_literal: true

# A line diff of two strings: "-" lines only in the first, "+" only in the
# second, "  " in both (a longest-common-subsequence alignment).
module TextDiff
  VERSION = "1.0.0"

  module_function

  def lines(a, b)
    x = a.lines(chomp: true)
    y = b.lines(chomp: true)
    lcs = Array.new(x.size + 1) { Array.new(y.size + 1, 0) }
    x.size.downto(1) do |i|
      y.size.downto(1) do |j|
        lcs[i - 1][j - 1] = x[i - 1] == y[j - 1] ? lcs[i][j] + 1 : [lcs[i - 1][j], lcs[i][j - 1]].max
      end
    end
    out = []
    i = j = 0
    while i < x.size && j < y.size
      if x[i] == y[j]
        out << "  #{x[i]}"
        i += 1
        j += 1
      elsif lcs[i + 1][j] >= lcs[i][j + 1]
        out << "- #{x[i]}"
        i += 1
      else
        out << "+ #{y[j]}"
        j += 1
      end
    end
    out.concat(x[i..].map { |l| "- #{l}" }, y[j..].map { |l| "+ #{l}" })
  end
end
