// What the .cc files of SqliteStore share, and nothing else includes: the write context and
// the unit of work of the writer thread, the blocking write and the read helpers of the class,
// and small helpers that run one statement and map its rows (rows.h) to results.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/record_op.h"
#include "store/rows.h"
#include "store/sqlite/conn.h"
#include "store/sqlite/sqlite_store.h"

namespace herald {

using sql::kFailed;
using sql::kFinished;
using sql::kQueued;
using sql::kScheduled;
using sql::kStarted;
using sqlite::Conn;
using sqlite::Stmt;

// The state of one write transaction, seen by each operation of the batch: the connection, the
// time, and what the transaction changed (sql::TxEffects: counters, revision, wake-up).
struct SqliteStore::WriteCtx : sql::TxEffects {
  WriteCtx(Conn& c, TimeUs t) : conn(c), now(t) {}
  Conn& conn;
  TimeUs now;  // wall clock at the start of the transaction
};

// One unit of work. Run executes inside the batch transaction (in its own savepoint: an error
// return rolls back just this op). Finish runs after the transaction ended, on the writer
// thread, with the commit's outcome; it must hand the op's result to its caller.
class SqliteStore::WriteOp : public WriteOpBase<SqliteStore::WriteCtx> {
 public:
  // Non-null for an attempt record: RunBatch folds a run of them into a few statements
  // (RecordAttempts) instead of running each one alone.
  virtual sql::RecordOp<WriteOp, WriteCtx>* AsRecord() { return nullptr; }
};

namespace sqlite_store {

using RecordOp = sql::RecordOp<SqliteStore::WriteOp, SqliteStore::WriteCtx>;

// Steps `s` to completion, mapping each row with `row` (returning Result<T>).
template <typename T, typename RowFn>
Result<std::vector<T>> Collect(Conn& c, Stmt& s, RowFn row) {
  std::vector<T> out;
  for (;;) {
    int rc = s.Step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return c.Error("query failed");
    Result<T> item = row(s);
    if (!item.ok()) return item.status();
    out.push_back(std::move(item).value());
  }
  return out;
}

// Steps a statement expected to yield at most one row; nullopt when none.
template <typename T, typename RowFn>
Result<std::optional<T>> One(Conn& c, Stmt& s, RowFn row) {
  int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<T>();
  if (rc != SQLITE_ROW) return c.Error("query failed");
  Result<T> item = row(s);
  if (!item.ok()) return item.status();
  return std::optional<T>(std::move(item).value());
}

// "INSERT INTO <table>(<cols>) VALUES (?,...)": one placeholder per column of `cols` (a
// comma-separated list). `verb` may be "INSERT OR REPLACE".
std::string InsertSql(const char* table, std::string_view cols, const char* verb = "INSERT");

// Steps a statement once; an error names `what`.
Status StepDone(Conn& c, Stmt& s, const char* what);

// Prepares `sql`, binds `args` in order and steps it once (a statement without result rows,
// or whose rows are not needed); an error names `what`.
template <typename... Args>
Status RunStmt(Conn& c, const std::string& sql, const char* what, const Args&... args) {
  auto s = c.Prepare(sql);
  if (!s.ok()) return s.status();
  (s->Bind(args), ...);
  return StepDone(c, *s, what);
}

// RunStmt, returning how many rows the statement changed.
template <typename... Args>
Result<int64_t> Changed(Conn& c, const std::string& sql, const char* what, const Args&... args) {
  HERALD_RETURN_IF_ERROR(RunStmt(c, sql, what, args...));
  return static_cast<int64_t>(sqlite3_changes64(c.db()));
}

// All rows of `sql`, mapped with `row`.
template <typename T, typename RowFn>
Result<std::vector<T>> SelectAll(Conn& c, const std::string& sql, RowFn row) {
  auto s = c.Prepare(sql);
  if (!s.ok()) return s.status();
  return Collect<T>(c, *s, row);
}

// The one row of `sql` (with one parameter, `key`), mapped with `row`; kNotFound naming
// `what` when there is none.
template <typename T, typename Key, typename RowFn>
Result<T> SelectOne(Conn& c, const std::string& sql, const Key& key, RowFn row,
                    const std::string& what) {
  auto s = c.Prepare(sql);
  if (!s.ok()) return s.status();
  s->Bind(key);
  auto r = One<T>(c, *s, row);
  if (!r.ok()) return r.status();
  if (!r->has_value()) return sql::NotFound(what);
  return std::move(**r);
}

// One page of a list: `select` (a SELECT up to its FROM clause) with the tail sql::PageSql makes
// of `where` and `filter`, mapped with `row`.
template <typename T, typename F, typename RowFn>
Result<std::vector<T>> SelectPage(Conn& c, const std::string& select, const sql::Where& where,
                                  const F& filter, const char* order_col, RowFn row) {
  auto s = c.Prepare(select + sql::PageSql(where, filter, order_col));
  if (!s.ok()) return s.status();
  sql::BindPage(*s, where, filter, int64_t{-1});
  return Collect<T>(c, *s, row);
}

// The config revision counter stored in the database (0 when absent).
Result<int64_t> ReadConfigRevision(Conn& c);

// Records `records` (distinct tasks) with one multi-row UPDATE of tasks and one multi-row INSERT
// into attempts per chunk, inside the caller's savepoint, and gives each record its result: Ok,
// or a Conflict for a task no longer leased by that record's worker (that record changes
// nothing). An error return (the statements failed) leaves the results unset: the caller rolls
// the savepoint back and runs each record alone.
Status RecordAttempts(SqliteStore::WriteCtx& ctx, std::span<RecordOp* const> records);

}  // namespace sqlite_store

// The store's .cc files (the only includers) use the helpers unqualified.
using sql::Conflict;
using sql::NotFound;
using namespace sqlite_store;

template <typename T, typename Fn>
Result<T> SqliteStore::WriteSync(Fn fn) {
  return SubmitAndWait<WriteOp, WriteCtx, T>(*queue_, std::move(fn));
}

template <typename Fn>
Status SqliteStore::WriteStatus(Fn fn) {
  return StatusOf(WriteSync<bool>(StatusAsResult(std::move(fn))));
}

template <typename Fn>
auto SqliteStore::Read(Fn fn) -> decltype(fn(std::declval<Conn&>())) {
  auto conn = TakeReader();
  if (!conn.ok()) return conn.status();
  auto result = fn(**conn);
  ReturnReader(std::move(*conn));
  return result;
}

}  // namespace herald
