// SqliteStore's frame: open and close, the write transaction that runs each batch of the write
// queue, and the pool of reader connections. The Store methods live in config.cc, events.cc and
// tasks.cc.
#include "store/sqlite/sqlite_store.h"

#include <pthread.h>

#include <filesystem>

#include "store/sqlite/file_mode.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/store_internal.h"

namespace herald {

namespace {

// Page-cache sizes. The writer's is larger: index pages of the task table (notably the random
// task-id index) stay hot across commits.
constexpr int kWriterCacheKib = 64 * 1024;
constexpr int kReaderCacheKib = 8 * 1024;
// WAL pages written before the checkpointer copies them into the main file, and the size the
// WAL is truncated back to after a checkpoint. Should the checkpointer fall this many times
// behind (a reader holding the WAL the whole time), the writer checkpoints itself.
constexpr int kWalCheckpointPages = 4000;
constexpr int kWalWriterCheckpointFactor = 4;
constexpr int64_t kJournalSizeLimitBytes = 64 * 1024 * 1024;
// The checkpointer's page cache (it reads the WAL's pages, and the database's to write them).
constexpr int kCheckpointerCacheKib = 2 * 1024;

}  // namespace

namespace sqlite_store {

std::string InsertSql(const char* table, std::string_view cols, const char* verb) {
  std::string marks = "?";
  for (char ch : cols)
    if (ch == ',') marks += ",?";
  return std::string(verb) + " INTO " + table + "(" + std::string(cols) + ") VALUES (" + marks +
         ")";
}

Status StepDone(Conn& c, Stmt& s, const char* what) {
  int rc = s.Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return c.Error(what);
  return Status::Ok();
}

Result<int64_t> ReadConfigRevision(Conn& c) {
  auto s = c.Prepare("SELECT value FROM meta WHERE key = 'config_revision'");
  if (!s.ok()) return s.status();
  return s->Step() == SQLITE_ROW ? s->Int(0) : int64_t{0};
}

}  // namespace sqlite_store

// ---- the write transaction ----

Status SqliteStore::RunBatch(std::span<const std::unique_ptr<WriteOp>> batch) {
  Conn& c = *writer_conn_;
  WriteCtx ctx{c, clock_.NowUs()};
  Status st = c.Run("BEGIN IMMEDIATE");
  size_t first = 0;  // the ops before it ran without savepoints, and succeeded
  if (st.ok()) {
    // The leading rerunnable ops (event commits) run without a savepoint each: a savepoint copies
    // every page its op touches into the statement journal, which cost about as much as the
    // inserts themselves. When one of them fails, the transaction is rolled back and begun
    // again, and they run again below, each in its own savepoint.
    size_t plain = 0;
    while (plain < batch.size() && batch[plain]->Rerunnable()) ++plain;
    Status r;
    for (size_t i = 0; i < plain && r.ok(); ++i) r = batch[i]->Run(ctx);
    if (r.ok() && !sqlite3_get_autocommit(c.db())) {
      first = plain;
    } else {
      if (!sqlite3_get_autocommit(c.db())) st = c.Run("ROLLBACK");
      static_cast<sql::TxEffects&>(ctx) = sql::TxEffects();
      if (st.ok()) st = c.Run("BEGIN IMMEDIATE");
    }
  }
  if (st.ok()) {
    for (const auto& op : batch.subspan(first)) {
      const sql::TxEffects saved = ctx;
      st = c.Run("SAVEPOINT op");
      if (!st.ok()) break;
      Status r = op->Run(ctx);
      if (r.ok()) {
        st = c.Run("RELEASE op");
      } else {
        static_cast<sql::TxEffects&>(ctx) = saved;
        st = c.Run("ROLLBACK TO op");
        if (st.ok()) st = c.Run("RELEASE op");
      }
      // An I/O error can make SQLite abandon the whole transaction; then nothing after it may
      // run in autocommit mode, and the batch fails as a whole.
      if (st.ok() && sqlite3_get_autocommit(c.db())) {
        st = Status(Code::kUnavailable, "transaction aborted: " + r.message());
      }
      if (!st.ok()) break;
    }
    for (int i = 0; st.ok() && i < sql::kStatusCount; ++i) {
      if (ctx.status_delta[i] == 0) continue;
      st = RunStmt(c, "UPDATE task_counts SET n = n + ? WHERE status = ?", "task counts",
                   ctx.status_delta[i], i);
    }
    if (st.ok() && ctx.config_changes > 0) {
      st = RunStmt(c, "UPDATE meta SET value = value + ? WHERE key = 'config_revision'",
                   "config revision", ctx.config_changes);
    }
    if (st.ok()) st = c.Run("COMMIT");
    if (!st.ok() && !sqlite3_get_autocommit(c.db())) (void)c.Exec("ROLLBACK");
  }
  if (st.ok()) {
    config_revision_.fetch_add(ctx.config_changes);
    transactions_.fetch_add(1);
  }
  // The listener runs before the callers are answered (the queue calls each op's Finish after
  // this returns), so a caller that returns from Requeue() knows the dispatcher was already told.
  if (st.ok() && ctx.wake) {
    std::function<void()> listener;
    {
      std::lock_guard<std::mutex> lock(listener_mu_);
      listener = listener_;
    }
    if (listener) {
      try {
        listener();
      } catch (...) {
      }
    }
  }
  return st;
}

// ---- the checkpointer ----

int SqliteStore::OnWalCommit(void* self, sqlite3* db, const char* name, int pages) {
  auto* store = static_cast<SqliteStore*>(self);
  if (pages >= kWalCheckpointPages * kWalWriterCheckpointFactor) {
    (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (pages >= kWalCheckpointPages) {
    {
      std::lock_guard<std::mutex> lock(store->checkpoint_mu_);
      store->checkpoint_wanted_ = true;
    }
    store->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteStore::StartCheckpointer(std::unique_ptr<Conn> conn) {
  checkpointer_ = std::thread([this, conn = std::move(conn)] {
    pthread_setname_np(pthread_self(), "herald-ckpt");
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(checkpoint_mu_);
        checkpoint_cv_.wait(lock, [this] { return checkpoint_wanted_ || checkpoint_stop_; });
        if (checkpoint_stop_) return;
        checkpoint_wanted_ = false;
      }
      // PASSIVE: copies what no reader still needs, without waiting for anyone; the writer
      // starts the WAL over once all of it was copied. Failures (busy) wait for the next turn.
      (void)sqlite3_wal_checkpoint_v2(conn->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                      nullptr);
    }
  });
}

void SqliteStore::StopCheckpointer() {
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpoint_stop_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
}

// ---- readers ----

Result<std::unique_ptr<Conn>> SqliteStore::TakeReader() {
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    if (closed_.load()) return Status(Code::kUnavailable, "the store is closed");
    if (!idle_readers_.empty()) {
      auto conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return conn;
    }
  }
  return Conn::Open(path_, kReaderCacheKib);
}

void SqliteStore::ReturnReader(std::unique_ptr<Conn> conn) {
  std::lock_guard<std::mutex> lock(readers_mu_);
  if (!closed_.load() && idle_readers_.size() < kMaxIdleReaders) {
    idle_readers_.push_back(std::move(conn));
  }
}

// ---- lifecycle ----

SqliteStore::SqliteStore(std::string path, const Clock& clock)
    : path_(std::move(path)), clock_(clock) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& relative_path,
                                                       const StoreOpenOptions& options,
                                                       const Clock& clock) {
  // Remember the absolute path: readers open it later, whatever the working directory then.
  std::error_code ec;
  auto abs = std::filesystem::absolute(relative_path, ec);
  const std::string path = ec ? relative_path : abs.lexically_normal().string();
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, clock));
  if (options.schema == SchemaPolicy::kRequireCurrent && !std::filesystem::exists(path, ec)) {
    return Status(Code::kNotFound, "no store at " + path);  // and none is created
  }
  // Owner-only permissions before SQLite touches the file: its -wal/-shm inherit them.
  HERALD_RETURN_IF_ERROR(sqlite::SecureStoreFiles(path));
  auto conn = Conn::Open(path, kWriterCacheKib);
  if (!conn.ok()) return conn.status();
  Conn& c = **conn;
  // journal_mode=WAL is persistent in the file; the other settings are per connection.
  HERALD_RETURN_IF_ERROR(c.Exec("PRAGMA journal_mode=WAL"));
  HERALD_RETURN_IF_ERROR(
      c.Exec(("PRAGMA journal_size_limit=" + std::to_string(kJournalSizeLimitBytes)).c_str()));
  auto schema =
      sqlite::OpenSchema(c.db(), sqlite::SchemaMigrations(), options.schema, store->Describe());
  if (!schema.ok()) return Status(Code::kUnavailable, path + ": " + schema.status().message());
  store->schema_ = *schema;

  auto revision = sqlite_store::ReadConfigRevision(c);
  if (!revision.ok()) return revision.status();
  store->config_revision_ = *revision;
  auto checkpoint_conn = Conn::Open(path, kCheckpointerCacheKib);
  if (!checkpoint_conn.ok()) return checkpoint_conn.status();
  store->StartCheckpointer(std::move(*checkpoint_conn));
  // Replaces SQLite's automatic checkpoint on this connection.
  sqlite3_wal_hook(c.db(), &SqliteStore::OnWalCommit, store.get());
  store->writer_conn_ = std::move(*conn);
  SqliteStore* self = store.get();
  store->queue_ = std::make_unique<WriteQueue<WriteOp>>(
      kMaxOpsPerTransaction,
      [self](std::span<const std::unique_ptr<WriteOp>> batch) { return self->RunBatch(batch); });
  return store;
}

SqliteStore::~SqliteStore() { Close(); }

void SqliteStore::Close() {
  std::call_once(close_once_, [this] {
    if (queue_) queue_->Close();  // commits everything already queued
    StopCheckpointer();
    {
      std::lock_guard<std::mutex> lock(readers_mu_);
      closed_ = true;
      idle_readers_.clear();
    }
    writer_conn_.reset();
  });
}

std::string SqliteStore::Describe() const { return "sqlite://" + path_; }

void SqliteStore::SetTaskListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(listener_mu_);
  listener_ = std::move(listener);
}

}  // namespace herald
