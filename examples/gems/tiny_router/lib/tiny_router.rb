# frozen_string_literal: true

require "path_template"

# Routes "VERB /path" to a block: the block gets the path's named segments
# and returns [status, body]; an unknown route is [404, "not found"].
class TinyRouter
  VERSION = "1.2.0"

  def initialize(&routes)
    @routes = []
    instance_eval(&routes) if routes
  end

  def get(template, &handler)
    @routes << ["GET", PathTemplate.new(template), handler]
  end

  def call(verb, path)
    @routes.each do |route_verb, template, handler|
      next unless route_verb == verb

      params = template.match(path)
      return handler.call(params) if params
    end
    [404, "not found"]
  end
end
