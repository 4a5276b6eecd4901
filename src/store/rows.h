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
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"
#include "model/model.h"
#include "store/store.h"

namespace herald::sql {

// A cursor on the current row of a query: columns by 0-based position.
template <typename R>
concept SqlRow = requires(const R& r, int col) {
  { r.IsNull(col) } -> std::convertible_to<bool>;
  { r.Int(col) } -> std::convertible_to<int64_t>;
  { r.Text(col) } -> std::convertible_to<std::string>;
  { r.TextView(col) } -> std::convertible_to<std::string_view>;
  { r.OptText(col) } -> std::convertible_to<std::optional<std::string>>;
  { r.OptInt(col) } -> std::convertible_to<std::optional<int64_t>>;
};

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

// ---- webhooks ----

inline constexpr const char* kWebhookCols =
    "id, name, description, payload_url, http_method, http_content_type, additional_headers, "
    "body_template, secret, ssl_verification, ca_file_path, timeout, max_attempts, retry_policy, "
    "retry_interval, created, last_updated";

template <SqlRow R>
Result<Webhook> ReadWebhook(const R& s) {
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
template <typename S>
void BindWebhookBody(S& s, const Webhook& w) {
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

// ---- event rules ----

inline constexpr const char* kRuleCols =
    "id, name, description, object_types, event_types, enabled, conditions, action_type, "
    "action_object_type, action_object_id, action_data, comments, created, last_updated";

template <SqlRow R>
Result<EventRule> ReadRule(const R& s) {
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
  explicit RuleJson(const EventRule& r);
};

// Binds every rule column after id, in kRuleCols order, except created/last_updated.
template <typename S>
void BindRuleBody(S& s, const EventRule& r, const RuleJson& j) {
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

// Whether the rule's action is a webhook (then action_object_id names it).
bool TargetsWebhook(const EventRule& r);

// ---- API tokens ----

inline constexpr const char* kTokenCols =
    "id, name, key_prefix, key_hash, scope, created, last_used, revoked";

// A token row whose scope is not one Herald knows grants nothing: for authentication it is an
// error (ReadToken), in listings it shows as revoked (ReadTokenForListing).
template <SqlRow R>
Result<ApiToken> ReadTokenForListing(const R& s) {
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

template <SqlRow R>
Result<Event> ReadEvent(const R& s) {
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
  auto req = JsonColumn(s, 10, "events.request");
  if (!req.ok()) return req.status();
  e.request = std::move(*req);
  auto ctx = JsonColumn(s, 11, "events.context");
  if (!ctx.ok()) return ctx.status();
  e.context = std::move(*ctx);
  e.received_at = s.Int(12);
  return e;
}

// ---- tasks and attempts ----

inline constexpr const char* kTaskCols =
    "id, event_id, rule_id, webhook_id, rule_name, webhook_name, object_type, event_type, "
    "action_data, status, attempts, created_at, enqueued_at, due_at, started_at, ended_at, "
    "worker, lease_expires, result, error";

template <SqlRow R>
Result<Task> ReadTask(const R& s) {
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

inline constexpr const char* kAttemptCols =
    "number, started_at, duration_us, status_code, response_excerpt, error, method, url, "
    "request_headers, request_body";

template <SqlRow R>
Attempt ReadAttempt(const R& s, const std::string& task_id) {
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
// An empty histogram of `minutes` buckets from `since` (AttemptsPerMinute); kInvalidArgument
// unless minutes is in 1..1440.
Result<AttemptHistogram> EmptyHistogram(TimeUs since, int minutes);
// The end of a histogram's window (since + minutes).
inline TimeUs HistogramEnd(const AttemptHistogram& h) {
  return h.since + static_cast<TimeUs>(h.succeeded.size()) * 60 * 1000000;
}
// kInvalidArgument unless the outcome moves the task to finished, failed or scheduled.
Status CheckAttemptOutcome(const AttemptOutcome& outcome);

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
  std::string event, event_type, object_type, model, timestamp;
  std::optional<std::string> username, request_id, data, snapshots, request, context;
  TimeUs received_at = 0;  // 0: the store's time of the commit
  std::vector<FlatTask> tasks;
};
// Serialises the Value fields to JSON, gives each task a new id (task_id.h) and moves the
// strings out of `events`, so the callers' Value trees are freed on their own thread.
std::vector<FlatEvent> FlattenEvents(std::vector<NewEvent> events);

// Binds an event's columns from `event` to `received_at` (kEventCols order after id);
// `now` stands for a received_at of 0.
template <typename S>
void BindEventRow(S& s, const FlatEvent& e, TimeUs now) {
  s.Bind(e.event)
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
      .Bind(e.received_at != 0 ? e.received_at : now);
}

// The columns of a new task row, in the order BindTaskRow binds them.
inline constexpr const char* kNewTaskCols =
    "seq, id, event_id, rule_id, webhook_id, rule_name, webhook_name, object_type, event_type, "
    "action_data, status, created_at, enqueued_at, due_at";
inline constexpr int kNewTaskColCount = 14;

// Binds task number `index` of event `event_id` (kNewTaskCols), created at `now`; seq is
// (event_id << seq_bits) | index. Returns its status (queued, or scheduled when delayed).
template <typename S>
int BindTaskRow(S& s, const FlatTask& t, int64_t event_id, size_t index, int seq_bits, TimeUs now) {
  const int status = t.delayed ? kScheduled : kQueued;
  s.Bind((event_id << seq_bits) | static_cast<int64_t>(index))
      .Bind(t.id)
      .Bind(event_id)
      .Bind(t.rule_id)
      .Bind(t.webhook_id)
      .Bind(t.rule_name)
      .Bind(t.webhook_name)
      .Bind(t.object_type)
      .Bind(t.event_type)
      .Bind(t.action_data)
      .Bind(status)
      .Bind(now)
      .Bind(now)
      .Bind(t.delayed ? t.due_at : now);
  return status;
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

// LIMIT and OFFSET arguments of a filter: a negative limit is "no limit" (-1), a negative offset
// is 0.
inline int64_t LimitArg(int64_t limit) { return limit < 0 ? int64_t{-1} : limit; }
inline int64_t OffsetArg(int64_t offset) { return offset < 0 ? int64_t{0} : offset; }

}  // namespace herald::sql
