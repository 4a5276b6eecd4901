// SqliteStore's events: CommitEvents (an event and the tasks its rules produced, committed
// together through the group-commit queue, answered by callback once durable) and event reads.
#include <algorithm>
#include <array>
#include <functional>

#include "store/sqlite/store_internal.h"

namespace herald {

namespace {

// The first commit of `key` when it was recorded at or after `since` (duplicate = true), else an
// empty CommittedEvent.
Result<CommittedEvent> FindKey(Conn& c, const std::string& key, TimeUs since) {
  auto s =
      c.Prepare("SELECT event_id, task_ids FROM ingest_keys WHERE key = ? AND accepted_at >= ?");
  if (!s.ok()) return s.status();
  s->Bind(key).Bind(since);
  CommittedEvent ce;
  int rc = s->Step();
  if (rc == SQLITE_DONE) return ce;
  if (rc != SQLITE_ROW) return c.Error("cannot read ingest keys");
  ce.duplicate = true;
  ce.event_id = s->Int(0);
  ce.task_ids = sql::SplitTaskIds(s->TextView(1));
  return ce;
}

// Records (or renews) `key` as accepted now for the event just inserted.
Status RecordKey(Conn& c, const std::string& key, const CommittedEvent& ce, TimeUs now) {
  const std::string ids = sql::JoinTaskIds(ce.task_ids);
  return RunStmt(
      c, InsertSql("ingest_keys", "key, event_id, task_ids, accepted_at", "INSERT OR REPLACE"),
      "cannot record ingest key", key, ce.event_id, ids, now);
}

// Most task rows one insert statement takes: an event's tasks go in statements of this many
// rows, and one of fewer for the rest.
constexpr size_t kTaskRowsPerInsert = 8;

// "INSERT OR FAIL INTO tasks(...) VALUES (...), ..." with `rows` rows (1..kTaskRowsPerInsert).
// One statement for several rows opens the table and its indexes once. OR FAIL: a failing row
// leaves the rows before it, which is no loss, since a failed op is rolled back whole; unlike
// the default ABORT, it needs no statement journal (copies of the pages the statement changes).
const std::string& InsertTasksSql(size_t rows) {
  static const auto kSql = [] {
    std::array<std::string, kTaskRowsPerInsert> sql;
    const std::string one = InsertSql("tasks", sql::kNewTaskCols, "INSERT OR FAIL");
    const std::string values = one.substr(one.find(" VALUES ") + 8);
    for (size_t n = 0; n < sql.size(); ++n) {
      sql[n] = one;
      for (size_t k = 1; k <= n; ++k) sql[n] += "," + values;
    }
    return sql;
  }();
  return kSql[rows - 1];
}

// CommitEvents' part of the write transaction (writer thread): binds and inserts the events,
// flattened on the caller's thread, and their tasks.
Result<std::vector<CommittedEvent>> InsertEvents(SqliteStore::WriteCtx& ctx,
                                                 const std::vector<sql::FlatEvent>& events) {
  Conn& c = ctx.conn;
  // Made once: the statements are looked up by their text for every commit.
  static const std::string kInsertEvent = [] {
    const std::string cols = sql::kEventCols;
    return InsertSql("events", std::string_view(cols).substr(cols.find(',') + 2));
  }();
  auto ins_event = c.Prepare(kInsertEvent);
  if (!ins_event.ok()) return ins_event.status();
  Stmt& se = *ins_event;
  std::vector<CommittedEvent> result;
  result.reserve(events.size());
  for (const sql::FlatEvent& e : events) {
    if (!e.dedupe_key.empty()) {
      auto seen = FindKey(c, e.dedupe_key, e.dedupe_since);
      if (!seen.ok()) return seen.status();
      if (seen->duplicate) {
        result.push_back(std::move(*seen));
        continue;
      }
    }
    se.Reset();
    sql::BindEventRow(se, e.row, ctx.now);
    if (se.Step() != SQLITE_DONE) return c.Error("cannot insert event");
    CommittedEvent ce;
    ce.event_id = sqlite3_last_insert_rowid(c.db());
    ce.task_ids.reserve(e.tasks.size());
    for (size_t first = 0; first < e.tasks.size(); first += kTaskRowsPerInsert) {
      const size_t rows = std::min(kTaskRowsPerInsert, e.tasks.size() - first);
      auto st = c.Prepare(InsertTasksSql(rows));
      if (!st.ok()) return st.status();
      for (size_t k = first; k < first + rows; ++k) {
        const sql::FlatTask& t = e.tasks[k];
        const int status = sql::BindTaskRow(*st, t, ce.event_id, k, kTaskSeqBits, ctx.now);
        ctx.Move(-1, status);
        if (!t.delayed) ctx.wake = true;
        ce.task_ids.push_back(t.id);
      }
      if (st->Step() != SQLITE_DONE) return c.Error("cannot insert task");
    }
    if (!e.dedupe_key.empty()) HERALD_RETURN_IF_ERROR(RecordKey(c, e.dedupe_key, ce, ctx.now));
    result.push_back(std::move(ce));
  }
  return result;
}

}  // namespace

void SqliteStore::CommitEvents(std::vector<NewEvent> events,
                               std::function<void(Result<std::vector<CommittedEvent>>)> done) {
  sql::SubmitCommit<WriteOp, WriteCtx>(*queue_, std::move(events), kMaxTasksPerEvent, InsertEvents,
                                       std::move(done));
}

Result<int64_t> SqliteStore::PurgeDedupeKeys(TimeUs before, int64_t max) {
  HERALD_RETURN_IF_ERROR(sql::CheckPurgeBatch(max));
  return WriteSync<int64_t>([before, max](WriteCtx& ctx) -> Result<int64_t> {
    return Changed(ctx.conn,
                   "DELETE FROM ingest_keys WHERE key IN (SELECT key FROM ingest_keys WHERE "
                   "accepted_at < ? ORDER BY accepted_at LIMIT ?)",
                   "cannot purge ingest keys", before, max);
  });
}

Result<Event> SqliteStore::GetEvent(int64_t id) {
  return Read([id](Conn& c) {
    return SelectOne<Event>(c,
                            std::string("SELECT ") + sql::kEventCols + " FROM events WHERE id = ?",
                            id, sql::ReadEvent<Stmt>, "event " + std::to_string(id));
  });
}

Result<std::vector<Event>> SqliteStore::ListEvents(const EventFilter& filter) {
  return Read([&filter](Conn& c) -> Result<std::vector<Event>> {
    return SelectPage<Event>(c, std::string("SELECT ") + sql::kEventCols + " FROM events",
                             sql::EventWhere(filter), filter, "id", sql::ReadEvent<Stmt>);
  });
}

}  // namespace herald
