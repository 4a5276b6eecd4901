// SqliteStore's bulk import (herald store copy): ImportBatch writes the records of another store
// keeping their ids, times and states, in one write transaction, skipping the ids the file
// already has (INSERT ... ON CONFLICT DO NOTHING on the id), so a batch re-imported after an
// interruption changes nothing. A task's seq is recomputed here: (event_id << kTaskSeqBits) |
// the next free index of its event, which keeps the tasks of an event in their given order.
#include <map>

#include "store/sqlite/store_internal.h"

namespace herald {

namespace {

// The JSON forms of an ImportData's Value fields, made on the caller's thread.
struct ImportRows {
  std::vector<sql::RuleJson> rules;
  std::vector<sql::EventRow> events;
  std::vector<std::optional<std::string>> task_action_data;

  explicit ImportRows(const ImportData& d) {
    for (const auto& r : d.rules) rules.emplace_back(r);
    for (const auto& e : d.events) events.emplace_back(Event(e));
    for (const auto& t : d.tasks) task_action_data.push_back(sql::JsonOrNull(t.action_data));
  }
};

Status Invalid(std::string what) { return Status(Code::kInvalidArgument, std::move(what)); }

// Steps an INSERT ... ON CONFLICT(<id>) DO NOTHING, counting the row imported or skipped; a
// collision on another unique key is a Conflict naming `what`. Returns whether it was written.
Result<bool> InsertOrSkip(Conn& c, Stmt& s, const std::string& what, ImportCounts& n) {
  int rc = s.Step();
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    return Conflict(what + " collides with a different record in the store (" +
                    sqlite3_errmsg(c.db()) + ")");
  }
  if (rc != SQLITE_DONE) return c.Error(("cannot import " + what).c_str());
  const bool written = sqlite3_changes(c.db()) > 0;
  ++(written ? n.imported : n.skipped);
  return written;
}

// Prepares `sql` for the next row (the statement is reused across rows).
Result<Stmt> Next(Conn& c, const std::string& sql) {
  auto s = c.Prepare(sql);
  if (s.ok()) s->Reset();
  return s;
}

std::string Placeholders(int n) {
  std::string out = "?";
  for (int i = 1; i < n; ++i) out += ",?";
  return out;
}

Status ImportConfig(SqliteStore::WriteCtx& ctx, const ImportData& d, const ImportRows& rows,
                    ImportCounts& n) {
  Conn& c = ctx.conn;
  const std::string webhook_sql = std::string("INSERT INTO webhooks(") + sql::kWebhookCols +
                                  ") VALUES (" + Placeholders(17) + ") ON CONFLICT(id) DO NOTHING";
  for (const Webhook& w : d.webhooks) {
    if (w.id <= 0) return Invalid("webhook '" + w.name + "' has no id");
    auto s = Next(c, webhook_sql);
    if (!s.ok()) return s.status();
    s->Bind(w.id);
    sql::BindWebhookBody(*s, w);
    s->Bind(w.created).Bind(w.last_updated);
    auto written = InsertOrSkip(c, *s, "webhook " + std::to_string(w.id), n);
    if (!written.ok()) return written.status();
    ctx.config_changes += *written ? 1 : 0;
  }
  const std::string rule_sql = std::string("INSERT INTO event_rules(") + sql::kRuleCols +
                               ") VALUES (" + Placeholders(14) + ") ON CONFLICT(id) DO NOTHING";
  for (size_t i = 0; i < d.rules.size(); ++i) {
    const EventRule& r = d.rules[i];
    if (r.id <= 0) return Invalid("event rule '" + r.name + "' has no id");
    auto s = Next(c, rule_sql);
    if (!s.ok()) return s.status();
    s->Bind(r.id);
    sql::BindRuleBody(*s, r, rows.rules[i]);
    s->Bind(r.created).Bind(r.last_updated);
    auto written = InsertOrSkip(c, *s, "event rule " + std::to_string(r.id), n);
    if (!written.ok()) return written.status();
    ctx.config_changes += *written ? 1 : 0;
  }
  const std::string token_sql = std::string("INSERT INTO api_tokens(") + sql::kTokenCols +
                                ") VALUES (" + Placeholders(8) + ") ON CONFLICT(id) DO NOTHING";
  for (const ApiToken& t : d.tokens) {
    if (t.id <= 0 || t.key_hash.empty()) return Invalid("token '" + t.name + "' has no id or hash");
    auto s = Next(c, token_sql);
    if (!s.ok()) return s.status();
    s->Bind(t.id);
    sql::BindTokenBody(*s, t);
    auto written = InsertOrSkip(c, *s, "token " + std::to_string(t.id), n);
    if (!written.ok()) return written.status();
  }
  return Status::Ok();
}

Status ImportEvents(Conn& c, const ImportData& d, const ImportRows& rows, ImportCounts& n) {
  const std::string event_sql = std::string("INSERT INTO events(") + sql::kEventCols +
                                ") VALUES (" + Placeholders(13) + ") ON CONFLICT(id) DO NOTHING";
  for (size_t i = 0; i < d.events.size(); ++i) {
    if (d.events[i].id <= 0) return Invalid("an event has no id");
    auto s = Next(c, event_sql);
    if (!s.ok()) return s.status();
    s->Bind(d.events[i].id);
    sql::BindEventBody(*s, rows.events[i]);
    s->Bind(rows.events[i].received_at);
    auto written = InsertOrSkip(c, *s, "event " + std::to_string(d.events[i].id), n);
    if (!written.ok()) return written.status();
  }
  return Status::Ok();
}

// The next free task index of each event seen, from the file (the event must exist).
class TaskSlots {
 public:
  explicit TaskSlots(Conn& c) : c_(c) {}
  Result<int64_t> NextSeq(int64_t event_id, const std::string& task_id) {
    auto it = next_.find(event_id);
    if (it == next_.end()) {
      auto exists = c_.Prepare("SELECT 1 FROM events WHERE id = ?");
      if (!exists.ok()) return exists.status();
      exists->Bind(event_id);
      int rc = exists->Step();
      if (rc == SQLITE_DONE) {
        return Invalid("task " + task_id + " names event " + std::to_string(event_id) +
                       ", which is in neither the batch nor the store");
      }
      if (rc != SQLITE_ROW) return c_.Error("query failed");
      auto max = c_.Prepare("SELECT max(seq) FROM tasks WHERE seq >= ? AND seq < ?");
      if (!max.ok()) return max.status();
      max->Bind(event_id << kTaskSeqBits).Bind((event_id + 1) << kTaskSeqBits);
      if (max->Step() != SQLITE_ROW) return c_.Error("query failed");
      const int64_t next = max->IsNull(0) ? 0 : (max->Int(0) & (kMaxTasksPerEvent - 1)) + 1;
      it = next_.emplace(event_id, next).first;
    }
    if (it->second >= static_cast<int64_t>(kMaxTasksPerEvent)) {
      return Status(Code::kResourceExhausted, "event " + std::to_string(event_id) + " has " +
                                                  std::to_string(kMaxTasksPerEvent) + " tasks");
    }
    return (event_id << kTaskSeqBits) | it->second++;
  }

