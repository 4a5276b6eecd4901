#include "store/sqlite_store.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <pthread.h>
#include <tuple>
#include <unordered_set>
#include <variant>

#include "store/file_mode.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_util.h"
#include "store/task_id.h"
#include "value/json.h"

namespace herald {

using sqlite::Conn;
using sqlite::Stmt;

namespace {

// Page-cache sizes. The writer's is larger: index pages of the task table (notably the random
// task-id index) stay hot across commits.
constexpr int kWriterCacheKib = 64 * 1024;
constexpr int kReaderCacheKib = 8 * 1024;
// WAL pages written before the writer checkpoints into the main file, and the size the WAL is
// truncated back to after a checkpoint.
constexpr int kWalAutoCheckpointPages = 4000;
constexpr int64_t kJournalSizeLimitBytes = 64 * 1024 * 1024;

static_assert(static_cast<int>(TaskStatus::kQueued) == 0 &&
                  static_cast<int>(TaskStatus::kStarted) == 1 &&
                  static_cast<int>(TaskStatus::kScheduled) == 2 &&
                  static_cast<int>(TaskStatus::kFinished) == 3 &&
                  static_cast<int>(TaskStatus::kFailed) == 4,
              "task status codes are persisted; do not renumber TaskStatus");

constexpr int kQueued = 0, kStarted = 1, kScheduled = 2, kFinished = 3, kFailed = 4;

TimeUs WallNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status NotFound(std::string what) { return Status("NotFound", std::move(what) + " not found."); }
Status Conflict(std::string what) { return Status("Conflict", std::move(what)); }

std::optional<std::string> JsonOrNull(const Value& v) {
  if (v.is_none()) return std::nullopt;
  return DumpJsonCompact(v);
}

std::optional<std::string> StrOrNull(const Value& v) {
  if (v.is_str()) return v.as_str();
  return std::nullopt;
}

Result<Value> JsonColumn(const Stmt& s, int col, const char* what) {
  if (s.IsNull(col)) return Value();
  auto v = ParseJson(s.TextView(col));
  if (!v.ok()) return Status("StoreError", std::string("corrupt JSON in ") + what + ": " +
                                               v.status().message());
  return std::move(v).value();
}

Value StrColumn(const Stmt& s, int col) {
  if (s.IsNull(col)) return Value();
  return Value(s.Text(col));
}

std::string StringListJson(const std::vector<std::string>& items) {
  List list;
  list.reserve(items.size());
  for (const auto& i : items) list.emplace_back(i);
  return DumpJsonCompact(Value(std::move(list)));
}

Result<std::vector<std::string>> StringListColumn(const Stmt& s, int col, const char* what) {
  auto v = JsonColumn(s, col, what);
  if (!v.ok()) return v.status();
  std::vector<std::string> out;
  if (v->is_sequence()) {
    for (const auto& item : v->as_list()) {
      if (item.is_str()) out.push_back(item.as_str());
    }
  }
  return out;
}

std::optional<int> OptInt32(const Stmt& s, int col) {
  if (s.IsNull(col)) return std::nullopt;
  return static_cast<int>(s.Int(col));
}

// Event fields added to model.h after the first schema (request, context) are optional here so
// that the store builds against either version of the struct.
template <typename E>
Value* EventRequest(E& e) {
  if constexpr (requires { e.request; }) {
    return &e.request;
  } else {
    return nullptr;
  }
}
template <typename E>
Value* EventContext(E& e) {
  if constexpr (requires { e.context; }) {
    return &e.context;
  } else {
    return nullptr;
  }
}

// ---- row mapping ----

constexpr const char* kWebhookCols =
    "id, name, description, payload_url, http_method, http_content_type, additional_headers, "
    "body_template, secret, ssl_verification, ca_file_path, timeout, max_attempts, retry_policy, "
    "retry_interval, created, last_updated";

Result<Webhook> ReadWebhook(const Stmt& s) {
  Webhook w;
  w.id = s.Int(0);
  w.name = s.Text(1);
  w.description = s.Text(2);
  w.payload_url = s.Text(3);
  w.http_method = s.Text(4);
  w.http_content_type = s.Text(5);
  w.additional_headers = s.Text(6);
  w.body_template = s.Text(7);
  w.secret = s.Text(8);
  w.ssl_verification = s.Int(9) != 0;
  w.ca_file_path = s.OptText(10);
  w.timeout = OptInt32(s, 11);
  w.max_attempts = OptInt32(s, 12);
  w.retry_policy = s.OptText(13);
  w.retry_interval = OptInt32(s, 14);
  w.created = s.Int(15);
  w.last_updated = s.Int(16);
  return w;
}

// Binds every webhook column after id, in kWebhookCols order, except created/last_updated.
void BindWebhookBody(Stmt& s, const Webhook& w) {
  s.Bind(w.name)
      .Bind(w.description)
      .Bind(w.payload_url)
      .Bind(w.http_method)
      .Bind(w.http_content_type)
      .Bind(w.additional_headers)
      .Bind(w.body_template)
      .Bind(w.secret)
      .Bind(w.ssl_verification)
      .Bind(w.ca_file_path)
      .Bind(w.timeout)
      .Bind(w.max_attempts)
      .Bind(w.retry_policy)
      .Bind(w.retry_interval);
}

constexpr const char* kRuleCols =
    "id, name, description, object_types, event_types, enabled, conditions, action_type, "
    "action_object_type, action_object_id, action_data, comments, created, last_updated";

Result<EventRule> ReadRule(const Stmt& s) {
  EventRule r;
  r.id = s.Int(0);
  r.name = s.Text(1);
  r.description = s.Text(2);
  auto ot = StringListColumn(s, 3, "event_rules.object_types");
  if (!ot.ok()) return ot.status();
  r.object_types = std::move(*ot);
  auto et = StringListColumn(s, 4, "event_rules.event_types");
  if (!et.ok()) return et.status();
  r.event_types = std::move(*et);
  r.enabled = s.Int(5) != 0;
  auto cond = JsonColumn(s, 6, "event_rules.conditions");
  if (!cond.ok()) return cond.status();
  r.conditions = std::move(*cond);
  r.action_type = s.Text(7);
  r.action_object_type = s.Text(8);
  r.action_object_id = s.OptInt(9);
  auto ad = JsonColumn(s, 10, "event_rules.action_data");
  if (!ad.ok()) return ad.status();
  r.action_data = std::move(*ad);
  r.comments = s.Text(11);
  r.created = s.Int(12);
  r.last_updated = s.Int(13);
  return r;
}

// JSON forms of a rule's Value fields, computed before binding (bound text must stay alive).
struct RuleJson {
  std::string object_types, event_types;
  std::optional<std::string> conditions, action_data;
  explicit RuleJson(const EventRule& r)
      : object_types(StringListJson(r.object_types)),
        event_types(StringListJson(r.event_types)),
        conditions(JsonOrNull(r.conditions)),
        action_data(JsonOrNull(r.action_data)) {}
};

void BindRuleBody(Stmt& s, const EventRule& r, const RuleJson& j) {
  s.Bind(r.name)
      .Bind(r.description)
      .Bind(j.object_types)
      .Bind(j.event_types)
      .Bind(r.enabled)
      .Bind(j.conditions)
      .Bind(r.action_type)
      .Bind(r.action_object_type)
      .Bind(r.action_object_id)
      .Bind(j.action_data)
      .Bind(r.comments);
}

bool TargetsWebhook(const EventRule& r) {
  return r.action_type == "webhook" || r.action_object_type == "extras.webhook";
}

constexpr const char* kTokenCols =
    "id, name, key_prefix, key_hash, scope, created, last_used, revoked";

// A token row whose scope is not one Herald knows grants nothing: for authentication it is an
// error (ReadToken), in listings it shows as revoked (ReadTokenForListing).
Result<ApiToken> ReadTokenForListing(const Stmt& s) {
  ApiToken t;
  t.id = s.Int(0);
  t.name = s.Text(1);
  t.key_prefix = s.Text(2);
  t.key_hash = s.Text(3);
  auto scope = ParseTokenScope(s.TextView(4));
  t.scope = scope.value_or(TokenScope::kReadOnly);
  t.created = s.Int(5);
  t.last_used = s.Int(6);
  t.revoked = s.Int(7) != 0 || !scope;
  return t;
}

Result<ApiToken> ReadToken(const Stmt& s) {
  if (!ParseTokenScope(s.TextView(4)))
    return Status("StoreError", "token #" + std::to_string(s.Int(0)) + " has an unknown scope '" +
                                    s.Text(4) + "'; it grants nothing");
  return ReadTokenForListing(s);
}

constexpr const char* kEventCols =
    "id, event, event_type, object_type, model, timestamp, username, request_id, data, "
    "snapshots, request, context, received_at";

Result<Event> ReadEvent(const Stmt& s) {
  Event e;
  e.id = s.Int(0);
  e.event = s.Text(1);
  e.event_type = s.Text(2);
  e.object_type = s.Text(3);
  e.model = s.Text(4);
  e.timestamp = s.Text(5);
  e.username = StrColumn(s, 6);
  e.request_id = StrColumn(s, 7);
  auto data = JsonColumn(s, 8, "events.data");
  if (!data.ok()) return data.status();
  e.data = std::move(*data);
  auto snaps = JsonColumn(s, 9, "events.snapshots");
  if (!snaps.ok()) return snaps.status();
  e.snapshots = std::move(*snaps);
  if (Value* req = EventRequest(e)) {
    auto v = JsonColumn(s, 10, "events.request");
    if (!v.ok()) return v.status();
    *req = std::move(*v);
  }
  if (Value* ctx = EventContext(e)) {
    auto v = JsonColumn(s, 11, "events.context");
    if (!v.ok()) return v.status();
    *ctx = std::move(*v);
  }
  e.received_at = s.Int(12);
  return e;
}

constexpr const char* kTaskCols =
    "id, event_id, rule_id, webhook_id, rule_name, webhook_name, object_type, event_type, "
    "action_data, status, attempts, created_at, enqueued_at, due_at, started_at, ended_at, "
    "worker, lease_expires, result, error";

Result<Task> ReadTask(const Stmt& s) {
  Task t;
  t.id = s.Text(0);
  t.event_id = s.Int(1);
  t.rule_id = s.Int(2);
  t.webhook_id = s.Int(3);
  t.rule_name = s.Text(4);
  t.webhook_name = s.Text(5);
  t.object_type = s.Text(6);
  t.event_type = s.Text(7);
  auto ad = JsonColumn(s, 8, "tasks.action_data");
  if (!ad.ok()) return ad.status();
  t.action_data = std::move(*ad);
  int64_t st = s.Int(9);
  t.status = st >= kQueued && st <= kFailed ? static_cast<TaskStatus>(st) : TaskStatus::kFailed;
  t.attempts = static_cast<int>(s.Int(10));
  t.created_at = s.Int(11);
  t.enqueued_at = s.Int(12);
  t.due_at = s.Int(13);
  t.started_at = s.Int(14);
  t.ended_at = s.Int(15);
  t.worker = s.Text(16);
  t.lease_expires = s.Int(17);
  t.result = s.Text(18);
  t.error = s.Text(19);
  return t;
}

constexpr const char* kAttemptCols =
    "number, started_at, duration_us, status_code, response_excerpt, error, method, url, "
    "request_headers, request_body";

Attempt ReadAttempt(const Stmt& s, const std::string& task_id) {
  Attempt a;
  a.task_id = task_id;
  a.number = static_cast<int>(s.Int(0));
  a.started_at = s.Int(1);
  a.duration_us = s.Int(2);
  a.status_code = static_cast<int>(s.Int(3));
  a.response_excerpt = s.Text(4);
  a.error = s.Text(5);
  a.method = s.Text(6);
  a.url = s.Text(7);
  a.request_headers = s.Text(8);
  a.request_body = s.Text(9);
  return a;
}

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

Status StepDone(Conn& c, Stmt& s, const char* what) {
  int rc = s.Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return c.Error(what);
  return Status::Ok();
}

// The WHERE clause of a TaskFilter, with its arguments (kept alive for binding).
struct TaskWhere {
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> args;
  bool only_status = true;  // no condition other than (maybe) status

