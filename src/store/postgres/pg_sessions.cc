// PostgresStore: UI sessions and worker heartbeats (schema v2). Small tables, each call its own
// transaction; the contracts are in store/store.h, the row readers shared in store/rows.h.
#include <algorithm>

#include "store/postgres/pg_internal.h"

namespace herald {

Status PostgresStore::ChangeOneRow(const std::string& sql, const Params& params, const char* error,
                                   const std::string& not_found) {
  return TransactStatus(
      [&](WriteCtx& ctx) { return pg_store::ChangeOne(ctx.conn, sql, params, error, not_found); });
}

// ---- UI sessions ----

Result<int64_t> PostgresStore::CreateSession(const UiSession& session, int64_t max_per_token,
                                             TimeUs now) {
  if (session.id_hash.empty()) {
    return Status(Code::kInvalidArgument, "a session needs an id hash");
  }
  const int64_t cap = std::max<int64_t>(1, max_per_token);
  return Transact<int64_t>([&](WriteCtx& ctx) -> Result<int64_t> {
    Conn& c = ctx.conn;
    // The token row stays locked, so concurrent sign-ins of one token take turns at the cap.
    auto token = c.Exec("SELECT 1 FROM herald.api_tokens WHERE id = $1 AND revoked = 0 FOR UPDATE",
                        Params().Bind(session.token_id), "cannot find the token");
    if (!token.ok()) return token.status();
    if (token->rows() == 0) return NotFound("token " + std::to_string(session.token_id));
    HERALD_RETURN_IF_ERROR(c.Run("DELETE FROM herald.ui_sessions WHERE expires_at <= $1",
                                 Params().Bind(now), "cannot delete expired sessions"));
    // The token's live sessions beyond cap - 1, least recently seen first.
    auto ended = pg_store::Changed(
        c,
        "DELETE FROM herald.ui_sessions WHERE id_hash IN (SELECT id_hash FROM herald.ui_sessions "
        "WHERE token_id = $1 ORDER BY last_seen_at DESC, created_at DESC OFFSET $2)",
        Params().Bind(session.token_id).Bind(cap - 1), "cannot end sessions");
    if (!ended.ok()) return ended.status();
    auto inserted = pg_store::Changed(
        c,
        "INSERT INTO herald.ui_sessions(id_hash, csrf, token_id, created_at, last_seen_at, "
        "expires_at, flash, flash_error) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
        Params()
            .Bind(session.id_hash)
            .Bind(session.csrf)
            .Bind(session.token_id)
            .Bind(session.created_at)
            .Bind(session.last_seen_at)
            .Bind(session.expires_at)
            .Bind(session.flash.message)
            .Bind(session.flash.error),
        "cannot insert session");
    if (!inserted.ok()) return inserted.status();
    if (*inserted == 0) return Conflict("a session with this id already exists.");
    return *ended;
  });
}

Result<UiSession> PostgresStore::FindSession(const std::string& id_hash, TimeUs now) {
  return Read([&id_hash, now](Conn& c) {
    return SelectOne<UiSession>(
        c,
        std::string("SELECT ") + sql::kSessionRowCols +
            " FROM herald.ui_sessions s JOIN herald.api_tokens t ON t.id = s.token_id"
            " WHERE s.id_hash = $1 AND s.expires_at > $2 AND t.revoked = 0",
        Params().Bind(id_hash).Bind(now), sql::ReadSessionWithToken<Row>, "session");
  });
}

Status PostgresStore::TouchSession(const std::string& id_hash, TimeUs now, TimeUs expires_at) {
  return ChangeOneRow(
      "UPDATE herald.ui_sessions SET last_seen_at = $1, expires_at = $2 "
      "WHERE id_hash = $3 AND expires_at > $1",
      Params().Bind(now).Bind(expires_at).Bind(id_hash), "cannot touch session", "session");
}

Status PostgresStore::SetSessionFlash(const std::string& id_hash, const SessionFlash& flash) {
  return ChangeOneRow(
      "UPDATE herald.ui_sessions SET flash = $1, flash_error = $2 WHERE id_hash = $3",
      Params().Bind(flash.message).Bind(flash.error).Bind(id_hash),
      "cannot set the session's message", "session");
}

Result<SessionFlash> PostgresStore::TakeSessionFlash(const std::string& id_hash) {
  return Transact<SessionFlash>([&id_hash](WriteCtx& ctx) -> Result<SessionFlash> {
    // The old message, read from the row as locked by the UPDATE (one taker wins).
    return SelectOne<SessionFlash>(
        ctx.conn,
        "UPDATE herald.ui_sessions s SET flash = '', flash_error = 0 FROM "
        "(SELECT id_hash, flash, flash_error FROM herald.ui_sessions WHERE id_hash = $1 "
        "FOR UPDATE) old WHERE s.id_hash = old.id_hash RETURNING old.flash, old.flash_error",
        Params().Bind(id_hash),
        [](const Row& row) -> Result<SessionFlash> {
          return SessionFlash{row.Text(0), row.Int(1) != 0};
        },
        "session");
  });
}

Status PostgresStore::DeleteSession(const std::string& id_hash) {
  return ChangeOneRow("DELETE FROM herald.ui_sessions WHERE id_hash = $1", Params().Bind(id_hash),
                      "cannot delete session", "session");
}

Result<int64_t> PostgresStore::DeleteTokenSessions(int64_t token_id) {
  return Transact<int64_t>([token_id](WriteCtx& ctx) {
    return pg_store::Changed(ctx.conn, "DELETE FROM herald.ui_sessions WHERE token_id = $1",
                             Params().Bind(token_id), "cannot delete the token's sessions");
  });
}

Result<int64_t> PostgresStore::PurgeExpiredSessions(TimeUs now) {
  return Transact<int64_t>([now](WriteCtx& ctx) {
    return pg_store::Changed(ctx.conn, "DELETE FROM herald.ui_sessions WHERE expires_at <= $1",
                             Params().Bind(now), "cannot delete expired sessions");
  });
}

Result<int64_t> PostgresStore::CountSessions(int64_t token_id, TimeUs now) {
  return Read([token_id, now](Conn& c) -> Result<int64_t> {
    auto r = c.Exec(
        "SELECT count(*) FROM herald.ui_sessions WHERE expires_at > $1 AND "
        "($2 = 0 OR token_id = $2)",
        Params().Bind(now).Bind(token_id), "cannot count sessions");
    if (!r.ok()) return r.status();
    return Row(*r, 0).Int(0);
  });
}

// ---- worker heartbeats ----

Status PostgresStore::RegisterWorker(const WorkerInfo& worker) {
  if (worker.name.empty()) return Status(Code::kInvalidArgument, "a worker needs a name");
  return TransactStatus([&worker](WriteCtx& ctx) -> Status {
    return ctx.conn.Run(
        std::string("INSERT INTO herald.workers(") + sql::kWorkerCols +
            ") VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (name) DO UPDATE SET host = "
            "EXCLUDED.host, pid = EXCLUDED.pid, queue_names = EXCLUDED.queue_names, birth_date = "
            "EXCLUDED.birth_date, last_heartbeat = EXCLUDED.last_heartbeat, state = "
            "EXCLUDED.state, successful_job_count = EXCLUDED.successful_job_count, "
            "failed_job_count = EXCLUDED.failed_job_count, total_working_time = "
            "EXCLUDED.total_working_time",
        Params()
            .Bind(worker.name)
            .Bind(worker.host)
            .Bind(worker.pid)
            .Bind(sql::StringListJson(worker.queue_names))
            .Bind(worker.birth_date)
            .Bind(worker.last_heartbeat)
            .Bind(worker.state)
            .Bind(worker.successful_job_count)
            .Bind(worker.failed_job_count)
            .Bind(worker.total_working_time),
        "cannot register worker");
  });
}

Status PostgresStore::HeartbeatWorker(const WorkerInfo& beat) {
  return ChangeOneRow(
      "UPDATE herald.workers SET state = $1, successful_job_count = $2, "
      "failed_job_count = $3, total_working_time = $4, last_heartbeat = $5 "
      "WHERE name = $6",
      Params()
          .Bind(beat.state)
          .Bind(beat.successful_job_count)
          .Bind(beat.failed_job_count)
          .Bind(beat.total_working_time)
          .Bind(beat.last_heartbeat)
          .Bind(beat.name),
      "cannot record heartbeat", "worker " + beat.name);
}

Status PostgresStore::DeregisterWorker(const std::string& name) {
  return ChangeOneRow("DELETE FROM herald.workers WHERE name = $1", Params().Bind(name),
                      "cannot deregister worker", "worker " + name);
}

Result<std::vector<WorkerInfo>> PostgresStore::ListWorkers(TimeUs alive_since) {
  return Read([alive_since](Conn& c) {
    return SelectAll<WorkerInfo>(c,
                                 std::string("SELECT ") + sql::kWorkerCols +
                                     " FROM herald.workers WHERE last_heartbeat >= $1 "
                                     "ORDER BY name",
                                 Params().Bind(alive_since), sql::ReadWorker<Row>);
  });
}

Result<int64_t> PostgresStore::PurgeStaleWorkers(TimeUs before) {
  return Transact<int64_t>([before](WriteCtx& ctx) {
    return pg_store::Changed(ctx.conn, "DELETE FROM herald.workers WHERE last_heartbeat < $1",
                             Params().Bind(before), "cannot remove stale workers");
  });
}

}  // namespace herald
