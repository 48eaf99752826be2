# frozen_string_literal: true

require "tidy_log"

# The bookshelf's books (in memory: the example has no database).
module BookshelfCatalog
  VERSION = "0.1.0"

  Book = Struct.new(:id, :title, :author, keyword_init: true)

  BOOKS = [
    Book.new(id: 1, title: "Programming Ruby", author: "Thomas, Fowler, Hunt"),
    Book.new(id: 2, title: "The Rust Programming Language", author: "Klabnik, Nichols"),
    Book.new(id: 3, title: "Eloquent Ruby", author: "Olsen")
  ].freeze

  module_function

  def all
    BOOKS
  end

  def find(id, log: TidyLog.new)
    book = BOOKS.find { |b| b.id == Integer(id, exception: false) }
    log.info("catalog lookup", id: id, found: !book.nil?)
    book
  end
end
