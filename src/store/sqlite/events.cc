// SqliteStore's events: CommitEvents (an event and the tasks its rules produced, committed
// together through the group-commit queue, answered by callback once durable) and event reads.
#include <functional>

#include "store/sqlite/store_internal.h"

namespace herald {

namespace {

// CommitEvents' unit of work. The constructor runs on the caller's thread: it serialises the
// Value fields to JSON, generates task ids and moves the strings it needs into flat records,
// so the caller's Value trees are freed there too; Run (writer thread) only binds and inserts.
class CommitOp final : public SqliteStore::WriteOp {
 public:
  using Done = std::function<void(Result<std::vector<CommittedEvent>>)>;

  using FlatTask = sql::FlatTask;
  struct FlatEvent {
    sql::EventRow row;
    std::vector<FlatTask> tasks;
    std::string dedupe_key;
    TimeUs dedupe_since = 0;
  };

  CommitOp(std::vector<NewEvent> events, Done done) : done_(std::move(done)) {
    events_.reserve(events.size());
    for (NewEvent& ne : events) {
      Event& e = ne.event;
      std::vector<FlatTask> tasks = sql::FlattenTasks(e, ne.tasks);
      events_.push_back(FlatEvent{sql::EventRow(std::move(e)), std::move(tasks),
                                  std::move(ne.dedupe_key), ne.dedupe_since});
    }
  }

  Status Run(SqliteStore::WriteCtx& ctx) override {
    Conn& c = ctx.conn;
    auto ins_event = c.Prepare(
        InsertSql("events",
                  "event, event_type, object_type, model, timestamp, username, request_id, data, "
                  "snapshots, request, context, received_at"));
    if (!ins_event.ok()) return ins_event.status();
    auto ins_task = c.Prepare(
        InsertSql("tasks",
                  "seq, id, event_id, rule_id, webhook_id, rule_name, webhook_name, object_type, "
                  "event_type, action_data, status, created_at, enqueued_at, due_at"));
    if (!ins_task.ok()) return ins_task.status();
    Stmt& se = *ins_event;
    Stmt& st = *ins_task;
    result_.clear();
    result_.reserve(events_.size());
    for (const FlatEvent& e : events_) {
      if (!e.dedupe_key.empty()) {
        auto seen = FindKey(c, e.dedupe_key, e.dedupe_since);
        if (!seen.ok()) return seen.status();
        if (seen->duplicate) {
          result_.push_back(std::move(*seen));
          continue;
        }
      }
      se.Reset();
      sql::BindEventBody(se, e.row);
      se.Bind(e.row.received_at != 0 ? e.row.received_at : ctx.now);
      if (se.Step() != SQLITE_DONE) return c.Error("cannot insert event");
      CommittedEvent ce;
      ce.event_id = sqlite3_last_insert_rowid(c.db());
      ce.task_ids.reserve(e.tasks.size());
      for (size_t k = 0; k < e.tasks.size(); ++k) {
        const FlatTask& t = e.tasks[k];
        // A task may be created scheduled (delayed); otherwise it is queued and due now.
        const int status = t.delayed ? kScheduled : kQueued;
        st.Reset();
        sql::BindTaskHead(st, (ce.event_id << kTaskSeqBits) | static_cast<int64_t>(k), t,
                          ce.event_id, t.action_data);
        st.Bind(status).Bind(ctx.now).Bind(ctx.now).Bind(t.delayed ? t.due_at : ctx.now);
        if (st.Step() != SQLITE_DONE) return c.Error("cannot insert task");
        ctx.Move(-1, status);
        if (!t.delayed) ctx.wake = true;
        ce.task_ids.push_back(t.id);
      }
      if (!e.dedupe_key.empty()) HERALD_RETURN_IF_ERROR(RecordKey(c, e.dedupe_key, ce, ctx.now));
      result_.push_back(std::move(ce));
    }
    return Status::Ok();
  }

