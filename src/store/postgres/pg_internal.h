// What the .cc files of PostgresStore share, and nothing else includes: the write context and
// the group-commit unit of work, the class's transaction and read helpers, small statement
// helpers over pg::Conn, and the SQL of moving a task between the queue and the history.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "store/postgres/pg_conn.h"
#include "store/postgres/pg_store.h"
#include "store/record_op.h"
#include "store/rows.h"

namespace herald {

using pg::Conn;
using pg::Params;
using pg::Row;
using sql::kFailed;
using sql::kFinished;
using sql::kQueued;
using sql::kScheduled;
using sql::kStarted;

// A task's seq is (event_id << kPgTaskSeqBits) | index (as in the SQLite store).
inline constexpr int kPgTaskSeqBits = 16;
inline constexpr size_t kPgMaxTasksPerEvent = size_t{1} << kPgTaskSeqBits;
// Most operations one group-commit transaction takes from the queue.
inline constexpr size_t kPgMaxOpsPerTransaction = 1024;
// Counter slots per status (schema: task_counts).
inline constexpr int kPgCountSlots = 16;

// The state of one write transaction: the connection, the time, and what the transaction
// changed (sql::TxEffects: counters, revision, wake-up).
struct PostgresStore::WriteCtx : sql::TxEffects {
  WriteCtx(Conn& c, bool db_clock, TimeUs t) : conn(c), database_clock(db_clock), now(t) {}
  Conn& conn;
  bool database_clock;
  TimeUs now;            // the store's time at the start of the transaction (database or clock)
  int64_t revision = 0;  // the config revision this transaction set

  // The time a request is judged at: the database's, or the caller's in test mode.
  TimeUs Judge(TimeUs requested) const { return database_clock ? now : requested; }
};

// One unit of work of the group-commit queue (see SqliteStore::WriteOp).
class PostgresStore::WriteOp : public WriteOpBase<PostgresStore::WriteCtx> {
 public:
  // Appends the ingest dedupe keys Run will claim: RunBatch locks the keys of all its operations
  // in one order before running any (pg_store::LockDedupeKeys).
  virtual void AddDedupeKeys(std::vector<std::string>& keys) const { (void)keys; }
  // Non-null for an attempt record: RunBatch folds a run of them (RecordAttempts).
  virtual sql::RecordOp<WriteOp, WriteCtx>* AsRecord() { return nullptr; }
};

namespace pg_store {

using RecordOp = sql::RecordOp<PostgresStore::WriteOp, PostgresStore::WriteCtx>;

// Records `records` (distinct tasks) inside the caller's savepoint: one locking lookup of all
// their tasks, then each matched record's attempt insert and task move; a record whose task is
// no longer leased by its worker (and lease token) gets its Conflict and changes nothing. An
// error return leaves results unset: the caller rolls back and runs each record alone.
Status RecordAttempts(PostgresStore::WriteCtx& ctx, std::span<RecordOp* const> records);

// Whether `status` is kept in the queue table (else in the history).
inline bool InQueue(int status) {
  return status == kQueued || status == kStarted || status == kScheduled;
}
inline const char* TableOf(int status) {
  return InQueue(status) ? "herald.task_queue" : "herald.task_history";
}

// Every stored column of a task, in table order (both task tables).
inline constexpr const char* kTaskStoredCols =
    "seq, id, event_id, rule_id, webhook_id, rule_name, webhook_name, object_type, event_type, "
    "action_data, status, attempts, created_at, enqueued_at, due_at, started_at, ended_at, "
    "worker, lease_expires, result, error, lease_expiries, lease_token";

// One column set while moving a task: `col` = `expr` (SQL, may use $n parameters).
struct SetCol {
  const char* col;
  const char* expr;
};
// A statement moving the rows of `from` matching `where` to `to`, with `sets` applied, and
// returning `returning` (sql::kTaskCols when null) of the moved rows. With a `tail`, the move
// becomes the CTE `t` (its rows: `returning`) of the statement `tail`.
std::string MoveTaskSql(const char* from, const char* to, const std::string& where,
                        std::initializer_list<SetCol> sets, const char* returning = nullptr,
                        const std::string& tail = "");

// All rows of `sql`, mapped with `row` (Row -> Result<T>).
template <typename T, typename RowFn>
Result<std::vector<T>> Collect(const pg::Res& res, RowFn row) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(res.rows()));
  for (int i = 0; i < res.rows(); ++i) {
    Result<T> item = row(Row(res, i));
    if (!item.ok()) return item.status();
    out.push_back(std::move(item).value());
  }
  return out;
}
template <typename T, typename RowFn>
Result<std::vector<T>> SelectAll(Conn& c, const std::string& sql, const Params& p, RowFn row) {
  auto res = c.Exec(sql, p);
  if (!res.ok()) return res.status();
  return Collect<T>(*res, row);
}
// The first row of `sql` mapped with `row`; kNotFound naming `what` when there is none.
template <typename T, typename RowFn>
Result<T> SelectOne(Conn& c, const std::string& sql, const Params& p, RowFn row,
                    const std::string& what) {
  auto res = c.Exec(sql, p);
  if (!res.ok()) return res.status();
  if (res->rows() == 0) return sql::NotFound(what);
  return row(Row(*res, 0));
}
// One page of a list: `select` (a SELECT up to its FROM clause) with the tail sql::PageSql makes
// of `where` and `filter` (a negative limit: none), mapped with `row`.
template <typename T, typename F, typename RowFn>
Result<std::vector<T>> SelectPage(Conn& c, const std::string& select, const sql::Where& where,
                                  const F& filter, const char* order_col, RowFn row) {
  Params p;
  sql::BindPage(p, where, filter, std::optional<int64_t>());
  return SelectAll<T>(c, select + sql::PageSql(where, filter, order_col), p, row);
}
// "?, ?, ..., ?" (n marks).
inline std::string Marks(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += i ? ", ?" : "?";
  return out;
}

