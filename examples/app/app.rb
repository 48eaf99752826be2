# frozen_string_literal: true

# Bookshelf: answers `GET <path>` for each path given (default /books/2).
# Its gems come from the bundle, so boot it with the bundle set up:
#
#   ruby -rfastbundle/setup app.rb /books /books/2   # or -rbundler/setup
#
# Bundler.require is Bundler's under bundler/setup and fastbundle's under
# fastbundle/setup (which loads no file of Bundler's).
Bundler.require(:default)

LOG = TidyLog.new($stdout)

APP = TinyRouter.new do
  get "/books" do
    [200, BookshelfCatalog.all.map(&:title).join(", ")]
  end

  get "/books/:id" do |params|
    book = BookshelfCatalog.find(params["id"], log: LOG)
    book ? [200, "#{book.title} by #{book.author}"] : [404, "no book #{params["id"]}"]
  end
end

(ARGV.empty? ? ["/books/2"] : ARGV).each do |path|
  status, body = APP.call("GET", path)
  LOG.info("GET #{path}", status: status, body: body.inspect)
end
