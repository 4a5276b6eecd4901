// Store: the one persistence interface of Herald (configuration, task queue, task history, UI
// sessions and worker heartbeats: everything processes sharing one store must agree on).
//
// Two backends implement it: the embedded SQLite store (store/sqlite/sqlite_store.h) and the
// PostgreSQL store for clusters (store/postgres/pg_store.h). Both declare the methods they
// implement with one list, HERALD_STORE_BACKEND_METHODS below: an X-macro rather than a shared
// intermediate class, because C++ wants each override declared in the class that defines it, so
// an intermediate could only hold the list by forwarding every call a second time. What the
// backends share in code lives in store/rows.h (rows, filters, task-state checks) and
// store/write_queue.h (the group-commit queue and its operations). The contract stays free of
// any one database's features:
//   - configuration (webhooks, event rules, tokens) is small and read whole;
//   - events and their tasks are committed together, asynchronously, with group commit: many
//     concurrent CommitEvents calls share one durable transaction, and each caller's callback
//     runs only after the data is durable (fsync'd);
//   - workers lease due tasks (queued, or scheduled with due_at <= now, or started with an
//     expired lease), then record each attempt and the task's next state;
//   - a task whose lease expired without an attempt being recorded too many times in a row (its
//     worker kept dying while delivering it: a "poison" task) is failed instead of leased again
//     (the worker-stopped rule); a worker that stops gracefully hands its leases back instead
//     of letting them expire, so only crashes count;
//   - UI sessions and worker heartbeats live in the store, so a session signed in through one
//     process is valid in every other and across restarts, and every API node lists the
//     workers of the whole cluster;
//   - opening a store follows one schema-version rule (SchemaPolicy): an empty store is
//     created, an older schema is upgraded only by `herald store migrate`, a newer one is
//     refused;
//   - a whole installation can be imported with its ids (ImportBatch, for `herald store copy`,
//     store/copy.h).
// Status transitions: queued -> started -> finished | failed | scheduled; scheduled -> started;
// started -> queued | scheduled (hand-back); started -> failed (worker-stopped rule);
// failed -> queued (requeue). All methods are thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/model.h"

