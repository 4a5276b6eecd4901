// SqliteStore's configuration: webhooks, event rules, API tokens and the config revision that
// tells readers the configuration changed. Names are unique per table; a rule that targets a
// webhook needs it to exist, and a webhook used by a rule cannot be deleted.
#include <chrono>

#include "common/strings.h"
#include "store/sqlite/store_internal.h"

namespace herald {

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

// Conflict when another row of `table` than `self` (none for a new row) is named `name`.
// `noun` names the kind of row in the message ("webhook", "event rule").
Status CheckNameFree(Conn& c, const char* table, const char* noun, const std::string& name,
                     std::optional<int64_t> self) {
  auto taken = IdByName(c, table, name);
  if (!taken.ok()) return taken.status();
  if (taken->has_value() && (!self || **taken != *self)) {
    return Status::Conflict("name", std::string(noun) + " with this name already exists.");
  }
  return Status::Ok();
}

// Conflict when a new row asks for an id (not 0) that `table` already has.
Status CheckIdFree(Conn& c, const char* table, const char* noun, int64_t id) {
  if (id == 0) return Status::Ok();
  auto exists = RowExists(c, table, id);
  if (!exists.ok()) return exists.status();
  if (*exists) {
    return Status::Conflict(
        "id", std::string(noun) + " with id " + std::to_string(id) + " already exists.");
  }
  return Status::Ok();
}

// Runs `sql`, whose one parameter is the id of the row it changes; kNotFound ("<noun> <id>")
// when it changed no row. An error names `what`.
Status RunOnRow(Conn& c, const char* sql, const char* what, const char* noun, int64_t id) {
  auto n = Changed(c, sql, what, id);
  if (!n.ok()) return n.status();
  if (*n == 0) return NotFound(noun + (" " + std::to_string(id)));
  return Status::Ok();
}

// Binds the id of a new row: NULL (SQLite assigns one) when 0.
void BindNewId(Stmt& s, int64_t id) {
  if (id != 0) {
    s.Bind(id);
  } else {
    s.BindNull();
  }
}

template <typename T>
using ConfigTable = sql::ConfigTable<T, Stmt>;
constexpr const ConfigTable<Webhook>& kWebhooks = sql::kWebhookTable<Stmt>;
constexpr const ConfigTable<EventRule>& kRules = sql::kRuleTable<Stmt>;

template <typename T>
Result<std::vector<T>> ListRows(Conn& c, const ConfigTable<T>& t) {
  return SelectAll<T>(c, sql::ListRowsSql(t, ""), t.read);
}

template <typename T>
Result<T> LoadRow(Conn& c, const ConfigTable<T>& t, int64_t id) {
  return SelectOne<T>(c, sql::LoadRowSql(t, ""), id, t.read, t.noun + (" " + std::to_string(id)));
}

// The column names of a k*Cols list ("a, b, c").
std::vector<std::string> ColumnNames(const char* cols) {
  std::vector<std::string> out;
  for (const std::string& name : SplitNonEmpty(cols, ',')) out.emplace_back(TrimBlanks(name));
  return out;
}

// "UPDATE <table> SET <col> = ?, ... WHERE id = ?": every column but id and created, in order
// (last_updated last).
template <typename T>
std::string UpdateSql(const ConfigTable<T>& t) {
  std::string set;
  for (const std::string& col : ColumnNames(t.cols)) {
    if (col == "id" || col == "created") continue;
    set += (set.empty() ? "" : ", ") + col + " = ?";
  }
  return std::string("UPDATE ") + t.table + " SET " + set + " WHERE id = ?";
}

// Inserts `row` into `t` once its name and id (0: SQLite picks one) are free and `check`
// passes; sets its created and last_updated times and its id. `bind_body(stmt, row)` binds the
// columns between id and created.
template <typename T, typename BindBody, typename Check>
Result<T> InsertRow(SqliteStore::WriteCtx& ctx, const ConfigTable<T>& t, T row, BindBody bind_body,
                    Check check) {
  Conn& c = ctx.conn;
  HERALD_RETURN_IF_ERROR(CheckNameFree(c, t.table, t.noun, row.name, std::nullopt));
  HERALD_RETURN_IF_ERROR(CheckIdFree(c, t.table, t.noun, row.id));
  HERALD_RETURN_IF_ERROR(check(c, row));
  row.created = row.last_updated = ctx.now;
  auto s = c.Prepare(InsertSql(t.table, t.cols));
  if (!s.ok()) return s.status();
  BindNewId(*s, row.id);
  bind_body(*s, row);
  s->Bind(row.created).Bind(row.last_updated);
  HERALD_RETURN_IF_ERROR(StepDone(c, *s, (std::string("cannot insert ") + t.noun).c_str()));
  row.id = sqlite3_last_insert_rowid(c.db());
  ++ctx.config_changes;
  return row;
}

// Replaces row `row.id` of `t` (kNotFound when there is none) once its name is free and
// `check` passes; keeps its created time and sets last_updated. `bind_body` as for InsertRow.
template <typename T, typename BindBody, typename Check>
Result<T> UpdateRow(SqliteStore::WriteCtx& ctx, const ConfigTable<T>& t, T row, BindBody bind_body,
                    Check check) {
  Conn& c = ctx.conn;
  auto old = LoadRow(c, t, row.id);
  if (!old.ok()) return old.status();
  HERALD_RETURN_IF_ERROR(CheckNameFree(c, t.table, t.noun, row.name, row.id));
  HERALD_RETURN_IF_ERROR(check(c, row));
  row.created = old->created;
  row.last_updated = ctx.now;
  auto s = c.Prepare(UpdateSql(t));
  if (!s.ok()) return s.status();
  bind_body(*s, row);
  s->Bind(row.last_updated).Bind(row.id);
  HERALD_RETURN_IF_ERROR(StepDone(c, *s, (std::string("cannot update ") + t.noun).c_str()));
  ++ctx.config_changes;
  return row;
}

// A webhook needs no check beyond its name and id.
Status NoCheck(Conn&, const Webhook&) { return Status::Ok(); }

// Conflict unless the rule's webhook target exists.
Status CheckRuleTarget(Conn& c, const EventRule& r) {
  if (!sql::TargetsWebhook(r) || !r.action_object_id) return Status::Ok();
  auto exists = RowExists(c, "webhooks", *r.action_object_id);
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    return Status::Conflict(
        "action_object_id",
        "action_object_id " + std::to_string(*r.action_object_id) + " names no webhook.");
  }
  return Status::Ok();
}

}  // namespace

