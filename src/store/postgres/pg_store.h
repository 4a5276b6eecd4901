// PostgresStore: the Store backend for a cluster of Herald nodes sharing one PostgreSQL
// database (docs/postgres.md).
//
// Every node opens a small pool of connections (PgStoreOptions::pool_size). Reads and most
// writes (configuration, leases, operator actions, sessions) run on a pooled connection in their
// own transaction; concurrency between nodes is the database's. The high-rate writes,
// CommitEvents and RecordAttempt(Async), go through a group-commit queue (store/write_queue.h):
// one writer thread runs everything pending in ONE transaction (each operation in its own
// savepoint, events and tasks as multi-row INSERTs) and answers the callers only after COMMIT.
//
// Tasks: a hot queue table (queued, started, scheduled) apart from the history (finished,
// failed); counts per status come from a counters table kept in the same transactions. Leasing
// locks candidates with FOR UPDATE SKIP LOCKED, so nodes leasing at once never get the same
// task. Each lease takes a new lease token; RecordAttempt requires the token of the lease this
// store handed out, so a worker whose lease was taken over (even under the same worker name)
// gets a Conflict and cannot overwrite the new holder's result.
//
// Time: with `database_clock` (production) due-ness, lease expiry and the store's own stamps use
// the database's now(), never a node's clock, so nodes with skewed clocks agree; LeaseRequest::now
// and the operator actions' `now` are then ignored. Without it (the contract tests) the
// request's times are used and stamps come from `clock`. Sessions and heartbeats always use the
// caller's times (the Store contract).
//
// Wake-ups: a transaction that made tasks due sends one NOTIFY herald_tasks; one that changed
// the configuration sends NOTIFY herald_config with the new revision. A listener thread on its
// own connection LISTENs to both, calls the SetTaskListener callback and raises
// ConfigRevision, so every node reacts to every other. It reconnects by itself.
//
// The database unreachable: calls fail quickly with kUnavailable (connect_timeout, keepalives,
// tcp_user_timeout, statement_timeout bound every wait) and the next call reconnects.
// Describe() and every message show the URL without its password.
//
// Split by subject: pg_store.cc (open, close, transactions, listener), pg_config.cc,
// pg_events.cc, pg_tasks.cc, pg_leases.cc, pg_sessions.cc, pg_import.cc; pg_internal.h holds
// what they share.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "store/store.h"
#include "store/write_queue.h"

namespace herald {

namespace pg {
class Conn;
class Params;
class Pool;
}  // namespace pg

// Default of store.pool_size: connections per node.
inline constexpr int kDefaultPgPoolSize = 4;

struct PgStoreOptions {
  int pool_size = kDefaultPgPoolSize;
  // true: times from the database clock; false: the request's times and `clock` (tests).
  bool database_clock = true;
  const Clock* clock = &SystemClock();  // must outlive the store
  // What opening does with the schema (store.h): create it in an empty database, migrate
  // (`herald store migrate`), or require the current version.
  SchemaPolicy schema = SchemaPolicy::kCreateOrRequireCurrent;
};

class PostgresStore final : public Store {
 public:
  // Connects to `url` (a libpq URL or key=value string), handles the schema as options.schema
  // says (CheckSchemaVersion: by default creates it in a database that has none and refuses an
  // older one, naming `herald store migrate`), and starts the writer and listener threads.
  // Errors: kUnavailable (unreachable; schema refused), kNotFound (empty under kRequireCurrent).
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& url,
                                                     const PgStoreOptions& options = {});
  ~PostgresStore() override;

  SchemaVersions Schema() const override { return schema_; }
  HERALD_STORE_BACKEND_METHODS;
  Result<ImportCounts> ImportBatch(const ImportData& data) override;  // pg_import.cc

  // For tests: group-commit transactions committed so far. Thread-safe.
  int64_t BatchCount() const { return batches_.load(); }
  // For tests: whether the listener thread is LISTENing now. Thread-safe.
  bool Listening() const { return listening_.load(); }

  // The state of one write transaction and the group-commit unit of work (pg_internal.h).
  struct WriteCtx;
  class WriteOp;

 private:
  PostgresStore(std::string url, const PgStoreOptions& options);

  // Runs fn(WriteCtx&) -> Result<T> in its own transaction on a pooled connection.
  template <typename T, typename Fn>
  Result<T> Transact(Fn fn);
  template <typename Fn>
  Status TransactStatus(Fn fn);
  // Runs fn(pg::Conn&) -> Result<T> on a pooled connection (once more on a fresh connection
  // when the pooled one turned out to be lost).
  template <typename Fn>
  auto Read(Fn fn) -> decltype(fn(std::declval<pg::Conn&>()));
  // Runs `op` through the group-commit queue and waits for it.
  template <typename T, typename Fn>
  Result<T> WriteSync(Fn fn);

  // A pooled connection inside a new transaction (BEGIN sent; once more on a fresh connection
  // when the pooled one turned out to be lost); *now = the store's time for the transaction.
  Result<std::unique_ptr<pg::Conn>> TakeBegun(TimeUs* now);
  // Applies the transaction's counters, revision and NOTIFYs, then COMMITs.
  Status Commit(WriteCtx& ctx);
  // What follows a successful commit in this process: revision, local listener.
  void AfterCommit(const WriteCtx& ctx);
  // Runs `sql` in its own transaction; NotFound(`not_found`) when it changed no row.
  Status ChangeOneRow(const std::string& sql, const pg::Params& params, const char* error,
                      const std::string& not_found);
  Status RunBatch(std::span<const std::unique_ptr<WriteOp>> batch);
  void NotifyListener();
  void ListenLoop();
  void RaiseRevision(int64_t revision) const;

  // Lease tokens this store handed out, by task and worker (RecordAttempt checks them); Forget
  // returns 0 for a lease it does not know.
  void RememberLease(const std::string& task_id, const std::string& worker, int64_t token);
  int64_t ForgetLease(const std::string& task_id, const std::string& worker);

  const std::string url_;
  const PgStoreOptions options_;
  SchemaVersions schema_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<WriteQueue<WriteOp>> queue_;
  std::once_flag close_once_;
  std::atomic<bool> closed_{false};

  std::mutex listener_mu_;
  std::function<void()> listener_;
  std::thread listen_thread_;
  int stop_fd_ = -1;  // eventfd that wakes the listener thread to stop
  std::atomic<bool> listening_{false};

  std::mutex leases_mu_;
  std::unordered_map<std::string, int64_t> lease_tokens_;  // "task id\0worker" -> token

  mutable std::atomic<int64_t> config_revision_{0};
  std::atomic<int64_t> batches_{0};
};

}  // namespace herald
