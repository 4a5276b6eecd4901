// PostgresStore's events: CommitEvents (events and their tasks as multi-row INSERTs, through
// the group-commit queue, answered once committed) and event reads.
#include <algorithm>
#include <functional>
#include <memory>

#include "store/postgres/pg_internal.h"

namespace herald {

namespace {

// Rows per multi-row INSERT (PostgreSQL takes at most 65535 parameters per statement).
constexpr size_t kRowsPerInsert = 500;

// "(?, ?, ...), (?, ?, ...)": `rows` groups of `cols` marks.
std::string ValueRows(size_t rows, int cols) {
  const std::string group = "(" + pg_store::Marks(cols) + ")";
  std::string out;
  out.reserve(rows * (group.size() + 2));
  for (size_t r = 0; r < rows; ++r) out += (r ? ", " : "") + group;
  return out;
}

// Claims e's dedupe key for `ce` (its new ids): recorded when unknown, or known but accepted
// before e.dedupe_since. Otherwise `ce` becomes the key's first commit, duplicate = true. A
// concurrent transaction holding the key makes the INSERT wait for its outcome; the SELECT (a
// new snapshot under READ COMMITTED) then sees its row.
Status ClaimKey(Conn& c, const sql::FlatEvent& e, CommittedEvent& ce, TimeUs now) {
  const std::string ids = sql::JoinTaskIds(ce.task_ids);
  auto claimed = c.Exec(
      "INSERT INTO herald.ingest_keys AS k(key, event_id, task_ids, accepted_at) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET event_id = EXCLUDED.event_id, "
      "task_ids = EXCLUDED.task_ids, accepted_at = EXCLUDED.accepted_at "
      "WHERE k.accepted_at < $5 RETURNING 1",
      Params().Bind(e.dedupe_key).Bind(ce.event_id).Bind(ids).Bind(now).Bind(e.dedupe_since),
      "cannot record ingest key");
  if (!claimed.ok()) return claimed.status();
  if (claimed->rows() > 0) return Status::Ok();
  auto seen = c.Exec("SELECT event_id, task_ids FROM herald.ingest_keys WHERE key = $1",
                     Params().Bind(e.dedupe_key), "cannot read ingest keys");
  if (!seen.ok()) return seen.status();
  if (seen->rows() == 0) return Status(Code::kUnavailable, "ingest key vanished; retry");
  Row row(*seen, 0);
  ce.duplicate = true;
  ce.event_id = row.Int(0);
  ce.task_ids = sql::SplitTaskIds(row.TextView(1));
  return Status::Ok();
}

// CommitEvents' part of the group-commit transaction (writer thread): takes the events' ids and
// inserts them and their tasks, a chunk of rows per statement.
Result<std::vector<CommittedEvent>> InsertEvents(PostgresStore::WriteCtx& ctx,
                                                 const std::vector<sql::FlatEvent>& events) {
  Conn& c = ctx.conn;
  std::vector<CommittedEvent> result;
  if (events.empty()) return result;
  auto ids =
      c.Exec("SELECT nextval('herald.events_id_seq') FROM generate_series(1, $1)",
             Params().Bind(static_cast<int64_t>(events.size())), "cannot allocate event ids");
  if (!ids.ok()) return ids.status();
  result.resize(events.size());
  // The events to insert: those without a key, or whose key this commit claims.
  std::vector<size_t> fresh;
  fresh.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    result[i].event_id = Row(*ids, static_cast<int>(i)).Int(0);
    for (const sql::FlatTask& t : events[i].tasks) result[i].task_ids.push_back(t.id);
    if (!events[i].dedupe_key.empty()) {
      HERALD_RETURN_IF_ERROR(ClaimKey(c, events[i], result[i], ctx.now));
      if (result[i].duplicate) continue;
    }
    fresh.push_back(i);
  }

  for (size_t start = 0; start < fresh.size(); start += kRowsPerInsert) {
    const size_t n = std::min(kRowsPerInsert, fresh.size() - start);
    Params p;
    for (size_t f = start; f < start + n; ++f) {
      const size_t i = fresh[f];
      p.Bind(result[i].event_id);
      sql::BindEventRow(p, events[i].row, ctx.now);
    }
    HERALD_RETURN_IF_ERROR(c.Run(std::string("INSERT INTO herald.events(") + sql::kEventCols +
                                     ") VALUES " + ValueRows(n, sql::kEventColCount),
                                 p, "cannot insert events"));
  }

  // Every task of the commit, in order, as (event index, task index).
  std::vector<std::pair<size_t, size_t>> tasks;
  for (size_t i : fresh) {
    for (size_t k = 0; k < events[i].tasks.size(); ++k) tasks.emplace_back(i, k);
  }
  for (size_t start = 0; start < tasks.size(); start += kRowsPerInsert) {
    const size_t n = std::min(kRowsPerInsert, tasks.size() - start);
    Params p;
    for (size_t j = start; j < start + n; ++j) {
      const auto [i, k] = tasks[j];
      const sql::FlatTask& t = events[i].tasks[k];
      const int status = sql::BindTaskRow(p, t, result[i].event_id, k, kPgTaskSeqBits, ctx.now);
      ctx.Move(-1, status);
      if (!t.delayed) ctx.wake = true;
    }
    HERALD_RETURN_IF_ERROR(c.Run(std::string("INSERT INTO herald.task_queue(") + sql::kNewTaskCols +
                                     ") VALUES " + ValueRows(n, sql::kNewTaskColCount),
                                 p, "cannot insert tasks"));
  }
  return result;
}

// FNV-1a, 64 bits: a fixed function of the key's bytes, so every node (and every build) puts
// the keys in the same order and locks the same advisory key for one dedupe key.
int64_t DedupeLockKey(const std::string& key) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char ch : key) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return static_cast<int64_t>(h);
}

}  // namespace