// ---- config revision ----

int64_t SqliteStore::ConfigRevision() const {
  // This process's own changes bump the counter at commit; changes made by another process
  // sharing the file are picked up from the database at most once a second.
  int64_t now =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_.SteadyNow().time_since_epoch())
          .count();
  int64_t checked = revision_checked_us_.load();
  if (now - checked >= 1000000 && revision_checked_us_.compare_exchange_strong(checked, now)) {
    auto db = const_cast<SqliteStore*>(this)->Read(
        [](Conn& c) { return sqlite_store::ReadConfigRevision(c); });
    if (db.ok()) {
      int64_t cur = config_revision_.load();
      while (*db > cur && !config_revision_.compare_exchange_weak(cur, *db)) {
      }
    }
  }
  return config_revision_.load();
}

// ---- webhooks ----

Result<std::vector<Webhook>> SqliteStore::ListWebhooks() {
  return Read([](Conn& c) { return ListRows(c, kWebhooks); });
}

Result<Webhook> SqliteStore::GetWebhook(int64_t id) {
  return Read([id](Conn& c) { return LoadRow(c, kWebhooks, id); });
}

Result<Webhook> SqliteStore::CreateWebhook(Webhook w) {
  return WriteSync<Webhook>([w = std::move(w)](WriteCtx& ctx) mutable {
    return InsertRow(ctx, kWebhooks, std::move(w), sql::BindWebhookBody<Stmt>, NoCheck);
  });
}

