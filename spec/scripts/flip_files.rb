# frozen_string_literal: true

# ruby flip_files.rb MODE STOP TARGET VERSION_A VERSION_B [TARGET A B]...
#
# Replaces each TARGET with its versions A and B in turn, as fast as it
# can, until the file STOP exists; prints "flipping" once it has begun and
# "flips N" at the end. MODE "rename" writes a temporary file and renames
# it over TARGET (editors, git checkout, deploy tools); "in-place"
# truncates TARGET and writes into it (Bundler's own `bundle install`).
mode, stop, *rest = ARGV
targets = rest.each_slice(3).map { |target, a, b| [target, File.binread(a), File.binread(b)] }
flips = 0
$stdout.sync = true
loop do
  targets.each do |target, a, b|
    text = flips.even? ? b : a
    if mode == "rename"
      tmp = "#{target}.flip-tmp"
      File.binwrite(tmp, text)
      File.rename(tmp, target)
    else
      File.binwrite(target, text)
    end
  end
  flips += 1
  puts "flipping" if flips == 1
  break if File.exist?(stop)
end
puts "flips #{flips}"
