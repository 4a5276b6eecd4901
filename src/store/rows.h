// Row mapping and filters of the SQL store: how a table row becomes a Webhook, EventRule,
// ApiToken, Event, Task or Attempt, the column lists those readers expect, the JSON forms of
// Value columns, and the WHERE clauses of TaskFilter and EventFilter.
//
// Nothing here names a SQLite type. A reader takes any row cursor with the accessors of the
// `SqlRow` concept (sqlite::Stmt has them; a PostgreSQL result row can), and a filter binds its
// arguments to any statement with Bind(int64_t) and Bind(const std::string&), so the PostgreSQL
// backend can reuse them. The SQL itself uses SQLite's `?` placeholders and the SQLite table
// layout (tasks.seq, see schema.cc). Columns are read by position, in the order of the k*Cols
// list of each reader. Pure functions, thread-safe.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"
#include "model/model.h"
#include "store/store.h"
#include "store/write_queue.h"

namespace herald::sql {

// A cursor on the current row of a query: columns by 0-based position.
template <typename R>
concept SqlRow = requires(const R& r, int col) {
  { r.IsNull(col) } -> std::convertible_to<bool>;
  { r.Int(col) } -> std::convertible_to<int64_t>;
  { r.Text(col) } -> std::convertible_to<std::string>;
  { r.TextView(col) } -> std::convertible_to<std::string_view>;
};

// Nullable columns of any SqlRow: nullopt for NULL.
template <SqlRow R>
std::optional<std::string> OptText(const R& s, int col) {
  if (s.IsNull(col)) return std::nullopt;
  return s.Text(col);
}
template <SqlRow R>
std::optional<int64_t> OptInt(const R& s, int col) {
  if (s.IsNull(col)) return std::nullopt;
  return s.Int(col);
}

// Task status codes as persisted (TaskStatus order; see the static_assert in rows.cc).
inline constexpr int kQueued = 0, kStarted = 1, kScheduled = 2, kFinished = 3, kFailed = 4;
inline constexpr int kStatusCount = 5;

// ---- Value columns ----

// Compact JSON of `v`; nullopt (SQL NULL) for None.
std::optional<std::string> JsonOrNull(const Value& v);
// The string of `v`; nullopt (SQL NULL) unless it is a string.
std::optional<std::string> StrOrNull(const Value& v);
// A JSON array of strings.
std::string StringListJson(const std::vector<std::string>& items);
// Parses a JSON column (NULL is None). Errors: kInternal naming `what` on corrupt JSON.
Result<Value> ParseJsonColumn(std::optional<std::string_view> text, const char* what);
// A JSON array column as its string items (other items are skipped). Errors as ParseJsonColumn.
Result<std::vector<std::string>> ParseStringList(std::optional<std::string_view> text,
                                                 const char* what);

template <SqlRow R>
std::optional<std::string_view> OptTextView(const R& s, int col) {
  if (s.IsNull(col)) return std::nullopt;
  return s.TextView(col);
}
template <SqlRow R>
Result<Value> JsonColumn(const R& s, int col, const char* what) {
  return ParseJsonColumn(OptTextView(s, col), what);
}
template <SqlRow R>
Value StrColumn(const R& s, int col) {
  if (s.IsNull(col)) return Value();
  return Value(s.Text(col));
}
template <SqlRow R>
Result<std::vector<std::string>> StringListColumn(const R& s, int col, const char* what) {
  return ParseStringList(OptTextView(s, col), what);
}
template <SqlRow R>
std::optional<int> OptInt32(const R& s, int col) {
  if (s.IsNull(col)) return std::nullopt;
  return static_cast<int>(s.Int(col));
}

// ---- columns into fields ----
//
// ReadFields(row, first, out, fields...) reads columns first, first + 1, ... into the fields of
// `out`, one column per field, in order. A field is a pointer to a member, read by its type (an
// integer, a boolean, a string, an optional one, a TaskStatus code), one of the wrappers below
// for a column that a type alone does not describe, or nullptr for a column the caller reads
// itself. The first column that cannot be read stops it with that error.

// A JSON column into a Value member (NULL is None) or a string-list member (a JSON array; items
// that are not strings are skipped); `what` names the column in errors ("events.data").
template <typename T, typename M>
struct JsonField {
  M T::*member;
  const char* what;
};
template <typename T, typename M>
JsonField<T, M> Json(M T::*member, const char* what) {
  return {member, what};
}
// A text column into a Value member: the string, or None for NULL.
template <typename T>
struct StrField {
  Value T::*member;
};

template <SqlRow R, typename T>
Status ReadField(const R&, int, T&, std::nullptr_t) {
  return Status::Ok();
}
template <SqlRow R, typename T>
Status ReadField(const R& s, int col, T& out, int64_t T::*m) {
  out.*m = s.Int(col);
  return Status::Ok();
}
template <SqlRow R, typename T>
Status ReadField(const R& s, int col, T& out, int T::*m) {
  out.*m = static_cast<int>(s.Int(col));
  return Status::Ok();
}
template <SqlRow R, typename T>
Status ReadField(const R& s, int col, T& out, bool T::*m) {
  out.*m = s.Int(col) != 0;
  return Status::Ok();
}
template <SqlRow R, typename T>
Status ReadField(const R& s, int col, T& out, std::string T::*m) {
  out.*m = s.Text(col);
  return Status::Ok();
}
template <SqlRow R, typename T>
Status ReadField(const R& s, int col, T& out, std::optional<std::string> T::*m) {
  out.*m = OptText(s, col);
  return Status::Ok();
}
template <SqlRow R, typename T>
Status ReadField(const R& s, int col, T& out, std::optional<int> T::*m) {
  out.*m = OptInt32(s, col);
  return Status::Ok();
}
template <SqlRow R, typename T>
Status ReadField(const R& s, int col, T& out, std::optional<int64_t> T::*m) {
  out.*m = OptInt(s, col);
  return Status::Ok();
}
// A status code outside the known ones reads as failed.
template <SqlRow R, typename T>
Status ReadField(const R& s, int col, T& out, TaskStatus T::*m) {
  int64_t st = s.Int(col);
  out.*m = st >= kQueued && st <= kFailed ? static_cast<TaskStatus>(st) : TaskStatus::kFailed;
  return Status::Ok();
}
template <SqlRow R, typename T>
Status ReadField(const R& s, int col, T& out, StrField<T> f) {
  out.*f.member = StrColumn(s, col);
  return Status::Ok();
}
template <SqlRow R, typename T, typename M>
Status ReadField(const R& s, int col, T& out, JsonField<T, M> f) {
  auto v = [&]() -> Result<M> {
    if constexpr (std::is_same_v<M, Value>) {
      return JsonColumn(s, col, f.what);
    } else {
      return StringListColumn(s, col, f.what);
    }
  }();
  if (!v.ok()) return v.status();
  out.*f.member = std::move(*v);
  return Status::Ok();
}

template <SqlRow R, typename T, typename... Fields>
Status ReadFields(const R& s, int first, T& out, const Fields&... fields) {
  Status st = Status::Ok();
  int col = first;
  (void)((st = ReadField(s, col++, out, fields)).ok() && ...);
  return st;
}

// A new T read from the row's columns 0, 1, ... (see ReadFields).
template <typename T, SqlRow R, typename... Fields>
Result<T> ReadRow(const R& s, const Fields&... fields) {
  T out;
  HERALD_RETURN_IF_ERROR(ReadFields(s, 0, out, fields...));
  return out;
}

// Binds `args` to the next parameters of `s`, in order.
template <typename S, typename... A>
void BindAll(S& s, const A&... args) {
  (s.Bind(args), ...);
}

// ---- webhooks ----

inline constexpr const char* kWebhookCols =
    "id, name, description, payload_url, http_method, http_content_type, additional_headers, "
    "body_template, secret, ssl_verification, ca_file_path, timeout, max_attempts, retry_policy, "
    "retry_interval, signature_scheme, previous_secret, previous_secret_expires, created, "
    "last_updated";

template <SqlRow R>
Result<Webhook> ReadWebhook(const R& s) {
  return ReadRow<Webhook>(
      s, &Webhook::id, &Webhook::name, &Webhook::description, &Webhook::payload_url,
      &Webhook::http_method, &Webhook::http_content_type, &Webhook::additional_headers,
      &Webhook::body_template, &Webhook::secret, &Webhook::ssl_verification, &Webhook::ca_file_path,
      &Webhook::timeout, &Webhook::max_attempts, &Webhook::retry_policy, &Webhook::retry_interval,
      &Webhook::signature_scheme, &Webhook::previous_secret, &Webhook::previous_secret_expires,
      &Webhook::created, &Webhook::last_updated);
}

// Binds every webhook column after id, in kWebhookCols order, except created/last_updated.
template <typename S>
void BindWebhookBody(S& s, const Webhook& w) {
  BindAll(s, w.name, w.description, w.payload_url, w.http_method, w.http_content_type,
          w.additional_headers, w.body_template, w.secret, w.ssl_verification, w.ca_file_path,
          w.timeout, w.max_attempts, w.retry_policy, w.retry_interval, w.signature_scheme,
          w.previous_secret, w.previous_secret_expires);
}

// ---- event rules ----

inline constexpr const char* kRuleCols =
    "id, name, description, object_types, event_types, enabled, conditions, action_type, "
    "action_object_type, action_object_id, action_data, comments, created, last_updated";

template <SqlRow R>
Result<EventRule> ReadRule(const R& s) {
  return ReadRow<EventRule>(
      s, &EventRule::id, &EventRule::name, &EventRule::description,
      Json(&EventRule::object_types, "event_rules.object_types"),
      Json(&EventRule::event_types, "event_rules.event_types"), &EventRule::enabled,
      Json(&EventRule::conditions, "event_rules.conditions"), &EventRule::action_type,
      &EventRule::action_object_type, &EventRule::action_object_id,
      Json(&EventRule::action_data, "event_rules.action_data"), &EventRule::comments,
      &EventRule::created, &EventRule::last_updated);
}

// JSON forms of a rule's Value fields, computed before binding (bound text must stay alive).
struct RuleJson {
  std::string object_types, event_types;
  std::optional<std::string> conditions, action_data;
  explicit RuleJson(const EventRule& r);
};

// Binds every rule column after id, in kRuleCols order, except created/last_updated.
template <typename S>
void BindRuleBody(S& s, const EventRule& r, const RuleJson& j) {
  BindAll(s, r.name, r.description, j.object_types, j.event_types, r.enabled, j.conditions,
          r.action_type, r.action_object_type, r.action_object_id, j.action_data, r.comments);
}

// Whether the rule's action is a webhook (then action_object_id names it).
bool TargetsWebhook(const EventRule& r);

// A configuration table as a backend reads it: webhooks or event rules. `cols` is its k*Cols
// list (id first, created and last_updated last), `read` its reader over the backend's row
// type R.
template <typename T, typename R>
struct ConfigTable {
  const char* table;
  const char* noun;  // names a row in messages: "webhook", "event rule"
  const char* cols;
  Result<T> (*read)(const R&);
};

// The queries of a configuration table in the database schema `schema` ("" or "herald."): all
// rows ordered by name, and the row whose id is the one parameter.
template <typename T, typename R>
std::string ListRowsSql(const ConfigTable<T, R>& t, const char* schema) {
  return std::string("SELECT ") + t.cols + " FROM " + schema + t.table + " ORDER BY name";
}
template <typename T, typename R>
std::string LoadRowSql(const ConfigTable<T, R>& t, const char* schema) {
  return std::string("SELECT ") + t.cols + " FROM " + schema + t.table + " WHERE id = ?";
}

// The two configuration tables, over a backend's row type.
template <SqlRow R>
inline constexpr ConfigTable<Webhook, R> kWebhookTable{"webhooks", "webhook", kWebhookCols,
                                                       ReadWebhook<R>};
template <SqlRow R>
inline constexpr ConfigTable<EventRule, R> kRuleTable{"event_rules", "event rule", kRuleCols,
                                                      ReadRule<R>};

// ---- API tokens ----

inline constexpr const char* kTokenCols =
    "id, name, key_prefix, key_hash, scope, created, last_used, revoked";

// A token row whose scope is not one Herald knows grants nothing: for authentication it is an
// error (ReadToken), in listings it shows as revoked (ReadTokenForListing).
template <SqlRow R>
Result<ApiToken> ReadTokenForListing(const R& s) {
  auto t = ReadRow<ApiToken>(s, &ApiToken::id, &ApiToken::name, &ApiToken::key_prefix,
                             &ApiToken::key_hash, nullptr, &ApiToken::created, &ApiToken::last_used,
                             &ApiToken::revoked);
  if (!t.ok()) return t;
  auto scope = ParseTokenScope(s.TextView(4));
  t->scope = scope.value_or(TokenScope::kReadOnly);
  if (!scope) t->revoked = true;
  return t;
}

// Binds every token column after id, in kTokenCols order.
template <typename S>
void BindTokenBody(S& s, const ApiToken& t) {
  BindAll(s, t.name, t.key_prefix, t.key_hash, TokenScopeName(t.scope), t.created, t.last_used,
          t.revoked);
}

template <SqlRow R>
Result<ApiToken> ReadToken(const R& s) {
  if (!ParseTokenScope(s.TextView(4)))
    return Status(Code::kInternal, "token #" + std::to_string(s.Int(0)) +
                                       " has an unknown scope '" + s.Text(4) +
                                       "'; it grants nothing");
  return ReadTokenForListing(s);
}

// ---- events ----

inline constexpr const char* kEventCols =
    "id, event, event_type, object_type, model, timestamp, username, request_id, data, "
    "snapshots, request, context, received_at";
inline constexpr int kEventColCount = 13;

template <SqlRow R>
Result<Event> ReadEvent(const R& s) {
  return ReadRow<Event>(s, &Event::id, &Event::event, &Event::event_type, &Event::object_type,
                        &Event::model, &Event::timestamp, StrField<Event>{&Event::username},
                        StrField<Event>{&Event::request_id}, Json(&Event::data, "events.data"),
                        Json(&Event::snapshots, "events.snapshots"),
                        Json(&Event::request, "events.request"),
                        Json(&Event::context, "events.context"), &Event::received_at);
}

// An event's columns as they are bound: its Value fields as JSON text (None: NULL), made on the
// caller's thread; the strings are moved out of the event. The one row shape of an event for
// both a commit (FlatEvent) and an import.
struct EventRow {
  std::string event, event_type, object_type, model, timestamp;
  std::optional<std::string> username, request_id, data, snapshots, request, context;
  TimeUs received_at = 0;  // in a commit, 0: the store's time of the commit
  explicit EventRow(Event&& e);
};

// Binds every event column after id and before received_at, in kEventCols order.
template <typename S>
void BindEventBody(S& s, const EventRow& e) {
  BindAll(s, e.event, e.event_type, e.object_type, e.model, e.timestamp, e.username, e.request_id,
          e.data, e.snapshots, e.request, e.context);
}

// Binds an event's columns from `event` to `received_at` (kEventCols order after id); `now`
// stands for a received_at of 0.
template <typename S>
void BindEventRow(S& s, const EventRow& e, TimeUs now) {
  BindEventBody(s, e);
  s.Bind(e.received_at != 0 ? e.received_at : now);
}

// ---- tasks and attempts ----

inline constexpr const char* kTaskCols =
    "id, event_id, rule_id, webhook_id, rule_name, webhook_name, object_type, event_type, "
    "action_data, status, attempts, created_at, enqueued_at, due_at, started_at, ended_at, "
    "worker, lease_expires, result, error";

template <SqlRow R>
Result<Task> ReadTask(const R& s) {
  return ReadRow<Task>(s, &Task::id, &Task::event_id, &Task::rule_id, &Task::webhook_id,
                       &Task::rule_name, &Task::webhook_name, &Task::object_type, &Task::event_type,
                       Json(&Task::action_data, "tasks.action_data"), &Task::status,
                       &Task::attempts, &Task::created_at, &Task::enqueued_at, &Task::due_at,
                       &Task::started_at, &Task::ended_at, &Task::worker, &Task::lease_expires,
                       &Task::result, &Task::error);
}

inline constexpr const char* kAttemptCols =
    "number, started_at, duration_us, status_code, response_excerpt, error, method, url, "
    "request_headers, request_body";

template <SqlRow R>
Attempt ReadAttempt(const R& s, const std::string& task_id) {
  using A = Attempt;
  A a;
  a.task_id = task_id;
  // No column of an attempt can fail to read.
  (void)ReadFields(s, 0, a, &A::number, &A::started_at, &A::duration_us, &A::status_code,
                   &A::response_excerpt, &A::error, &A::method, &A::url, &A::request_headers,
                   &A::request_body);
  return a;
}

// ---- UI sessions and workers ----

// The session lookup's row: the token's columns (sql::kTokenCols order, so sql::ReadToken maps
// them), then the session's from column kSessionCol on.
inline constexpr const char* kSessionRowCols =
    "t.id, t.name, t.key_prefix, t.key_hash, t.scope, t.created, t.last_used, t.revoked, "
    "s.id_hash, s.csrf, s.token_id, s.created_at, s.last_seen_at, s.expires_at, s.flash, "
    "s.flash_error";
inline constexpr int kSessionCol = 8;

template <SqlRow R>
Result<UiSession> ReadSessionWithToken(const R& s) {
  auto token = ReadToken(s);
  if (!token.ok()) return token.status();
  UiSession u;
  u.token = std::move(*token);
  u.id_hash = s.Text(kSessionCol);
  u.csrf = s.Text(kSessionCol + 1);
  u.token_id = s.Int(kSessionCol + 2);
  u.created_at = s.Int(kSessionCol + 3);
  u.last_seen_at = s.Int(kSessionCol + 4);
  u.expires_at = s.Int(kSessionCol + 5);
  u.flash.message = s.Text(kSessionCol + 6);
  u.flash.error = s.Int(kSessionCol + 7) != 0;
  return u;
}

inline constexpr const char* kWorkerCols =
    "name, host, pid, queue_names, birth_date, last_heartbeat, state, successful_job_count, "
    "failed_job_count, total_working_time";

template <SqlRow R>
Result<WorkerInfo> ReadWorker(const R& s) {
  WorkerInfo w;
  w.name = s.Text(0);
  w.host = s.Text(1);
  w.pid = s.Int(2);
  auto queues = StringListColumn(s, 3, "workers.queue_names");
  if (!queues.ok()) return queues.status();
  w.queue_names = std::move(*queues);
  w.birth_date = s.Int(4);
  w.last_heartbeat = s.Int(5);
  w.state = s.Text(6);
  w.successful_job_count = s.Int(7);
  w.failed_job_count = s.Int(8);
  w.total_working_time = s.Int(9);
  return w;
}

// ---- what a write transaction changed ----

// The effects of one write transaction that a backend applies before (counters, the config
// revision) or after (waking the task listener) its commit. Each backend's write context
// derives from it; a savepoint that rolls back restores the copy taken before it.
struct TxEffects {
  int64_t status_delta[kStatusCount] = {};  // task count changes per status
  int64_t config_changes = 0;               // webhook/rule changes (bump the revision)
  bool wake = false;                        // tasks became due: tell the listener(s)

