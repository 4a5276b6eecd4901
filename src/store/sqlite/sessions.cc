// SqliteStore: UI sessions and worker heartbeats (schema v4). Both are small tables written
// through the group-commit queue like everything else; the contracts are in store/store.h.
#include <algorithm>

#include "store/sqlite/store_internal.h"

namespace herald {

namespace {

// The session lookup's row: the token's columns (sql::kTokenCols order, so sql::ReadToken maps
// them), then the session's from column kSessionCol on.
constexpr const char* kSessionRowCols =
    "t.id, t.name, t.key_prefix, t.key_hash, t.scope, t.created, t.last_used, t.revoked, "
    "s.id_hash, s.csrf, s.token_id, s.created_at, s.last_seen_at, s.expires_at, s.flash, "
    "s.flash_error";
constexpr int kSessionCol = 8;

Result<UiSession> ReadSessionWithToken(const Stmt& s) {
  auto token = sql::ReadToken(s);
  if (!token.ok()) return token.status();
  using U = UiSession;
  U u;
  u.token = std::move(*token);
  HERALD_RETURN_IF_ERROR(sql::ReadFields(s, kSessionCol, u, &U::id_hash, &U::csrf, &U::token_id,
                                         &U::created_at, &U::last_seen_at, &U::expires_at));
  u.flash.message = s.Text(kSessionCol + 6);
  u.flash.error = s.Int(kSessionCol + 7) != 0;
  return u;
}

constexpr const char* kWorkerCols =
    "name, host, pid, queue_names, birth_date, last_heartbeat, state, successful_job_count, "
    "failed_job_count, total_working_time";

Result<WorkerInfo> ReadWorker(const Stmt& s) {
  using W = WorkerInfo;
  W w;
  HERALD_RETURN_IF_ERROR(sql::ReadFields(
      s, 0, w, &W::name, &W::host, &W::pid, sql::Json(&W::queue_names, "workers.queue_names"),
      &W::birth_date, &W::last_heartbeat, &W::state, &W::successful_job_count, &W::failed_job_count,
      &W::total_working_time));
  return w;
}

}  // namespace

// ---- UI sessions ----

Result<int64_t> SqliteStore::CreateSession(const UiSession& session, int64_t max_per_token,
                                           TimeUs now) {
  if (session.id_hash.empty()) {
    return Status(Code::kInvalidArgument, "a session needs an id hash");
  }
  const int64_t cap = std::max<int64_t>(1, max_per_token);
  return WriteSync<int64_t>([session, cap, now](WriteCtx& ctx) -> Result<int64_t> {
    Conn& c = ctx.conn;
    auto token = c.Prepare("SELECT 1 FROM api_tokens WHERE id = ? AND revoked = 0");
    if (!token.ok()) return token.status();
    token->Bind(session.token_id);
    int rc = token->Step();
    if (rc == SQLITE_DONE) return NotFound("token " + std::to_string(session.token_id));
    if (rc != SQLITE_ROW) return c.Error("query failed");
    HERALD_RETURN_IF_ERROR(RunStmt(c, "DELETE FROM ui_sessions WHERE expires_at <= ?",
                                   "cannot delete expired sessions", now));
    // The token's live sessions beyond cap - 1, least recently seen first.
    auto ended = Changed(c,
                         "DELETE FROM ui_sessions WHERE id_hash IN (SELECT id_hash FROM "
                         "ui_sessions WHERE token_id = ? ORDER BY last_seen_at DESC, created_at "
                         "DESC LIMIT -1 OFFSET ?)",
                         "cannot end sessions", session.token_id, cap - 1);
    if (!ended.ok()) return ended.status();
    auto dup = c.Prepare("SELECT 1 FROM ui_sessions WHERE id_hash = ?");
    if (!dup.ok()) return dup.status();
    dup->Bind(session.id_hash);
    rc = dup->Step();
    if (rc == SQLITE_ROW) return Conflict("a session with this id already exists.");
    if (rc != SQLITE_DONE) return c.Error("query failed");
    HERALD_RETURN_IF_ERROR(
        RunStmt(c,
                InsertSql("ui_sessions",
                          "id_hash, csrf, token_id, created_at, last_seen_at, expires_at, flash, "
                          "flash_error"),
                "cannot insert session", session.id_hash, session.csrf, session.token_id,
                session.created_at, session.last_seen_at, session.expires_at, session.flash.message,
                session.flash.error));
    return *ended;
  });
}

Result<UiSession> SqliteStore::FindSession(const std::string& id_hash, TimeUs now) {
  return Read([&id_hash, now](Conn& c) -> Result<UiSession> {
    auto s = c.Prepare(std::string("SELECT ") + kSessionRowCols +
                       " FROM ui_sessions s JOIN api_tokens t ON t.id = s.token_id"
                       " WHERE s.id_hash = ? AND s.expires_at > ? AND t.revoked = 0");
    if (!s.ok()) return s.status();
    s->Bind(id_hash).Bind(now);
    auto r = One<UiSession>(c, *s, ReadSessionWithToken);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return NotFound("session");
    return std::move(**r);
  });
}

Status SqliteStore::TouchSession(const std::string& id_hash, TimeUs now, TimeUs expires_at) {
  return WriteStatus([id_hash, now, expires_at](WriteCtx& ctx) -> Status {
    auto n = Changed(ctx.conn,
                     "UPDATE ui_sessions SET last_seen_at = ?, expires_at = ? "
                     "WHERE id_hash = ? AND expires_at > ?",
                     "cannot touch session", now, expires_at, id_hash, now);
    if (!n.ok()) return n.status();
    return *n == 0 ? NotFound("session") : Status::Ok();
  });
}

Status SqliteStore::SetSessionFlash(const std::string& id_hash, const SessionFlash& flash) {
  return WriteStatus([id_hash, flash](WriteCtx& ctx) -> Status {
    auto n =
        Changed(ctx.conn, "UPDATE ui_sessions SET flash = ?, flash_error = ? WHERE id_hash = ?",
                "cannot set the session's message", flash.message, flash.error, id_hash);
    if (!n.ok()) return n.status();
    return *n == 0 ? NotFound("session") : Status::Ok();
  });
}

Result<SessionFlash> SqliteStore::TakeSessionFlash(const std::string& id_hash) {
  return WriteSync<SessionFlash>([id_hash](WriteCtx& ctx) -> Result<SessionFlash> {
    Conn& c = ctx.conn;
    auto s = c.Prepare("SELECT flash, flash_error FROM ui_sessions WHERE id_hash = ?");
    if (!s.ok()) return s.status();
    s->Bind(id_hash);
    auto r = One<SessionFlash>(c, *s, [](const Stmt& row) -> Result<SessionFlash> {
      return SessionFlash{row.Text(0), row.Int(1) != 0};
    });
    if (!r.ok()) return r.status();
    if (!r->has_value()) return NotFound("session");
    if (!(*r)->message.empty()) {
      HERALD_RETURN_IF_ERROR(
          RunStmt(c, "UPDATE ui_sessions SET flash = '', flash_error = 0 WHERE id_hash = ?",
                  "cannot clear the session's message", id_hash));
    }
    return std::move(**r);
  });
}

Status SqliteStore::DeleteSession(const std::string& id_hash) {
  return WriteStatus([id_hash](WriteCtx& ctx) -> Status {
    auto n = Changed(ctx.conn, "DELETE FROM ui_sessions WHERE id_hash = ?", "cannot delete session",
                     id_hash);
    if (!n.ok()) return n.status();
    return *n == 0 ? NotFound("session") : Status::Ok();
  });
}

Result<int64_t> SqliteStore::DeleteTokenSessions(int64_t token_id) {
  return WriteSync<int64_t>([token_id](WriteCtx& ctx) {
    return Changed(ctx.conn, "DELETE FROM ui_sessions WHERE token_id = ?",
                   "cannot delete the token's sessions", token_id);
  });
}

Result<int64_t> SqliteStore::PurgeExpiredSessions(TimeUs now) {
  return WriteSync<int64_t>([now](WriteCtx& ctx) {
    return Changed(ctx.conn, "DELETE FROM ui_sessions WHERE expires_at <= ?",
                   "cannot delete expired sessions", now);
  });
}

Result<int64_t> SqliteStore::CountSessions(int64_t token_id, TimeUs now) {
  return Read([token_id, now](Conn& c) -> Result<int64_t> {
    auto s = c.Prepare(token_id == 0 ? "SELECT count(*) FROM ui_sessions WHERE expires_at > ?"
                                     : "SELECT count(*) FROM ui_sessions WHERE expires_at > ? AND "
                                       "token_id = ?");
    if (!s.ok()) return s.status();
    s->Bind(now);
    if (token_id != 0) s->Bind(token_id);
    if (s->Step() != SQLITE_ROW) return c.Error("cannot count sessions");
    return s->Int(0);
  });
}

// ---- worker heartbeats ----

Status SqliteStore::RegisterWorker(const WorkerInfo& worker) {
  if (worker.name.empty()) return Status(Code::kInvalidArgument, "a worker needs a name");
  std::string queues = sql::StringListJson(worker.queue_names);
  return WriteStatus([worker, queues = std::move(queues)](WriteCtx& ctx) -> Status {
    return RunStmt(ctx.conn, InsertSql("workers", kWorkerCols, "INSERT OR REPLACE"),
                   "cannot register worker", worker.name, worker.host, worker.pid, queues,
                   worker.birth_date, worker.last_heartbeat, worker.state,
                   worker.successful_job_count, worker.failed_job_count, worker.total_working_time);
  });
}

Status SqliteStore::HeartbeatWorker(const WorkerInfo& beat) {
  return WriteStatus([beat](WriteCtx& ctx) -> Status {
    auto n =
        Changed(ctx.conn,
                "UPDATE workers SET state = ?, successful_job_count = ?, "
                "failed_job_count = ?, total_working_time = ?, last_heartbeat = ? "
                "WHERE name = ?",
                "cannot record heartbeat", beat.state, beat.successful_job_count,
                beat.failed_job_count, beat.total_working_time, beat.last_heartbeat, beat.name);
    if (!n.ok()) return n.status();
    return *n == 0 ? NotFound("worker " + beat.name) : Status::Ok();
  });
}

Status SqliteStore::DeregisterWorker(const std::string& name) {
  return WriteStatus([name](WriteCtx& ctx) -> Status {
    auto n =
        Changed(ctx.conn, "DELETE FROM workers WHERE name = ?", "cannot deregister worker", name);
    if (!n.ok()) return n.status();
    return *n == 0 ? NotFound("worker " + name) : Status::Ok();
  });
}

Result<std::vector<WorkerInfo>> SqliteStore::ListWorkers(TimeUs alive_since) {
  return Read([alive_since](Conn& c) -> Result<std::vector<WorkerInfo>> {
    auto s = c.Prepare(std::string("SELECT ") + kWorkerCols +
                       " FROM workers WHERE last_heartbeat >= ? ORDER BY name");
    if (!s.ok()) return s.status();
    s->Bind(alive_since);
    return Collect<WorkerInfo>(c, *s, ReadWorker);
  });
}

Result<int64_t> SqliteStore::PurgeStaleWorkers(TimeUs before) {
  return WriteSync<int64_t>([before](WriteCtx& ctx) {
    return Changed(ctx.conn, "DELETE FROM workers WHERE last_heartbeat < ?",
                   "cannot remove stale workers", before);
  });
}

}  // namespace herald