namespace herald {

// Error codes used in Status: kNotFound; kConflict (a taken name, with field() "name"; a
// rule's missing webhook, with field() "action_object_id"; a wrong state); kUnavailable (I/O,
// the store closed); kInternal (corrupt rows); kInvalidArgument and kResourceExhausted for
// arguments out of range.

// An event to commit with the tasks its matching rules produced.
// Idempotent ingest: an event with a non-empty dedupe_key is looked up by that key in the same
// transaction that would commit it. When the key was accepted at or after dedupe_since (and not
// purged since), nothing is written: the event is answered with the ids it got the first time
// and duplicate = true. Otherwise the event is committed and the key recorded (replacing an older
// record of the key). So of two concurrent commits of one key, exactly one creates the event;
// a key repeated within one batch yields one event too. Keys are kept until PurgeDedupeKeys.
struct NewEvent {
  Event event;              // id is assigned by the store
  std::vector<Task> tasks;  // id, event_id assigned by the store; status queued
  std::string dedupe_key;   // empty: no deduplication
  TimeUs dedupe_since = 0;  // a key recorded before this is stale (a new event)
};

struct CommittedEvent {
  int64_t event_id = 0;
  std::vector<std::string> task_ids;
  bool duplicate = false;  // the key was known: the ids are the first commit's, nothing written
};

struct TaskFilter {
  std::optional<TaskStatus> status;
  std::optional<int64_t> webhook_id;
  std::optional<int64_t> rule_id;
  std::optional<int64_t> event_id;
  std::optional<std::string> object_type;
  int64_t limit = 50;
  int64_t offset = 0;
  // Newest first by default (created_at desc); oldest first when true.
  bool oldest_first = false;
};

struct QueueCounts {
  int64_t queued = 0;
  int64_t started = 0;
  int64_t scheduled = 0;
  int64_t finished = 0;
  int64_t failed = 0;
  TimeUs oldest_queued_at = 0;  // 0 when none queued
};

// What a worker records after an attempt.
struct AttemptOutcome {
  Attempt attempt;
  TaskStatus next_status = TaskStatus::kFinished;  // finished, failed or scheduled
  TimeUs due_at = 0;                               // for scheduled
  std::string result;                              // success message
  std::string error;                               // failure message
};

// Delivery attempts per minute, for the UI's dashboard chart.
struct AttemptHistogram {
  TimeUs since = 0;                // start of bucket 0 (microseconds)
  std::vector<int64_t> succeeded;  // per minute: attempts answered 2xx
  std::vector<int64_t> failed;     // per minute: every other attempt (HTTP error, network, render)
  bool truncated = false;          // the scan hit kMaxHistogramScanRows; older buckets undercount
};

// Most tasks one PurgeFinished transaction deletes.
inline constexpr int64_t kPurgeBatchRows = 1000;

// Most attempt rows AttemptsPerMinute looks at (newest first), so the dashboard stays fast at
// any delivery rate.
inline constexpr int64_t kMaxHistogramScanRows = 500000;

// How many consecutive expired leases fail a task by default (delivery.max_lease_expiries).
inline constexpr int kDefaultMaxLeaseExpiries = 3;
// Bounds of delivery.max_lease_expiries.
inline constexpr int kMinMaxLeaseExpiries = 1;
inline constexpr int kMaxMaxLeaseExpiries = 100;

// The error of a task failed by the worker-stopped rule after `expiries` consecutive expired
// leases: "worker stopped while delivering (3 times); see the logs".
std::string WorkerStoppedError(int expiries);

// What a worker asks Lease for.
struct LeaseRequest {
  std::string worker;   // lease holder recorded on the task
  int max = 0;          // most tasks to lease (<= 0 leases nothing)
  TimeUs now = 0;       // the time due-ness and expiry are judged at
  TimeUs lease_us = 0;  // the lease lasts until now + lease_us
  // A task found with an expired lease for the max_lease_expiries-th time in a row is failed
  // with WorkerStoppedError instead of being leased (values below 1 count as 1).
  int max_lease_expiries = kDefaultMaxLeaseExpiries;
  // Most tasks to lease for each listed webhook id (0 or less: none of its tasks, so a worker
  // whose destination for that webhook is full leaves them for later); unlisted webhooks share
  // `max`. Tasks of a skipped webhook are not looked at (not even by the worker-stopped rule).
  std::map<int64_t, int> max_per_webhook;
  // Round-robin starts with the first webhook (by id) after this one, wrapping around: a worker
  // passes the webhook of the last task it was given, so successive small leases rotate over the
  // webhooks instead of favouring one.
  int64_t after_webhook = 0;
};

// A task the worker-stopped rule failed during Lease.
struct ExpiredTask {
  Task task;         // as stored after the change: status failed, error WorkerStoppedError(n)
  int expiries = 0;  // consecutive expired leases (n)
};

struct LeaseResult {
  std::vector<Task> leased;         // status started, leased by the requesting worker
  std::vector<ExpiredTask> failed;  // failed by the worker-stopped rule in the same transaction
};

struct EventFilter {
  std::optional<std::string> object_type;
  int64_t after_id = 0;  // only events with a greater id (0: all); pages through a whole store
  int64_t limit = 50;
  int64_t offset = 0;
  // Newest first (id desc) by default; oldest first (id asc) when true.
  bool oldest_first = false;
};

// ---- bulk import (herald store copy) ----

// Records as a store holds them (read with the List and Get methods of another store), to be
// written keeping their ids, times, states and counters. Within one ImportData, tasks follow
// their event's other tasks in creation order.
struct ImportData {
  std::vector<Webhook> webhooks;
  std::vector<EventRule> rules;
  std::vector<ApiToken> tokens;  // key hashes only: keys are never stored
  std::vector<Event> events;
  std::vector<Task> tasks;        // each of an event in this batch or already in the store
  std::vector<Attempt> attempts;  // each of a task in this batch or already in the store
};

struct ImportCounts {
  int64_t imported = 0;  // records written
  int64_t skipped = 0;   // records whose id (attempts: task and number) the store already had
};

// ---- UI sessions ----

// The one-shot message a UI page leaves for the session's next page.
struct SessionFlash {
  std::string message;  // "" for none
  bool error = false;   // shown as an error rather than a success
};

// A UI session as the store keeps it. The browser holds a random session id (its cookie); the
// store keeps only a hash of it, so a copy of the database yields no usable cookie.
struct UiSession {
  std::string id_hash;      // hex SHA-256 of the session id (the key; never the raw id)
  std::string csrf;         // the CSRF token of the session's forms
  int64_t token_id = 0;     // the API token signed in with
  TimeUs created_at = 0;    // sign-in time
  TimeUs last_seen_at = 0;  // last use (CreateSession, TouchSession)
  TimeUs expires_at = 0;    // live while now < expires_at
  SessionFlash flash;       // the pending one-shot message
  // FindSession fills it with the session's (unrevoked) token; CreateSession ignores it.
  ApiToken token;
};

// ---- worker heartbeats ----

// A delivery worker process, as its registration and heartbeats describe it (NetBox's
// background worker).
struct WorkerInfo {
  std::string name;                      // unique: the lease holder name ("host:pid:suffix")
  std::string host;                      // host name of the machine it runs on
  int64_t pid = 0;                       // its process id there
  std::vector<std::string> queue_names;  // the queues it delivers from ("default")
  TimeUs birth_date = 0;                 // when it started
  TimeUs last_heartbeat = 0;             // registration or latest heartbeat
  std::string state;                     // "idle" or "busy" (requests in flight)
  int64_t successful_job_count = 0;      // delivery attempts answered 2xx since birth
  int64_t failed_job_count = 0;          // every other attempt since birth
  TimeUs total_working_time = 0;         // sum of attempt durations since birth (microseconds)
};

// ---- opening a store: the schema-version rule, the same for every backend ----

// What opening a store may do to its schema. Each backend numbers its schema versions (its
// list of migrations); a binary knows versions 1..N.
enum class SchemaPolicy {
  // An empty store gets the schema created (a first `herald serve` just works); a store at
  // version N opens; an older one is refused with the command that upgrades it (`herald store
  // migrate --store URL`), never migrated silently. serve, worker and the other commands.
  kCreateOrRequireCurrent,
  // Creates the schema, or upgrades an older one to N (`herald store migrate`).
  kMigrate,
  // Opens only an existing store at version N: one that is missing or empty is refused (and not
  // created), as is an older one. For reading a store, such as the source of a copy.
  kRequireCurrent,
};
// Either policy refuses a store whose version is newer than N: this binary cannot know what a
// newer Herald stored.

struct StoreOpenOptions {
  SchemaPolicy schema = SchemaPolicy::kCreateOrRequireCurrent;
  // PostgreSQL: connections per process (store.pool_size; kDefaultPgPoolSize).
  int pool_size = 4;
};

// The schema versions a store saw when it was opened.
struct SchemaVersions {
  int found = 0;    // before opening: 0 for an empty (new) store
  int current = 0;  // after opening: the version this binary knows
};

class Store {
 public:
  virtual ~Store() = default;

