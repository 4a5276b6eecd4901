// SqliteStore's tasks: reads (one task, filtered lists, counts, attempts, the attempts-per-minute
// histogram) and state changes (lease and hand-back, recording an attempt, the operator's
// requeue, enqueue, stop and delete, purging finished tasks). Every state change keeps the
// per-status counters through WriteCtx::Move.
#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "store/fair_lease.h"
#include "store/sqlite/store_internal.h"

namespace herald {

// ---- tasks: reads ----

namespace {

using sql::TaskRef;

sql::FoundTask FindTaskRef(Conn& c, const std::string& id) {
  auto s = c.Prepare("SELECT seq, status, worker, attempts, due_at FROM tasks WHERE id = ?");
  if (!s.ok()) return s.status();
  s->Bind(id);
  return One<TaskRef>(c, *s, [](const Stmt& r) -> Result<TaskRef> {
    return TaskRef{r.Int(0), static_cast<int>(r.Int(1)), r.Text(2), static_cast<int>(r.Int(3)),
                   r.Int(4)};
  });
}

// The task `id` when its status is one of `allowed` (sql::TaskIn).
Result<TaskRef> FindTaskIn(Conn& c, const std::string& id, std::initializer_list<int> allowed,
                           const char* only) {
  return sql::TaskIn(FindTaskRef(c, id), id, allowed, only);
}

// Most rows (tasks, attempt records) one multi-row statement of Lease or RecordAttempts
// changes: a power of two; each such statement takes a power of two of them, so at most
// kRowStatementSizes texts of each statement are prepared.
constexpr size_t kMaxRowsPerStatement = 64;
constexpr int kRowStatementSizes = 7;  // 1, 2, 4, ... 64

// The largest power of two <= min(n, kMaxRowsPerStatement), and its log2.
std::pair<size_t, int> ChunkOf(size_t n) {
  size_t k = 1;
  int log = 0;
  while (k * 2 <= n && k * 2 <= kMaxRowsPerStatement) {
    k *= 2;
    ++log;
  }
  return {k, log};
}

// `head` followed by `rows` groups "(?,...)" of `cols` placeholders each, then `tail`.
std::string RowsSql(const std::string& head, size_t rows, size_t cols, const char* tail) {
  std::string group = "(?";
  for (size_t i = 1; i < cols; ++i) group += ",?";
  group += ")";
  std::string out = head;
  for (size_t r = 0; r < rows; ++r) {
    if (r > 0) out += ',';
    out += group;
  }
  return out + tail;
}

// Leases the tasks `seqs` (leasable, distinct) to `worker` until `expires` with one multi-row
// UPDATE per chunk, and returns them in the order of `seqs`. A task whose lease had expired
// counts one more expiry.
Result<std::vector<Task>> LeaseSeqs(Conn& c, const std::vector<int64_t>& seqs,
                                    const std::string& worker, TimeUs now, TimeUs expires) {
  static const std::array<std::string, kRowStatementSizes> kSql = [] {
    std::array<std::string, kRowStatementSizes> out;
    const std::string head =
        "UPDATE tasks SET status = 1, started_at = ?, worker = ?, lease_expires = ?, "
        "lease_expiries = lease_expiries + (status = 1) WHERE seq IN ";
    const std::string tail = std::string(" RETURNING ") + sql::kTaskCols + ", seq";
    for (int i = 0; i < kRowStatementSizes; ++i) {
      out[static_cast<size_t>(i)] = RowsSql(head, 1, size_t{1} << i, tail.c_str());
    }
    return out;
  }();
  // seq comes after the kTaskCols (one more column than commas).
  constexpr int kSeqCol = [] {
    int n = 1;
    for (const char* p = sql::kTaskCols; *p != '\0'; ++p) n += *p == ',';
    return n;
  }();
  std::unordered_map<int64_t, size_t> position;
  position.reserve(seqs.size());
  for (size_t i = 0; i < seqs.size(); ++i) position.emplace(seqs[i], i);
  std::vector<std::optional<Task>> slots(seqs.size());
  for (size_t from = 0; from < seqs.size();) {
    const auto [k, log] = ChunkOf(seqs.size() - from);
    auto upd = c.Prepare(kSql[static_cast<size_t>(log)]);
    if (!upd.ok()) return upd.status();
    upd->Bind(now).Bind(worker).Bind(expires);
    for (size_t i = from; i < from + k; ++i) upd->Bind(seqs[i]);
    int rc;
    while ((rc = upd->Step()) == SQLITE_ROW) {
      auto it = position.find(upd->Int(kSeqCol));
      if (it == position.end() || slots[it->second]) return c.Error("cannot lease task");
      auto t = sql::ReadTask(*upd);
      if (!t.ok()) return t.status();
      slots[it->second] = std::move(*t);
    }
    if (rc != SQLITE_DONE) return c.Error("cannot lease tasks");
    from += k;
  }
  std::vector<Task> out;
  out.reserve(seqs.size());
  for (auto& t : slots) {
    if (!t) return Status(Code::kInternal, "a leasable task was not leased");
    out.push_back(std::move(*t));
  }
  return out;
}

}  // namespace

Result<Task> SqliteStore::GetTask(const std::string& id) {
  return Read([&id](Conn& c) {
    return SelectOne<Task>(c, std::string("SELECT ") + sql::kTaskCols + " FROM tasks WHERE id = ?",
                           id, sql::ReadTask<Stmt>, "task " + id);
  });
}

Result<std::vector<Task>> SqliteStore::ListTasks(const TaskFilter& filter) {
  return Read([&filter](Conn& c) -> Result<std::vector<Task>> {
    // Rowid order is creation order (see the schema), and every single-column index keeps
    // equal keys in rowid order, so this needs no sort.
    return SelectPage<Task>(c, std::string("SELECT ") + sql::kTaskCols + " FROM tasks",
                            sql::TaskWhere(filter, kTaskSeqBits), filter, "seq",
                            sql::ReadTask<Stmt>);
  });
}

Result<int64_t> SqliteStore::CountTasks(const TaskFilter& filter) {
  sql::TaskWhere where(filter, kTaskSeqBits);
  // Answered from the maintained per-status counters.
  if (where.only_status) return sql::CountOf(CountByStatus(), filter.status);
  return Read([&where](Conn& c) -> Result<int64_t> {
    auto s = c.Prepare("SELECT count(*) FROM tasks" + where.sql);
    if (!s.ok()) return s.status();
    where.Bind(*s);
    if (s->Step() != SQLITE_ROW) return c.Error("cannot count tasks");
    return s->Int(0);
  });
}

Result<QueueCounts> SqliteStore::CountByStatus() {
  QueueCounts counts;
  auto st = Read([&counts](Conn& c) -> Result<bool> {
    auto s = c.Prepare("SELECT status, n FROM task_counts");
    if (!s.ok()) return s.status();
    int rc;
    while ((rc = s->Step()) == SQLITE_ROW) {
      int64_t n = s->Int(1);
      switch (s->Int(0)) {
        case kQueued: counts.queued = n; break;
        case kStarted: counts.started = n; break;
        case kScheduled: counts.scheduled = n; break;
        case kFinished: counts.finished = n; break;
        case kFailed: counts.failed = n; break;
        default: break;
      }
    }
    if (rc != SQLITE_DONE) return c.Error("cannot read task counts");
    return true;
  });
  if (!st.ok()) return st.status();
  auto oldest = Read([](Conn& c) -> Result<int64_t> {
    auto s =
        c.Prepare("SELECT min(enqueued_at) FROM tasks INDEXED BY tasks_queued WHERE status = 0");
    if (!s.ok()) return s.status();
    if (s->Step() != SQLITE_ROW) return c.Error("query failed");
    return s->IsNull(0) ? int64_t{0} : s->Int(0);
  });
  if (!oldest.ok()) return oldest.status();
  counts.oldest_queued_at = *oldest;
  return counts;
}

Result<std::vector<Attempt>> SqliteStore::ListAttempts(const std::string& task_id) {
  return Read([&task_id](Conn& c) -> Result<std::vector<Attempt>> {
    auto ref = sql::ExistingTask(FindTaskRef(c, task_id), task_id);
    if (!ref.ok()) return ref.status();
    auto s = c.Prepare(std::string("SELECT ") + sql::kAttemptCols +
                       " FROM attempts WHERE task_seq = ? ORDER BY number");
    if (!s.ok()) return s.status();
    s->Bind(ref->seq);
    return Collect<Attempt>(
        c, *s, [&](const Stmt& r) -> Result<Attempt> { return sql::ReadAttempt(r, task_id); });
  });
}

// Attempts are appended in the order they are recorded, so rowid order is (nearly) started_at
// order: a row is recorded when its request ended, at most one webhook timeout after it started.
// The scan walks rowids down from the newest and stops once it is this far before `since`.
constexpr TimeUs kHistogramOrderSlackUs = 10LL * 60 * 1000000;

Result<AttemptHistogram> SqliteStore::AttemptsPerMinute(TimeUs since, int minutes) {
  auto empty = sql::EmptyHistogram(since, minutes);
  if (!empty.ok()) return empty.status();
  return Read([h = std::move(*empty)](Conn& c) mutable -> Result<AttemptHistogram> {
    const TimeUs since = h.since, end = sql::HistogramEnd(h);
    auto s = c.Prepare(
        "SELECT started_at, status_code, error FROM attempts ORDER BY rowid DESC LIMIT ?");
    if (!s.ok()) return s.status();
    s->Bind(kMaxHistogramScanRows);
    int64_t rows = 0;
    int rc;
    while ((rc = s->Step()) == SQLITE_ROW) {
      ++rows;
      TimeUs at = s->Int(0);
      if (at < since - kHistogramOrderSlackUs) break;
      if (at < since || at >= end) continue;
      size_t bucket = static_cast<size_t>((at - since) / (60 * 1000000));
      int64_t code = s->Int(1);
      bool ok = code >= 200 && code <= 299 && s->Text(2).empty();
      (ok ? h.succeeded : h.failed)[bucket]++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return c.Error("cannot read attempts");
    h.truncated = rows >= kMaxHistogramScanRows;
    return h;
  });
}

// ---- tasks: state changes ----

namespace {

// The three leasable lanes, each a partial index keyed (webhook_id, time it became due), so one
// webhook's oldest due tasks are an ordered range scan, and the webhooks with tasks in a lane are
// found with one seek each (see schema.cc, v7). INDEXED BY: without statistics the planner
// may prefer tasks_webhook and sort.
struct Lane {
  const char* next_webhook;  // the smallest webhook id above ?1 with a task in the lane
  const char* due;           // webhook ?1's due tasks up to ?2 (?3: now), oldest first
  int status;
};
constexpr Lane kLanes[] = {
    {"SELECT webhook_id FROM tasks INDEXED BY tasks_queued_webhook "
     "WHERE status = 0 AND webhook_id > ? ORDER BY webhook_id LIMIT 1",
     "SELECT enqueued_at, seq, lease_expiries FROM tasks INDEXED BY tasks_queued_webhook "
     "WHERE status = 0 AND webhook_id = ?1 ORDER BY enqueued_at, seq LIMIT ?2",
     kQueued},
    {"SELECT webhook_id FROM tasks INDEXED BY tasks_started_webhook "
     "WHERE status = 1 AND webhook_id > ? ORDER BY webhook_id LIMIT 1",
     "SELECT lease_expires, seq, lease_expiries FROM tasks INDEXED BY tasks_started_webhook "
     "WHERE status = 1 AND webhook_id = ?1 AND lease_expires <= ?3 "
     "ORDER BY lease_expires, seq LIMIT ?2",
     kStarted},
    {"SELECT webhook_id FROM tasks INDEXED BY tasks_scheduled_webhook "
     "WHERE status = 2 AND webhook_id > ? ORDER BY webhook_id LIMIT 1",
     "SELECT due_at, seq, lease_expiries FROM tasks INDEXED BY tasks_scheduled_webhook "
     "WHERE status = 2 AND webhook_id = ?1 AND due_at <= ?3 ORDER BY due_at, seq LIMIT ?2",
     kScheduled},
};

// The ids of the webhooks with a task in any lane, ascending, without duplicates.
Result<std::vector<int64_t>> LeasableWebhooks(Conn& c) {
  std::vector<int64_t> ids;
  for (const Lane& lane : kLanes) {
    auto s = c.Prepare(lane.next_webhook);
    if (!s.ok()) return s.status();
    int64_t after = INT64_MIN;
    while (true) {
      s->Reset();
      s->Bind(after);
      const int rc = s->Step();
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return c.Error("cannot list webhooks with due tasks");
      after = s->Int(0);
      ids.push_back(after);
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// sql::FetchDue on SQLite: each webhook's due tasks from every lane.
Status FetchDueTasks(Conn& c, TimeUs now, const std::vector<std::pair<int64_t, int>>& limits,
                     std::vector<sql::LeaseCandidate>* out) {
  for (const Lane& lane : kLanes) {
    auto s = c.Prepare(lane.due);
    if (!s.ok()) return s.status();
    for (const auto& [id, limit] : limits) {
      s->Reset();
      s->Bind(id).Bind(limit);
      if (lane.status != kQueued) s->Bind(now);
      int rc;
      while ((rc = s->Step()) == SQLITE_ROW)
        out->push_back({s->Int(0), s->Int(1), lane.status, s->Int(2), id});
      if (rc != SQLITE_DONE) return c.Error("cannot select due tasks");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<LeaseResult> SqliteStore::Lease(const LeaseRequest& req) {
  if (req.max <= 0) return LeaseResult();
  return WriteSync<LeaseResult>([req](WriteCtx& ctx) -> Result<LeaseResult> {
    Conn& c = ctx.conn;
    const TimeUs now = req.now;
    const int64_t limit = std::max(1, req.max_lease_expiries);
    auto webhooks = LeasableWebhooks(c);
    if (!webhooks.ok()) return webhooks.status();
    auto cands = sql::PlanFairLease(req, *webhooks,
                                    [&c, now](const std::vector<std::pair<int64_t, int>>& limits,
                                              std::vector<sql::LeaseCandidate>* out) {
                                      return FetchDueTasks(c, now, limits, out);
                                    });
    if (!cands.ok()) return cands.status();

    // The worker-stopped rule: the lease expired `limit` times in a row without an attempt.
    auto fail = c.Prepare(std::string("UPDATE tasks SET status = 4, ended_at = ?, worker = '', "
                                      "lease_expires = 0, lease_expiries = ?, error = ? "
                                      "WHERE seq = ? RETURNING ") +
                          sql::kTaskCols);
    if (!fail.ok()) return fail.status();
    LeaseResult out;
    std::vector<int64_t> lease;  // seqs of the candidates to lease, in candidate order
    lease.reserve(cands->size());
    for (const sql::LeaseCandidate& cand : *cands) {
      const int64_t expiries = cand.expiries + (cand.status == kStarted ? 1 : 0);
      if (cand.status != kStarted || expiries < limit) {
        lease.push_back(cand.seq);
        ctx.Move(cand.status, kStarted);
        continue;
      }
      fail->Reset();
      const std::string error = WorkerStoppedError(static_cast<int>(expiries));
      fail->Bind(now).Bind(expiries).Bind(error).Bind(cand.seq);
      if (fail->Step() != SQLITE_ROW) return c.Error("cannot lease task");
      auto t = sql::ReadTask(*fail);
      if (!t.ok()) return t.status();
      if (fail->Step() != SQLITE_DONE) return c.Error("cannot lease task");
      out.failed.push_back({std::move(*t), static_cast<int>(expiries)});
      ctx.Move(cand.status, kFailed);
    }
    auto leased = LeaseSeqs(c, lease, req.worker, now, now + req.lease_us);
    if (!leased.ok()) return leased.status();
    out.leased = std::move(*leased);
    return out;
  });
}

Result<int64_t> SqliteStore::ReleaseLeases(const std::string& worker,
                                           const std::vector<std::string>& task_ids) {
  if (task_ids.empty()) return int64_t{0};
  return WriteSync<int64_t>([worker, task_ids](WriteCtx& ctx) -> Result<int64_t> {
    Conn& c = ctx.conn;
    // A task that has been attempted before, or was created delayed, is due later than it was
    // enqueued: it goes back to scheduled at that due time; others back to queued, keeping
    // enqueued_at (their place in line). started_at stays: when it was last picked up.
    auto upd = c.Prepare(
        "UPDATE tasks SET status = CASE WHEN due_at > enqueued_at THEN 2 ELSE 0 END, "
        "worker = '', lease_expires = 0 WHERE id = ? AND status = 1 AND worker = ? "
        "RETURNING status");
    if (!upd.ok()) return upd.status();
    int64_t n = 0;
    for (const auto& id : task_ids) {
      upd->Reset();
      upd->Bind(id).Bind(worker);
      int rc = upd->Step();
      if (rc == SQLITE_ROW) {
        const int to = static_cast<int>(upd->Int(0));
        if (upd->Step() != SQLITE_DONE) return c.Error("cannot hand back lease");
        ctx.Move(kStarted, to);
        ++n;
      } else if (rc != SQLITE_DONE) {
        return c.Error("cannot hand back lease");
      }
    }
    if (n > 0) ctx.wake = true;
    return n;
  });
}

namespace {

// The body of RecordAttempt for one record alone, run inside the writer's transaction.
Status RecordAlone(SqliteStore::WriteCtx& ctx, const RecordOp& record) {
  const std::string& task_id = record.task_id;
  const std::string& worker = record.worker;
  const AttemptOutcome& o = record.outcome;
  Conn& c = ctx.conn;
  const int next = static_cast<int>(o.next_status);
  auto ref = sql::LeasedTask(FindTaskRef(c, task_id), task_id, worker);
  if (!ref.ok()) return ref.status();
  const TaskRef& t = *ref;
  const Attempt& a = o.attempt;
  const int number = t.attempts + 1;
  auto ins = c.Prepare(InsertSql("attempts", std::string("task_seq, ") + sql::kAttemptCols));
  if (!ins.ok()) return ins.status();
  ins->Bind(t.seq);
  sql::BindAttemptBody(*ins, a, number);
  HERALD_RETURN_IF_ERROR(StepDone(c, *ins, "cannot insert attempt"));
  TimeUs ended = 0;
  if (next != kScheduled) ended = a.started_at > 0 ? a.started_at + a.duration_us : ctx.now;
  auto upd = c.Prepare(
      "UPDATE tasks SET status = ?, attempts = ?, ended_at = ?, due_at = ?, worker = '', "
      "lease_expires = 0, lease_expiries = 0, result = ?, error = ? WHERE seq = ?");
  if (!upd.ok()) return upd.status();
  upd->Bind(next)
      .Bind(number)
      .Bind(ended)
      .Bind(next == kScheduled ? o.due_at : t.due_at)
      .Bind(o.result)
      .Bind(o.error)
      .Bind(t.seq);
  HERALD_RETURN_IF_ERROR(StepDone(c, *upd, "cannot update task"));
  ctx.Move(kStarted, next);
  return Status::Ok();
}

// When the attempt of `o` ended (0 while the task waits for a retry).
TimeUs EndedAt(const AttemptOutcome& o, TimeUs now) {
  if (o.next_status == TaskStatus::kScheduled) return 0;
  return o.attempt.started_at > 0 ? o.attempt.started_at + o.attempt.duration_us : now;
}

// The multi-row statements of RecordAttempts, for 2^i rows at index i.
struct RecordSql {
  std::string update[kRowStatementSizes];
  std::string insert[kRowStatementSizes];
};

const RecordSql& RecordStatements() {
  static const RecordSql sql = [] {
    RecordSql out;
    // One row of v per record; a task matches only while it is leased (started) by that
    // record's worker. RETURNING gives each matched task's seq and its new attempt count (the
    // attempt's number).
    const std::string update_head =
        "WITH v(id, worker, status, ended, due, result, error) AS (VALUES ";
    const char* update_tail =
        ") UPDATE tasks SET status = v.status, attempts = tasks.attempts + 1, "
        "ended_at = v.ended, due_at = coalesce(v.due, tasks.due_at), worker = '', "
        "lease_expires = 0, lease_expiries = 0, result = v.result, error = v.error "
        "FROM v WHERE tasks.id = v.id AND tasks.status = 1 AND tasks.worker = v.worker "
        "RETURNING tasks.id, tasks.seq, tasks.attempts";
    const std::string insert_head =
        std::string("INSERT INTO attempts(task_seq, ") + sql::kAttemptCols + ") VALUES ";
    for (int i = 0; i < kRowStatementSizes; ++i) {
      const size_t rows = size_t{1} << i;
      out.update[i] = RowsSql(update_head, rows, 7, update_tail);
      out.insert[i] = RowsSql(insert_head, rows, 11, "");
    }
    return out;
  }();
  return sql;
}

}  // namespace

namespace sqlite_store {

Status RecordAttempts(SqliteStore::WriteCtx& ctx, std::span<RecordOp* const> records) {
  Conn& c = ctx.conn;
  const RecordSql& statements = RecordStatements();
  struct Matched {
    RecordOp* op;
    int64_t seq;
    int64_t number;
  };
  std::vector<Matched> matched;
  matched.reserve(records.size());
  std::vector<TimeUs> ended(records.size());
  std::vector<bool> found(records.size());
  std::unordered_map<std::string_view, size_t> index;
  for (size_t from = 0; from < records.size();) {
    const auto [k, log] = ChunkOf(records.size() - from);
    auto upd = c.Prepare(statements.update[log]);
    if (!upd.ok()) return upd.status();
    index.clear();
    for (size_t i = from; i < from + k; ++i) {
      const RecordOp& r = *records[i];
      const AttemptOutcome& o = r.outcome;
      ended[i] = EndedAt(o, ctx.now);
      upd->Bind(r.task_id).Bind(r.worker).Bind(static_cast<int>(o.next_status)).Bind(ended[i]);
      if (o.next_status == TaskStatus::kScheduled) {
        upd->Bind(o.due_at);
      } else {
        upd->BindNull();
      }
      upd->Bind(o.result).Bind(o.error);
      index.emplace(r.task_id, i);
    }
    int rc;
    while ((rc = upd->Step()) == SQLITE_ROW) {
      auto it = index.find(upd->TextView(0));
      if (it == index.end() || found[it->second]) return c.Error("unexpected task in update");
      found[it->second] = true;
      matched.push_back({records[it->second], upd->Int(1), upd->Int(2)});
    }
    if (rc != SQLITE_DONE) return c.Error("cannot update tasks");
    from += k;
  }
  for (size_t from = 0; from < matched.size();) {
    const auto [k, log] = ChunkOf(matched.size() - from);
    auto ins = c.Prepare(statements.insert[log]);
    if (!ins.ok()) return ins.status();
    for (size_t i = from; i < from + k; ++i) {
      ins->Bind(matched[i].seq);
      sql::BindAttemptBody(*ins, matched[i].op->outcome.attempt,
                           static_cast<int>(matched[i].number));
    }
    HERALD_RETURN_IF_ERROR(StepDone(c, *ins, "cannot insert attempts"));
    from += k;
  }
  // Every record that matched no task gets the error it would get alone (a Conflict).
  for (size_t i = 0; i < records.size(); ++i) {
    RecordOp& r = *records[i];
    if (found[i]) {
      ctx.Move(kStarted, static_cast<int>(r.outcome.next_status));
      r.SetResult(Status::Ok());
      continue;
    }
    auto ref = sql::LeasedTask(FindTaskRef(c, r.task_id), r.task_id, r.worker);
    if (ref.ok()) return Status(Code::kInternal, "task " + r.task_id + " was not updated");
    if (ref.status().code() != Code::kConflict) return ref.status();
    r.SetResult(ref.status());
  }
  return Status::Ok();
}

}  // namespace sqlite_store

Status SqliteStore::RecordAttempt(const std::string& task_id, const std::string& worker,
                                  AttemptOutcome outcome) {
  return sql::RecordAndWait<WriteOp, WriteCtx>(*queue_, task_id, worker, 0, std::move(outcome),
                                               RecordAlone);
}

void SqliteStore::RecordAttemptAsync(const std::string& task_id, const std::string& worker,
                                     AttemptOutcome outcome, std::function<void(Status)> done) {
  sql::SubmitRecord<WriteOp, WriteCtx>(*queue_, task_id, worker, 0, std::move(outcome), RecordAlone,
                                       std::move(done));
}

namespace {

// Moves the task `t` to queued, due `now`.
Status MakeQueued(SqliteStore::WriteCtx& ctx, const TaskRef& t, TimeUs now) {
  HERALD_RETURN_IF_ERROR(RunStmt(
      ctx.conn,
      "UPDATE tasks SET status = 0, enqueued_at = ?, due_at = ?, ended_at = 0, worker = '', "
      "lease_expires = 0, lease_expiries = 0 WHERE seq = ?",
      "cannot requeue", now, now, t.seq));
  ctx.Move(t.status, kQueued);
  ctx.wake = true;
  return Status::Ok();
}

}  // namespace

Status SqliteStore::Requeue(const std::string& task_id, TimeUs now) {
  return WriteStatus([task_id, now](WriteCtx& ctx) -> Status {
    auto t = FindTaskIn(ctx.conn, task_id, {kFailed, kFinished},
                        "only failed or finished tasks can be requeued.");
    if (!t.ok()) return t.status();
    return MakeQueued(ctx, *t, now);
  });
}

Result<int64_t> SqliteStore::RequeueAllFailed(TimeUs now) {
  return WriteSync<int64_t>([now](WriteCtx& ctx) -> Result<int64_t> {
    auto changed = Changed(
        ctx.conn,
        "UPDATE tasks SET status = 0, enqueued_at = ?, due_at = ?, ended_at = 0, worker = '', "
        "lease_expires = 0, lease_expiries = 0 WHERE status = 4",
        "cannot requeue", now, now);
    if (!changed.ok()) return changed.status();
    const int64_t n = *changed;
    ctx.status_delta[kFailed] -= n;
    ctx.status_delta[kQueued] += n;
    if (n > 0) ctx.wake = true;
    return n;
  });
}

Status SqliteStore::Enqueue(const std::string& task_id, TimeUs now) {
  return WriteStatus([task_id, now](WriteCtx& ctx) -> Status {
    auto t = FindTaskIn(ctx.conn, task_id, {kScheduled}, "only scheduled tasks can be enqueued.");
    if (!t.ok()) return t.status();
    return MakeQueued(ctx, *t, now);
  });
}

Status SqliteStore::Stop(const std::string& task_id, TimeUs now) {
  return WriteStatus([task_id, now](WriteCtx& ctx) -> Status {
    auto t = FindTaskIn(ctx.conn, task_id, {kQueued, kStarted, kScheduled},
                        "only queued, started or scheduled tasks can be stopped.");
    if (!t.ok()) return t.status();
    HERALD_RETURN_IF_ERROR(RunStmt(ctx.conn,
                                   "UPDATE tasks SET status = 4, ended_at = ?, worker = '', "
                                   "lease_expires = 0, error = 'Stopped by an operator.' "
                                   "WHERE seq = ?",
                                   "cannot stop task", now, t->seq));
    ctx.Move(t->status, kFailed);
    return Status::Ok();
  });
}

Status SqliteStore::DeleteTask(const std::string& task_id) {
  return WriteStatus([task_id](WriteCtx& ctx) -> Status {
    auto t = sql::ExistingTask(FindTaskRef(ctx.conn, task_id), task_id);
    if (!t.ok()) return t.status();
    // Its attempts go with it (ON DELETE CASCADE).
    HERALD_RETURN_IF_ERROR(
        RunStmt(ctx.conn, "DELETE FROM tasks WHERE seq = ?", "cannot delete task", t->seq));
    ctx.Move(t->status, -1);
    return Status::Ok();
  });
}

Result<int64_t> SqliteStore::PurgeFinishedBatch(TimeUs before) {
  return WriteSync<int64_t>([before](WriteCtx& ctx) -> Result<int64_t> {
    Conn& c = ctx.conn;
    auto del = c.Prepare(
        "DELETE FROM tasks WHERE seq IN (SELECT seq FROM tasks WHERE status = 3 AND ended_at < ? "
        "LIMIT ?) RETURNING event_id");
    if (!del.ok()) return del.status();
    del->Bind(before).Bind(kPurgeBatchRows);
    int64_t n = 0;
    std::vector<int64_t> events;
    int rc;
    while ((rc = del->Step()) == SQLITE_ROW) {
      ++n;
      int64_t eid = del->Int(0);
      if (events.empty() || events.back() != eid) events.push_back(eid);
    }
    if (rc != SQLITE_DONE) return c.Error("cannot purge tasks");
    std::sort(events.begin(), events.end());
    events.erase(std::unique(events.begin(), events.end()), events.end());
    // An event whose last task went is deleted with it (its payload is only needed to render).
    auto orphan = c.Prepare(
        "DELETE FROM events WHERE id = ? AND NOT EXISTS "
        "(SELECT 1 FROM tasks WHERE seq >= ? AND seq < ?)");
    if (!orphan.ok()) return orphan.status();
    for (int64_t eid : events) {
      orphan->Reset();
      orphan->Bind(eid).Bind(eid << kTaskSeqBits).Bind((eid + 1) << kTaskSeqBits);
      HERALD_RETURN_IF_ERROR(StepDone(c, *orphan, "cannot purge events"));
    }
    ctx.status_delta[kFinished] -= n;
    return n;
  });
}

}  // namespace herald
