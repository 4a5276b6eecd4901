// SqliteStore: the embedded Store backend, one SQLite file in WAL mode.
//
// Writes (events, config, task state) go through one writer thread that owns the only write
// connection (a WriteQueue, write_queue.h). Callers enqueue work; the writer takes everything
// pending (up to kMaxOpsPerTransaction), runs it in ONE transaction (each operation inside its
// own savepoint, so a failing operation does not spoil its neighbours), commits with
// synchronous=FULL, and only then answers each caller: concurrent commits share one fsync (group
// commit). Blocking methods wait on a future; CommitEvents runs its callback on the writer thread.
// Reads use a small pool of separate connections (WAL lets them run beside the writer and see
// the last committed state). Every statement is prepared once per connection and cached.
// JSON serialisation and task-id generation happen on the calling thread, not the writer.
//
// The implementation is split by subject: sqlite_store.cc (open, close, the write transaction,
// the reader pool), config.cc (webhooks, rules, tokens, config revision), events.cc (committing
// and reading events), tasks.cc (task reads, leases, attempts, operator actions, purge),
// sessions.cc (UI sessions, worker heartbeats), import.cc (bulk import);
// store_internal.h holds what they share, rows.h the row mapping and filters.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "store/store.h"
#include "store/write_queue.h"

struct sqlite3;

namespace herald {

namespace sqlite {
class Conn;
}

// Upper bound on the operations one write transaction takes from the queue; bounds the time a
// caller waits behind others and the size of one transaction.
inline constexpr size_t kMaxOpsPerTransaction = 4096;
// A task's rowid is (event_id << kTaskSeqBits) | index, so an event holds at most this many
// tasks (CommitEvents fails with kResourceExhausted beyond it).
inline constexpr int kTaskSeqBits = 16;
inline constexpr size_t kMaxTasksPerEvent = size_t{1} << kTaskSeqBits;
// Reader connections kept open for reuse; more are opened under load and closed on return.
inline constexpr size_t kMaxIdleReaders = 8;

class SqliteStore final : public Store {
 public:
  // Opens or creates the database file at `path` (its directory must exist), switches it to
  // WAL, creates or checks (or under SchemaPolicy::kMigrate upgrades) the schema following
  // options.schema (store.h's schema-version rule) and starts the writer thread.
  // Errors: kUnavailable (cannot open, schema version refused, migration failed); kNotFound
  // under kRequireCurrent when there is no file (none is created) or it is empty.
  // The store's own times (row timestamps, the cross-process config check) come from `clock`,
  // which must outlive the store.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   const StoreOpenOptions& options,
                                                   const Clock& clock = SystemClock());
  // Open with the default options (create an empty store, else require the current schema).
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   const Clock& clock = SystemClock()) {
    return Open(path, StoreOpenOptions{}, clock);
  }
  ~SqliteStore() override;

  SchemaVersions Schema() const override { return schema_; }
  HERALD_STORE_BACKEND_METHODS;
  Result<ImportCounts> ImportBatch(const ImportData& data) override;

  // For tests and benchmarks: write transactions committed so far (group commit makes this
  // smaller than the number of write calls under concurrency). Thread-safe.
  int64_t TransactionCount() const { return transactions_.load(); }
  // The database file path. Thread-safe.
  const std::string& path() const { return path_; }

  // One unit of work for the writer thread; see store_internal.h.
  class WriteOp;
  struct WriteCtx;

 private:
  SqliteStore(std::string path, const Clock& clock);

  template <typename T, typename Fn>
  Result<T> WriteSync(Fn fn);
  template <typename Fn>
  Status WriteStatus(Fn fn);
  template <typename Fn>
  auto Read(Fn fn) -> decltype(fn(std::declval<sqlite::Conn&>()));

  // Runs one batch of the write queue in one transaction and commits it.
  Status RunBatch(std::span<const std::unique_ptr<WriteOp>> batch);

  Result<std::unique_ptr<sqlite::Conn>> TakeReader();
  void ReturnReader(std::unique_ptr<sqlite::Conn> conn);

  // The checkpointer: copies the WAL back into the database file on its own thread and
  // connection, asked by the writer's WAL hook once the WAL holds enough pages, so that the
  // copy and its fsync do not hold up commits.
  void StartCheckpointer(std::unique_ptr<sqlite::Conn> conn);
  void StopCheckpointer();
  // The writer connection's WAL hook (after each commit, with the WAL's size in pages).
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int pages);

  const std::string path_;
  const Clock& clock_;
  SchemaVersions schema_;                      // set once by Open
  std::unique_ptr<sqlite::Conn> writer_conn_;  // used only by the writer thread

  std::unique_ptr<WriteQueue<WriteOp>> queue_;  // set once by Open
  std::once_flag close_once_;
  std::atomic<bool> closed_{false};

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<sqlite::Conn>> idle_readers_;

  std::mutex listener_mu_;
  std::function<void()> listener_;

  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;  // guarded by checkpoint_mu_
  bool checkpoint_stop_ = false;    // guarded by checkpoint_mu_
  std::thread checkpointer_;

  mutable std::atomic<int64_t> config_revision_{0};
  std::atomic<int64_t> transactions_{0};
  // When config_revision_ was last compared with the database (another process sharing the
  // file may have changed the configuration). Microseconds of clock_'s steady time.
  mutable std::atomic<int64_t> revision_checked_us_{0};
};

}  // namespace herald
