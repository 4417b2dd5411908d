#pragma once
// Rows handed to one SQLite statement by pointer, for set-based writes: a statement reads
// them as a table with `FROM mlpath_rows(?)` (columns c0 … c15), so a batch of thousands of
// people is one statement instead of one per person, with nothing to parse on the way.
// Private to the SQLite store.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace mlpath::storage {

class sqlite_rows {
 public:
  static constexpr int max_width = 16;

  // Cells are added row by row, `width` per row.
  explicit sqlite_rows(int width);
  sqlite_rows& add(std::int64_t v);
  sqlite_rows& add(bool v) { return add(std::int64_t{v ? 1 : 0}); }
  sqlite_rows& add(std::string_view v);
  sqlite_rows& add(const std::optional<std::int64_t>& v) { return v ? add(*v) : add_null(); }
  sqlite_rows& add_null();

  std::size_t rows() const { return cells_.size() / static_cast<std::size_t>(width_); }
  bool empty() const { return cells_.empty(); }

  // Binds these rows to parameter `n` of `stmt`; they must outlive its execution.
  void bind(sqlite3_stmt* stmt, int n) const;
  // Makes `mlpath_rows` known to a connection (once per connection).
  static void register_on(sqlite3* db);

 private:
  enum class kind : std::uint8_t { null, integer, text };
  struct cell {
    kind k = kind::null;
    std::int64_t i = 0;      // the integer, or the text's offset in text_
    std::uint32_t size = 0;  // the text's length
  };
  int width_;
  std::vector<cell> cells_;
  std::string text_;  // every text cell, back to back

  friend struct rows_access;
};

// A statement that reads a batch: prepared once, run with the rows bound to ?1. Errors
// are thrown as SQLite::Exception with SQLite's code, like every other statement's.
class rows_statement {
 public:
  rows_statement(sqlite3* db, const char* sql);
  ~rows_statement();
  rows_statement(const rows_statement&) = delete;
  rows_statement& operator=(const rows_statement&) = delete;

  rows_statement& bind(int n, std::int64_t v);
  rows_statement& bind(int n, std::string_view v);  // must outlive run()
  // Runs to completion with `rows` as ?1; returns the first column of each row the
  // statement yields (its RETURNING clause), and clears the bindings.
  std::vector<std::int64_t> run(const sqlite_rows& rows);
  // Rows the last run inserted, updated or deleted.
  std::int64_t changes() const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace mlpath::storage