// The integer in the first column of the first row of `sql` (a count).
inline Result<int64_t> SelectInt(Conn& c, const std::string& sql, const Params& p,
                                 const char* what) {
  auto res = c.Exec(sql, p, what);
  if (!res.ok()) return res.status();
  return Row(*res, 0).Int(0);
}
// Rows changed by `sql`.
inline Result<int64_t> Changed(Conn& c, const std::string& sql, const Params& p, const char* what) {
  auto res = c.Exec(sql, p, what);
  if (!res.ok()) return res.status();
  return res->changed();
}
// Runs `sql` (an error names `what`); kNotFound naming `not_found` when it changed no row.
inline Status ChangeOne(Conn& c, const std::string& sql, const Params& p, const char* what,
                        const std::string& not_found) {
  auto n = Changed(c, sql, p, what);
  if (!n.ok()) return n.status();
  return *n == 0 ? sql::NotFound(not_found) : Status::Ok();
}

// The config revision counter in the database.
Result<int64_t> ReadConfigRevision(Conn& c);

// Takes a transaction-scoped advisory lock on each dedupe key the operations of `batch` will
// claim, in one global order (by a fixed 64-bit hash of the key), before any of them runs. Two
// transactions claiming some of the same keys in opposite orders would otherwise deadlock: each
// claimed key holds its row until the commit. With the locks, the later one waits at the first
// key they share, before it has claimed any. Defined in pg_events.cc.
Status LockDedupeKeys(Conn& c, std::span<const std::unique_ptr<PostgresStore::WriteOp>> batch);
// The same locks for `keys` (PurgeDedupeKeys takes them for the keys it deletes).
Status LockKeys(Conn& c, const std::vector<std::string>& keys);
// `items` as a PostgreSQL array literal of text ("{"a","b\"c"}"), to bind as $n::text[].
std::string TextArray(const std::vector<std::string>& items);

// Binds an attempt's columns from started_at to request_body (sql::kAttemptCols without
// number), the byte columns (response, error, url, request) as bytea.
inline void BindAttemptFields(Params& p, const Attempt& a) {
  p.Bind(a.started_at)
      .Bind(a.duration_us)
      .Bind(a.status_code)
      .BindBytes(a.response_excerpt)
      .BindBytes(a.error)
      .Bind(a.method)
      .BindBytes(a.url)
      .BindBytes(a.request_headers)
      .BindBytes(a.request_body);
}

}  // namespace pg_store

// The store's .cc files (the only includers) use the helpers unqualified.
using namespace pg_store;
using sql::Conflict;
using sql::NotFound;

template <typename T, typename Fn>
Result<T> PostgresStore::Transact(Fn fn) {
  TimeUs now = 0;
  auto conn = TakeBegun(&now);
  if (!conn.ok()) return conn.status();
  WriteCtx ctx{**conn, options_.database_clock, now};
  std::optional<Result<T>> result;
  result.emplace(fn(ctx));
  Status st = result->ok() ? Commit(ctx) : result->status();
  if (!st.ok()) (void)(*conn)->Simple("ROLLBACK");
  pool_->Return(std::move(*conn));
  if (!st.ok()) return st;
  AfterCommit(ctx);
  return std::move(*result);
}

template <typename Fn>
Status PostgresStore::TransactStatus(Fn fn) {
  return StatusOf(Transact<bool>(StatusAsResult(std::move(fn))));
}

template <typename Fn>
auto PostgresStore::Read(Fn fn) -> decltype(fn(std::declval<Conn&>())) {
  if (closed_.load()) return Status(Code::kUnavailable, "the store is closed");
  for (int attempt = 0;; ++attempt) {
    auto conn = pool_->Take();
    if (!conn.ok()) return conn.status();
    auto result = fn(**conn);
    const bool lost = !result.ok() && (*conn)->broken();
    pool_->Return(std::move(*conn));
    if (!lost || attempt > 0) return result;
  }
}

template <typename T, typename Fn>
Result<T> PostgresStore::WriteSync(Fn fn) {
  return SubmitAndWait<WriteOp, WriteCtx, T>(*queue_, std::move(fn));
}

}  // namespace herald
