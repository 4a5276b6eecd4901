// The PostgreSQL store's schema and migrations; see schema.h and docs/postgres.md.
#include "store/postgres/schema.h"

#include "store/postgres/pg_conn.h"
#include "store/postgres/pg_store.h"

namespace herald {

namespace {

// Version 1. Notes on the layout:
//  - Integers mirror the SQLite store's columns, so the shared row readers (store/rows.h) map
//    both: times are microseconds (bigint), booleans and task status are integers.
//  - Tasks live in two tables with identical columns (task_history is made LIKE task_queue;
//    a later migration that adds a column adds it to both, in the same place): the hot queue
//    (queued, started, scheduled; a few partial indexes for leasing) and the history (finished,
//    failed; the indexes the task lists filter on). A task moves between them in the
//    transaction that changes its status. The view `tasks` is both, for reads.
//  - tasks.seq is (event_id << 16) | index-of-task-in-event, as in SQLite: an event's tasks are
//    one seq range and seq order is creation order.
//  - task_counts keeps the number of tasks per status in 16 slots per status (a transaction
//    adds its changes to one slot, so concurrent writers rarely wait on the same row); a count
//    is the sum over the slots.
//  - Texts that can hold any bytes (responses, errors quoting them, rendered requests) are
//    bytea.
//  - lease_token: each lease takes a new value from lease_token_seq; a recorded attempt must
//    present the token of the current lease.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE herald.meta(
  key text PRIMARY KEY,
  value bigint NOT NULL
);
INSERT INTO herald.meta(key, value) VALUES ('config_revision', 0);

CREATE TABLE herald.webhooks(
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  description text NOT NULL,
  payload_url text NOT NULL,
  http_method text NOT NULL,
  http_content_type text NOT NULL,
  additional_headers text NOT NULL,
  body_template text NOT NULL,
  secret text NOT NULL,
  ssl_verification integer NOT NULL,
  ca_file_path text,
  timeout integer,
  max_attempts integer,
  retry_policy text,
  retry_interval integer,
  created bigint NOT NULL,
  last_updated bigint NOT NULL
);

CREATE TABLE herald.event_rules(
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  description text NOT NULL,
  object_types text NOT NULL,
  event_types text NOT NULL,
  enabled integer NOT NULL,
  conditions text,
  action_type text NOT NULL,
  action_object_type text NOT NULL,
  action_object_id bigint,
  action_data text,
  comments text NOT NULL,
  created bigint NOT NULL,
  last_updated bigint NOT NULL
);
CREATE INDEX event_rules_action_object ON herald.event_rules(action_object_id);

CREATE TABLE herald.api_tokens(
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  key_prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  scope text NOT NULL,
  created bigint NOT NULL,
  last_used bigint NOT NULL,
  revoked integer NOT NULL
);

CREATE TABLE herald.events(
  id bigserial PRIMARY KEY,
  event text NOT NULL,
  event_type text NOT NULL,
  object_type text NOT NULL,
  model text NOT NULL,
  timestamp text NOT NULL,
  username text,
  request_id text,
  data text,
  snapshots text,
  request text,
  context text,
  received_at bigint NOT NULL
);
CREATE INDEX events_object_type ON herald.events(object_type, id);

CREATE TABLE herald.task_queue(
  seq bigint PRIMARY KEY,
  id text NOT NULL UNIQUE,
  event_id bigint NOT NULL,
  rule_id bigint NOT NULL,
  webhook_id bigint NOT NULL,
  rule_name text NOT NULL,
  webhook_name text NOT NULL,
  object_type text NOT NULL,
  event_type text NOT NULL,
  action_data text,
  status integer NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  enqueued_at bigint NOT NULL,
  due_at bigint NOT NULL,
  started_at bigint NOT NULL DEFAULT 0,
  ended_at bigint NOT NULL DEFAULT 0,
  worker text NOT NULL DEFAULT '',
  lease_expires bigint NOT NULL DEFAULT 0,
  result bytea NOT NULL DEFAULT '',
  error bytea NOT NULL DEFAULT '',
  lease_expiries integer NOT NULL DEFAULT 0,
  lease_token bigint NOT NULL DEFAULT 0
);
CREATE TABLE herald.task_history (LIKE herald.task_queue INCLUDING DEFAULTS);
ALTER TABLE herald.task_history ADD PRIMARY KEY (seq);
ALTER TABLE herald.task_history ADD UNIQUE (id);
ALTER TABLE herald.task_queue ADD CHECK (status IN (0, 1, 2));
ALTER TABLE herald.task_history ADD CHECK (status IN (3, 4));
CREATE INDEX task_queue_queued ON herald.task_queue(enqueued_at, seq) WHERE status = 0;
CREATE INDEX task_queue_started ON herald.task_queue(lease_expires, seq) WHERE status = 1;
CREATE INDEX task_queue_scheduled ON herald.task_queue(due_at, seq) WHERE status = 2;
CREATE INDEX task_history_status ON herald.task_history(status, seq);
CREATE INDEX task_history_webhook ON herald.task_history(webhook_id, seq);
CREATE INDEX task_history_rule ON herald.task_history(rule_id, seq);
CREATE INDEX task_history_object_type ON herald.task_history(object_type, seq);
CREATE INDEX task_history_finished ON herald.task_history(ended_at) WHERE status = 3;
CREATE VIEW herald.tasks AS
  SELECT * FROM herald.task_queue UNION ALL SELECT * FROM herald.task_history;
CREATE SEQUENCE herald.lease_token_seq;

CREATE TABLE herald.task_counts(
  status integer NOT NULL,
  slot integer NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (status, slot)
);
INSERT INTO herald.task_counts(status, slot, n)
  SELECT s, k, 0 FROM generate_series(0, 4) AS s, generate_series(0, 15) AS k;

CREATE TABLE herald.attempts(
  task_seq bigint NOT NULL,
  number integer NOT NULL,
  started_at bigint NOT NULL,
  duration_us bigint NOT NULL,
  status_code integer NOT NULL,
  response_excerpt bytea NOT NULL,
  error bytea NOT NULL,
  method text NOT NULL,
  url bytea NOT NULL,
  request_headers bytea NOT NULL,
  request_body bytea NOT NULL,
  PRIMARY KEY (task_seq, number)
);
CREATE INDEX attempts_started ON herald.attempts(started_at);
)sql";

