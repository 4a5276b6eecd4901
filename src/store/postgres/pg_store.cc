// PostgresStore's frame: open and close, URL redaction, transactions (direct and group-commit),
// the config revision, lease tokens, and the LISTEN thread. The Store methods live in
// pg_config.cc, pg_events.cc, pg_tasks.cc, pg_leases.cc and pg_sessions.cc.
#include "store/postgres/pg_store.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include "common/log.h"
#include "store/postgres/pg_internal.h"
#include "store/postgres/schema.h"

namespace herald {

namespace {

constexpr const char* kTasksChannel = "herald_tasks";
constexpr const char* kConfigChannel = "herald_config";
// The listener's wait between reconnection attempts, and between checks of an idle connection.
constexpr int kListenRetryMs = 1000;
constexpr int kListenIdleMs = 30000;

// The counter slot of this thread's transactions (see the schema's task_counts).
int CounterSlot() {
  thread_local const int slot = static_cast<int>(std::random_device{}() % kPgCountSlots);
  return slot;
}

}  // namespace

namespace pg_store {

std::string MoveTaskSql(const char* from, const char* to, const std::string& where,
                        std::initializer_list<SetCol> sets, const char* returning,
                        const std::string& tail) {
  // The SELECT list: every stored column, or its replacement.
  std::string cols = kTaskStoredCols, select;
  size_t pos = 0;
  while (pos < cols.size()) {
    size_t comma = cols.find(',', pos);
    if (comma == std::string::npos) comma = cols.size();
    std::string col = cols.substr(pos, comma - pos);
    while (!col.empty() && col.front() == ' ') col.erase(0, 1);
    std::string expr = col;
    for (const SetCol& s : sets) {
      if (col == s.col) expr = std::string(s.expr) + " AS " + col;
    }
    select += (select.empty() ? "" : ", ") + expr;
    pos = comma + 1;
  }
  const std::string insert = std::string("INSERT INTO ") + to + "(" + kTaskStoredCols +
                             ") SELECT " + select + " FROM moved RETURNING " +
                             (returning ? returning : sql::kTaskCols);
  const std::string head =
      std::string("WITH moved AS (DELETE FROM ") + from + " WHERE " + where + " RETURNING *) ";
  if (tail.empty()) return head + insert;
  return head.substr(0, head.size() - 1) + ", t AS (" + insert + ") " + tail;
}

Result<int64_t> ReadConfigRevision(Conn& c) {
  auto r = c.Exec("SELECT value FROM herald.meta WHERE key = 'config_revision'", {},
                  "cannot read the config revision");
  if (!r.ok()) return r.status();
  return r->rows() > 0 ? Row(*r, 0).Int(0) : int64_t{0};
}

}  // namespace pg_store

// ---- lifecycle ----

PostgresStore::PostgresStore(std::string url, const PgStoreOptions& options)
    : url_(std::move(url)), options_(options) {}

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url,
                                                           const PgStoreOptions& options) {
  const std::string shown = RedactStoreUrl(url);
  auto conn = Conn::Connect(url);
  if (!conn.ok()) return Status(Code::kUnavailable, shown + ": " + conn.status().message());
  auto version = pg::SchemaVersion(**conn);
  if (!version.ok()) return Status(Code::kUnavailable, shown + ": " + version.status().message());
  const int needed = PostgresSchemaVersionNeeded();
  auto apply = CheckSchemaVersion(shown, *version, needed, options.schema);
  if (!apply.ok()) return Status(apply.status().code(), shown + ": " + apply.status().message());
  if (*apply) {
    Status st = pg::ApplyMigrations(**conn, PostgresMigrations());
    if (!st.ok()) return Status(Code::kUnavailable, shown + ": " + st.message());
  }
  auto revision = pg_store::ReadConfigRevision(**conn);
  if (!revision.ok()) return Status(Code::kUnavailable, shown + ": " + revision.status().message());

  std::unique_ptr<PostgresStore> store(new PostgresStore(url, options));
  store->config_revision_ = *revision;
  store->schema_ = SchemaVersions{*version, needed};
  store->pool_ = std::make_unique<pg::Pool>(url, options.pool_size);
  store->pool_->Return(std::move(*conn));
  PostgresStore* self = store.get();
  store->queue_ = std::make_unique<WriteQueue<WriteOp>>(
      kPgMaxOpsPerTransaction,
      [self](std::span<const std::unique_ptr<WriteOp>> batch) { return self->RunBatch(batch); },
      "herald-pg-write");
  store->stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (store->stop_fd_ < 0)
    return Status(Code::kUnavailable, "eventfd: " + std::string(strerror(errno)));
  store->listen_thread_ = std::thread([self] { self->ListenLoop(); });
  return store;
}