  // Human-readable description of the backend and location, e.g. "sqlite:///abs/var/herald.db".
  virtual std::string Describe() const = 0;

  // The schema versions seen when the store was opened (what `herald store migrate` reports).
  // Backends that do not say answer {-1, -1}.
  virtual SchemaVersions Schema() const { return {-1, -1}; }

  // ---- configuration ----
  // Monotonic counter bumped by every configuration change (webhooks, rules); lets caches
  // (the rule index) know when to reload.
  virtual int64_t ConfigRevision() const = 0;

  virtual Result<std::vector<Webhook>> ListWebhooks() = 0;  // ordered by name
  virtual Result<Webhook> GetWebhook(int64_t id) = 0;       // NotFound
  // Inserts (id == 0 assigns one) and returns the stored record (ids, timestamps).
  // Conflict when the name (field "name") or the id (field "id") is taken.
  virtual Result<Webhook> CreateWebhook(Webhook w) = 0;
  virtual Result<Webhook> UpdateWebhook(Webhook w) = 0;  // NotFound, Conflict
  // NotFound; Conflict when an event rule targets it.
  virtual Status DeleteWebhook(int64_t id) = 0;

  virtual Result<std::vector<EventRule>> ListEventRules() = 0;  // ordered by name
  virtual Result<EventRule> GetEventRule(int64_t id) = 0;
  // Conflict when the name is taken (field "name") or action_object_id names no webhook
  // (field "action_object_id").
  virtual Result<EventRule> CreateEventRule(EventRule r) = 0;
  virtual Result<EventRule> UpdateEventRule(EventRule r) = 0;
  virtual Status DeleteEventRule(int64_t id) = 0;