namespace pg_store {

std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char ch : item) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

Status LockKeys(Conn& c, const std::vector<std::string>& keys) {
  if (keys.empty()) return Status::Ok();
  std::vector<int64_t> locks;
  locks.reserve(keys.size());
  for (const std::string& k : keys) locks.push_back(DedupeLockKey(k));
  std::sort(locks.begin(), locks.end());
  locks.erase(std::unique(locks.begin(), locks.end()), locks.end());
  std::string array = "{";
  for (int64_t k : locks) array += (array.size() > 1 ? "," : "") + std::to_string(k);
  array += "}";
  // unnest yields the array's elements in order, so the locks are taken in that order.
  return c.Run("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k",
               Params().Bind(array), "cannot lock ingest keys");
}

Status LockDedupeKeys(Conn& c, std::span<const std::unique_ptr<PostgresStore::WriteOp>> batch) {
  std::vector<std::string> keys;
  for (const auto& op : batch) op->AddDedupeKeys(keys);
  return LockKeys(c, keys);
}

}  // namespace pg_store

namespace {

using CommitResult = Result<std::vector<CommittedEvent>>;
using InsertFn = std::function<CommitResult(PostgresStore::WriteCtx&)>;

// CommitEvents' write: InsertEvents over the flat events, which also lists their dedupe keys so
// that RunBatch locks the keys of the whole batch in one order first (LockDedupeKeys).
class CommitOp final : public CallbackWriteOp<PostgresStore::WriteOp, PostgresStore::WriteCtx,
                                              InsertFn, CommitResult> {
 public:
  CommitOp(std::shared_ptr<const std::vector<sql::FlatEvent>> events,
           std::function<void(CommitResult)> done)
      : CallbackWriteOp(
            [events](PostgresStore::WriteCtx& ctx) { return InsertEvents(ctx, *events); },
            std::move(done)),
        events_(std::move(events)) {}

  void AddDedupeKeys(std::vector<std::string>& keys) const override {
    for (const sql::FlatEvent& e : *events_) {
      if (!e.dedupe_key.empty()) keys.push_back(e.dedupe_key);
    }
  }

 private:
  std::shared_ptr<const std::vector<sql::FlatEvent>> events_;
};

}  // namespace

void PostgresStore::CommitEvents(std::vector<NewEvent> events,
                                 std::function<void(CommitResult)> done) {
  sql::SubmitCommitOp(
      *queue_, std::move(events), kPgMaxTasksPerEvent,
      [](std::vector<sql::FlatEvent> flat, sql::CommitDone d) -> std::unique_ptr<WriteOp> {
        return std::make_unique<CommitOp>(
            std::make_shared<const std::vector<sql::FlatEvent>>(std::move(flat)), std::move(d));
      },
      std::move(done));
}

Result<int64_t> PostgresStore::PurgeDedupeKeys(TimeUs before, int64_t max) {
  HERALD_RETURN_IF_ERROR(sql::CheckPurgeBatch(max));
  // The keys to delete are locked first, as a commit locks the keys it claims (LockKeys): a
  // commit re-claiming an expired key and this purge then never wait on each other's rows.
  return Transact<int64_t>([before, max](WriteCtx& ctx) -> Result<int64_t> {
    auto old = ctx.conn.Exec(
        "SELECT key FROM herald.ingest_keys WHERE accepted_at < $1 ORDER BY accepted_at LIMIT $2",
        Params().Bind(before).Bind(max), "cannot read ingest keys");
    if (!old.ok()) return old.status();
    std::vector<std::string> keys;
    keys.reserve(old->rows());
    for (int i = 0; i < old->rows(); ++i) keys.push_back(Row(*old, i).Text(0));
    if (keys.empty()) return int64_t{0};
    HERALD_RETURN_IF_ERROR(pg_store::LockKeys(ctx.conn, keys));
    // A commit that re-claimed a key meanwhile moved its accepted_at past `before`: kept.
    return pg_store::SelectInt(
        ctx.conn,
        "WITH d AS (DELETE FROM herald.ingest_keys WHERE key = ANY($1::text[]) "
        "AND accepted_at < $2 RETURNING 1) SELECT count(*) FROM d",
        Params().Bind(pg_store::TextArray(keys)).Bind(before), "cannot purge ingest keys");
  });
}

Result<Event> PostgresStore::GetEvent(int64_t id) {
  return Read([id](Conn& c) {
    return SelectOne<Event>(
        c, std::string("SELECT ") + sql::kEventCols + " FROM herald.events WHERE id = $1",
        Params().Bind(id), sql::ReadEvent<Row>, "event " + std::to_string(id));
  });
}

Result<std::vector<Event>> PostgresStore::ListEvents(const EventFilter& filter) {
  return Read([&filter](Conn& c) -> Result<std::vector<Event>> {
    return SelectPage<Event>(c, std::string("SELECT ") + sql::kEventCols + " FROM herald.events",
                             sql::EventWhere(filter), filter, "id", sql::ReadEvent<Row>);
  });
}

}  // namespace herald