// Version 2: UI sessions and worker heartbeats, shared by every node.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE herald.ui_sessions(
  id_hash text PRIMARY KEY,
  csrf text NOT NULL,
  token_id bigint NOT NULL REFERENCES herald.api_tokens(id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  last_seen_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  flash text NOT NULL DEFAULT '',
  flash_error integer NOT NULL DEFAULT 0
);
CREATE INDEX ui_sessions_token ON herald.ui_sessions(token_id, last_seen_at);
CREATE INDEX ui_sessions_expires ON herald.ui_sessions(expires_at);

CREATE TABLE herald.workers(
  name text PRIMARY KEY,
  host text NOT NULL,
  pid bigint NOT NULL,
  queue_names text NOT NULL,
  birth_date bigint NOT NULL,
  last_heartbeat bigint NOT NULL,
  state text NOT NULL,
  successful_job_count bigint NOT NULL,
  failed_job_count bigint NOT NULL,
  total_working_time bigint NOT NULL
);
)sql";

// Version 3: idempotent ingest, as SQLite's v5. One row per accepted dedupe key: the event it
// created and that event's task ids (comma-separated, so a repeat is answered after the tasks
// are purged). The primary key is what makes concurrent commits of one key from several
// stores or nodes yield one event: a commit claims the key with INSERT ... ON CONFLICT, which
// waits for a concurrent claimant's transaction and then sees its row.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE herald.ingest_keys(
  key text PRIMARY KEY,
  event_id bigint NOT NULL,
  task_ids text NOT NULL,
  accepted_at bigint NOT NULL
);
CREATE INDEX ingest_keys_accepted ON herald.ingest_keys(accepted_at);
)sql";

// Version 4: webhook signatures, as SQLite's v6: the scheme (existing webhooks keep NetBox's
// X-Hook-Signature), and a previous secret that still signs until its expiry (rotation).
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE herald.webhooks ADD COLUMN signature_scheme text NOT NULL DEFAULT 'netbox';
ALTER TABLE herald.webhooks ADD COLUMN previous_secret text NOT NULL DEFAULT '';
ALTER TABLE herald.webhooks ADD COLUMN previous_secret_expires bigint;
)sql";