PostgresStore::~PostgresStore() { Close(); }

void PostgresStore::Close() {
  std::call_once(close_once_, [this] {
    if (queue_) queue_->Close();  // commits everything already queued
    closed_ = true;
    if (stop_fd_ >= 0) {
      const uint64_t one = 1;
      (void)!write(stop_fd_, &one, sizeof one);
    }
    if (listen_thread_.joinable()) listen_thread_.join();
    if (stop_fd_ >= 0) close(stop_fd_);
    stop_fd_ = -1;
    if (pool_) pool_->Close();
  });
}

std::string PostgresStore::Describe() const { return RedactStoreUrl(url_); }

void PostgresStore::SetTaskListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(listener_mu_);
  listener_ = std::move(listener);
}

void PostgresStore::NotifyListener() {
  // Called under the lock, so once SetTaskListener(nullptr) returns the old callback no longer
  // runs (its owner may be gone). The callback must be quick and must not call the store.
  std::lock_guard<std::mutex> lock(listener_mu_);
  if (!listener_) return;
  try {
    listener_();
  } catch (...) {
  }
}

// ---- config revision ----

void PostgresStore::RaiseRevision(int64_t revision) const {
  int64_t cur = config_revision_.load();
  while (revision > cur && !config_revision_.compare_exchange_weak(cur, revision)) {
  }
}

int64_t PostgresStore::ConfigRevision() const { return config_revision_.load(); }

// ---- lease tokens ----

void PostgresStore::RememberLease(const std::string& task_id, const std::string& worker,
                                  int64_t token) {
  std::lock_guard<std::mutex> lock(leases_mu_);
  lease_tokens_[task_id + '\0' + worker] = token;
}

int64_t PostgresStore::ForgetLease(const std::string& task_id, const std::string& worker) {
  std::lock_guard<std::mutex> lock(leases_mu_);
  auto it = lease_tokens_.find(task_id + '\0' + worker);
  if (it == lease_tokens_.end()) return 0;
  const int64_t token = it->second;
  lease_tokens_.erase(it);
  return token;
}

// ---- transactions ----

Result<std::unique_ptr<Conn>> PostgresStore::TakeBegun(TimeUs* now) {
  if (closed_.load()) return Status(Code::kUnavailable, "the store is closed");
  const std::string begin = options_.database_clock
                                ? "BEGIN; SELECT (extract(epoch from now()) * 1000000)::bigint"
                                : "BEGIN";
  for (int attempt = 0;; ++attempt) {
    auto conn = pool_->Take();
    if (!conn.ok()) return conn.status();
    auto r = (*conn)->Simple(begin, "cannot start a transaction");
    if (r.ok()) {
      *now = options_.database_clock ? Row(*r, 0).Int(0) : options_.clock->NowUs();
      return conn;
    }
    // A pooled connection the server dropped meanwhile: once more on a fresh one.
    const bool lost = (*conn)->broken();
    pool_->Return(std::move(*conn));
    if (!lost || attempt > 0) return r.status();
  }
}

Status PostgresStore::Commit(WriteCtx& ctx) {
  Conn& c = ctx.conn;
  // Counters in status order (every transaction locks them in the same order).
  for (int i = 0; i < sql::kStatusCount; ++i) {
    if (ctx.status_delta[i] == 0) continue;
    HERALD_RETURN_IF_ERROR(
        c.Run("UPDATE herald.task_counts SET n = n + $1 WHERE status = $2 AND slot = $3",
              Params().Bind(ctx.status_delta[i]).Bind(i).Bind(CounterSlot()),
              "cannot update task counts"));
  }
  if (ctx.config_changes > 0) {
    auto r = c.Exec(
        "WITH u AS (UPDATE herald.meta SET value = value + $1 WHERE key = 'config_revision' "
        "RETURNING value) SELECT value, pg_notify('herald_config', value::text) FROM u",
        Params().Bind(ctx.config_changes), "cannot update the config revision");
    if (!r.ok()) return r.status();
    if (r->rows() > 0) ctx.revision = Row(*r, 0).Int(0);
  }
  if (ctx.wake) HERALD_RETURN_IF_ERROR(c.Simple("NOTIFY herald_tasks", "notify").status());
  return c.Simple("COMMIT", "cannot commit").status();
}