 private:
  Conn& c_;
  std::map<int64_t, int64_t> next_;
};

Status ImportTasks(SqliteStore::WriteCtx& ctx, const ImportData& d, const ImportRows& rows,
                   ImportCounts& n) {
  Conn& c = ctx.conn;
  TaskSlots slots(c);
  const std::string task_sql = std::string("INSERT INTO tasks(seq, ") + sql::kTaskCols +
                               ") VALUES (" + Placeholders(21) + ")";
  for (size_t i = 0; i < d.tasks.size(); ++i) {
    const Task& t = d.tasks[i];
    if (t.id.empty()) return Invalid("a task has no id");
    auto have = c.Prepare("SELECT event_id FROM tasks WHERE id = ?");
    if (!have.ok()) return have.status();
    have->Bind(t.id);
    auto event = One<int64_t>(c, *have, [](const Stmt& r) -> Result<int64_t> { return r.Int(0); });
    if (!event.ok()) return event.status();
    if (event->has_value()) {
      if (**event != t.event_id) {
        return Conflict("task " + t.id + " is of event " + std::to_string(**event) +
                        " in the store, not " + std::to_string(t.event_id));
      }
      ++n.skipped;
      continue;
    }
    auto seq = slots.NextSeq(t.event_id, t.id);
    if (!seq.ok()) return seq.status();
    auto s = Next(c, task_sql);
    if (!s.ok()) return s.status();
    const int status = static_cast<int>(t.status);
    s->Bind(*seq)
        .Bind(t.id)
        .Bind(t.event_id)
        .Bind(t.rule_id)
        .Bind(t.webhook_id)
        .Bind(t.rule_name)
        .Bind(t.webhook_name)
        .Bind(t.object_type)
        .Bind(t.event_type)
        .Bind(rows.task_action_data[i])
        .Bind(status)
        .Bind(t.attempts)
        .Bind(t.created_at)
        .Bind(t.enqueued_at)
        .Bind(t.due_at)
        .Bind(t.started_at)
        .Bind(t.ended_at)
        .Bind(t.worker)
        .Bind(t.lease_expires)
        .Bind(t.result)
        .Bind(t.error);
    auto written = InsertOrSkip(c, *s, "task " + t.id, n);
    if (!written.ok()) return written.status();
    ctx.Move(-1, status);
    if (status == kQueued || status == kScheduled) ctx.wake = true;
  }
  return Status::Ok();
}

Status ImportAttempts(Conn& c, const ImportData& d, ImportCounts& n) {
  const std::string attempt_sql = std::string("INSERT INTO attempts(task_seq, ") +
                                  sql::kAttemptCols + ") VALUES (" + Placeholders(11) +
                                  ") ON CONFLICT(task_seq, number) DO NOTHING";
  std::map<std::string, int64_t> seqs;
  for (const Attempt& a : d.attempts) {
    auto it = seqs.find(a.task_id);
    if (it == seqs.end()) {
      auto q = c.Prepare("SELECT seq FROM tasks WHERE id = ?");
      if (!q.ok()) return q.status();
      q->Bind(a.task_id);
      auto seq = One<int64_t>(c, *q, [](const Stmt& r) -> Result<int64_t> { return r.Int(0); });
      if (!seq.ok()) return seq.status();
      if (!seq->has_value()) {
        return Invalid("an attempt names task " + a.task_id +
                       ", which is in neither the batch nor the store");
      }
      it = seqs.emplace(a.task_id, **seq).first;
    }
    auto s = Next(c, attempt_sql);
    if (!s.ok()) return s.status();
    s->Bind(it->second);
    sql::BindAttemptBody(*s, a, a.number);
    auto written =
        InsertOrSkip(c, *s, "attempt " + std::to_string(a.number) + " of task " + a.task_id, n);
    if (!written.ok()) return written.status();
  }
  return Status::Ok();
}

}  // namespace

Result<ImportCounts> SqliteStore::ImportBatch(const ImportData& data) {
  auto rows = std::make_shared<ImportRows>(data);  // JSON made on the caller's thread
  return WriteSync<ImportCounts>([&data, rows](WriteCtx& ctx) -> Result<ImportCounts> {
    ImportCounts n;
    HERALD_RETURN_IF_ERROR(ImportConfig(ctx, data, *rows, n));
    HERALD_RETURN_IF_ERROR(ImportEvents(ctx.conn, data, *rows, n));
    HERALD_RETURN_IF_ERROR(ImportTasks(ctx, data, *rows, n));
    HERALD_RETURN_IF_ERROR(ImportAttempts(ctx.conn, data, n));
    return n;
  });
}

}  // namespace herald