  virtual Result<std::vector<ApiToken>> ListTokens() = 0;
  virtual Result<ApiToken> CreateToken(ApiToken t) = 0;
  // Marks the token revoked and ends its UI sessions (DeleteTokenSessions), in one transaction.
  virtual Status RevokeToken(int64_t id) = 0;  // NotFound
  // Looks up a non-revoked token by key hash; NotFound otherwise.
  virtual Result<ApiToken> FindTokenByHash(const std::string& key_hash) = 0;

  // ---- events and tasks ----
  // Commits the events and their tasks durably, sharing the transaction with concurrent calls
  // (group commit). `done` runs exactly once, on a store thread, after the commit (or failure);
  // it must be quick and must not call back into the store synchronously.
  virtual void CommitEvents(std::vector<NewEvent> events,
                            std::function<void(Result<std::vector<CommittedEvent>>)> done) = 0;
  // Blocking convenience wrapper around CommitEvents.
  Result<std::vector<CommittedEvent>> CommitEventsSync(std::vector<NewEvent> events);

  virtual Result<Event> GetEvent(int64_t id) = 0;
  virtual Result<std::vector<Event>> ListEvents(const EventFilter& filter) = 0;  // newest first

  virtual Result<Task> GetTask(const std::string& id) = 0;
  virtual Result<std::vector<Task>> ListTasks(const TaskFilter& filter) = 0;
  // Number of tasks matching the filter (limit/offset ignored).
  virtual Result<int64_t> CountTasks(const TaskFilter& filter) = 0;
  virtual Result<QueueCounts> CountByStatus() = 0;
  virtual Result<std::vector<Attempt>> ListAttempts(const std::string& task_id) = 0;

  // Counts attempts that started in [since, since + minutes * 60s), one bucket per minute
  // (`minutes` in 1..1440, else kInvalidArgument). Reads at most kMaxHistogramScanRows recent
  // attempt rows. Backends without it answer kUnsupported (the UI then hides the chart).
  virtual Result<AttemptHistogram> AttemptsPerMinute(TimeUs since, int minutes) {
    return Status::Error(Code::kUnsupported, "attempt histogram not available for " + Describe());
  }

