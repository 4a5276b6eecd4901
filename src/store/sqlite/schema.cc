#include "store/sqlite/schema.h"

#include <string>

#include "store/sqlite/conn.h"
#include "store/store.h"

namespace herald::sqlite {

namespace {

// Version 1, the initial schema (later versions below add to it). Notes on the layout
// (docs/store.md has the long form):
//  - tasks.seq is the rowid, (event_id << 16) | index-of-task-in-event: tasks of one event are
//    contiguous (the event_id filter is a rowid range scan), and rowid order is creation order,
//    so "newest first" is a backwards walk of any single-column index.
//  - task status is an integer (TaskStatus order: queued 0, started 1, scheduled 2, finished 3,
//    failed 4); three partial indexes hold only the tasks a worker may lease, keyed by the time
//    they became (or become) due, so leasing is an index range scan whatever the history size.
//  - JSON columns hold compact JSON (NULL for None).
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE meta(
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('config_revision', 0);

CREATE TABLE webhooks(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  payload_url TEXT NOT NULL,
  http_method TEXT NOT NULL,
  http_content_type TEXT NOT NULL,
  additional_headers TEXT NOT NULL,
  body_template TEXT NOT NULL,
  secret TEXT NOT NULL,
  ssl_verification INTEGER NOT NULL,
  ca_file_path TEXT,
  timeout INTEGER,
  max_attempts INTEGER,
  retry_policy TEXT,
  retry_interval INTEGER,
  created INTEGER NOT NULL,
  last_updated INTEGER NOT NULL
);

CREATE TABLE event_rules(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  object_types TEXT NOT NULL,
  event_types TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  conditions TEXT,
  action_type TEXT NOT NULL,
  action_object_type TEXT NOT NULL,
  action_object_id INTEGER,
  action_data TEXT,
  comments TEXT NOT NULL,
  created INTEGER NOT NULL,
  last_updated INTEGER NOT NULL
);
CREATE INDEX event_rules_action_object ON event_rules(action_object_id);

CREATE TABLE api_tokens(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  key_prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  scope TEXT NOT NULL,
  created INTEGER NOT NULL,
  last_used INTEGER NOT NULL,
  revoked INTEGER NOT NULL
);

CREATE TABLE events(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event TEXT NOT NULL,
  event_type TEXT NOT NULL,
  object_type TEXT NOT NULL,
  model TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  username TEXT,
  request_id TEXT,
  data TEXT,
  snapshots TEXT,
  request TEXT,
  context TEXT,
  received_at INTEGER NOT NULL
);
CREATE INDEX events_object_type ON events(object_type);

CREATE TABLE tasks(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  event_id INTEGER NOT NULL,
  rule_id INTEGER NOT NULL,
  webhook_id INTEGER NOT NULL,
  rule_name TEXT NOT NULL,
  webhook_name TEXT NOT NULL,
  object_type TEXT NOT NULL,
  event_type TEXT NOT NULL,
  action_data TEXT,
  status INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  enqueued_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL DEFAULT 0,
  ended_at INTEGER NOT NULL DEFAULT 0,
  worker TEXT NOT NULL DEFAULT '',
  lease_expires INTEGER NOT NULL DEFAULT 0,
  result TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX tasks_id ON tasks(id);
CREATE INDEX tasks_status ON tasks(status);
CREATE INDEX tasks_webhook ON tasks(webhook_id);
CREATE INDEX tasks_rule ON tasks(rule_id);
CREATE INDEX tasks_object_type ON tasks(object_type);
CREATE INDEX tasks_queued ON tasks(enqueued_at) WHERE status = 0;
CREATE INDEX tasks_started ON tasks(lease_expires) WHERE status = 1;
CREATE INDEX tasks_scheduled ON tasks(due_at) WHERE status = 2;

CREATE TABLE attempts(
  task_seq INTEGER NOT NULL REFERENCES tasks(seq) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  duration_us INTEGER NOT NULL,
  status_code INTEGER NOT NULL,
  response_excerpt TEXT NOT NULL,
  error TEXT NOT NULL,
  method TEXT NOT NULL,
  url TEXT NOT NULL,
  request_headers TEXT NOT NULL,
  request_body TEXT NOT NULL,
  PRIMARY KEY(task_seq, number)
);
)sql";

// v2: task counts per status kept in the database (maintained by every write transaction), so
// every process sharing the file (serve, worker, CLI) sees the same numbers without a scan.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE task_counts(
  status INTEGER PRIMARY KEY,
  n INTEGER NOT NULL
);
INSERT INTO task_counts(status, n)
  SELECT s.status, (SELECT count(*) FROM tasks WHERE tasks.status = s.status)
  FROM (SELECT 0 AS status UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3
        UNION ALL SELECT 4) AS s;
)sql";

// v3: consecutive lease expiries per task (the worker-stopped rule): LeaseTasks adds one each
// time it finds the task's lease expired and fails the task at the configured limit; a recorded
// attempt, a requeue or an enqueue resets it; a graceful hand-back (ReleaseLeases) leaves it.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE tasks ADD COLUMN lease_expiries INTEGER NOT NULL DEFAULT 0;
)sql";