void PostgresStore::AfterCommit(const WriteCtx& ctx) {
  if (ctx.revision > 0) RaiseRevision(ctx.revision);
  // The local listener runs before the callers are answered, so a caller that returns from
  // Requeue() knows this node's dispatcher was already told (other nodes hear the NOTIFY).
  if (ctx.wake) NotifyListener();
}

Status PostgresStore::RunBatch(std::span<const std::unique_ptr<WriteOp>> batch) {
  TimeUs now = 0;
  auto conn = TakeBegun(&now);
  if (!conn.ok()) return conn.status();
  Conn& c = **conn;
  WriteCtx ctx{c, options_.database_clock, now};
  // Runs `fn` (-> Status) in a savepoint: an error return rolls back just its changes and sets
  // *failed. The Status returned is the transaction's.
  auto in_savepoint = [&c, &ctx](auto fn, bool* failed) -> Status {
    const sql::TxEffects saved = ctx;
    Status st = c.Simple("SAVEPOINT op", "savepoint").status();
    if (!st.ok()) return st;
    Status r = fn();
    *failed = !r.ok();
    if (r.ok()) return c.Simple("RELEASE op", "savepoint").status();
    static_cast<sql::TxEffects&>(ctx) = saved;
    return c.Simple("ROLLBACK TO op; RELEASE op", "savepoint").status();
  };
  Status st = pg_store::LockDedupeKeys(c, batch);
  // A run of attempt records shares one savepoint and one lookup; if that fails, each record of
  // the run runs alone.
  if (st.ok()) {
    st = sql::RunFolding<WriteOp, pg_store::RecordOp>(
        batch, ctx, in_savepoint, [&](std::span<pg_store::RecordOp* const> records) {
          return pg_store::RecordAttempts(ctx, records);
        });
  }
  if (st.ok()) st = Commit(ctx);
  if (!st.ok()) (void)c.Simple("ROLLBACK");
  pool_->Return(std::move(*conn));
  if (!st.ok()) return st;
  batches_.fetch_add(1);
  AfterCommit(ctx);
  return st;
}

// ---- LISTEN ----

void PostgresStore::ListenLoop() {
  pthread_setname_np(pthread_self(), "herald-pg-listen");
  auto wait_stop = [this](int fd, int ms) {
    pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {fd, POLLIN, 0}};
    (void)poll(fds, fd >= 0 ? 2 : 1, ms);
    return closed_.load() || (fds[0].revents & POLLIN) != 0;
  };
  bool warned = false;
  while (!closed_.load()) {
    auto conn = Conn::Connect(url_);
    Status st =
        conn.ok() ? (*conn)->Simple("LISTEN herald_tasks; LISTEN herald_config", "listen").status()
                  : conn.status();
    if (!st.ok()) {
      if (!warned) {
        log::Warning("cannot listen for store notifications; retrying",
                     {{"store", RedactStoreUrl(url_)}, {"error", st.message()}});
        warned = true;
      }
      if (wait_stop(-1, kListenRetryMs)) return;
      continue;
    }
    warned = false;
    Conn& c = **conn;
    // Whatever happened while nobody listened: read the revision, wake the dispatcher once.
    if (auto rev = pg_store::ReadConfigRevision(c); rev.ok()) RaiseRevision(*rev);
    NotifyListener();
    listening_ = true;
    while (!closed_.load()) {
      if (wait_stop(PQsocket(c.raw()), kListenIdleMs)) break;
      if (!PQconsumeInput(c.raw())) break;  // connection lost: reconnect
      bool tasks = false;
      while (PGnotify* n = PQnotifies(c.raw())) {
        if (std::strcmp(n->relname, kConfigChannel) == 0) {
          RaiseRevision(std::strtoll(n->extra, nullptr, 10));
        } else if (std::strcmp(n->relname, kTasksChannel) == 0) {
          tasks = true;
        }
        PQfreemem(n);
      }
      if (tasks) NotifyListener();
    }
    listening_ = false;
  }
}

}  // namespace herald