  explicit TaskWhere(const TaskFilter& f) {
    auto add = [&](const char* cond) { sql += sql.empty() ? " WHERE " : " AND "; sql += cond; };
    if (f.status) {
      add("status = ?");
      args.emplace_back(static_cast<int64_t>(*f.status));
    }
    if (f.webhook_id) {
      add("webhook_id = ?");
      args.emplace_back(*f.webhook_id);
      only_status = false;
    }
    if (f.rule_id) {
      add("rule_id = ?");
      args.emplace_back(*f.rule_id);
      only_status = false;
    }
    if (f.event_id) {
      // Tasks of one event are the rowid range [id << bits, (id + 1) << bits).
      add("seq >= ? AND seq < ?");
      args.emplace_back(*f.event_id << kTaskSeqBits);
      args.emplace_back((*f.event_id + 1) << kTaskSeqBits);
      only_status = false;
    }
    if (f.object_type) {
      add("object_type = ?");
      args.emplace_back(*f.object_type);
      only_status = false;
    }
  }
  void Bind(Stmt& s) const {
    for (const auto& a : args) {
      if (const auto* i = std::get_if<int64_t>(&a)) {
        s.Bind(*i);
      } else {
        s.Bind(std::get<std::string>(a));
      }
    }
  }
};

}  // namespace

// ---- the writer queue ----

struct SqliteStore::WriteCtx {
  Conn& conn;
  TimeUs now;                          // wall clock at the start of the transaction
  int64_t status_delta[5] = {};        // task count changes, applied after commit
  int64_t config_changes = 0;          // webhook/rule changes (bump the revision)
  bool wake = false;                   // tasks became due: notify the listener after commit

  void Move(int from, int to) {
    if (from >= 0) --status_delta[from];
    if (to >= 0) ++status_delta[to];
  }
};

// One unit of work. Run executes inside the batch transaction (in its own savepoint: an error
// return rolls back just this op). Finish runs after the transaction ended, on the writer
// thread, with the commit's outcome; it must hand the op's result to its caller.
class SqliteStore::WriteOp {
 public:
  virtual ~WriteOp() = default;
  virtual Status Run(WriteCtx& ctx) = 0;
  virtual void Finish(const Status& commit) = 0;
};

namespace {

// A blocking operation: Run computes a Result<T>; the caller waits for it on a future.
template <typename T, typename Fn>
class SyncOp final : public SqliteStore::WriteOp {
 public:
  explicit SyncOp(Fn fn) : fn_(std::move(fn)) {}
  Status Run(SqliteStore::WriteCtx& ctx) override {
    result_.emplace(fn_(ctx));
    return result_->ok() ? Status::Ok() : result_->status();
  }
  void Finish(const Status& commit) override {
    if (!commit.ok()) {
      promise_.set_value(Result<T>(commit));
    } else if (!result_) {
      promise_.set_value(Result<T>(Status("StoreError", "write was not executed")));
    } else {
      promise_.set_value(std::move(*result_));
    }
  }
  std::future<Result<T>> future() { return promise_.get_future(); }

 private:
  Fn fn_;
  std::optional<Result<T>> result_;
  std::promise<Result<T>> promise_;
};

}  // namespace

Status SqliteStore::Submit(std::unique_ptr<WriteOp>& op) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stopping_) return Status("StoreError", "the store is closed");
    queue_.push_back(std::move(op));
  }
  queue_cv_.notify_one();
  return Status::Ok();
}

template <typename T, typename Fn>
Result<T> SqliteStore::WriteSync(Fn fn) {
  if (std::this_thread::get_id() == writer_id_) {
    return Status("StoreError", "blocking store call from a store callback (would deadlock)");
  }
  auto op = std::make_unique<SyncOp<T, Fn>>(std::move(fn));
  auto fut = op->future();
  std::unique_ptr<WriteOp> base = std::move(op);
  HERALD_RETURN_IF_ERROR(Submit(base));
  return fut.get();
}

template <typename Fn>
Status SqliteStore::WriteStatus(Fn fn) {
  auto wrapped = [fn = std::move(fn)](WriteCtx& ctx) mutable -> Result<bool> {
    Status st = fn(ctx);
    if (!st.ok()) return st;
    return true;
  };
  auto r = WriteSync<bool>(std::move(wrapped));
  return r.ok() ? Status::Ok() : r.status();
}

void SqliteStore::WriterLoop() {
  pthread_setname_np(pthread_self(), "herald-store");
  std::vector<std::unique_ptr<WriteOp>> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything pending was written
      while (!queue_.empty() && batch.size() < kMaxOpsPerTransaction) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    batch.clear();
  }
}

