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

// InsertSql with "ON CONFLICT(<key>) DO NOTHING": a row whose key exists is skipped.
std::string InsertOrSkipSql(const char* table, const std::string& cols, const char* key = "id") {
  return InsertSql(table, cols) + " ON CONFLICT(" + key + ") DO NOTHING";
}

// Imports each of `items` (records with an id) with `insert`, binding row i with bind(stmt, i);
// `noun` names a row in errors. Returns how many were written.
template <typename T, typename BindFn>
Result<int64_t> ImportEach(Conn& c, const std::vector<T>& items, const std::string& insert,
                           const char* noun, BindFn bind, ImportCounts& n) {
  int64_t written = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].id <= 0) return Invalid(std::string("a ") + noun + " has no id");
    auto s = c.Prepare(insert);
    if (!s.ok()) return s.status();
    bind(*s, i);
    auto w = InsertOrSkip(c, *s, std::string(noun) + " " + std::to_string(items[i].id), n);
    if (!w.ok()) return w.status();
    written += *w ? 1 : 0;
  }
  return written;
}

// Webhooks, rules, tokens and events (the records with ids of their own).
Status ImportRecords(SqliteStore::WriteCtx& ctx, const ImportData& d, const ImportRows& rows,
                     ImportCounts& n) {
  Conn& c = ctx.conn;
  auto webhooks = ImportEach(
      c, d.webhooks, InsertOrSkipSql("webhooks", sql::kWebhookCols), "webhook",
      [&](Stmt& s, size_t i) {
        const Webhook& w = d.webhooks[i];
        s.Bind(w.id);
        sql::BindWebhookBody(s, w);
        s.Bind(w.created).Bind(w.last_updated);
      },
      n);
  if (!webhooks.ok()) return webhooks.status();
  auto rules = ImportEach(
      c, d.rules, InsertOrSkipSql("event_rules", sql::kRuleCols), "event rule",
      [&](Stmt& s, size_t i) {
        const EventRule& r = d.rules[i];
        s.Bind(r.id);
        sql::BindRuleBody(s, r, rows.rules[i]);
        s.Bind(r.created).Bind(r.last_updated);
      },
      n);
  if (!rules.ok()) return rules.status();
  ctx.config_changes += *webhooks + *rules;
  auto tokens = ImportEach(
      c, d.tokens, InsertOrSkipSql("api_tokens", sql::kTokenCols), "token",
      [&](Stmt& s, size_t i) {
        s.Bind(d.tokens[i].id);
        sql::BindTokenBody(s, d.tokens[i]);
      },
      n);
  if (!tokens.ok()) return tokens.status();
  auto events = ImportEach(
      c, d.events, InsertOrSkipSql("events", sql::kEventCols), "event",
      [&](Stmt& s, size_t i) {
        s.Bind(d.events[i].id);
        sql::BindEventBody(s, rows.events[i]);
        s.Bind(rows.events[i].received_at);
      },
      n);
  return events.ok() ? Status::Ok() : events.status();
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
  const std::string task_sql = InsertOrSkipSql("tasks", std::string("seq, ") + sql::kTaskCols);
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
    auto s = c.Prepare(task_sql);
    if (!s.ok()) return s.status();
    const int status = static_cast<int>(t.status);
    sql::BindTaskHead(*s, *seq, t, t.event_id, rows.task_action_data[i]);
    sql::BindAll(*s, status, t.attempts, t.created_at, t.enqueued_at, t.due_at, t.started_at,
                 t.ended_at, t.worker, t.lease_expires, t.result, t.error);
    auto written = InsertOrSkip(c, *s, "task " + t.id, n);
    if (!written.ok()) return written.status();
    ctx.Move(-1, status);
    if (status == kQueued || status == kScheduled) ctx.wake = true;
  }
  return Status::Ok();
}

Status ImportAttempts(Conn& c, const ImportData& d, ImportCounts& n) {
  const std::string attempt_sql = InsertOrSkipSql(
      "attempts", std::string("task_seq, ") + sql::kAttemptCols, "task_seq, number");
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
    auto s = c.Prepare(attempt_sql);
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
    HERALD_RETURN_IF_ERROR(ImportRecords(ctx, data, *rows, n));
    HERALD_RETURN_IF_ERROR(ImportTasks(ctx, data, *rows, n));
    HERALD_RETURN_IF_ERROR(ImportAttempts(ctx.conn, data, n));
    return n;
  });
}

}  // namespace herald