  // Leases up to req.max due tasks for req.worker until req.now + req.lease_us, in one
  // transaction: status becomes started, started_at/worker/lease_expires set. Due = queued, or
  // scheduled with due_at <= now, or started with lease_expires <= now (a dead worker's task).
  // Fair across webhooks: the batch takes an equal share of `max` from every webhook with due
  // tasks (bounded by req.max_per_webhook; what a webhook leaves unused goes to the others), so a
  // backlog for one webhook never delays another's tasks by more than one batch. Tasks come
  // round-robin across those webhooks (by webhook id, starting after req.after_webhook), and
  // each webhook's tasks oldest due first. A started task found with its lease expired counts
  // one more consecutive
  // expiry; at req.max_lease_expiries it is failed with WorkerStoppedError(count) instead of
  // leased (returned in `failed`) and is not leased again until requeued. A recorded attempt,
  // Requeue, RequeueAllFailed and Enqueue reset the count; ReleaseLeases leaves it as it is.
  virtual Result<LeaseResult> Lease(const LeaseRequest& req) = 0;
  // Lease with the default worker-stopped limit, returning only the leased tasks.
  Result<std::vector<Task>> LeaseTasks(const std::string& worker, int max, TimeUs now,
                                       TimeUs lease_us);
  // Hands back tasks that `worker` leased and will not deliver (a graceful stop): started ->
  // queued (no attempt yet, keeping its place in line) or -> scheduled at its due time (a
  // retry), without counting a lease expiry. Ids that are unknown or not leased by `worker`
  // (recorded, requeued, stopped or re-leased meanwhile) are skipped. Returns how many were
  // handed back; a later RecordAttempt for them by `worker` is a Conflict and is dropped.
  virtual Result<int64_t> ReleaseLeases(const std::string& worker,
                                        const std::vector<std::string>& task_ids) = 0;
  // Records one attempt and moves the task on. Conflict if the task is no longer leased by
  // `worker` (it was requeued, deleted or re-leased meanwhile); the attempt is then dropped.
  virtual Status RecordAttempt(const std::string& task_id, const std::string& worker,
                               AttemptOutcome outcome) = 0;
  // Asynchronous RecordAttempt: `done` runs exactly once, on a store thread, after the record is
  // durable (or with the error). Concurrent calls share a transaction (group commit), so a
  // delivery engine can record thousands of attempts per second. `done` must be quick and must
  // not call back into the store synchronously. The default runs RecordAttempt inline.
  virtual void RecordAttemptAsync(const std::string& task_id, const std::string& worker,
                                  AttemptOutcome outcome, std::function<void(Status)> done) {
    done(RecordAttempt(task_id, worker, std::move(outcome)));
  }

  // Operator actions. NotFound for unknown ids; Conflict for a wrong state.
  virtual Status Requeue(const std::string& task_id, TimeUs now) = 0;  // failed|finished -> queued
  virtual Result<int64_t> RequeueAllFailed(TimeUs now) = 0;            // returns how many
  virtual Status Enqueue(const std::string& task_id, TimeUs now) = 0;  // scheduled -> queued now
  virtual Status Stop(const std::string& task_id,
                      TimeUs now) = 0;  // started|queued|scheduled -> failed
  virtual Status DeleteTask(const std::string& task_id) = 0;

  // Deletes finished tasks (and their attempts) that ended before `before`; returns how many.
  // Deletes in transactions of at most kPurgeBatchRows tasks each (PurgeFinishedBatch, until a
  // batch comes back short), so retention never holds long locks on a busy database.
  Result<int64_t> PurgeFinished(TimeUs before);
  // One transaction of PurgeFinished: deletes up to kPurgeBatchRows finished tasks that ended
  // before `before` (with their attempts, and each event whose last task went); returns how
  // many.
  virtual Result<int64_t> PurgeFinishedBatch(TimeUs before) = 0;
  // Deletes up to `max` (1..kMaxPurgeBatch, else kInvalidArgument) dedupe keys recorded before
  // `before`, oldest first, in one transaction; returns how many. Callers loop while it returns
  // `max`, so one purge never holds the writer long.
  virtual Result<int64_t> PurgeDedupeKeys(TimeUs before, int64_t max) = 0;
  static constexpr int64_t kMaxPurgeBatch = 100000;

