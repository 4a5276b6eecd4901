// PostgresStore's task reads (one task, filtered lists, counts, attempts, the attempts-per-minute
// histogram) and the operator's actions (requeue, enqueue, stop, delete, purge). A task lives in
// the queue table while queued, started or scheduled and in the history once finished or failed;
// an action that crosses moves the row in the same statement (pg_store::MoveTaskSql). Reads go
// through the `herald.tasks` view of both.
#include <algorithm>
#include <initializer_list>

#include "store/postgres/pg_internal.h"
#include "store/postgres/pg_tasks.h"

namespace herald {

namespace pg_store {

sql::FoundTask FindTaskRef(Conn& c, const std::string& id) {
  for (const char* table : {"herald.task_queue", "herald.task_history"}) {
    auto r = c.Exec(std::string("SELECT seq, status, worker, attempts, due_at, lease_token FROM ") +
                        table + " WHERE id = $1 FOR UPDATE",
                    Params().Bind(id), "cannot find task");
    if (!r.ok()) return r.status();
    if (r->rows() > 0) {
      Row row(*r, 0);
      return std::optional<sql::TaskRef>(sql::TaskRef{row.Int(0), static_cast<int>(row.Int(1)),
                                                      row.Text(2), static_cast<int>(row.Int(3)),
                                                      row.Int(4), row.Int(5)});
    }
  }
  return std::optional<sql::TaskRef>();
}

}  // namespace pg_store

namespace {

using pg_store::FindTaskRef;
using pg_store::MoveTaskSql;
using sql::TaskRef;

// The task `id` (locked) when its status is one of `allowed` (sql::TaskIn).
Result<TaskRef> FindTaskIn(Conn& c, const std::string& id, std::initializer_list<int> allowed,
                           const char* only) {
  return sql::TaskIn(FindTaskRef(c, id), id, allowed, only);
}

// The columns a task back in the queue gets (due $2).
constexpr std::initializer_list<pg_store::SetCol> kRequeued = {
    {"status", "0"},          {"enqueued_at", "$2::bigint"},
    {"due_at", "$2::bigint"}, {"ended_at", "0"},
    {"worker", "''"},         {"lease_expires", "0"},
    {"lease_expiries", "0"},  {"lease_token", "0"}};

}  // namespace

// ---- reads ----

Result<Task> PostgresStore::GetTask(const std::string& id) {
  return Read([&id](Conn& c) {
    return SelectOne<Task>(
        c, std::string("SELECT ") + sql::kTaskCols + " FROM herald.tasks WHERE id = $1",
        Params().Bind(id), sql::ReadTask<Row>, "task " + id);
  });
}

Result<std::vector<Task>> PostgresStore::ListTasks(const TaskFilter& filter) {
  return Read([&filter](Conn& c) -> Result<std::vector<Task>> {
    return SelectPage<Task>(c, std::string("SELECT ") + sql::kTaskCols + " FROM herald.tasks",
                            sql::TaskWhere(filter, kPgTaskSeqBits), filter, "seq",
                            sql::ReadTask<Row>);
  });
}

Result<int64_t> PostgresStore::CountTasks(const TaskFilter& filter) {
  sql::TaskWhere where(filter, kPgTaskSeqBits);
  // Answered from the maintained per-status counters, never a scan of the history.
  if (where.only_status) return sql::CountOf(CountByStatus(), filter.status);
  return Read([&where](Conn& c) {
    Params p;
    where.Bind(p);
    return pg_store::SelectInt(c, "SELECT count(*) FROM herald.tasks" + where.sql, p,
                               "cannot count tasks");
  });
}

Result<QueueCounts> PostgresStore::CountByStatus() {
  return Read([](Conn& c) -> Result<QueueCounts> {
    auto r = c.Exec(
        "SELECT status, sum(n)::bigint, (SELECT coalesce(min(enqueued_at), 0) FROM "
        "herald.task_queue WHERE status = 0) FROM herald.task_counts GROUP BY status",
        {}, "cannot read task counts");
    if (!r.ok()) return r.status();
    QueueCounts counts;
    int64_t* slots[] = {&counts.queued, &counts.started, &counts.scheduled, &counts.finished,
                        &counts.failed};
    for (int i = 0; i < r->rows(); ++i) {
      Row row(*r, i);
      const int64_t status = row.Int(0);
      if (status >= 0 && status < sql::kStatusCount) *slots[status] = row.Int(1);
      counts.oldest_queued_at = row.Int(2);
    }
    return counts;
  });
}

Result<std::vector<Attempt>> PostgresStore::ListAttempts(const std::string& task_id) {
  return Read([&task_id](Conn& c) -> Result<std::vector<Attempt>> {
    auto seq = c.Exec("SELECT seq FROM herald.tasks WHERE id = $1", Params().Bind(task_id),
                      "cannot find task");
    if (!seq.ok()) return seq.status();
    if (seq->rows() == 0) return NotFound("task " + task_id);
    return SelectAll<Attempt>(
        c,
        std::string("SELECT ") + sql::kAttemptCols +
            " FROM herald.attempts WHERE task_seq = $1 ORDER BY number",
        Params().Bind(Row(*seq, 0).Int(0)),
        [&task_id](const Row& r) -> Result<Attempt> { return sql::ReadAttempt(r, task_id); });
  });
}

Result<AttemptHistogram> PostgresStore::AttemptsPerMinute(TimeUs since, int minutes) {
  auto empty = sql::EmptyHistogram(since, minutes);
  if (!empty.ok()) return empty.status();
  return Read([h = std::move(*empty)](Conn& c) mutable -> Result<AttemptHistogram> {
    const TimeUs since = h.since, end = sql::HistogramEnd(h);
    // The newest kMaxHistogramScanRows attempts of the window (index on started_at), bucketed.
    auto r = c.Exec(
        "WITH w AS (SELECT started_at, status_code, error FROM herald.attempts "
        "WHERE started_at >= $1 AND started_at < $2 ORDER BY started_at DESC LIMIT $3) "
        "SELECT (started_at - $1) / 60000000, "
        "count(*) FILTER (WHERE status_code BETWEEN 200 AND 299 AND error = ''::bytea), "
        "count(*) FILTER (WHERE NOT (status_code BETWEEN 200 AND 299 AND error = ''::bytea)), "
        "(SELECT count(*) FROM w) FROM w GROUP BY 1",
        Params().Bind(since).Bind(end).Bind(kMaxHistogramScanRows), "cannot read attempts");
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->rows(); ++i) {
      Row row(*r, i);
      const int64_t bucket = row.Int(0);
      if (bucket < 0 || bucket >= static_cast<int64_t>(h.succeeded.size())) continue;
      h.succeeded[static_cast<size_t>(bucket)] += row.Int(1);
      h.failed[static_cast<size_t>(bucket)] += row.Int(2);
      h.truncated = row.Int(3) >= kMaxHistogramScanRows;
    }
    return h;
  });
}