  // Counts one task moving from status `from` to `to` (-1: none, for created/deleted tasks).
  void Move(int from, int to) {
    if (from >= 0) --status_delta[from];
    if (to >= 0) ++status_delta[to];
  }
};

// The tasks of `status` in `counts`, or of every status when there is none.
int64_t CountOf(const QueueCounts& counts, std::optional<TaskStatus> status);
// CountOf the counts of `counts`, or its error.
Result<int64_t> CountOf(const Result<QueueCounts>& counts, std::optional<TaskStatus> status);
// An empty histogram of `minutes` buckets from `since` (AttemptsPerMinute); kInvalidArgument
// unless minutes is in 1..1440.
Result<AttemptHistogram> EmptyHistogram(TimeUs since, int minutes);
// The end of a histogram's window (since + minutes).
inline TimeUs HistogramEnd(const AttemptHistogram& h) {
  return h.since + static_cast<TimeUs>(h.succeeded.size()) * 60 * 1000000;
}
// kInvalidArgument unless the outcome moves the task to finished, failed or scheduled.
Status CheckAttemptOutcome(const AttemptOutcome& outcome);

// ---- errors and task-state checks of the state changes ----

// Code::kNotFound, "<what> not found."
Status NotFound(std::string what);
// Code::kConflict about no field in particular (a task's state, a token key).
Status Conflict(std::string what);

// What a state change needs of a task, read (in PostgreSQL also locked) in its transaction.
struct TaskRef {
  int64_t seq = 0;
  int status = 0;
  std::string worker;
  int attempts = 0;
  TimeUs due_at = 0;
  int64_t lease_token = 0;  // the current lease's token (PostgreSQL; 0 in SQLite)
};
// A backend's lookup of task `id`: nullopt when there is none.
using FoundTask = Result<std::optional<TaskRef>>;

// "queued", "started", ...
std::string StatusWord(int status);
// The task `id` as `found`; NotFound when there is none.
Result<TaskRef> ExistingTask(FoundTask found, const std::string& id);
// The task `id` as `found`, when its status is one of `allowed`; else NotFound, or a Conflict
// that says its status and then `only` (what the operation accepts).
Result<TaskRef> TaskIn(FoundTask found, const std::string& id, std::initializer_list<int> allowed,
                       const char* only);
// The task `id` as `found`, when `worker` still leases it (status started, its worker); else a
// Conflict saying the task is gone or what became of it (RecordAttempt's check).
Result<TaskRef> LeasedTask(FoundTask found, const std::string& id, const std::string& worker);

// ---- new events, flattened for inserting ----

// A task of a NewEvent as its columns, ready to bind.
struct FlatTask {
  std::string id, rule_name, webhook_name, object_type, event_type;
  std::optional<std::string> action_data;
  int64_t rule_id = 0, webhook_id = 0;
  bool delayed = false;  // created scheduled (due at due_at), else queued and due now
  TimeUs due_at = 0;
};
// A NewEvent as its columns, ready to bind.
struct FlatEvent {
  EventRow row;
  std::vector<FlatTask> tasks;
  std::string dedupe_key;  // NewEvent's idempotent-ingest key and window
  TimeUs dedupe_since = 0;
};
// The tasks of event `e` as flat rows: each gets a new id (task_id.h), its strings moved out
// of `tasks`; an empty object or event type is the event's.
std::vector<FlatTask> FlattenTasks(const Event& e, std::vector<Task>& tasks);
// Serialises the Value fields to JSON, gives each task a new id (task_id.h) and moves the
// strings out of `events`, so the callers' Value trees are freed on their own thread.
std::vector<FlatEvent> FlattenEvents(std::vector<NewEvent> events);
// kResourceExhausted when an event of `events` has more than `max` tasks (a backend's bound).
Status CheckTasksPerEvent(const std::vector<NewEvent>& events, size_t max);

using CommitDone = std::function<void(Result<std::vector<CommittedEvent>>)>;

// CommitEvents of a backend: answers kResourceExhausted at once when an event has more than
// `max_tasks` tasks (CheckTasksPerEvent), else flattens the events on the calling thread and
// submits the write make_op(std::vector<FlatEvent>, CommitDone) -> std::unique_ptr<Op> through
// `queue`; `done` hears its result once the commit ended (or the queue's refusal).
template <typename Op, typename MakeOp>
void SubmitCommitOp(WriteQueue<Op>& queue, std::vector<NewEvent> events, size_t max_tasks,
                    MakeOp make_op, CommitDone done) {
  const Status st = CheckTasksPerEvent(events, max_tasks);
  if (!st.ok()) {
    done(st);
    return;
  }
  std::unique_ptr<Op> op = make_op(FlattenEvents(std::move(events)), std::move(done));
  const Status submitted = queue.Submit(op);
  if (!submitted.ok() && op) op->Finish(submitted);
}

// SubmitCommitOp for a backend whose writer inserts flat events with insert(Ctx&, const
// std::vector<FlatEvent>&) -> Result<std::vector<CommittedEvent>> as a plain CallbackWriteOp,
// rerunnable (insert only reads the flat events).
template <typename Op, typename Ctx, typename Insert>
void SubmitCommit(WriteQueue<Op>& queue, std::vector<NewEvent> events, size_t max_tasks,
                  Insert insert, CommitDone done) {
  SubmitCommitOp(
      queue, std::move(events), max_tasks,
      [insert](std::vector<FlatEvent> flat, CommitDone d) -> std::unique_ptr<Op> {
        auto fn = [flat = std::move(flat), insert](Ctx& ctx) { return insert(ctx, flat); };
        using R = Result<std::vector<CommittedEvent>>;
        return std::make_unique<CallbackWriteOp<Op, Ctx, decltype(fn), R>>(
            std::move(fn), std::move(d), /*rerunnable=*/true);
      },
      std::move(done));
}

// kInvalidArgument unless `max` is a batch size PurgeDedupeKeys takes (1..kMaxPurgeBatch).
Status CheckPurgeBatch(int64_t max);

// Task ids as stored with an ingest key (comma-separated; ids never hold a comma) and back.
std::string JoinTaskIds(const std::vector<std::string>& ids);
std::vector<std::string> SplitTaskIds(std::string_view joined);

// The columns of a new task row, in the order BindTaskRow binds them.
inline constexpr const char* kNewTaskCols =
    "seq, id, event_id, rule_id, webhook_id, rule_name, webhook_name, object_type, event_type, "
    "action_data, status, created_at, enqueued_at, due_at";
inline constexpr int kNewTaskColCount = 14;

// Binds a new task's seq and its columns from id to action_data (kTaskCols order) from any
// record with Task's field names (a Task, or the flat task of a commit) and its action_data as
// JSON text.
template <typename S, typename T>
void BindTaskHead(S& s, int64_t seq, const T& t, int64_t event_id,
                  const std::optional<std::string>& action_data) {
  BindAll(s, seq, t.id, event_id, t.rule_id, t.webhook_id, t.rule_name, t.webhook_name,
          t.object_type, t.event_type, action_data);
}

// Binds task number `index` of event `event_id` (kNewTaskCols), created at `now`; seq is
// (event_id << seq_bits) | index. Returns its status (queued, or scheduled when delayed).
template <typename S>
int BindTaskRow(S& s, const FlatTask& t, int64_t event_id, size_t index, int seq_bits, TimeUs now) {
  const int status = t.delayed ? kScheduled : kQueued;
  BindTaskHead(s, (event_id << seq_bits) | static_cast<int64_t>(index), t, event_id, t.action_data);
  BindAll(s, status, now, now, t.delayed ? t.due_at : now);
  return status;
}

// Binds the attempt columns of kAttemptCols, in order, with `number` for a.number.
template <typename S>
void BindAttemptBody(S& s, const Attempt& a, int number) {
  BindAll(s, number, a.started_at, a.duration_us, a.status_code, a.response_excerpt, a.error,
          a.method, a.url, a.request_headers, a.request_body);
}

// ---- filters ----

// A WHERE clause (" WHERE a = ? AND b = ?", or empty) with its arguments, kept alive for binding.
struct Where {
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> args;