Result<Webhook> SqliteStore::UpdateWebhook(Webhook w) {
  return WriteSync<Webhook>([w = std::move(w)](WriteCtx& ctx) mutable {
    return UpdateRow(ctx, kWebhooks, std::move(w), sql::BindWebhookBody<Stmt>, NoCheck);
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
    HERALD_RETURN_IF_ERROR(
        RunStmt(c, "DELETE FROM webhooks WHERE id = ?", "cannot delete webhook", id));
    ++ctx.config_changes;
    return Status::Ok();
  });
}

// ---- event rules ----

Result<std::vector<EventRule>> SqliteStore::ListEventRules() {
  return Read([](Conn& c) { return ListRows(c, kRules); });
}

Result<EventRule> SqliteStore::GetEventRule(int64_t id) {
  return Read([id](Conn& c) { return LoadRow(c, kRules, id); });
}

Result<EventRule> SqliteStore::CreateEventRule(EventRule r) {
  sql::RuleJson json(r);  // serialised on the caller's thread
  return WriteSync<EventRule>([r = std::move(r), json = std::move(json)](WriteCtx& ctx) mutable {
    auto bind = [&json](Stmt& s, const EventRule& row) { sql::BindRuleBody(s, row, json); };
    return InsertRow(ctx, kRules, std::move(r), bind, CheckRuleTarget);
  });
}

Result<EventRule> SqliteStore::UpdateEventRule(EventRule r) {
  sql::RuleJson json(r);
  return WriteSync<EventRule>([r = std::move(r), json = std::move(json)](WriteCtx& ctx) mutable {
    auto bind = [&json](Stmt& s, const EventRule& row) { sql::BindRuleBody(s, row, json); };
    return UpdateRow(ctx, kRules, std::move(r), bind, CheckRuleTarget);
  });
}

Status SqliteStore::DeleteEventRule(int64_t id) {
  return WriteStatus([id](WriteCtx& ctx) -> Status {
    Conn& c = ctx.conn;
    HERALD_RETURN_IF_ERROR(RunOnRow(c, "DELETE FROM event_rules WHERE id = ?",
                                    "cannot delete event rule", kRules.noun, id));
    ++ctx.config_changes;
    return Status::Ok();
  });
}

// ---- tokens ----

Result<std::vector<ApiToken>> SqliteStore::ListTokens() {
  return Read([](Conn& c) {
    return SelectAll<ApiToken>(
        c, std::string("SELECT ") + sql::kTokenCols + " FROM api_tokens ORDER BY id",
        sql::ReadTokenForListing<Stmt>);
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
    auto s = c.Prepare(InsertSql("api_tokens", sql::kTokenCols));
    if (!s.ok()) return s.status();
    BindNewId(*s, t.id);
    sql::BindTokenBody(*s, t);
    HERALD_RETURN_IF_ERROR(StepDone(c, *s, "cannot insert token"));
    t.id = sqlite3_last_insert_rowid(c.db());
    return t;
  });
}

Status SqliteStore::RevokeToken(int64_t id) {
  return WriteStatus([id](WriteCtx& ctx) -> Status {
    Conn& c = ctx.conn;
    HERALD_RETURN_IF_ERROR(RunOnRow(c, "UPDATE api_tokens SET revoked = 1 WHERE id = ?",
                                    "cannot revoke token", "token", id));
    return RunStmt(c, "DELETE FROM ui_sessions WHERE token_id = ?",
                   "cannot end the token's sessions", id);
  });
}

Result<ApiToken> SqliteStore::FindTokenByHash(const std::string& key_hash) {
  return Read([&key_hash](Conn& c) {
    return SelectOne<ApiToken>(c,
                               std::string("SELECT ") + sql::kTokenCols +
                                   " FROM api_tokens WHERE key_hash = ? AND revoked = 0",
                               key_hash, sql::ReadToken<Stmt>, "token");
  });
}

}  // namespace herald
