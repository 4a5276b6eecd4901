// PostgresStore's bulk import (herald store copy): ImportBatch writes the records of another
// store keeping their ids, times and states, in one transaction. Records go in multi-row
// INSERTs; a row whose id the database already has is skipped (ON CONFLICT (id) DO NOTHING;
// attempts on (task_seq, number)), so a batch imported again after an interruption changes
// nothing, while a collision on another unique key (a name, a token hash) is a Conflict that
// rolls the whole batch back. Each task goes to the queue table (queued, started, scheduled) or
// the history (finished, failed) by its status, with the seq (event_id << kPgTaskSeqBits) | the
// next free index of its event, so the tasks of an event keep their given order. The per-status
// counters and the config revision change in the same transaction, and the id sequences move on
// past the imported ids, so rows created later never collide with them.
#include <algorithm>
#include <map>
#include <set>

#include "store/postgres/pg_internal.h"

namespace herald {

namespace {

// The most rows one INSERT takes. Statements hold a power of two of rows (256, 128, ..., 1), so a
// connection caches at most nine statements per table whatever the batch sizes are; 256 task rows
// are 5376 parameters (PostgreSQL takes at most 65535).
constexpr size_t kMaxRowsPerInsert = 256;

constexpr const char* kSkipKnownId = " ON CONFLICT (id) DO NOTHING";

Status Invalid(std::string what) { return Status(Code::kInvalidArgument, std::move(what)); }

// Inserts `n` rows into herald.`table`(`cols`), bind(params, i) binding the columns of row i;
// `tail` follows the VALUES (an ON CONFLICT clause, or ""). Returns the rows written.
template <typename BindFn>
Result<int64_t> InsertRows(Conn& c, const std::string& table, const std::string& cols, size_t n,
                           const char* tail, const char* what, BindFn bind) {
  const int ncols = static_cast<int>(std::count(cols.begin(), cols.end(), ',')) + 1;
  int64_t written = 0;
  for (size_t start = 0; start < n;) {
    size_t rows = kMaxRowsPerInsert;
    while (rows > n - start) rows /= 2;
    std::string sql = "INSERT INTO herald." + table + "(" + cols + ") VALUES ";
    int param = 0;
    for (size_t r = 0; r < rows; ++r) {
      sql += r ? ", (" : "(";
      for (int k = 0; k < ncols; ++k) sql += (k ? ", $" : "$") + std::to_string(++param);
      sql += ")";
    }
    Params p;
    for (size_t i = start; i < start + rows; ++i) bind(p, i);
    auto res = c.Exec(sql + tail, p, what);
    if (!res.ok()) return res.status();
    written += res->changed();
    start += rows;
  }
  return written;
}

// Counts `total` records of which `written` were written and the rest skipped.
void Tally(ImportCounts& n, size_t total, int64_t written) {
  n.imported += written;
  n.skipped += static_cast<int64_t>(total) - written;
}

// kInvalidArgument unless every record of `items` has an id.
template <typename T>
Status CheckIds(const std::vector<T>& items, const char* noun) {
  for (const T& item : items) {
    if (item.id <= 0) return Invalid(std::string("a ") + noun + " has no id");
  }
  return Status::Ok();
}

// A PostgreSQL array literal of `items`, each quoted, for `= ANY($n::text[])`.
std::string TextArray(const std::set<std::string>& items) {
  std::string out = "{";
  for (const std::string& s : items) {
    out += out.size() > 1 ? ",\"" : "\"";
    for (char ch : s) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

std::string IntArray(const std::set<int64_t>& items) {
  std::string out = "{";
  for (int64_t v : items) out += (out.size() > 1 ? "," : "") + std::to_string(v);
  return out + "}";
}

// Moves the id sequence of herald.`table` on to `max_id` unless it is there already (never
// back), so ids taken later follow the imported ones. setval is not undone by a rollback: a
// batch that fails afterwards leaves a gap in the ids, never a collision.
Status AdvanceIdSequence(Conn& c, const std::string& table, int64_t max_id) {
  return c.Run(
      "SELECT setval(s, $2) FROM (SELECT pg_get_serial_sequence($1, 'id')::regclass AS s) q "
      "WHERE $2 > coalesce(pg_sequence_last_value(s), 0)",
      Params().Bind("herald." + table).Bind(max_id), "cannot advance the id sequence");
}

// Imports `items` into `table` (its `cols` start with id), skipping the ids it has, then
// advances its id sequence. Returns the rows written.
template <typename T, typename BindFn>
Result<int64_t> ImportWithIds(Conn& c, const std::string& table, const char* cols,
                              const std::vector<T>& items, ImportCounts& n, BindFn bind) {
  if (items.empty()) return int64_t{0};
  const std::string what = "cannot import " + table;
  auto written = InsertRows(c, table, cols, items.size(), kSkipKnownId, what.c_str(),
                            [&](Params& p, size_t i) {
                              p.Bind(items[i].id);
                              bind(p, i);
                            });
  if (!written.ok()) return written.status();
  Tally(n, items.size(), *written);
  int64_t max_id = 0;
  for (const T& item : items) max_id = std::max(max_id, item.id);
  HERALD_RETURN_IF_ERROR(AdvanceIdSequence(c, table, max_id));
  return *written;
}

// Webhooks, rules, tokens and events (the records with ids of their own).
Status ImportRecords(PostgresStore::WriteCtx& ctx, const ImportData& d, ImportCounts& n) {
  HERALD_RETURN_IF_ERROR(CheckIds(d.webhooks, "webhook"));
  HERALD_RETURN_IF_ERROR(CheckIds(d.rules, "event rule"));
  HERALD_RETURN_IF_ERROR(CheckIds(d.tokens, "token"));
  HERALD_RETURN_IF_ERROR(CheckIds(d.events, "event"));
  Conn& c = ctx.conn;
  auto webhooks =
      ImportWithIds(c, "webhooks", sql::kWebhookCols, d.webhooks, n, [&](Params& p, size_t i) {
        sql::BindWebhookBody(p, d.webhooks[i]);
        p.Bind(d.webhooks[i].created).Bind(d.webhooks[i].last_updated);
      });
  if (!webhooks.ok()) return webhooks.status();
  std::vector<sql::RuleJson> rule_json;
  for (const EventRule& r : d.rules) rule_json.emplace_back(r);
  auto rules =
      ImportWithIds(c, "event_rules", sql::kRuleCols, d.rules, n, [&](Params& p, size_t i) {
        sql::BindRuleBody(p, d.rules[i], rule_json[i]);
        p.Bind(d.rules[i].created).Bind(d.rules[i].last_updated);
      });
  if (!rules.ok()) return rules.status();
  ctx.config_changes += *webhooks + *rules;
  auto tokens = ImportWithIds(c, "api_tokens", sql::kTokenCols, d.tokens, n,
                              [&](Params& p, size_t i) { sql::BindTokenBody(p, d.tokens[i]); });
  if (!tokens.ok()) return tokens.status();
  std::vector<sql::EventRow> event_rows;
  for (const Event& e : d.events) event_rows.emplace_back(Event(e));
  auto events = ImportWithIds(c, "events", sql::kEventCols, d.events, n, [&](Params& p, size_t i) {
    sql::BindEventBody(p, event_rows[i]);
    p.Bind(event_rows[i].received_at);
  });
  return events.ok() ? Status::Ok() : events.status();
}

// A task to insert, with its seq.
struct PlacedTask {
  const Task* task;
  int64_t seq;
  std::optional<std::string> action_data;  // JSON
};

// The tasks of `ids` the database has, with their event.
Result<std::map<std::string, int64_t>> KnownTasks(Conn& c, const std::set<std::string>& ids) {
  auto r = c.Exec("SELECT id, event_id FROM herald.tasks WHERE id = ANY($1::text[])",
                  Params().Bind(TextArray(ids)), "cannot look up tasks");
  if (!r.ok()) return r.status();
  std::map<std::string, int64_t> known;
  for (int i = 0; i < r->rows(); ++i) known.emplace(Row(*r, i).Text(0), Row(*r, i).Int(1));
  return known;
}

// The next free task index of each event of `ids` the database has.
Result<std::map<int64_t, int64_t>> NextTaskIndexes(Conn& c, const std::set<int64_t>& ids) {
  auto r = c.Exec(
      "SELECT e.id, (SELECT max(t.seq) FROM herald.tasks t WHERE t.seq >= (e.id << $2) AND "
      "t.seq < ((e.id + 1) << $2)) FROM herald.events e WHERE e.id = ANY($1::bigint[])",
      Params().Bind(IntArray(ids)).Bind(kPgTaskSeqBits), "cannot look up events");
  if (!r.ok()) return r.status();
  std::map<int64_t, int64_t> next;
  for (int i = 0; i < r->rows(); ++i) {
    Row row(*r, i);
    next[row.Int(0)] =
        row.IsNull(1) ? 0 : (row.Int(1) & static_cast<int64_t>(kPgMaxTasksPerEvent - 1)) + 1;
  }
  return next;
}

// Inserts `tasks` into `table` (herald.task_queue or herald.task_history).
Status InsertTasks(Conn& c, const char* table, const std::vector<PlacedTask>& tasks,
                   ImportCounts& n) {
  auto written = InsertRows(
      c, table, std::string("seq, ") + sql::kTaskCols, tasks.size(), "", "cannot import tasks",
      [&](Params& p, size_t i) {
        const Task& t = *tasks[i].task;
        sql::BindTaskHead(p, tasks[i].seq, t, t.event_id, tasks[i].action_data);
        sql::BindAll(p, static_cast<int>(t.status), t.attempts, t.created_at, t.enqueued_at,
                     t.due_at, t.started_at, t.ended_at, t.worker, t.lease_expires);
        p.BindBytes(t.result).BindBytes(t.error);
      });
  if (!written.ok()) return written.status();
  n.imported += *written;
  return Status::Ok();
}

Status ImportTasks(PostgresStore::WriteCtx& ctx, const ImportData& d, ImportCounts& n) {
  if (d.tasks.empty()) return Status::Ok();
  std::set<std::string> ids;
  std::set<int64_t> event_ids;
  for (const Task& t : d.tasks) {
    if (t.id.empty()) return Invalid("a task has no id");
    const int status = static_cast<int>(t.status);
    if (status < kQueued || status > kFailed) return Invalid("task " + t.id + " has no status");
    ids.insert(t.id);
    event_ids.insert(t.event_id);
  }
  auto known = KnownTasks(ctx.conn, ids);  // then also those placed below
  if (!known.ok()) return known.status();
  auto next = NextTaskIndexes(ctx.conn, event_ids);
  if (!next.ok()) return next.status();
  std::vector<PlacedTask> queue, history;
  for (const Task& t : d.tasks) {
    if (auto k = known->find(t.id); k != known->end()) {
      if (k->second != t.event_id) {
        return Conflict("task " + t.id + " is of event " + std::to_string(k->second) +
                        " in the store, not " + std::to_string(t.event_id));
      }
      ++n.skipped;
      continue;
    }
    auto slot = next->find(t.event_id);
    if (slot == next->end()) {
      return Invalid("task " + t.id + " names event " + std::to_string(t.event_id) +
                     ", which is in neither the batch nor the store");
    }
    if (slot->second >= static_cast<int64_t>(kPgMaxTasksPerEvent)) {
      return Status(Code::kResourceExhausted, "event " + std::to_string(t.event_id) + " has " +
                                                  std::to_string(kPgMaxTasksPerEvent) + " tasks");
    }
    known->emplace(t.id, t.event_id);
    const int status = static_cast<int>(t.status);
    (pg_store::InQueue(status) ? queue : history)
        .push_back(
            {&t, (t.event_id << kPgTaskSeqBits) | slot->second++, sql::JsonOrNull(t.action_data)});
    ctx.Move(-1, status);
    if (status == kQueued || status == kScheduled) ctx.wake = true;
  }
  HERALD_RETURN_IF_ERROR(InsertTasks(ctx.conn, "task_queue", queue, n));
  return InsertTasks(ctx.conn, "task_history", history, n);
}

Status ImportAttempts(Conn& c, const ImportData& d, ImportCounts& n) {
  if (d.attempts.empty()) return Status::Ok();
  std::set<std::string> ids;
  for (const Attempt& a : d.attempts) ids.insert(a.task_id);
  auto r = c.Exec("SELECT id, seq FROM herald.tasks WHERE id = ANY($1::text[])",
                  Params().Bind(TextArray(ids)), "cannot look up tasks");
  if (!r.ok()) return r.status();
  std::map<std::string, int64_t> seqs;
  for (int i = 0; i < r->rows(); ++i) seqs.emplace(Row(*r, i).Text(0), Row(*r, i).Int(1));
  for (const std::string& id : ids) {
    if (seqs.count(id) == 0) {
      return Invalid("an attempt names task " + id +
                     ", which is in neither the batch nor the store");
    }
  }
  auto written = InsertRows(c, "attempts", std::string("task_seq, ") + sql::kAttemptCols,
                            d.attempts.size(), " ON CONFLICT (task_seq, number) DO NOTHING",
                            "cannot import attempts", [&](Params& p, size_t i) {
                              const Attempt& a = d.attempts[i];
                              p.Bind(seqs[a.task_id]).Bind(a.number);
                              pg_store::BindAttemptFields(p, a);
                            });
  if (!written.ok()) return written.status();
  Tally(n, d.attempts.size(), *written);
  return Status::Ok();
}

}  // namespace

Result<ImportCounts> PostgresStore::ImportBatch(const ImportData& data) {
  return Transact<ImportCounts>([&data](WriteCtx& ctx) -> Result<ImportCounts> {
    ImportCounts n;
    HERALD_RETURN_IF_ERROR(ImportRecords(ctx, data, n));
    HERALD_RETURN_IF_ERROR(ImportTasks(ctx, data, n));
    HERALD_RETURN_IF_ERROR(ImportAttempts(ctx.conn, data, n));
    return n;
  });
}

}  // namespace herald