// v4: UI sessions and worker heartbeats, shared by every process on the file. A session is
// keyed by the hash of its cookie value (never the value); a token's sessions are found by
// (token_id, last_seen_at) to end the least recently used at the cap; expires_at is indexed for
// the purge. Workers are few: one row each, queue_names a JSON array.
constexpr const char* kSchemaV4 = R"sql(
CREATE TABLE ui_sessions(
  id_hash TEXT PRIMARY KEY,
  csrf TEXT NOT NULL,
  token_id INTEGER NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  flash TEXT NOT NULL DEFAULT '',
  flash_error INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX ui_sessions_token ON ui_sessions(token_id, last_seen_at);
CREATE INDEX ui_sessions_expires ON ui_sessions(expires_at);

CREATE TABLE workers(
  name TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  queue_names TEXT NOT NULL,
  birth_date INTEGER NOT NULL,
  last_heartbeat INTEGER NOT NULL,
  state TEXT NOT NULL,
  successful_job_count INTEGER NOT NULL,
  failed_job_count INTEGER NOT NULL,
  total_working_time INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// v5: idempotent ingest. One row per accepted dedupe key: the event it created and that
// event's task ids (comma-separated, so a repeat is answered even after the tasks are purged);
// accepted_at is indexed for the retention purge.
constexpr const char* kSchemaV5 = R"sql(
CREATE TABLE ingest_keys(
  key TEXT PRIMARY KEY,
  event_id INTEGER NOT NULL,
  task_ids TEXT NOT NULL,
  accepted_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ingest_keys_accepted ON ingest_keys(accepted_at);
)sql";

// v6: webhook signatures (model/signing.h): the scheme (existing webhooks keep NetBox's
// X-Hook-Signature), and a previous secret that still signs until its expiry (rotation).
constexpr const char* kSchemaV6 = R"sql(
ALTER TABLE webhooks ADD COLUMN signature_scheme TEXT NOT NULL DEFAULT 'netbox';
ALTER TABLE webhooks ADD COLUMN previous_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN previous_secret_expires INTEGER;
)sql";

// v7: fair leasing (Store::Lease). Each leasable lane is indexed per webhook, keyed by the time
// its tasks became due: the webhooks with due tasks are found with one seek each and a webhook's
// oldest due tasks are an ordered range, however long another webhook's backlog. They replace
// the lane indexes of started and scheduled tasks (no other query reads them); tasks_queued
// stays for the oldest queued task of CountByStatus.
constexpr const char* kSchemaV7 = R"sql(
CREATE INDEX tasks_queued_webhook ON tasks(webhook_id, enqueued_at) WHERE status = 0;
CREATE INDEX tasks_started_webhook ON tasks(webhook_id, lease_expires) WHERE status = 1;
CREATE INDEX tasks_scheduled_webhook ON tasks(webhook_id, due_at) WHERE status = 2;
DROP INDEX IF EXISTS tasks_started;
DROP INDEX IF EXISTS tasks_scheduled;
)sql";

constexpr Migration kMigrations[] = {
    {"initial schema: config, events, tasks, attempts", kSchemaV1},
    {"task counts per status", kSchemaV2},
    {"consecutive lease expiries per task", kSchemaV3},
    {"UI sessions and worker heartbeats", kSchemaV4},
    {"ingest dedupe keys", kSchemaV5},
    {"webhook signature scheme and previous secret", kSchemaV6},
    {"due tasks indexed per webhook (fair leasing)", kSchemaV7},
};

}  // namespace

std::span<const Migration> SchemaMigrations() { return kMigrations; }

int SchemaVersion(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) != SQLITE_OK) return -1;
  int version = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) version = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  return version;
}

namespace {

// Number of tables, views and indexes in `db`; -1 on error.
int SchemaObjects(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &stmt, nullptr) != SQLITE_OK)
    return -1;
  int n = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  return n;
}

}  // namespace

Result<SchemaVersions> OpenSchema(sqlite3* db, std::span<const Migration> migrations,
                                  SchemaPolicy policy, const std::string& url) {
  const int latest = static_cast<int>(migrations.size());
  auto exec = [db](const std::string& sql) -> Status {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db);
      sqlite3_free(err);
      return Status(Code::kUnavailable, msg);
    }
    return Status::Ok();
  };
  // IMMEDIATE takes the write lock first, so two processes opening the same new file do not
  // both try to create the schema: the second one judges the version the first one left.
  HERALD_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  const int current = SchemaVersion(db);
  SchemaVersions versions{current, current};
  Status st;
  if (current < 0) {
    st = Error(db, "cannot read the schema version");
  } else if (current == 0 && SchemaObjects(db) != 0) {
    st = Status(Code::kUnavailable,
                "the database has tables but no Herald schema version; it is not a Herald store");
  } else if (auto apply = CheckSchemaVersion(url, current, latest, policy); !apply.ok()) {
    st = apply.status();
  } else if (*apply) {
    for (int v = current + 1; v <= latest && st.ok(); ++v) {
      Status m = exec(migrations[v - 1].sql);
      if (!m.ok()) {
        st = Status(Code::kUnavailable, "schema migration " + std::to_string(v) + " (" +
                                            migrations[v - 1].description +
                                            ") failed: " + m.message());
      }
    }
    if (st.ok()) st = exec("PRAGMA user_version = " + std::to_string(latest));
    versions.current = latest;
  }
  if (!st.ok()) {
    (void)exec("ROLLBACK");
    return st;
  }
  HERALD_RETURN_IF_ERROR(exec("COMMIT"));
  return versions;
}

Status ApplyMigrations(sqlite3* db, std::span<const Migration> migrations) {
  auto r = OpenSchema(db, migrations, SchemaPolicy::kMigrate, "(this database)");
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace herald::sqlite