  // ---- UI sessions (web/session.h): shared by every process on the store, kept across
  // restarts. Times are the caller's (its Clock); the store never reads its own clock here. ----

  // Stores a new session (last_seen_at, expires_at as given). In the same transaction it first
  // deletes every session expired at `now`, then, while the token has max_per_token (below 1
  // counts as 1) or more live sessions, its least recently seen one (oldest last_seen_at, ties
  // by created_at): a token's sign-ins never end another token's sessions. Returns how many of
  // the token's live sessions were ended to make room. kInvalidArgument for an empty id_hash;
  // NotFound when token_id names no unrevoked token; Conflict when id_hash is taken.
  virtual Result<int64_t> CreateSession(const UiSession& session, int64_t max_per_token,
                                        TimeUs now) = 0;
  // The session with this id hash when it is live at `now` (now < expires_at) and its token is
  // not revoked, with `token` filled in; NotFound otherwise (unknown, ended, expired, token
  // revoked). Changes nothing (see TouchSession).
  virtual Result<UiSession> FindSession(const std::string& id_hash, TimeUs now) = 0;
  // Records a use: last_seen_at = now and expires_at = expires_at (the caller derives it from
  // its idle and absolute limits). NotFound when the session is unknown or expired at `now`.
  virtual Status TouchSession(const std::string& id_hash, TimeUs now, TimeUs expires_at) = 0;
  // Replaces the session's one-shot message (an empty message clears it). NotFound when unknown.
  virtual Status SetSessionFlash(const std::string& id_hash, const SessionFlash& flash) = 0;
  // Returns the session's one-shot message and clears it in one step: of concurrent calls, one
  // gets it. An empty message when there is none; NotFound when the session is unknown.
  virtual Result<SessionFlash> TakeSessionFlash(const std::string& id_hash) = 0;
  // Ends one session (sign-out). NotFound when unknown.
  virtual Status DeleteSession(const std::string& id_hash) = 0;
  // Ends every session of a token; returns how many. RevokeToken does the same in its own
  // transaction, so a revoked token's sessions end everywhere at once.
  virtual Result<int64_t> DeleteTokenSessions(int64_t token_id) = 0;
  // Deletes the sessions expired at `now` (expires_at <= now); returns how many.
  virtual Result<int64_t> PurgeExpiredSessions(TimeUs now) = 0;
  // Sessions live at `now` of one token, or of all tokens when token_id is 0.
  virtual Result<int64_t> CountSessions(int64_t token_id, TimeUs now) = 0;

  // ---- worker heartbeats (/api/core/background-workers/). Times are the worker's (its Clock):
  // last_heartbeat and the `since`/`before` bounds compare them. ----

  // Registers a worker: inserts it, or replaces every field of the worker with the same name.
  // kInvalidArgument for an empty name.
  virtual Status RegisterWorker(const WorkerInfo& worker) = 0;
  // A heartbeat: sets state, the three counters and last_heartbeat from `beat` (name, host, pid,
  // queue_names and birth_date stay as registered). NotFound when no worker has beat.name (it
  // deregistered or was purged as stale): the worker then registers again.
  virtual Status HeartbeatWorker(const WorkerInfo& beat) = 0;
  // Removes a worker (a graceful stop). NotFound when unknown.
  virtual Status DeregisterWorker(const std::string& name) = 0;
  // The workers whose last_heartbeat is at or after `alive_since`, ordered by name.
  virtual Result<std::vector<WorkerInfo>> ListWorkers(TimeUs alive_since) = 0;
  // Removes the workers whose last_heartbeat is before `before`; returns how many.
  virtual Result<int64_t> PurgeStaleWorkers(TimeUs before) = 0;

  // ---- bulk import (herald store copy) ----

