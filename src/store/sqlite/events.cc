// SqliteStore's events: CommitEvents (an event and the tasks its rules produced, committed
// together through the group-commit queue, answered by callback once durable) and event reads.
#include <functional>

#include "store/sqlite/store_internal.h"

namespace herald {

namespace {

// CommitEvents' unit of work. The constructor runs on the caller's thread and flattens the
// events (sql::FlattenEvents: JSON, task ids); Run (writer thread) only binds and inserts.
class CommitOp final : public SqliteStore::WriteOp {
 public:
  using Done = std::function<void(Result<std::vector<CommittedEvent>>)>;

  using FlatEvent = sql::FlatEvent;
  using FlatTask = sql::FlatTask;

  CommitOp(std::vector<NewEvent> events, Done done)
      : events_(sql::FlattenEvents(std::move(events))), done_(std::move(done)) {}

  Status Run(SqliteStore::WriteCtx& ctx) override {
    Conn& c = ctx.conn;
    auto ins_event = c.Prepare(
        "INSERT INTO events(event, event_type, object_type, model, timestamp, username, "
        "request_id, data, snapshots, request, context, received_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!ins_event.ok()) return ins_event.status();
    auto ins_task = c.Prepare(std::string("INSERT INTO tasks(") + sql::kNewTaskCols +
                              ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!ins_task.ok()) return ins_task.status();
    Stmt& se = *ins_event;
    Stmt& st = *ins_task;
    result_.clear();
    result_.reserve(events_.size());
    for (const FlatEvent& e : events_) {
      se.Reset();
      sql::BindEventRow(se, e, ctx.now);
      if (se.Step() != SQLITE_DONE) return c.Error("cannot insert event");
      CommittedEvent ce;
      ce.event_id = sqlite3_last_insert_rowid(c.db());
      ce.task_ids.reserve(e.tasks.size());
      for (size_t k = 0; k < e.tasks.size(); ++k) {
        const FlatTask& t = e.tasks[k];
        // A task may be created scheduled (delayed); otherwise it is queued and due now.
        st.Reset();
        const int status = sql::BindTaskRow(st, t, ce.event_id, k, kTaskSeqBits, ctx.now);
        if (st.Step() != SQLITE_DONE) return c.Error("cannot insert task");
        ctx.Move(-1, status);
        if (!t.delayed) ctx.wake = true;
        ce.task_ids.push_back(t.id);
      }
      result_.push_back(std::move(ce));
    }
    return Status::Ok();
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
                       " ORDER BY id DESC LIMIT ? OFFSET ?");
    if (!s.ok()) return s.status();
    where.Bind(*s);
    s->Bind(sql::LimitArg(filter.limit)).Bind(sql::OffsetArg(filter.offset));
    return Collect<Event>(c, *s, sql::ReadEvent<Stmt>);
  });
}

}  // namespace herald