void SqliteStore::RunBatch(std::vector<std::unique_ptr<WriteOp>>& batch) {
  Conn& c = *writer_conn_;
  WriteCtx ctx{c, WallNowUs()};
  Status st = c.Run("BEGIN IMMEDIATE");
  if (st.ok()) {
    for (auto& op : batch) {
      WriteCtx saved = ctx;
      st = c.Run("SAVEPOINT op");
      if (!st.ok()) break;
      Status r = op->Run(ctx);
      if (r.ok()) {
        st = c.Run("RELEASE op");
      } else {
        std::copy(std::begin(saved.status_delta), std::end(saved.status_delta),
                  std::begin(ctx.status_delta));
        ctx.config_changes = saved.config_changes;
        ctx.wake = saved.wake;
        st = c.Run("ROLLBACK TO op");
        if (st.ok()) st = c.Run("RELEASE op");
      }
      // An I/O error can make SQLite abandon the whole transaction; then nothing after it may
      // run in autocommit mode, and the batch fails as a whole.
      if (st.ok() && sqlite3_get_autocommit(c.db())) {
        st = Status("StoreError", "transaction aborted: " + r.message());
      }
      if (!st.ok()) break;
    }
    for (int i = 0; st.ok() && i < 5; ++i) {
      if (ctx.status_delta[i] == 0) continue;
      auto upd = c.Prepare("UPDATE task_counts SET n = n + ? WHERE status = ?");
      st = upd.ok() ? StepDone(c, upd->Bind(ctx.status_delta[i]).Bind(i), "task counts")
                    : upd.status();
    }
    if (st.ok() && ctx.config_changes > 0) {
      auto bump = c.Prepare("UPDATE meta SET value = value + ? WHERE key = 'config_revision'");
      st = bump.ok() ? StepDone(c, bump->Bind(ctx.config_changes), "config revision")
                     : bump.status();
    }
    if (st.ok()) st = c.Run("COMMIT");
    if (!st.ok() && !sqlite3_get_autocommit(c.db())) (void)c.Exec("ROLLBACK");
  }
  if (st.ok()) {
    config_revision_.fetch_add(ctx.config_changes);
    transactions_.fetch_add(1);
  }
  // The listener runs before the callers are answered, so a caller that returns from
  // Requeue() knows the dispatcher was already told.
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
  for (auto& op : batch) {
    try {
      op->Finish(st);
    } catch (...) {
      // A caller's callback threw; the writer must survive it.
    }
  }
}

// ---- readers ----

Result<std::unique_ptr<Conn>> SqliteStore::TakeReader() {
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    if (closed_.load()) return Status("StoreError", "the store is closed");
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

template <typename Fn>
auto SqliteStore::Read(Fn fn) -> decltype(fn(std::declval<Conn&>())) {
  auto conn = TakeReader();
  if (!conn.ok()) return conn.status();
  auto result = fn(**conn);
  ReturnReader(std::move(*conn));
  return result;
}

// ---- lifecycle ----

SqliteStore::SqliteStore(std::string path) : path_(std::move(path)) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& relative_path) {
  // Remember the absolute path: readers open it later, whatever the working directory then.
  std::error_code ec;
  auto abs = std::filesystem::absolute(relative_path, ec);
  const std::string path = ec ? relative_path : abs.lexically_normal().string();
  std::unique_ptr<SqliteStore> store(new SqliteStore(path));
  // Owner-only permissions before SQLite touches the file: its -wal/-shm inherit them.
  HERALD_RETURN_IF_ERROR(sqlite::SecureStoreFiles(path));
  auto conn = Conn::Open(path, kWriterCacheKib);
  if (!conn.ok()) return conn.status();
  Conn& c = **conn;
  // journal_mode=WAL is persistent in the file; the other settings are per connection.
  HERALD_RETURN_IF_ERROR(c.Exec("PRAGMA journal_mode=WAL"));
  HERALD_RETURN_IF_ERROR(c.Exec(("PRAGMA wal_autocheckpoint=" +
                                 std::to_string(kWalAutoCheckpointPages) +
                                 "; PRAGMA journal_size_limit=" +
                                 std::to_string(kJournalSizeLimitBytes))
                                    .c_str()));
  Status mig = sqlite::ApplyMigrations(c.db(), sqlite::SchemaMigrations());
  if (!mig.ok()) return Status("StoreError", path + ": " + mig.message());

  {
    auto s = c.Prepare("SELECT value FROM meta WHERE key = 'config_revision'");
    if (!s.ok()) return s.status();
    if (s->Step() == SQLITE_ROW) store->config_revision_ = s->Int(0);
  }
  store->writer_conn_ = std::move(*conn);
  SqliteStore* self = store.get();
  store->writer_ = std::thread([self] { self->WriterLoop(); });
  store->writer_id_ = store->writer_.get_id();
  return store;
}

SqliteStore::~SqliteStore() { Close(); }

void SqliteStore::Close() {
  std::call_once(close_once_, [this] {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    {
      std::lock_guard<std::mutex> lock(readers_mu_);
      closed_ = true;
      idle_readers_.clear();
    }
    writer_conn_.reset();
  });
}

std::string SqliteStore::Describe() const { return "sqlite://" + path_; }

int64_t SqliteStore::ConfigRevision() const {
  // This process's own changes bump the counter at commit; changes made by another process
  // sharing the file are picked up from the database at most once a second.
  int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  int64_t checked = revision_checked_us_.load();
  if (now - checked >= 1000000 && revision_checked_us_.compare_exchange_strong(checked, now)) {
    auto db = const_cast<SqliteStore*>(this)->Read([](Conn& c) -> Result<int64_t> {
      auto s = c.Prepare("SELECT value FROM meta WHERE key = 'config_revision'");
      if (!s.ok()) return s.status();
      return s->Step() == SQLITE_ROW ? s->Int(0) : int64_t{0};
    });
    if (db.ok()) {
      int64_t cur = config_revision_.load();
      while (*db > cur && !config_revision_.compare_exchange_weak(cur, *db)) {
      }
    }
  }
  return config_revision_.load();
}

void SqliteStore::SetTaskListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(listener_mu_);
  listener_ = std::move(listener);
}

// ---- webhooks ----