  // Writes `data` in one transaction, keeping every id, time and state as given: a copied store
  // answers the API as the original did. A record whose id the store already has (an attempt:
  // its task and number) is skipped, not compared, so re-importing a batch after an
  // interruption is harmless. Ids assigned later continue after the imported ones; task counts
  // and the config revision follow. UI sessions and workers are not imported. Errors, with
  // nothing written: kConflict when a record collides with a different one on another unique
  // key (a webhook or rule name, a token hash, a task id of another event); kInvalidArgument
  // when a task names an event, or an attempt a task, that is in neither the batch nor the
  // store, or a record is malformed (id 0, empty task id). Backends without it answer
  // kUnsupported.
  virtual Result<ImportCounts> ImportBatch(const ImportData& data) {
    return Status(Code::kUnsupported, "bulk import not available for " + Describe());
  }

  // Registers a callback invoked (on a store thread) whenever tasks become due by a commit,
  // requeue or enqueue, so dispatchers wake up instead of polling. Replaces any previous one.
  virtual void SetTaskListener(std::function<void()> listener) = 0;

  // Stops background threads after flushing pending commits. Idempotent.
  virtual void Close() = 0;
};

// The methods a backend class implements, declared once for every backend: each pure virtual
// method of Store above, and the optional AttemptsPerMinute and RecordAttemptAsync. A backend
// class body says HERALD_STORE_BACKEND_METHODS in its public part, and declares apart only what
// is its own (Open, its destructor, Schema, ImportBatch when it has it). So a method added to
// Store is added to every backend at once, and each backend's .cc files must define it.
#define HERALD_STORE_BACKEND_METHODS                                                          \
  std::string Describe() const override;                                                      \
  int64_t ConfigRevision() const override;                                                    \
                                                                                              \
  Result<std::vector<Webhook>> ListWebhooks() override;                                       \
  Result<Webhook> GetWebhook(int64_t id) override;                                            \
  Result<Webhook> CreateWebhook(Webhook w) override;                                          \
  Result<Webhook> UpdateWebhook(Webhook w) override;                                          \
  Status DeleteWebhook(int64_t id) override;                                                  \
  Result<std::vector<EventRule>> ListEventRules() override;                                   \
  Result<EventRule> GetEventRule(int64_t id) override;                                        \
  Result<EventRule> CreateEventRule(EventRule r) override;                                    \
  Result<EventRule> UpdateEventRule(EventRule r) override;                                    \
  Status DeleteEventRule(int64_t id) override;                                                \
  Result<std::vector<ApiToken>> ListTokens() override;                                        \
  Result<ApiToken> CreateToken(ApiToken t) override;                                          \
  Status RevokeToken(int64_t id) override;                                                    \
  Result<ApiToken> FindTokenByHash(const std::string& key_hash) override;                     \
                                                                                              \
  void CommitEvents(std::vector<NewEvent> events,                                             \
                    std::function<void(Result<std::vector<CommittedEvent>>)> done) override;  \
  Result<Event> GetEvent(int64_t id) override;                                                \
  Result<std::vector<Event>> ListEvents(const EventFilter& filter) override;                  \
  Result<Task> GetTask(const std::string& id) override;                                       \
  Result<std::vector<Task>> ListTasks(const TaskFilter& filter) override;                     \
  Result<int64_t> CountTasks(const TaskFilter& filter) override;                              \
  Result<QueueCounts> CountByStatus() override;                                               \
  Result<std::vector<Attempt>> ListAttempts(const std::string& task_id) override;             \
  Result<AttemptHistogram> AttemptsPerMinute(TimeUs since, int minutes) override;             \
                                                                                              \
  Result<LeaseResult> Lease(const LeaseRequest& req) override;                                \
  Result<int64_t> ReleaseLeases(const std::string& worker,                                    \
                                const std::vector<std::string>& task_ids) override;           \
  Status RecordAttempt(const std::string& task_id, const std::string& worker,                 \
                       AttemptOutcome outcome) override;                                      \
  void RecordAttemptAsync(const std::string& task_id, const std::string& worker,              \
                          AttemptOutcome outcome, std::function<void(Status)> done) override; \
  Status Requeue(const std::string& task_id, TimeUs now) override;                            \
  Result<int64_t> RequeueAllFailed(TimeUs now) override;                                      \
  Status Enqueue(const std::string& task_id, TimeUs now) override;                            \
  Status Stop(const std::string& task_id, TimeUs now) override;                               \
  Status DeleteTask(const std::string& task_id) override;                                     \
  Result<int64_t> PurgeFinishedBatch(TimeUs before) override;                                 \
  Result<int64_t> PurgeDedupeKeys(TimeUs before, int64_t max) override;                       \
                                                                                              \
  Result<int64_t> CreateSession(const UiSession& session, int64_t max_per_token, TimeUs now)  \
      override;                                                                               \
  Result<UiSession> FindSession(const std::string& id_hash, TimeUs now) override;             \
  Status TouchSession(const std::string& id_hash, TimeUs now, TimeUs expires_at) override;    \
  Status SetSessionFlash(const std::string& id_hash, const SessionFlash& flash) override;     \
  Result<SessionFlash> TakeSessionFlash(const std::string& id_hash) override;                 \
  Status DeleteSession(const std::string& id_hash) override;                                  \
  Result<int64_t> DeleteTokenSessions(int64_t token_id) override;                             \
  Result<int64_t> PurgeExpiredSessions(TimeUs now) override;                                  \
  Result<int64_t> CountSessions(int64_t token_id, TimeUs now) override;                       \
                                                                                              \
  Status RegisterWorker(const WorkerInfo& worker) override;                                   \
  Status HeartbeatWorker(const WorkerInfo& beat) override;                                    \
  Status DeregisterWorker(const std::string& name) override;                                  \
  Result<std::vector<WorkerInfo>> ListWorkers(TimeUs alive_since) override;                   \
  Result<int64_t> PurgeStaleWorkers(TimeUs before) override;                                  \
                                                                                              \
  void SetTaskListener(std::function<void()> listener) override;                              \
  void Close() override

// The schema-version rule for a store named `url` (as `herald store migrate --store` takes it)
// found at version `found` (0: empty) by a binary that knows versions 1..`known`. Returns true
// when the backend must bring the schema to `known` (create it, or upgrade it under kMigrate),
// false when it is current. kUnavailable, with a message that says what to run, for an older
// schema unless kMigrate and for a newer schema under every policy; kNotFound for an empty
// store under kRequireCurrent.
Result<bool> CheckSchemaVersion(const std::string& url, int found, int known, SchemaPolicy policy);

// Writes a consistent copy of the store at `url` to the file `to`, online (while other processes
// use the store), for SQLite stores: the copy goes to `to`.partial (created owner-only), is
// synced, then renamed to `to`. Errors: kConflict when `to` exists and not `force`; kNotFound
// when the store does not exist; kUnsupported for a PostgreSQL URL (its message says to use
// pg_dump); kConfig for another scheme; kUnavailable for I/O errors (`to` then is untouched).
Status BackupStore(const std::string& url, const std::string& to, bool force);

// `url` with any password replaced by "***" (a URL's "user:password@" and "password=" parameters
// or key=value pairs), for logs and messages.
std::string RedactStoreUrl(const std::string& url);

// Opens a store from a URL: "sqlite://relative/path.db", "sqlite:///absolute/path.db", or
// "postgresql://[user@]host[:port]/database[?param=value...]" ("postgres://" too; any libpq
// parameters; docs/postgres.md). Creates directories as needed (SQLite), and the schema
// following options.schema (see SchemaPolicy). Messages never show a password.
// Errors: kConfig for an unknown scheme or a URL without a database; kUnavailable when it cannot
// be opened or its schema version is refused.
Result<std::unique_ptr<Store>> OpenStore(const std::string& url,
                                         const StoreOpenOptions& options = {});

}  // namespace herald