  // Appends one condition with `?` placeholders.
  void Add(const char* cond);
  // Binds the arguments, in order, to the next parameters of `s`.
  template <typename S>
  void Bind(S& s) const {
    for (const auto& a : args) {
      if (const auto* i = std::get_if<int64_t>(&a)) {
        s.Bind(*i);
      } else {
        s.Bind(std::get<std::string>(a));
      }
    }
  }
};

// The WHERE clause of a TaskFilter. `task_seq_bits`: a task's seq is
// (event_id << task_seq_bits) | index, so an event's tasks are one seq range.
struct TaskWhere : Where {
  bool only_status = true;  // no condition other than (maybe) status
  TaskWhere(const TaskFilter& f, int task_seq_bits);
};

// The WHERE clause of an EventFilter.
struct EventWhere : Where {
  explicit EventWhere(const EventFilter& f);
};

// The tail of a query for one page of a list (TaskFilter, EventFilter): the WHERE clause, the
// order by `order_col` (ascending when the filter wants the oldest first), and " LIMIT ? OFFSET
// ?" (BindPage).
template <typename F>
std::string PageSql(const Where& where, const F& filter, const char* order_col) {
  return where.sql + " ORDER BY " + order_col + (filter.oldest_first ? " ASC" : " DESC") +
         " LIMIT ? OFFSET ?";
}
// Binds the arguments of PageSql's tail to `s`: the WHERE clause's, the limit (a negative one
// binds `no_limit`, what the database reads as none) and the offset (a negative one is 0).
template <typename S, typename F, typename NoLimit>
void BindPage(S& s, const Where& where, const F& filter, const NoLimit& no_limit) {
  where.Bind(s);
  if (filter.limit < 0) {
    s.Bind(no_limit);
  } else {
    s.Bind(filter.limit);
  }
  s.Bind(filter.offset < 0 ? int64_t{0} : filter.offset);
}

}  // namespace herald::sql