namespace {

// Id of the row of `table` named `name`, if any.
Result<std::optional<int64_t>> IdByName(Conn& c, const char* table, const std::string& name) {
  auto s = c.Prepare(std::string("SELECT id FROM ") + table + " WHERE name = ?");
  if (!s.ok()) return s.status();
  s->Bind(name);
  return One<int64_t>(c, *s, [](const Stmt& r) -> Result<int64_t> { return r.Int(0); });
}

Result<bool> RowExists(Conn& c, const char* table, int64_t id) {
  auto s = c.Prepare(std::string("SELECT 1 FROM ") + table + " WHERE id = ?");
  if (!s.ok()) return s.status();
  s->Bind(id);
  int rc = s->Step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return c.Error("query failed");
}

Result<Webhook> LoadWebhook(Conn& c, int64_t id) {
  auto s = c.Prepare(std::string("SELECT ") + kWebhookCols + " FROM webhooks WHERE id = ?");
  if (!s.ok()) return s.status();
  s->Bind(id);
  auto r = One<Webhook>(c, *s, ReadWebhook);
  if (!r.ok()) return r.status();
  if (!r->has_value()) return NotFound("webhook " + std::to_string(id));
  return std::move(**r);
}

Result<EventRule> LoadRule(Conn& c, int64_t id) {
  auto s = c.Prepare(std::string("SELECT ") + kRuleCols + " FROM event_rules WHERE id = ?");
  if (!s.ok()) return s.status();
  s->Bind(id);
  auto r = One<EventRule>(c, *s, ReadRule);
  if (!r.ok()) return r.status();
  if (!r->has_value()) return NotFound("event rule " + std::to_string(id));
  return std::move(**r);
}

// Conflict unless the rule's webhook target exists.
Status CheckRuleTarget(Conn& c, const EventRule& r) {
  if (!TargetsWebhook(r) || !r.action_object_id) return Status::Ok();
  auto exists = RowExists(c, "webhooks", *r.action_object_id);
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    return Conflict("action_object_id " + std::to_string(*r.action_object_id) +
                    " names no webhook.");
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Webhook>> SqliteStore::ListWebhooks() {
  return Read([](Conn& c) -> Result<std::vector<Webhook>> {
    auto s = c.Prepare(std::string("SELECT ") + kWebhookCols + " FROM webhooks ORDER BY name");
    if (!s.ok()) return s.status();
    return Collect<Webhook>(c, *s, ReadWebhook);
  });
}

Result<Webhook> SqliteStore::GetWebhook(int64_t id) {
  return Read([id](Conn& c) { return LoadWebhook(c, id); });
}

Result<Webhook> SqliteStore::CreateWebhook(Webhook w) {
  return WriteSync<Webhook>([w = std::move(w)](WriteCtx& ctx) mutable -> Result<Webhook> {
    Conn& c = ctx.conn;
    auto taken = IdByName(c, "webhooks", w.name);
    if (!taken.ok()) return taken.status();
    if (taken->has_value()) return Conflict("webhook with this name already exists.");
    if (w.id != 0) {
      auto exists = RowExists(c, "webhooks", w.id);
      if (!exists.ok()) return exists.status();
      if (*exists) return Conflict("webhook with id " + std::to_string(w.id) + " already exists.");
    }
    w.created = w.last_updated = ctx.now;
    auto s = c.Prepare(std::string("INSERT INTO webhooks(") + kWebhookCols +
                       ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!s.ok()) return s.status();
    if (w.id != 0) {
      s->Bind(w.id);
    } else {
      s->BindNull();
    }
    BindWebhookBody(*s, w);
    s->Bind(w.created).Bind(w.last_updated);
    HERALD_RETURN_IF_ERROR(StepDone(c, *s, "cannot insert webhook"));
    w.id = sqlite3_last_insert_rowid(c.db());
    ++ctx.config_changes;
    return w;
  });
}

Result<Webhook> SqliteStore::UpdateWebhook(Webhook w) {
  return WriteSync<Webhook>([w = std::move(w)](WriteCtx& ctx) mutable -> Result<Webhook> {
    Conn& c = ctx.conn;
    auto old = LoadWebhook(c, w.id);
    if (!old.ok()) return old.status();
    auto taken = IdByName(c, "webhooks", w.name);
    if (!taken.ok()) return taken.status();
    if (taken->has_value() && **taken != w.id) {
      return Conflict("webhook with this name already exists.");
    }
    w.created = old->created;
    w.last_updated = ctx.now;
    auto s = c.Prepare(
        "UPDATE webhooks SET name = ?, description = ?, payload_url = ?, http_method = ?, "
        "http_content_type = ?, additional_headers = ?, body_template = ?, secret = ?, "
        "ssl_verification = ?, ca_file_path = ?, timeout = ?, max_attempts = ?, "
        "retry_policy = ?, retry_interval = ?, last_updated = ? WHERE id = ?");
    if (!s.ok()) return s.status();
    BindWebhookBody(*s, w);
    s->Bind(w.last_updated).Bind(w.id);
    HERALD_RETURN_IF_ERROR(StepDone(c, *s, "cannot update webhook"));
    ++ctx.config_changes;
    return w;
  });
}

Status SqliteStore::DeleteWebhook(int64_t id) {
  return WriteStatus([id](WriteCtx& ctx) -> Status {
    Conn& c = ctx.conn;
    auto exists = RowExists(c, "webhooks", id);
    if (!exists.ok()) return exists.status();
    if (!*exists) return NotFound("webhook " + std::to_string(id));
    auto users = c.Prepare(
        "SELECT name FROM event_rules WHERE action_object_id = ? AND "
        "(action_type = 'webhook' OR action_object_type = 'extras.webhook') ORDER BY name");
    if (!users.ok()) return users.status();
    users->Bind(id);
    auto names = Collect<std::string>(
        c, *users, [](const Stmt& r) -> Result<std::string> { return r.Text(0); });
    if (!names.ok()) return names.status();
    if (!names->empty()) {
      std::string list;
      for (const auto& n : *names) list += (list.empty() ? "'" : ", '") + n + "'";
      return Conflict("webhook " + std::to_string(id) + " is used by event rule" +
                      (names->size() > 1 ? "s " : " ") + list +
                      "; change or delete those rules first.");
    }
    auto del = c.Prepare("DELETE FROM webhooks WHERE id = ?");
    if (!del.ok()) return del.status();
    HERALD_RETURN_IF_ERROR(StepDone(c, del->Bind(id), "cannot delete webhook"));
    ++ctx.config_changes;
    return Status::Ok();
  });
}

// ---- event rules ----

Result<std::vector<EventRule>> SqliteStore::ListEventRules() {
  return Read([](Conn& c) -> Result<std::vector<EventRule>> {
    auto s = c.Prepare(std::string("SELECT ") + kRuleCols + " FROM event_rules ORDER BY name");
    if (!s.ok()) return s.status();
    return Collect<EventRule>(c, *s, ReadRule);
  });
}

Result<EventRule> SqliteStore::GetEventRule(int64_t id) {
  return Read([id](Conn& c) { return LoadRule(c, id); });
}

Result<EventRule> SqliteStore::CreateEventRule(EventRule r) {
  RuleJson json(r);  // serialised on the caller's thread
  return WriteSync<EventRule>(
      [r = std::move(r), json = std::move(json)](WriteCtx& ctx) mutable -> Result<EventRule> {
        Conn& c = ctx.conn;
        auto taken = IdByName(c, "event_rules", r.name);
        if (!taken.ok()) return taken.status();
        if (taken->has_value()) return Conflict("event rule with this name already exists.");
        if (r.id != 0) {
          auto exists = RowExists(c, "event_rules", r.id);
          if (!exists.ok()) return exists.status();
          if (*exists) {
            return Conflict("event rule with id " + std::to_string(r.id) + " already exists.");
          }
        }
        HERALD_RETURN_IF_ERROR(CheckRuleTarget(c, r));
        r.created = r.last_updated = ctx.now;
        auto s = c.Prepare(std::string("INSERT INTO event_rules(") + kRuleCols +
                           ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        if (!s.ok()) return s.status();
        if (r.id != 0) {
          s->Bind(r.id);
        } else {
          s->BindNull();
        }
        BindRuleBody(*s, r, json);
        s->Bind(r.created).Bind(r.last_updated);
        HERALD_RETURN_IF_ERROR(StepDone(c, *s, "cannot insert event rule"));
        r.id = sqlite3_last_insert_rowid(c.db());
        ++ctx.config_changes;
        return r;
      });
}

Result<EventRule> SqliteStore::UpdateEventRule(EventRule r) {
  RuleJson json(r);
  return WriteSync<EventRule>(
      [r = std::move(r), json = std::move(json)](WriteCtx& ctx) mutable -> Result<EventRule> {
        Conn& c = ctx.conn;
        auto old = LoadRule(c, r.id);
        if (!old.ok()) return old.status();
        auto taken = IdByName(c, "event_rules", r.name);
        if (!taken.ok()) return taken.status();
        if (taken->has_value() && **taken != r.id) {
          return Conflict("event rule with this name already exists.");
        }
        HERALD_RETURN_IF_ERROR(CheckRuleTarget(c, r));
        r.created = old->created;
        r.last_updated = ctx.now;
        auto s = c.Prepare(
            "UPDATE event_rules SET name = ?, description = ?, object_types = ?, "
            "event_types = ?, enabled = ?, conditions = ?, action_type = ?, "
            "action_object_type = ?, action_object_id = ?, action_data = ?, comments = ?, "
            "last_updated = ? WHERE id = ?");
        if (!s.ok()) return s.status();
        BindRuleBody(*s, r, json);
        s->Bind(r.last_updated).Bind(r.id);
        HERALD_RETURN_IF_ERROR(StepDone(c, *s, "cannot update event rule"));
        ++ctx.config_changes;
        return r;
      });
}

Status SqliteStore::DeleteEventRule(int64_t id) {
  return WriteStatus([id](WriteCtx& ctx) -> Status {
    Conn& c = ctx.conn;
    auto del = c.Prepare("DELETE FROM event_rules WHERE id = ?");
    if (!del.ok()) return del.status();
    HERALD_RETURN_IF_ERROR(StepDone(c, del->Bind(id), "cannot delete event rule"));
    if (sqlite3_changes(c.db()) == 0) return NotFound("event rule " + std::to_string(id));
    ++ctx.config_changes;
    return Status::Ok();
  });
}

// ---- tokens ----

Result<std::vector<ApiToken>> SqliteStore::ListTokens() {
  return Read([](Conn& c) -> Result<std::vector<ApiToken>> {
    auto s = c.Prepare(std::string("SELECT ") + kTokenCols + " FROM api_tokens ORDER BY id");
    if (!s.ok()) return s.status();
    return Collect<ApiToken>(c, *s, ReadTokenForListing);
  });
}

Result<ApiToken> SqliteStore::CreateToken(ApiToken t) {
  return WriteSync<ApiToken>([t = std::move(t)](WriteCtx& ctx) mutable -> Result<ApiToken> {
    Conn& c = ctx.conn;
    auto dup = c.Prepare("SELECT 1 FROM api_tokens WHERE key_hash = ?");
    if (!dup.ok()) return dup.status();
    dup->Bind(t.key_hash);
    int rc = dup->Step();
    if (rc == SQLITE_ROW) return Conflict("a token with this key already exists.");
    if (rc != SQLITE_DONE) return c.Error("query failed");
    t.created = ctx.now;
    auto s = c.Prepare(std::string("INSERT INTO api_tokens(") + kTokenCols +
                       ") VALUES (?,?,?,?,?,?,?,?)");
    if (!s.ok()) return s.status();
    if (t.id != 0) {
      s->Bind(t.id);
    } else {
      s->BindNull();
    }
    s->Bind(t.name)
        .Bind(t.key_prefix)
        .Bind(t.key_hash)
        .Bind(TokenScopeName(t.scope))
        .Bind(t.created)
        .Bind(t.last_used)
        .Bind(t.revoked);
    HERALD_RETURN_IF_ERROR(StepDone(c, *s, "cannot insert token"));
    t.id = sqlite3_last_insert_rowid(c.db());
    return t;
  });
}

Status SqliteStore::RevokeToken(int64_t id) {
  return WriteStatus([id](WriteCtx& ctx) -> Status {
    Conn& c = ctx.conn;
    auto s = c.Prepare("UPDATE api_tokens SET revoked = 1 WHERE id = ?");
    if (!s.ok()) return s.status();
    HERALD_RETURN_IF_ERROR(StepDone(c, s->Bind(id), "cannot revoke token"));
    if (sqlite3_changes(c.db()) == 0) return NotFound("token " + std::to_string(id));
    return Status::Ok();
  });
}

Result<ApiToken> SqliteStore::FindTokenByHash(const std::string& key_hash) {
  return Read([&key_hash](Conn& c) -> Result<ApiToken> {
    auto s = c.Prepare(std::string("SELECT ") + kTokenCols +
                       " FROM api_tokens WHERE key_hash = ? AND revoked = 0");
    if (!s.ok()) return s.status();
    s->Bind(key_hash);
    auto r = One<ApiToken>(c, *s, ReadToken);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return NotFound("token");
    return std::move(**r);
  });
}

// ---- events ----

namespace {

// CommitEvents' unit of work. The constructor runs on the caller's thread: it serialises the
// Value fields to JSON, generates task ids and moves the strings it needs into flat records,
// so the caller's Value trees are freed there too; Run (writer thread) only binds and inserts.
class CommitOp final : public SqliteStore::WriteOp {
 public:
  using Done = std::function<void(Result<std::vector<CommittedEvent>>)>;

  struct FlatTask {
    std::string id, rule_name, webhook_name, object_type, event_type;
    std::optional<std::string> action_data;
    int64_t rule_id = 0, webhook_id = 0;
    bool delayed = false;  // created scheduled
    TimeUs due_at = 0;
  };
  struct FlatEvent {
    std::string event, event_type, object_type, model, timestamp;
    std::optional<std::string> username, request_id, data, snapshots, request, context;
    TimeUs received_at = 0;
    std::vector<FlatTask> tasks;
  };

  CommitOp(std::vector<NewEvent> events, Done done) : done_(std::move(done)) {
    events_.resize(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      Event& e = events[i].event;
      FlatEvent& f = events_[i];
      f.username = StrOrNull(e.username);
      f.request_id = StrOrNull(e.request_id);
      f.data = JsonOrNull(e.data);
      f.snapshots = JsonOrNull(e.snapshots);
      if (Value* v = EventRequest(e)) f.request = JsonOrNull(*v);
      if (Value* v = EventContext(e)) f.context = JsonOrNull(*v);
      f.received_at = e.received_at;
      f.tasks.resize(events[i].tasks.size());
      for (size_t k = 0; k < f.tasks.size(); ++k) {
        Task& t = events[i].tasks[k];
        FlatTask& ft = f.tasks[k];
        ft.id = NewTaskId();
        ft.rule_id = t.rule_id;
        ft.webhook_id = t.webhook_id;
        ft.rule_name = std::move(t.rule_name);
        ft.webhook_name = std::move(t.webhook_name);
        ft.object_type = t.object_type.empty() ? e.object_type : std::move(t.object_type);
        ft.event_type = t.event_type.empty() ? e.event_type : std::move(t.event_type);
        ft.action_data = JsonOrNull(t.action_data);
        ft.delayed = t.status == TaskStatus::kScheduled;
        ft.due_at = t.due_at;
      }
      f.event = std::move(e.event);
      f.event_type = std::move(e.event_type);
      f.object_type = std::move(e.object_type);
      f.model = std::move(e.model);
      f.timestamp = std::move(e.timestamp);
    }
  }

  Status Run(SqliteStore::WriteCtx& ctx) override {
    Conn& c = ctx.conn;
    auto ins_event = c.Prepare(
        "INSERT INTO events(event, event_type, object_type, model, timestamp, username, "
        "request_id, data, snapshots, request, context, received_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!ins_event.ok()) return ins_event.status();
    auto ins_task = c.Prepare(
        "INSERT INTO tasks(seq, id, event_id, rule_id, webhook_id, rule_name, webhook_name, "
        "object_type, event_type, action_data, status, created_at, enqueued_at, due_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!ins_task.ok()) return ins_task.status();
    Stmt& se = *ins_event;
    Stmt& st = *ins_task;
    result_.clear();
    result_.reserve(events_.size());
    for (const FlatEvent& e : events_) {
      se.Reset();
      se.Bind(e.event)
          .Bind(e.event_type)
          .Bind(e.object_type)
          .Bind(e.model)
          .Bind(e.timestamp)
          .Bind(e.username)
          .Bind(e.request_id)
          .Bind(e.data)
          .Bind(e.snapshots)
          .Bind(e.request)
          .Bind(e.context)
          .Bind(e.received_at != 0 ? e.received_at : ctx.now);
      if (se.Step() != SQLITE_DONE) return c.Error("cannot insert event");
      CommittedEvent ce;
      ce.event_id = sqlite3_last_insert_rowid(c.db());
      ce.task_ids.reserve(e.tasks.size());
      for (size_t k = 0; k < e.tasks.size(); ++k) {
        const FlatTask& t = e.tasks[k];
        // A task may be created scheduled (delayed); otherwise it is queued and due now.
        const int status = t.delayed ? kScheduled : kQueued;
        st.Reset();
        st.Bind((ce.event_id << kTaskSeqBits) | static_cast<int64_t>(k))
            .Bind(t.id)
            .Bind(ce.event_id)
            .Bind(t.rule_id)
            .Bind(t.webhook_id)
            .Bind(t.rule_name)
            .Bind(t.webhook_name)
            .Bind(t.object_type)
            .Bind(t.event_type)
            .Bind(t.action_data)
            .Bind(status)
            .Bind(ctx.now)
            .Bind(ctx.now)
            .Bind(t.delayed ? t.due_at : ctx.now);
        if (st.Step() != SQLITE_DONE) return c.Error("cannot insert task");
        ctx.Move(-1, status);
        if (!t.delayed) ctx.wake = true;
        ce.task_ids.push_back(t.id);
      }
      result_.push_back(std::move(ce));
    }
    return Status::Ok();
  }

  // `st` is the commit's status, or this op's own failure.
  void Finish(const Status& st) override {
    events_.clear();
    if (!st.ok()) {
      done_(st);
    } else {
      done_(std::move(result_));
    }
  }

 private:
  std::vector<FlatEvent> events_;
  Done done_;
  std::vector<CommittedEvent> result_;
};

// Wraps CommitOp so a failed Run reports its own error.
class CommitOpGuard final : public SqliteStore::WriteOp {
 public:
  explicit CommitOpGuard(std::unique_ptr<CommitOp> op) : op_(std::move(op)) {}
  Status Run(SqliteStore::WriteCtx& ctx) override {
    run_ = op_->Run(ctx);
    return run_;
  }
  void Finish(const Status& commit) override { op_->Finish(commit.ok() ? run_ : commit); }

 private:
  std::unique_ptr<CommitOp> op_;
  Status run_ = Status("StoreError", "write was not executed");
};

}  // namespace

void SqliteStore::CommitEvents(std::vector<NewEvent> events,
                               std::function<void(Result<std::vector<CommittedEvent>>)> done) {
  for (const auto& e : events) {
    if (e.tasks.size() > kMaxTasksPerEvent) {
      done(Status("ValueError", "an event may create at most " +
                                    std::to_string(kMaxTasksPerEvent) + " tasks, not " +
                                    std::to_string(e.tasks.size())));
      return;
    }
  }
  auto op = std::make_unique<CommitOp>(std::move(events), std::move(done));
  CommitOp* raw = op.get();
  std::unique_ptr<WriteOp> guard = std::make_unique<CommitOpGuard>(std::move(op));
  Status st = Submit(guard);
  if (!st.ok()) raw->Finish(st);  // guard still owns the op when Submit failed
}

Result<Event> SqliteStore::GetEvent(int64_t id) {
  return Read([id](Conn& c) -> Result<Event> {
    auto s = c.Prepare(std::string("SELECT ") + kEventCols + " FROM events WHERE id = ?");
    if (!s.ok()) return s.status();
    s->Bind(id);
    auto r = One<Event>(c, *s, ReadEvent);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return NotFound("event " + std::to_string(id));
    return std::move(**r);
  });
}

Result<std::vector<Event>> SqliteStore::ListEvents(const EventFilter& filter) {
  return Read([&filter](Conn& c) -> Result<std::vector<Event>> {
    std::string sql = std::string("SELECT ") + kEventCols + " FROM events";
    if (filter.object_type) sql += " WHERE object_type = ?";
    sql += " ORDER BY id DESC LIMIT ? OFFSET ?";
    auto s = c.Prepare(sql);
    if (!s.ok()) return s.status();
    if (filter.object_type) s->Bind(*filter.object_type);
    s->Bind(filter.limit < 0 ? int64_t{-1} : filter.limit).Bind(std::max<int64_t>(0, filter.offset));
    return Collect<Event>(c, *s, ReadEvent);
  });
}

// ---- tasks: reads ----

namespace {

struct TaskRef {
  int64_t seq = 0;
  int status = 0;
  std::string worker;
  int attempts = 0;
  TimeUs due_at = 0;
};

Result<std::optional<TaskRef>> FindTaskRef(Conn& c, const std::string& id) {
  auto s = c.Prepare("SELECT seq, status, worker, attempts, due_at FROM tasks WHERE id = ?");
  if (!s.ok()) return s.status();
  s->Bind(id);
  return One<TaskRef>(c, *s, [](const Stmt& r) -> Result<TaskRef> {
    return TaskRef{r.Int(0), static_cast<int>(r.Int(1)), r.Text(2), static_cast<int>(r.Int(3)),
                   r.Int(4)};
  });
}

Result<TaskRef> MustFindTask(Conn& c, const std::string& id) {
  auto r = FindTaskRef(c, id);
  if (!r.ok()) return r.status();
  if (!r->has_value()) return NotFound("task " + id);
  return std::move(**r);
}

std::string StatusWord(int status) { return TaskStatusName(static_cast<TaskStatus>(status)); }

}  // namespace

Result<Task> SqliteStore::GetTask(const std::string& id) {
  return Read([&id](Conn& c) -> Result<Task> {
    auto s = c.Prepare(std::string("SELECT ") + kTaskCols + " FROM tasks WHERE id = ?");
    if (!s.ok()) return s.status();
    s->Bind(id);
    auto r = One<Task>(c, *s, ReadTask);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return NotFound("task " + id);
    return std::move(**r);
  });
}

Result<std::vector<Task>> SqliteStore::ListTasks(const TaskFilter& filter) {
  return Read([&filter](Conn& c) -> Result<std::vector<Task>> {
    TaskWhere where(filter);
    // Rowid order is creation order (see the schema), and every single-column index keeps
    // equal keys in rowid order, so this needs no sort.
    std::string sql = std::string("SELECT ") + kTaskCols + " FROM tasks" + where.sql +
                      (filter.oldest_first ? " ORDER BY seq ASC" : " ORDER BY seq DESC") +
                      " LIMIT ? OFFSET ?";
    auto s = c.Prepare(sql);
    if (!s.ok()) return s.status();
    where.Bind(*s);
    s->Bind(filter.limit < 0 ? int64_t{-1} : filter.limit).Bind(std::max<int64_t>(0, filter.offset));
    return Collect<Task>(c, *s, ReadTask);
  });
}

Result<int64_t> SqliteStore::CountTasks(const TaskFilter& filter) {
  TaskWhere where(filter);
  if (where.only_status) {
    // Answered from the maintained per-status counters.
    auto counts = CountByStatus();
    if (!counts.ok()) return counts.status();
    if (!filter.status) {
      return counts->queued + counts->started + counts->scheduled + counts->finished +
             counts->failed;
    }
    switch (*filter.status) {
      case TaskStatus::kQueued: return counts->queued;
      case TaskStatus::kStarted: return counts->started;
      case TaskStatus::kScheduled: return counts->scheduled;
      case TaskStatus::kFinished: return counts->finished;
      case TaskStatus::kFailed: return counts->failed;
    }
    return int64_t{0};
  }
  return Read([&where](Conn& c) -> Result<int64_t> {
    auto s = c.Prepare("SELECT count(*) FROM tasks" + where.sql);
    if (!s.ok()) return s.status();
    where.Bind(*s);
    if (s->Step() != SQLITE_ROW) return c.Error("cannot count tasks");
    return s->Int(0);
  });
}

Result<QueueCounts> SqliteStore::CountByStatus() {
  QueueCounts counts;
  auto st = Read([&counts](Conn& c) -> Result<bool> {
    auto s = c.Prepare("SELECT status, n FROM task_counts");
    if (!s.ok()) return s.status();
    int rc;
    while ((rc = s->Step()) == SQLITE_ROW) {
      int64_t n = s->Int(1);
      switch (s->Int(0)) {
        case kQueued: counts.queued = n; break;
        case kStarted: counts.started = n; break;
        case kScheduled: counts.scheduled = n; break;
        case kFinished: counts.finished = n; break;
        case kFailed: counts.failed = n; break;
        default: break;
      }
    }
    if (rc != SQLITE_DONE) return c.Error("cannot read task counts");
    return true;
  });
  if (!st.ok()) return st.status();
  auto oldest = Read([](Conn& c) -> Result<int64_t> {
    auto s = c.Prepare("SELECT min(enqueued_at) FROM tasks INDEXED BY tasks_queued WHERE status = 0");
    if (!s.ok()) return s.status();
    if (s->Step() != SQLITE_ROW) return c.Error("query failed");
    return s->IsNull(0) ? int64_t{0} : s->Int(0);
  });
  if (!oldest.ok()) return oldest.status();
  counts.oldest_queued_at = *oldest;
  return counts;
}

Result<std::vector<Attempt>> SqliteStore::ListAttempts(const std::string& task_id) {
  return Read([&task_id](Conn& c) -> Result<std::vector<Attempt>> {
    auto ref = MustFindTask(c, task_id);
    if (!ref.ok()) return ref.status();
    auto s = c.Prepare(std::string("SELECT ") + kAttemptCols +
                       " FROM attempts WHERE task_seq = ? ORDER BY number");
    if (!s.ok()) return s.status();
    s->Bind(ref->seq);
    return Collect<Attempt>(c, *s,
                            [&](const Stmt& r) -> Result<Attempt> { return ReadAttempt(r, task_id); });
  });
}

// Attempts are appended in the order they are recorded, so rowid order is (nearly) started_at
// order: a row is recorded when its request ended, at most one webhook timeout after it started.
// The scan walks rowids down from the newest and stops once it is this far before `since`.
constexpr TimeUs kHistogramOrderSlackUs = 10LL * 60 * 1000000;

Result<AttemptHistogram> SqliteStore::AttemptsPerMinute(TimeUs since, int minutes) {
  if (minutes < 1 || minutes > 1440)
    return Status::Error("ValueError", "minutes must be between 1 and 1440");
  return Read([since, minutes](Conn& c) -> Result<AttemptHistogram> {
    AttemptHistogram h;
    h.since = since;
    h.succeeded.assign(static_cast<size_t>(minutes), 0);
    h.failed.assign(static_cast<size_t>(minutes), 0);
    const TimeUs end = since + static_cast<TimeUs>(minutes) * 60 * 1000000;
    auto s = c.Prepare(
        "SELECT started_at, status_code, error FROM attempts ORDER BY rowid DESC LIMIT ?");
    if (!s.ok()) return s.status();
    s->Bind(kMaxHistogramScanRows);
    int64_t rows = 0;
    int rc;
    while ((rc = s->Step()) == SQLITE_ROW) {
      ++rows;
      TimeUs at = s->Int(0);
      if (at < since - kHistogramOrderSlackUs) break;
      if (at < since || at >= end) continue;
      size_t bucket = static_cast<size_t>((at - since) / (60 * 1000000));
      int64_t code = s->Int(1);
      bool ok = code >= 200 && code <= 299 && s->Text(2).empty();
      (ok ? h.succeeded : h.failed)[bucket]++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return c.Error("cannot read attempts");
    h.truncated = rows >= kMaxHistogramScanRows;
    return h;
  });
}

// ---- tasks: state changes ----

Result<LeaseResult> SqliteStore::Lease(const LeaseRequest& req) {
  if (req.max <= 0) return LeaseResult();
  return WriteSync<LeaseResult>([req](WriteCtx& ctx) -> Result<LeaseResult> {
    Conn& c = ctx.conn;
    const int max = req.max;
    const TimeUs now = req.now;
    const int64_t limit = std::max(1, req.max_lease_expiries);
    // Candidates from the three "leasable" partial indexes, keyed by when each became due.
    // INDEXED BY: without statistics the planner prefers tasks_status and sorts the whole
    // backlog; the partial indexes give an ordered range scan that stops at LIMIT.
    struct Candidate {
      TimeUs key;
      int64_t seq;
      int status;
      int64_t expiries;  // consecutive expired leases before this one
    };
    std::vector<Candidate> cands;
    struct Lane {
      const char* sql;
      int status;
      bool timed;
    };
    static constexpr Lane kLanes[] = {
        {"SELECT enqueued_at, seq, lease_expiries FROM tasks INDEXED BY tasks_queued "
         "WHERE status = 0 ORDER BY enqueued_at, seq LIMIT ?",
         kQueued, false},
        {"SELECT lease_expires, seq, lease_expiries FROM tasks INDEXED BY tasks_started "
         "WHERE status = 1 AND lease_expires <= ? "
         "ORDER BY lease_expires, seq LIMIT ?",
         kStarted, true},
        {"SELECT due_at, seq, lease_expiries FROM tasks INDEXED BY tasks_scheduled "
         "WHERE status = 2 AND due_at <= ? "
         "ORDER BY due_at, seq LIMIT ?",
         kScheduled, true},
    };
    for (const Lane& lane : kLanes) {
      auto s = c.Prepare(lane.sql);
      if (!s.ok()) return s.status();
      if (lane.timed) s->Bind(now);
      s->Bind(max);
      int rc;
      while ((rc = s->Step()) == SQLITE_ROW) {
        cands.push_back({s->Int(0), s->Int(1), lane.status, s->Int(2)});
      }
      if (rc != SQLITE_DONE) return c.Error("cannot select due tasks");
    }
    std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
      return std::tie(a.key, a.seq) < std::tie(b.key, b.seq);
    });
    if (cands.size() > static_cast<size_t>(max)) cands.resize(static_cast<size_t>(max));

    auto upd = c.Prepare(std::string("UPDATE tasks SET status = 1, started_at = ?, worker = ?, "
                                     "lease_expires = ?, lease_expiries = ? WHERE seq = ? "
                                     "RETURNING ") +
                         kTaskCols);
    if (!upd.ok()) return upd.status();
    // The worker-stopped rule: the lease expired `limit` times in a row without an attempt.
    auto fail = c.Prepare(std::string("UPDATE tasks SET status = 4, ended_at = ?, worker = '', "
                                      "lease_expires = 0, lease_expiries = ?, error = ? "
                                      "WHERE seq = ? RETURNING ") +
                          kTaskCols);
    if (!fail.ok()) return fail.status();
    LeaseResult out;
    out.leased.reserve(cands.size());
    for (const Candidate& cand : cands) {
      const int64_t expiries = cand.expiries + (cand.status == kStarted ? 1 : 0);
      const bool poisoned = cand.status == kStarted && expiries >= limit;
      Stmt& st = poisoned ? *fail : *upd;
      st.Reset();
      std::string error;
      if (poisoned) {
        error = WorkerStoppedError(static_cast<int>(expiries));
        st.Bind(now).Bind(expiries).Bind(error).Bind(cand.seq);
      } else {
        st.Bind(now).Bind(req.worker).Bind(now + req.lease_us).Bind(expiries).Bind(cand.seq);
      }
      if (st.Step() != SQLITE_ROW) return c.Error("cannot lease task");
      auto t = ReadTask(st);
      if (!t.ok()) return t.status();
      if (st.Step() != SQLITE_DONE) return c.Error("cannot lease task");
      if (poisoned) {
        out.failed.push_back({std::move(*t), static_cast<int>(expiries)});
        ctx.Move(cand.status, kFailed);
      } else {
        out.leased.push_back(std::move(*t));
        ctx.Move(cand.status, kStarted);
      }
    }
    return out;
  });
}

Result<int64_t> SqliteStore::ReleaseLeases(const std::string& worker,
                                           const std::vector<std::string>& task_ids) {
  if (task_ids.empty()) return int64_t{0};
  return WriteSync<int64_t>([worker, task_ids](WriteCtx& ctx) -> Result<int64_t> {
    Conn& c = ctx.conn;
    // A task that has been attempted before, or was created delayed, is due later than it was
    // enqueued: it goes back to scheduled at that due time; others back to queued, keeping
    // enqueued_at (their place in line). started_at stays: when it was last picked up.
    auto upd = c.Prepare(
        "UPDATE tasks SET status = CASE WHEN due_at > enqueued_at THEN 2 ELSE 0 END, "
        "worker = '', lease_expires = 0 WHERE id = ? AND status = 1 AND worker = ? "
        "RETURNING status");
    if (!upd.ok()) return upd.status();
    int64_t n = 0;
    for (const auto& id : task_ids) {
      upd->Reset();
      upd->Bind(id).Bind(worker);
      int rc = upd->Step();
      if (rc == SQLITE_ROW) {
        const int to = static_cast<int>(upd->Int(0));
        if (upd->Step() != SQLITE_DONE) return c.Error("cannot hand back lease");
        ctx.Move(kStarted, to);
        ++n;
      } else if (rc != SQLITE_DONE) {
        return c.Error("cannot hand back lease");
      }
    }
    if (n > 0) ctx.wake = true;
    return n;
  });
}

namespace {

// The body of RecordAttempt, run inside the writer's transaction.
Status RecordAttemptIn(SqliteStore::WriteCtx& ctx, const std::string& task_id,
                       const std::string& worker, int next, const AttemptOutcome& o) {
    Conn& c = ctx.conn;
  auto ref = FindTaskRef(c, task_id);
  if (!ref.ok()) return ref.status();
  if (!ref->has_value()) return Conflict("task " + task_id + " no longer exists.");
  const TaskRef& t = **ref;
  if (t.status != kStarted || t.worker != worker) {
    return Conflict("task " + task_id + " is no longer leased by worker '" + worker +
                    "' (it is " + StatusWord(t.status) +
                    (t.status == kStarted ? " by '" + t.worker + "'" : std::string()) + ").");
  }
  const Attempt& a = o.attempt;
  const int number = t.attempts + 1;
  auto ins = c.Prepare(
      "INSERT INTO attempts(task_seq, number, started_at, duration_us, status_code, "
      "response_excerpt, error, method, url, request_headers, request_body) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  if (!ins.ok()) return ins.status();
  ins->Bind(t.seq)
      .Bind(number)
      .Bind(a.started_at)
      .Bind(a.duration_us)
      .Bind(a.status_code)
      .Bind(a.response_excerpt)
      .Bind(a.error)
      .Bind(a.method)
      .Bind(a.url)
      .Bind(a.request_headers)
      .Bind(a.request_body);
  HERALD_RETURN_IF_ERROR(StepDone(c, *ins, "cannot insert attempt"));
  TimeUs ended = 0;
  if (next != kScheduled) ended = a.started_at > 0 ? a.started_at + a.duration_us : ctx.now;
  auto upd = c.Prepare(
      "UPDATE tasks SET status = ?, attempts = ?, ended_at = ?, due_at = ?, worker = '', "
      "lease_expires = 0, lease_expiries = 0, result = ?, error = ? WHERE seq = ?");
  if (!upd.ok()) return upd.status();
  upd->Bind(next)
      .Bind(number)
      .Bind(ended)
      .Bind(next == kScheduled ? o.due_at : t.due_at)
      .Bind(o.result)
      .Bind(o.error)
      .Bind(t.seq);
  HERALD_RETURN_IF_ERROR(StepDone(c, *upd, "cannot update task"));
  ctx.Move(kStarted, next);
  return Status::Ok();
}

Status CheckNextStatus(const AttemptOutcome& outcome) {
  const int next = static_cast<int>(outcome.next_status);
  if (next != kFinished && next != kFailed && next != kScheduled) {
    return Status("ValueError", std::string("an attempt cannot move a task to ") +
                                    TaskStatusName(outcome.next_status));
  }
  return Status::Ok();
}

// RecordAttemptAsync's unit of work: answers through a callback instead of a future.
class AsyncAttemptOp final : public SqliteStore::WriteOp {
 public:
  AsyncAttemptOp(std::string task_id, std::string worker, AttemptOutcome o,
                 std::function<void(Status)> done)
      : task_id_(std::move(task_id)), worker_(std::move(worker)), o_(std::move(o)),
        done_(std::move(done)) {}
  Status Run(SqliteStore::WriteCtx& ctx) override {
    result_ = RecordAttemptIn(ctx, task_id_, worker_, static_cast<int>(o_.next_status), o_);
    return result_;
  }
  void Finish(const Status& commit) override {
    auto done = std::move(done_);
    if (done) done(commit.ok() ? result_ : commit);
  }

 private:
  std::string task_id_, worker_;
  AttemptOutcome o_;
  std::function<void(Status)> done_;
  Status result_ = Status("StoreError", "write was not executed");
};

}  // namespace

Status SqliteStore::RecordAttempt(const std::string& task_id, const std::string& worker,
                                  AttemptOutcome outcome) {
  HERALD_RETURN_IF_ERROR(CheckNextStatus(outcome));
  const int next = static_cast<int>(outcome.next_status);
  return WriteStatus([task_id, worker, next, o = std::move(outcome)](WriteCtx& ctx) -> Status {
    return RecordAttemptIn(ctx, task_id, worker, next, o);
  });
}

void SqliteStore::RecordAttemptAsync(const std::string& task_id, const std::string& worker,
                                     AttemptOutcome outcome, std::function<void(Status)> done) {
  Status st = CheckNextStatus(outcome);
  if (!st.ok()) {
    done(st);
    return;
  }
  std::unique_ptr<WriteOp> op =
      std::make_unique<AsyncAttemptOp>(task_id, worker, std::move(outcome), std::move(done));
  st = Submit(op);
  if (!st.ok() && op) op->Finish(st);
}

namespace {

// Moves the task at `seq` to queued, due now.
Status MakeQueued(SqliteStore::WriteCtx& ctx, const TaskRef& t, TimeUs now) {
  Conn& c = ctx.conn;
  auto upd = c.Prepare(
      "UPDATE tasks SET status = 0, enqueued_at = ?, due_at = ?, ended_at = 0, worker = '', "
      "lease_expires = 0, lease_expiries = 0 WHERE seq = ?");
  if (!upd.ok()) return upd.status();
  HERALD_RETURN_IF_ERROR(StepDone(c, upd->Bind(now).Bind(now).Bind(t.seq), "cannot requeue"));
  ctx.Move(t.status, kQueued);
  ctx.wake = true;
  return Status::Ok();
}

}  // namespace

Status SqliteStore::Requeue(const std::string& task_id, TimeUs now) {
  return WriteStatus([task_id, now](WriteCtx& ctx) -> Status {
    auto t = MustFindTask(ctx.conn, task_id);
    if (!t.ok()) return t.status();
    if (t->status != kFailed && t->status != kFinished) {
      return Conflict("task " + task_id + " is " + StatusWord(t->status) +
                      "; only failed or finished tasks can be requeued.");
    }
    return MakeQueued(ctx, *t, now);
  });
}

Result<int64_t> SqliteStore::RequeueAllFailed(TimeUs now) {
  return WriteSync<int64_t>([now](WriteCtx& ctx) -> Result<int64_t> {
    Conn& c = ctx.conn;
    auto upd = c.Prepare(
        "UPDATE tasks SET status = 0, enqueued_at = ?, due_at = ?, ended_at = 0, worker = '', "
        "lease_expires = 0, lease_expiries = 0 WHERE status = 4");
    if (!upd.ok()) return upd.status();
    HERALD_RETURN_IF_ERROR(StepDone(c, upd->Bind(now).Bind(now), "cannot requeue"));
    int64_t n = sqlite3_changes64(c.db());
    ctx.status_delta[kFailed] -= n;
    ctx.status_delta[kQueued] += n;
    if (n > 0) ctx.wake = true;
    return n;
  });
}

Status SqliteStore::Enqueue(const std::string& task_id, TimeUs now) {
  return WriteStatus([task_id, now](WriteCtx& ctx) -> Status {
    auto t = MustFindTask(ctx.conn, task_id);
    if (!t.ok()) return t.status();
    if (t->status != kScheduled) {
      return Conflict("task " + task_id + " is " + StatusWord(t->status) +
                      "; only scheduled tasks can be enqueued.");
    }
    return MakeQueued(ctx, *t, now);
  });
}

Status SqliteStore::Stop(const std::string& task_id, TimeUs now) {
  return WriteStatus([task_id, now](WriteCtx& ctx) -> Status {
    Conn& c = ctx.conn;
    auto t = MustFindTask(c, task_id);
    if (!t.ok()) return t.status();
    if (t->status != kQueued && t->status != kStarted && t->status != kScheduled) {
      return Conflict("task " + task_id + " is " + StatusWord(t->status) +
                      "; only queued, started or scheduled tasks can be stopped.");
    }
    auto upd = c.Prepare(
        "UPDATE tasks SET status = 4, ended_at = ?, worker = '', lease_expires = 0, "
        "error = 'Stopped by an operator.' WHERE seq = ?");
    if (!upd.ok()) return upd.status();
    HERALD_RETURN_IF_ERROR(StepDone(c, upd->Bind(now).Bind(t->seq), "cannot stop task"));
    ctx.Move(t->status, kFailed);
    return Status::Ok();
  });
}

Status SqliteStore::DeleteTask(const std::string& task_id) {
  return WriteStatus([task_id](WriteCtx& ctx) -> Status {
    Conn& c = ctx.conn;
    auto t = MustFindTask(c, task_id);
    if (!t.ok()) return t.status();
    auto del = c.Prepare("DELETE FROM tasks WHERE seq = ?");  // attempts cascade
    if (!del.ok()) return del.status();
    HERALD_RETURN_IF_ERROR(StepDone(c, del->Bind(t->seq), "cannot delete task"));
    ctx.Move(t->status, -1);
    return Status::Ok();
  });
}

Result<int64_t> SqliteStore::PurgeFinished(TimeUs before) {
  return WriteSync<int64_t>([before](WriteCtx& ctx) -> Result<int64_t> {
    Conn& c = ctx.conn;
    auto del = c.Prepare(
        "DELETE FROM tasks WHERE status = 3 AND ended_at < ? RETURNING event_id");
    if (!del.ok()) return del.status();
    del->Bind(before);
    int64_t n = 0;
    std::vector<int64_t> events;
    int rc;
    while ((rc = del->Step()) == SQLITE_ROW) {
      ++n;
      int64_t eid = del->Int(0);
      if (events.empty() || events.back() != eid) events.push_back(eid);
    }
    if (rc != SQLITE_DONE) return c.Error("cannot purge tasks");
    std::sort(events.begin(), events.end());
    events.erase(std::unique(events.begin(), events.end()), events.end());
    // An event whose last task went is deleted with it (its payload is only needed to render).
    auto orphan = c.Prepare(
        "DELETE FROM events WHERE id = ? AND NOT EXISTS "
        "(SELECT 1 FROM tasks WHERE seq >= ? AND seq < ?)");
    if (!orphan.ok()) return orphan.status();
    for (int64_t eid : events) {
      orphan->Reset();
      orphan->Bind(eid).Bind(eid << kTaskSeqBits).Bind((eid + 1) << kTaskSeqBits);
      HERALD_RETURN_IF_ERROR(StepDone(c, *orphan, "cannot purge events"));
    }
    ctx.status_delta[kFinished] -= n;
    return n;
  });
}

}  // namespace herald