// ---- operator actions ----

Status PostgresStore::Requeue(const std::string& task_id, TimeUs now) {
  return TransactStatus([&](WriteCtx& ctx) -> Status {
    auto t = FindTaskIn(ctx.conn, task_id, {kFailed, kFinished},
                        "only failed or finished tasks can be requeued.");
    if (!t.ok()) return t.status();
    HERALD_RETURN_IF_ERROR(ctx.conn.Run(
        MoveTaskSql("herald.task_history", "herald.task_queue", "seq = $1", kRequeued, "seq"),
        Params().Bind(t->seq).Bind(ctx.Judge(now)), "cannot requeue"));
    ctx.Move(t->status, kQueued);
    ctx.wake = true;
    return Status::Ok();
  });
}

Result<int64_t> PostgresStore::RequeueAllFailed(TimeUs now) {
  return Transact<int64_t>([&](WriteCtx& ctx) -> Result<int64_t> {
    auto r = ctx.conn.Exec(
        MoveTaskSql("herald.task_history", "herald.task_queue", "status = $1", kRequeued, "seq"),
        Params().Bind(kFailed).Bind(ctx.Judge(now)), "cannot requeue");
    if (!r.ok()) return r.status();
    const int64_t n = r->rows();
    ctx.status_delta[kFailed] -= n;
    ctx.status_delta[kQueued] += n;
    if (n > 0) ctx.wake = true;
    return n;
  });
}

