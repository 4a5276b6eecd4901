// Thin RAII helpers over the SQLite C API, used by the SQLite store only.
//
// Conn owns one sqlite3 connection and a cache of prepared statements keyed by SQL text, so a
// statement is prepared once per connection and reused (reset + rebound) on every call. Stmt is
// a borrowed, cached statement: binding is positional in call order, and the destructor resets
// the statement and clears its bindings so the next user starts clean. A Conn is not
// thread-safe: one thread uses it at a time (the writer thread, or a reader that took it from
// the pool).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "common/status.h"

namespace herald::sqlite {

// Code::kUnavailable with `what` and SQLite's last message for `db`.
Status Error(sqlite3* db, std::string_view what);

class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  Stmt(Stmt&& o) noexcept : s_(std::exchange(o.s_, nullptr)), n_(o.n_) {}
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  ~Stmt() {
    if (s_ != nullptr) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }

  // Binds the next parameter. Text is bound without copying: it must outlive Step().
  Stmt& Bind(int64_t v) {
    sqlite3_bind_int64(s_, ++n_, v);
    return *this;
  }
  Stmt& Bind(int v) { return Bind(static_cast<int64_t>(v)); }
  Stmt& Bind(bool v) { return Bind(static_cast<int64_t>(v ? 1 : 0)); }
  Stmt& Bind(std::string_view v) {
    sqlite3_bind_text(s_, ++n_, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& Bind(const std::string& v) { return Bind(std::string_view(v)); }
  Stmt& Bind(const char* v) { return Bind(std::string_view(v)); }
  Stmt& Bind(std::string&&) = delete;  // would dangle (bound without copy)
  Stmt& BindNull() {
    sqlite3_bind_null(s_, ++n_);
    return *this;
  }
  template <typename T>
  Stmt& Bind(const std::optional<T>& v) {
    return v ? Bind(*v) : BindNull();
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(s_); }
  // Makes the statement reusable: resets it and clears bindings (next Bind is parameter 1).
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    n_ = 0;
  }

  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  std::string Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
  }
  std::string_view TextView(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s_, col)))
             : std::string_view();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  int n_ = 0;
};

class Conn {
 public:
  // Opens (creating if needed) the database at `path` and applies the per-connection pragmas:
  // synchronous=FULL, busy_timeout, foreign_keys=ON, cache size `cache_kib` KiB.
  // WAL mode is a property of the file and is set once by the store at open.
  static Result<std::unique_ptr<Conn>> Open(const std::string& path, int cache_kib);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Runs one or more SQL statements without results.
  Status Exec(const char* sql);
  // Returns the cached prepared statement for `sql` (prepared on first use).
  Result<Stmt> Prepare(const std::string& sql);
  // Prepares (cached) and steps a statement without parameters or rows.
  Status Run(const std::string& sql);

  sqlite3* db() const { return db_; }
  Status Error(std::string_view what) const { return sqlite::Error(db_, what); }

 private:
  explicit Conn(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace herald::sqlite
