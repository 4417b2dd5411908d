#include "storage/sqlite_rows.hpp"

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <new>
#include <stdexcept>

namespace mlpath::storage {

namespace {
constexpr const char* pointer_type = "mlpath_rows";
}

// The virtual table's view of a batch.
struct rows_access {
  static int width(const sqlite_rows& r) { return r.width_; }
  static void result(const sqlite_rows& r, std::size_t row, int column, sqlite3_context* ctx) {
    if (column >= r.width_) {
      sqlite3_result_null(ctx);
      return;
    }
    const auto& c = r.cells_[row * static_cast<std::size_t>(r.width_) + static_cast<std::size_t>(column)];
    switch (c.k) {
      case sqlite_rows::kind::null:
        sqlite3_result_null(ctx);
        break;
      case sqlite_rows::kind::integer:
        sqlite3_result_int64(ctx, c.i);
        break;
      case sqlite_rows::kind::text:
        // The rows outlive the statement's execution; SQLite copies what it stores.
        sqlite3_result_text(ctx, r.text_.data() + c.i, static_cast<int>(c.size), SQLITE_STATIC);
        break;
    }
  }
};

namespace {

// An eponymous table-valued function: mlpath_rows(pointer) yields the batch's rows.
constexpr int rows_column = sqlite_rows::max_width;  // the hidden argument

struct rows_cursor {
  sqlite3_vtab_cursor base{};
  const sqlite_rows* rows = nullptr;
  std::size_t row = 0;
};

int rows_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) {
  int rc = sqlite3_declare_vtab(db,
                                "CREATE TABLE x(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, "
                                "rows HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  auto* v = static_cast<sqlite3_vtab*>(sqlite3_malloc(sizeof(sqlite3_vtab)));
  if (!v) return SQLITE_NOMEM;
  *v = sqlite3_vtab{};
  *out = v;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  return SQLITE_OK;
}

int rows_disconnect(sqlite3_vtab* v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

// Only usable with the batch given: mlpath_rows(?).
int rows_best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn == rows_column && c.op == SQLITE_INDEX_CONSTRAINT_EQ) {
      if (!c.usable) return SQLITE_CONSTRAINT;
      info->aConstraintUsage[i].argvIndex = 1;
      info->aConstraintUsage[i].omit = 1;
      info->estimatedCost = 1000;
      info->estimatedRows = 1000;
      return SQLITE_OK;
    }
  }
  return SQLITE_CONSTRAINT;
}

int rows_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new (std::nothrow) rows_cursor;
  if (!c) return SQLITE_NOMEM;
  *out = &c->base;
  return SQLITE_OK;
}

int rows_close(sqlite3_vtab_cursor* c) {
  delete reinterpret_cast<rows_cursor*>(c);
  return SQLITE_OK;
}

int rows_filter(sqlite3_vtab_cursor* base, int, const char*, int argc, sqlite3_value** argv) {
  auto* c = reinterpret_cast<rows_cursor*>(base);
  c->rows = argc == 1 ? static_cast<const sqlite_rows*>(sqlite3_value_pointer(argv[0], pointer_type)) : nullptr;
  c->row = 0;
  return SQLITE_OK;
}

int rows_next(sqlite3_vtab_cursor* base) {
  ++reinterpret_cast<rows_cursor*>(base)->row;
  return SQLITE_OK;
}

int rows_eof(sqlite3_vtab_cursor* base) {
  auto* c = reinterpret_cast<rows_cursor*>(base);
  return !c->rows || c->row >= c->rows->rows();
}

int rows_column_value(sqlite3_vtab_cursor* base, sqlite3_context* ctx, int column) {
  auto* c = reinterpret_cast<rows_cursor*>(base);
  rows_access::result(*c->rows, c->row, column, ctx);
  return SQLITE_OK;
}

int rows_rowid(sqlite3_vtab_cursor* base, sqlite3_int64* out) {
  *out = static_cast<sqlite3_int64>(reinterpret_cast<rows_cursor*>(base)->row);
  return SQLITE_OK;
}

const sqlite3_module rows_module = [] {
  sqlite3_module m{};
  m.iVersion = 0;
  m.xCreate = nullptr;  // eponymous only: no CREATE VIRTUAL TABLE
  m.xConnect = rows_connect;
  m.xBestIndex = rows_best_index;
  m.xDisconnect = rows_disconnect;
  m.xOpen = rows_open;
  m.xClose = rows_close;
  m.xFilter = rows_filter;
  m.xNext = rows_next;
  m.xEof = rows_eof;
  m.xColumn = rows_column_value;
  m.xRowid = rows_rowid;
  return m;
}();

}  // namespace

sqlite_rows::sqlite_rows(int width) : width_(width) {
  if (width < 1 || width > max_width) throw std::invalid_argument("sqlite_rows: width out of range");
}

sqlite_rows& sqlite_rows::add(std::int64_t v) {
  cells_.push_back(cell{kind::integer, v, 0});
  return *this;
}

sqlite_rows& sqlite_rows::add(std::string_view v) {
  cells_.push_back(cell{kind::text, static_cast<std::int64_t>(text_.size()), static_cast<std::uint32_t>(v.size())});
  text_.append(v);
  return *this;
}

sqlite_rows& sqlite_rows::add_null() {
  cells_.push_back(cell{});
  return *this;
}

void sqlite_rows::bind(sqlite3_stmt* stmt, int n) const {
  if (cells_.size() % static_cast<std::size_t>(width_) != 0) throw std::logic_error("sqlite_rows: a row is incomplete");
  if (sqlite3_bind_pointer(stmt, n, const_cast<sqlite_rows*>(this), pointer_type, nullptr) != SQLITE_OK)
    throw std::runtime_error("sqlite_rows: cannot bind the rows");
}

void sqlite_rows::register_on(sqlite3* db) {
  if (sqlite3_create_module_v2(db, pointer_type, &rows_module, nullptr, nullptr) != SQLITE_OK)
    throw std::runtime_error(std::string("cannot register mlpath_rows: ") + sqlite3_errmsg(db));
}

rows_statement::rows_statement(sqlite3* db, const char* sql) : db_(db) {
  int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) throw SQLite::Exception(db, rc);
}

rows_statement::~rows_statement() { sqlite3_finalize(stmt_); }

rows_statement& rows_statement::bind(int n, std::int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, n, v);
  if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
  return *this;
}

rows_statement& rows_statement::bind(int n, std::string_view v) {
  int rc = sqlite3_bind_text(stmt_, n, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
  return *this;
}

std::vector<std::int64_t> rows_statement::run(const sqlite_rows& rows) {
  std::vector<std::int64_t> out;
  rows.bind(stmt_, 1);
  int rc;
  while ((rc = sqlite3_step(stmt_)) == SQLITE_ROW) out.push_back(sqlite3_column_int64(stmt_, 0));
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (rc != SQLITE_DONE) throw SQLite::Exception(db_, rc);
  return out;
}

std::int64_t rows_statement::changes() const { return sqlite3_changes64(db_); }

}  // namespace mlpath::storage