Status PostgresStore::Enqueue(const std::string& task_id, TimeUs now) {
  return TransactStatus([&](WriteCtx& ctx) -> Status {
    auto t = FindTaskIn(ctx.conn, task_id, {kScheduled}, "only scheduled tasks can be enqueued.");
    if (!t.ok()) return t.status();
    const TimeUs at = ctx.Judge(now);
    HERALD_RETURN_IF_ERROR(
        ctx.conn.Run("UPDATE herald.task_queue SET status = 0, enqueued_at = $2, due_at = $2, "
                     "ended_at = 0, worker = '', lease_expires = 0, lease_expiries = 0 "
                     "WHERE seq = $1",
                     Params().Bind(t->seq).Bind(at), "cannot enqueue"));
    ctx.Move(kScheduled, kQueued);
    ctx.wake = true;
    return Status::Ok();
  });
}

Status PostgresStore::Stop(const std::string& task_id, TimeUs now) {
  return TransactStatus([&](WriteCtx& ctx) -> Status {
    auto t = FindTaskIn(ctx.conn, task_id, {kQueued, kStarted, kScheduled},
                        "only queued, started or scheduled tasks can be stopped.");
    if (!t.ok()) return t.status();
    HERALD_RETURN_IF_ERROR(
        ctx.conn.Run(MoveTaskSql("herald.task_queue", "herald.task_history", "seq = $1",
                                 {{"status", "4"},
                                  {"ended_at", "$2::bigint"},
                                  {"worker", "''"},
                                  {"lease_expires", "0"},
                                  {"error", "'Stopped by an operator.'::bytea"}},
                                 "seq"),
                     Params().Bind(t->seq).Bind(ctx.Judge(now)), "cannot stop task"));
    ctx.Move(t->status, kFailed);
    return Status::Ok();
  });
}

Status PostgresStore::DeleteTask(const std::string& task_id) {
  return TransactStatus([&](WriteCtx& ctx) -> Status {
    auto t = sql::ExistingTask(FindTaskRef(ctx.conn, task_id), task_id);
    if (!t.ok()) return t.status();
    const TaskRef& ref = *t;
    HERALD_RETURN_IF_ERROR(ctx.conn.Run(
        std::string("WITH a AS (DELETE FROM herald.attempts WHERE task_seq = $1) DELETE FROM ") +
            pg_store::TableOf(ref.status) + " WHERE seq = $1",
        Params().Bind(ref.seq), "cannot delete task"));
    ctx.Move(ref.status, -1);
    return Status::Ok();
  });
}

Result<int64_t> PostgresStore::PurgeFinishedBatch(TimeUs before) {
  return Transact<int64_t>([before](WriteCtx& ctx) -> Result<int64_t> {
    // The tasks, their attempts, and each event whose last task went (its payload is only
    // needed to render). The statement's parts see one snapshot, so the purged rows are
    // excluded from the "other tasks" check explicitly.
    auto n = pg_store::SelectInt(
        ctx.conn,
        "WITH d AS (DELETE FROM herald.task_history WHERE seq IN (SELECT seq FROM "
        "herald.task_history WHERE status = 3 AND ended_at < $1 LIMIT $3) RETURNING seq, "
        "event_id), "
        "a AS (DELETE FROM herald.attempts WHERE task_seq IN (SELECT seq FROM d)), "
        "e AS (DELETE FROM herald.events ev WHERE ev.id IN (SELECT event_id FROM d) AND NOT "
        "EXISTS (SELECT 1 FROM herald.tasks t WHERE t.seq >= (ev.id << $2) AND "
        "t.seq < ((ev.id + 1) << $2) AND t.seq NOT IN (SELECT seq FROM d))) "
        "SELECT count(*) FROM d",
        Params().Bind(before).Bind(kPgTaskSeqBits).Bind(kPurgeBatchRows), "cannot purge tasks");
    if (n.ok()) ctx.status_delta[kFinished] -= *n;
    return n;
  });
}

}  // namespace herald
