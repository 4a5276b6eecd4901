// PostgresStore's configuration: webhooks, event rules, API tokens. Each change runs in its
// own transaction; the commit bumps the revision counter and NOTIFYs herald_config, so every
// node's ConfigRevision() rises (pg_store.cc).
#include <algorithm>

#include "store/postgres/pg_internal.h"

namespace herald {

namespace {

// Conflict when another row of `table` than `self` (0: a new row) is named `name` (field
// "name"), or when a new row asks for an id (`new_id`, not 0) that `table` already has (field
// "id"). One round trip.
Status CheckFree(Conn& c, const char* table, const char* noun, const std::string& name,
                 int64_t self, int64_t new_id) {
  auto r = c.Exec(std::string("SELECT EXISTS (SELECT 1 FROM herald.") + table +
                      " WHERE name = $1 AND id <> $2), EXISTS (SELECT 1 FROM herald." + table +
                      " WHERE id = $3)",
                  Params().Bind(name).Bind(self).Bind(new_id), "cannot check the name");
  if (!r.ok()) return r.status();
  Row row(*r, 0);
  if (row.Int(0))
    return Status::Conflict("name", std::string(noun) + " with this name already exists.");
  if (new_id != 0 && row.Int(1)) {
    return Status::Conflict(
        "id", std::string(noun) + " with id " + std::to_string(new_id) + " already exists.");
  }
  return Status::Ok();
}

// After a row was inserted with an id of its own: the id sequence continues past it.
Status SyncIdSequence(Conn& c, const char* table) {
  return c.Run(std::string("SELECT setval(pg_get_serial_sequence('herald.") + table +
                   "', 'id'), (SELECT max(id) FROM herald." + table + "))",
               {}, "cannot advance the id sequence");
}

template <typename T>
using ConfigTable = sql::ConfigTable<T, Row>;
constexpr const ConfigTable<Webhook>& kWebhooks = sql::kWebhookTable<Row>;
constexpr const ConfigTable<EventRule>& kRules = sql::kRuleTable<Row>;

template <typename T>
Result<std::vector<T>> ListRows(Conn& c, const ConfigTable<T>& t) {
  return SelectAll<T>(c, sql::ListRowsSql(t, "herald."), {}, t.read);
}

template <typename T>
Result<T> LoadRow(Conn& c, const ConfigTable<T>& t, int64_t id) {
  return SelectOne<T>(c, sql::LoadRowSql(t, "herald."), Params().Bind(id), t.read,
                      t.noun + (" " + std::to_string(id)));
}

// A webhook needs no check beyond its name and id.
Status NoCheck(Conn&, const Webhook&) { return Status::Ok(); }

// Conflict unless the rule's webhook target exists.
Status CheckRuleTarget(Conn& c, const EventRule& r) {
  if (!sql::TargetsWebhook(r) || !r.action_object_id) return Status::Ok();
  auto found = c.Exec("SELECT 1 FROM herald.webhooks WHERE id = $1",
                      Params().Bind(*r.action_object_id), "cannot check the webhook");
  if (!found.ok()) return found.status();
  if (found->rows() == 0) {
    return Status::Conflict(
        "action_object_id",
        "action_object_id " + std::to_string(*r.action_object_id) + " names no webhook.");
  }
  return Status::Ok();
}

// Writes a configuration row: `cols` is its column list (id first, created and last_updated
// last), `bind` binds the columns in between. A new row (update false) gets row.id, or one from
// the sequence when 0; returns the id.
template <typename T, typename BindBody>
Result<int64_t> WriteRow(Conn& c, const char* table, const char* cols, const T& row, bool update,
                         BindBody bind) {
  std::string list = cols;
  const int ncols = static_cast<int>(std::count(list.begin(), list.end(), ',')) + 1;
  Params p;
  std::string sql;
  if (update) {
    list = list.substr(list.find(',') + 2);          // without "id, "
    list = list.substr(0, list.rfind(", created"));  // without "created, last_updated"
    sql = std::string("UPDATE herald.") + table + " SET (" + list + ", last_updated) = (" +
          pg_store::Marks(ncols - 2) + ") WHERE id = ?";
    bind(p);
    p.Bind(row.last_updated).Bind(row.id);
  } else {
    sql = std::string("INSERT INTO herald.") + table + "(" + cols + ") VALUES (" +
          (row.id ? "?, " : "DEFAULT, ") + pg_store::Marks(ncols - 1) + ") RETURNING id";
    if (row.id) p.Bind(row.id);
    bind(p);
    p.Bind(row.created).Bind(row.last_updated);
  }
  auto r = c.Exec(sql, p, update ? "cannot update" : "cannot insert");
  if (!r.ok()) return r.status();
  if (update) return row.id;
  if (row.id) HERALD_RETURN_IF_ERROR(SyncIdSequence(c, table));
  return Row(*r, 0).Int(0);
}

// Creates (update false) or replaces (kNotFound when there is none) row `row` of `t` once its
// name and, for a new row, its id (0: one from the sequence) are free and `check(conn, row)`
// passes. A new row's created time is now; a replaced row keeps its own. Sets last_updated and
// the id. `bind(params, row)` binds the columns between id and created.
template <typename T, typename BindBody, typename Check>
Result<T> SaveRow(PostgresStore::WriteCtx& ctx, const ConfigTable<T>& t, T row, bool update,
                  BindBody bind, Check check) {
  row.created = ctx.now;
  if (update) {
    auto old = LoadRow(ctx.conn, t, row.id);
    if (!old.ok()) return old.status();
    row.created = old->created;
  }
  HERALD_RETURN_IF_ERROR(
      CheckFree(ctx.conn, t.table, t.noun, row.name, update ? row.id : 0, update ? 0 : row.id));
  HERALD_RETURN_IF_ERROR(check(ctx.conn, row));
  row.last_updated = ctx.now;
  auto id = WriteRow(ctx.conn, t.table, t.cols, row, update, [&](Params& p) { bind(p, row); });
  if (!id.ok()) return id.status();
  row.id = *id;
  ++ctx.config_changes;
  return row;
}

void BindWebhook(Params& p, const Webhook& w) { sql::BindWebhookBody(p, w); }

}  // namespace

// ---- webhooks ----

Result<std::vector<Webhook>> PostgresStore::ListWebhooks() {
  return Read([](Conn& c) { return ListRows(c, kWebhooks); });
}

Result<Webhook> PostgresStore::GetWebhook(int64_t id) {
  return Read([id](Conn& c) { return LoadRow(c, kWebhooks, id); });
}

Result<Webhook> PostgresStore::CreateWebhook(Webhook w) {
  return Transact<Webhook>(
      [&w](WriteCtx& ctx) { return SaveRow(ctx, kWebhooks, w, false, BindWebhook, NoCheck); });
}

Result<Webhook> PostgresStore::UpdateWebhook(Webhook w) {
  return Transact<Webhook>(
      [&w](WriteCtx& ctx) { return SaveRow(ctx, kWebhooks, w, true, BindWebhook, NoCheck); });
}

Status PostgresStore::DeleteWebhook(int64_t id) {
  return TransactStatus([id](WriteCtx& ctx) -> Status {
    Conn& c = ctx.conn;
    // The rules that use it, and the webhook itself (locked against a concurrent new user).
    auto r = c.Exec(
        "SELECT (SELECT count(*) FROM herald.webhooks WHERE id = $1), "
        "(SELECT string_agg('''' || name || '''', ', ' ORDER BY name) FROM herald.event_rules "
        "WHERE action_object_id = $1 AND "
        "(action_type = 'webhook' OR action_object_type = 'extras.webhook')), "
        "(SELECT count(*) FROM herald.event_rules WHERE action_object_id = $1 AND "
        "(action_type = 'webhook' OR action_object_type = 'extras.webhook'))",
        Params().Bind(id), "cannot look up the webhook");
    if (!r.ok()) return r.status();
    Row row(*r, 0);
    if (row.Int(0) == 0) return NotFound("webhook " + std::to_string(id));
    if (!row.IsNull(1)) {
      return Conflict("webhook " + std::to_string(id) + " is used by event rule" +
                      (row.Int(2) > 1 ? "s " : " ") + row.Text(1) +
                      "; change or delete those rules first.");
    }
    HERALD_RETURN_IF_ERROR(c.Run("DELETE FROM herald.webhooks WHERE id = $1", Params().Bind(id),
                                 "cannot delete webhook"));
    ++ctx.config_changes;
    return Status::Ok();
  });
}

// ---- event rules ----

Result<std::vector<EventRule>> PostgresStore::ListEventRules() {
  return Read([](Conn& c) { return ListRows(c, kRules); });
}

Result<EventRule> PostgresStore::GetEventRule(int64_t id) {
  return Read([id](Conn& c) { return LoadRow(c, kRules, id); });
}

Result<EventRule> PostgresStore::CreateEventRule(EventRule r) {
  const sql::RuleJson json(r);  // serialised on the caller's thread
  auto bind = [&json](Params& p, const EventRule& rule) { sql::BindRuleBody(p, rule, json); };
  return Transact<EventRule>(
      [&](WriteCtx& ctx) { return SaveRow(ctx, kRules, r, false, bind, CheckRuleTarget); });
}

Result<EventRule> PostgresStore::UpdateEventRule(EventRule r) {
  const sql::RuleJson json(r);  // serialised on the caller's thread
  auto bind = [&json](Params& p, const EventRule& rule) { sql::BindRuleBody(p, rule, json); };
  return Transact<EventRule>(
      [&](WriteCtx& ctx) { return SaveRow(ctx, kRules, r, true, bind, CheckRuleTarget); });
}

Status PostgresStore::DeleteEventRule(int64_t id) {
  return TransactStatus([id](WriteCtx& ctx) -> Status {
    HERALD_RETURN_IF_ERROR(pg_store::ChangeOne(
        ctx.conn, "DELETE FROM herald.event_rules WHERE id = $1", Params().Bind(id),
        "cannot delete event rule", "event rule " + std::to_string(id)));
    ++ctx.config_changes;
    return Status::Ok();
  });
}

// ---- tokens ----

Result<std::vector<ApiToken>> PostgresStore::ListTokens() {
  return Read([](Conn& c) {
    return SelectAll<ApiToken>(
        c, std::string("SELECT ") + sql::kTokenCols + " FROM herald.api_tokens ORDER BY id", {},
        sql::ReadTokenForListing<Row>);
  });
}

Result<ApiToken> PostgresStore::CreateToken(ApiToken t) {
  return Transact<ApiToken>([&t](WriteCtx& ctx) -> Result<ApiToken> {
    t.created = ctx.now;
    auto r = ctx.conn.Exec(
        "INSERT INTO herald.api_tokens(name, key_prefix, key_hash, scope, created, last_used, "
        "revoked) VALUES (?,?,?,?,?,?,?) ON CONFLICT (key_hash) DO NOTHING RETURNING id",
        Params()
            .Bind(t.name)
            .Bind(t.key_prefix)
            .Bind(t.key_hash)
            .Bind(TokenScopeName(t.scope))
            .Bind(t.created)
            .Bind(t.last_used)
            .Bind(t.revoked),
        "cannot insert token");
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return Conflict("a token with this key already exists.");
    t.id = Row(*r, 0).Int(0);
    return t;
  });
}

Status PostgresStore::RevokeToken(int64_t id) {
  return TransactStatus([id](WriteCtx& ctx) -> Status {
    HERALD_RETURN_IF_ERROR(pg_store::ChangeOne(
        ctx.conn, "UPDATE herald.api_tokens SET revoked = 1 WHERE id = $1", Params().Bind(id),
        "cannot revoke token", "token " + std::to_string(id)));
    return ctx.conn.Run("DELETE FROM herald.ui_sessions WHERE token_id = $1", Params().Bind(id),
                        "cannot end the token's sessions");
  });
}

Result<ApiToken> PostgresStore::FindTokenByHash(const std::string& key_hash) {
  return Read([&key_hash](Conn& c) {
    return SelectOne<ApiToken>(c,
                               std::string("SELECT ") + sql::kTokenCols +
                                   " FROM herald.api_tokens WHERE key_hash = $1 AND revoked = 0",
                               Params().Bind(key_hash), sql::ReadToken<Row>, "token");
  });
}

}  // namespace herald
