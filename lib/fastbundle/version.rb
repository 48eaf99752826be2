# frozen_string_literal: true

module FastBundle
  VERSION = "0.1.0"
end