  // The first commit of `key` when it was recorded at or after `since` (duplicate = true), else
  // an empty CommittedEvent.
  static Result<CommittedEvent> FindKey(Conn& c, const std::string& key, TimeUs since) {
    auto s = c.Prepare(
        "SELECT event_id, task_ids FROM ingest_keys WHERE key = ? AND "
        "accepted_at >= ?");
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
  static Status RecordKey(Conn& c, const std::string& key, const CommittedEvent& ce, TimeUs now) {
    const std::string ids = sql::JoinTaskIds(ce.task_ids);
    auto s = c.Prepare(
        "INSERT OR REPLACE INTO ingest_keys(key, event_id, task_ids, accepted_at) "
        "VALUES (?, ?, ?, ?)");
    if (!s.ok()) return s.status();
    s->Bind(key).Bind(ce.event_id).Bind(ids).Bind(now);
    return StepDone(c, *s, "cannot record ingest key");
  }

  // `st` is the commit's status, or this op's own failure.
  void Finish(const Status& st) override {
    events_.clear();
    if (!st.ok()) {
      done_(st);
    } else {
      done_(std::move(result_));
    }
  }

 private:
  std::vector<FlatEvent> events_;
  Done done_;
  std::vector<CommittedEvent> result_;
};

// Wraps CommitOp so a failed Run reports its own error.
class CommitOpGuard final : public SqliteStore::WriteOp {
 public:
  explicit CommitOpGuard(std::unique_ptr<CommitOp> op) : op_(std::move(op)) {}
  Status Run(SqliteStore::WriteCtx& ctx) override {
    run_ = op_->Run(ctx);
    return run_;
  }
  void Finish(const Status& commit) override { op_->Finish(commit.ok() ? run_ : commit); }

 private:
  std::unique_ptr<CommitOp> op_;
  Status run_ = Status(Code::kUnavailable, "write was not executed");
};

}  // namespace

void SqliteStore::CommitEvents(std::vector<NewEvent> events,
                               std::function<void(Result<std::vector<CommittedEvent>>)> done) {
  for (const auto& e : events) {
    if (e.tasks.size() > kMaxTasksPerEvent) {
      done(Status(Code::kResourceExhausted, "an event may create at most " +
                                                std::to_string(kMaxTasksPerEvent) + " tasks, not " +
                                                std::to_string(e.tasks.size())));
      return;
    }
  }
  auto op = std::make_unique<CommitOp>(std::move(events), std::move(done));
  CommitOp* raw = op.get();
  std::unique_ptr<WriteOp> guard = std::make_unique<CommitOpGuard>(std::move(op));
  Status st = Submit(guard);
  if (!st.ok()) raw->Finish(st);  // guard still owns the op when Submit failed
}

Result<int64_t> SqliteStore::PurgeDedupeKeys(TimeUs before, int64_t max) {
  if (max < 1 || max > kMaxPurgeBatch) {
    return Status::Error(Code::kInvalidArgument,
                         "purge batch must be 1.." + std::to_string(kMaxPurgeBatch));
  }
  return WriteSync<int64_t>([before, max](WriteCtx& ctx) -> Result<int64_t> {
    Conn& c = ctx.conn;
    auto del = c.Prepare(
        "DELETE FROM ingest_keys WHERE key IN (SELECT key FROM ingest_keys WHERE accepted_at < ? "
        "ORDER BY accepted_at LIMIT ?)");
    if (!del.ok()) return del.status();
    del->Bind(before).Bind(max);
    HERALD_RETURN_IF_ERROR(StepDone(c, *del, "cannot purge ingest keys"));
    return static_cast<int64_t>(sqlite3_changes(c.db()));
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
    sql::EventWhere where(filter);
    auto s = c.Prepare(std::string("SELECT ") + sql::kEventCols + " FROM events" + where.sql +
                       (filter.oldest_first ? " ORDER BY id ASC" : " ORDER BY id DESC") +
                       " LIMIT ? OFFSET ?");
    if (!s.ok()) return s.status();
    where.Bind(*s);
    s->Bind(sql::LimitArg(filter.limit)).Bind(sql::OffsetArg(filter.offset));
    return Collect<Event>(c, *s, sql::ReadEvent<Stmt>);
  });
}

}  // namespace herald