// Version 5: fair leasing, as SQLite's v7. Each leasable lane of the queue is indexed per
// webhook, keyed by the time its tasks became due: Lease finds the webhooks with due tasks with
// one seek each (a recursive walk) and takes each one's oldest due tasks as an ordered range.
// They replace the started and scheduled lane indexes, which no other query reads.
constexpr const char* kSchemaV5 = R"sql(
CREATE INDEX task_queue_queued_webhook ON herald.task_queue(webhook_id, enqueued_at, seq)
  WHERE status = 0;
CREATE INDEX task_queue_started_webhook ON herald.task_queue(webhook_id, lease_expires, seq)
  WHERE status = 1;
CREATE INDEX task_queue_scheduled_webhook ON herald.task_queue(webhook_id, due_at, seq)
  WHERE status = 2;
DROP INDEX IF EXISTS herald.task_queue_started;
DROP INDEX IF EXISTS herald.task_queue_scheduled;
)sql";

constexpr PgMigration kMigrations[] = {
    {"initial schema: config, events, task queue and history, attempts", kSchemaV1},
    {"UI sessions and worker heartbeats", kSchemaV2},
    {"ingest dedupe keys", kSchemaV3},
    {"webhook signature scheme and previous secret", kSchemaV4},
    {"due tasks indexed per webhook (fair leasing)", kSchemaV5},
};

// Serialises migrations of one database between processes (pg_advisory_xact_lock key).
constexpr int64_t kMigrationLockKey = 0x6865726c64;  // "herld"

}  // namespace

std::span<const PgMigration> PostgresMigrations() { return kMigrations; }

int PostgresSchemaVersionNeeded() { return static_cast<int>(std::size(kMigrations)); }

namespace pg {

Result<int> SchemaVersion(Conn& c) {
  auto r = c.Exec("SELECT to_regclass('herald.schema_version') IS NOT NULL", {},
                  "cannot read the schema version");
  if (!r.ok()) return r.status();
  if (Row(*r, 0).Int(0) == 0) return 0;
  r = c.Exec("SELECT max(version) FROM herald.schema_version", {},
             "cannot read the schema version");
  if (!r.ok()) return r.status();
  Row row(*r, 0);
  return row.IsNull(0) ? 0 : static_cast<int>(row.Int(0));
}

Status ApplyMigrations(Conn& c, std::span<const PgMigration> migrations) {
  const int latest = static_cast<int>(migrations.size());
  auto begun =
      c.Simple("BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")",
               "cannot start the migration");
  if (!begun.ok()) return begun.status();
  Status st = c.Simple(
                   "CREATE SCHEMA IF NOT EXISTS herald; "
                   "CREATE TABLE IF NOT EXISTS herald.schema_version(version integer NOT NULL)",
                   "cannot create the schema")
                  .status();
  Result<int> current = st.ok() ? SchemaVersion(c) : Result<int>(st);
  if (!current.ok()) {
    st = current.status();
  } else if (*current > latest) {
    st = Status(Code::kUnavailable,
                "database schema version " + std::to_string(*current) +
                    " is newer than this Herald build supports (it needs version " +
                    std::to_string(latest) + "); use a newer Herald");
  } else {
    for (int v = *current + 1; v <= latest && st.ok(); ++v) {
      Status m = c.Simple(migrations[v - 1].sql, "migration").status();
      if (!m.ok()) {
        st = Status(Code::kUnavailable, "schema migration " + std::to_string(v) + " (" +
                                            migrations[v - 1].description +
                                            ") failed: " + m.message());
      }
    }
    if (st.ok() && *current != latest) {
      st = c.Simple(
                "DELETE FROM herald.schema_version; INSERT INTO herald.schema_version "
                "VALUES (" +
                    std::to_string(latest) + ")",
                "cannot record the schema version")
               .status();
    }
  }
  if (!st.ok()) {
    (void)c.Simple("ROLLBACK");
    return st;
  }
  return c.Simple("COMMIT", "cannot commit the migration").status();
}

}  // namespace pg

Result<int> PostgresSchemaVersion(const std::string& url) {
  auto c = pg::Conn::Connect(url);
  if (!c.ok()) return c.status();
  return pg::SchemaVersion(**c);
}

Status MigratePostgres(const std::string& url) {
  auto c = pg::Conn::Connect(url);
  if (!c.ok()) return c.status();
  Status st = pg::ApplyMigrations(**c, PostgresMigrations());
  if (!st.ok()) return Status(st.code(), RedactStoreUrl(url) + ": " + st.message());
  return st;
}

}  // namespace herald
