// PostgresStore's leases and attempts: Lease (due tasks locked with FOR UPDATE SKIP LOCKED, so
// concurrent leasers on any node never take the same task; the worker-stopped rule), hand-back
// (ReleaseLeases), and RecordAttempt through the group-commit queue. Each lease takes a new
// lease token; the store remembers the tokens it handed out and an attempt must match the
// task's current one, so a worker whose lease was taken over cannot record over the new holder.
#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "store/fair_lease.h"
#include "store/postgres/pg_internal.h"
#include "store/postgres/pg_tasks.h"

namespace herald {

namespace {

using pg_store::MoveTaskSql;

// A PostgreSQL array literal of `items` ("{1,2}", or "{\"a\",\"b\"}" for text).
template <typename T>
std::string ArrayLiteral(const std::vector<T>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ",";
    if constexpr (std::is_same_v<T, std::string>) {
      out += '"';
      for (char ch : items[i]) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
      }
      out += '"';
    } else {
      out += std::to_string(items[i]);
    }
  }
  return out + "}";
}

// The ids of the webhooks with a task in any leasable lane: a loose walk of each lane's
// per-webhook index (one seek per webhook, see schema.cc version 5).
constexpr const char* kLeasableWebhooks =
    "WITH RECURSIVE q AS (SELECT min(webhook_id) AS id FROM herald.task_queue WHERE status = 0 "
    "UNION ALL SELECT (SELECT min(webhook_id) FROM herald.task_queue WHERE status = 0 "
    "AND webhook_id > q.id) FROM q WHERE q.id IS NOT NULL), "
    "s AS (SELECT min(webhook_id) AS id FROM herald.task_queue WHERE status = 1 "
    "UNION ALL SELECT (SELECT min(webhook_id) FROM herald.task_queue WHERE status = 1 "
    "AND webhook_id > s.id) FROM s WHERE s.id IS NOT NULL), "
    "d AS (SELECT min(webhook_id) AS id FROM herald.task_queue WHERE status = 2 "
    "UNION ALL SELECT (SELECT min(webhook_id) FROM herald.task_queue WHERE status = 2 "
    "AND webhook_id > d.id) FROM d WHERE d.id IS NOT NULL) "
    "SELECT id FROM q WHERE id IS NOT NULL UNION SELECT id FROM s WHERE id IS NOT NULL "
    "UNION SELECT id FROM d WHERE id IS NOT NULL";

// Each listed webhook's ($1 ids, $2 limits) due tasks in one lane ($3: now), oldest first,
// locked; rows another leaser holds are skipped, never waited for.
constexpr const char* kDueLanes[] = {
    "SELECT c.k, c.seq, c.lease_expiries, 0, w.id FROM unnest($1::bigint[], $2::integer[]) "
    "AS w(id, n) CROSS JOIN LATERAL (SELECT enqueued_at AS k, seq, lease_expiries "
    "FROM herald.task_queue WHERE status = 0 AND webhook_id = w.id "
    "ORDER BY enqueued_at, seq LIMIT w.n FOR UPDATE SKIP LOCKED) c",
    "SELECT c.k, c.seq, c.lease_expiries, 1, w.id FROM unnest($1::bigint[], $2::integer[]) "
    "AS w(id, n) CROSS JOIN LATERAL (SELECT lease_expires AS k, seq, lease_expiries "
    "FROM herald.task_queue WHERE status = 1 AND webhook_id = w.id AND lease_expires <= $3 "
    "ORDER BY lease_expires, seq LIMIT w.n FOR UPDATE SKIP LOCKED) c",
    "SELECT c.k, c.seq, c.lease_expiries, 2, w.id FROM unnest($1::bigint[], $2::integer[]) "
    "AS w(id, n) CROSS JOIN LATERAL (SELECT due_at AS k, seq, lease_expiries "
    "FROM herald.task_queue WHERE status = 2 AND webhook_id = w.id AND due_at <= $3 "
    "ORDER BY due_at, seq LIMIT w.n FOR UPDATE SKIP LOCKED) c",
};

// sql::FetchDue on PostgreSQL: one statement per lane for all the listed webhooks.
Status FetchDueTasks(Conn& c, TimeUs now, const std::vector<std::pair<int64_t, int>>& limits,
                     std::vector<sql::LeaseCandidate>* out) {
  std::vector<int64_t> ids, ns;
  for (const auto& [id, n] : limits) {
    ids.push_back(id);
    ns.push_back(n);
  }
  for (const char* lane : kDueLanes) {
    Params p;
    p.Bind(ArrayLiteral(ids)).Bind(ArrayLiteral(ns));
    if (lane != kDueLanes[0]) p.Bind(now);
    auto r = c.Exec(lane, p, "cannot select due tasks");
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->rows(); ++i) {
      Row row(*r, i);
      out->push_back(
          {row.Int(0), row.Int(1), static_cast<int>(row.Int(3)), row.Int(2), row.Int(4)});
    }
  }
  return Status::Ok();
}

}  // namespace

Result<LeaseResult> PostgresStore::Lease(const LeaseRequest& req) {
  if (req.max <= 0) return LeaseResult();
  std::vector<std::pair<std::string, int64_t>> tokens;  // (task id, lease token), leased order
  auto out = Transact<LeaseResult>([&req, &tokens](WriteCtx& ctx) -> Result<LeaseResult> {
    Conn& c = ctx.conn;
    const TimeUs now = ctx.Judge(req.now);
    const int64_t limit = std::max(1, req.max_lease_expiries);
    auto listed = c.Exec(kLeasableWebhooks, {}, "cannot list webhooks with due tasks");
    if (!listed.ok()) return listed.status();
    std::vector<int64_t> webhooks;
    for (int i = 0; i < listed->rows(); ++i) webhooks.push_back(Row(*listed, i).Int(0));
    auto cands = sql::PlanFairLease(req, webhooks,
                                    [&c, now](const std::vector<std::pair<int64_t, int>>& limits,
                                              std::vector<sql::LeaseCandidate>* out) {
                                      return FetchDueTasks(c, now, limits, out);
                                    });
    if (!cands.ok()) return cands.status();

    LeaseResult out;
    std::vector<int64_t> seqs, expiries;
    std::map<int64_t, size_t> order;  // seq -> position among the leased
    for (const sql::LeaseCandidate& cand : *cands) {
      const int64_t n = cand.expiries + (cand.status == kStarted ? 1 : 0);
      if (cand.status == kStarted && n >= limit) {
        // The worker-stopped rule: the lease expired `limit` times in a row without an attempt.
        auto r = c.Exec(MoveTaskSql("herald.task_queue", "herald.task_history", "seq = $1",
                                    {{"status", "4"},
                                     {"ended_at", "$2::bigint"},
                                     {"worker", "''"},
                                     {"lease_expires", "0"},
                                     {"lease_expiries", "$3::integer"},
                                     {"error", "$4::bytea"}}),
                        Params().Bind(cand.seq).Bind(now).Bind(n).BindBytes(
                            WorkerStoppedError(static_cast<int>(n))),
                        "cannot fail task");
        if (!r.ok()) return r.status();
        auto t = sql::ReadTask(Row(*r, 0));
        if (!t.ok()) return t.status();
        out.failed.push_back({std::move(*t), static_cast<int>(n)});
        ctx.Move(kStarted, kFailed);
        continue;
      }
      order[cand.seq] = seqs.size();
      seqs.push_back(cand.seq);
      expiries.push_back(n);
      ctx.Move(cand.status, kStarted);
    }
    if (seqs.empty()) return out;
    auto r = c.Exec(std::string("UPDATE herald.task_queue q SET status = 1, started_at = $1, "
                                "worker = $2, lease_expires = $3, lease_expiries = v.n, "
                                "lease_token = nextval('herald.lease_token_seq') "
                                "FROM unnest($4::bigint[], $5::bigint[]) AS v(seq, n) "
                                "WHERE q.seq = v.seq RETURNING ") +
                        sql::kTaskCols + ", q.seq, q.lease_token",
                    Params()
                        .Bind(now)
                        .Bind(req.worker)
                        .Bind(now + req.lease_us)
                        .Bind(ArrayLiteral(seqs))
                        .Bind(ArrayLiteral(expiries)),
                    "cannot lease tasks");
    if (!r.ok()) return r.status();
    if (r->rows() != static_cast<int>(seqs.size())) {
      return Status(Code::kInternal, "leased " + std::to_string(r->rows()) + " of " +
                                         std::to_string(seqs.size()) + " locked tasks");
    }
    out.leased.resize(seqs.size());
    tokens.resize(seqs.size());
    for (int i = 0; i < r->rows(); ++i) {
      Row row(*r, i);
      auto t = sql::ReadTask(row);
      if (!t.ok()) return t.status();
      const size_t at = order[row.Int(20)];  // in the order of the candidates
      tokens[at] = {t->id, row.Int(21)};
      out.leased[at] = std::move(*t);
    }
    return out;
  });
  if (out.ok()) {
    for (const auto& [id, token] : tokens) RememberLease(id, req.worker, token);
  }
  return out;
}

Result<int64_t> PostgresStore::ReleaseLeases(const std::string& worker,
                                             const std::vector<std::string>& task_ids) {
  if (task_ids.empty()) return int64_t{0};
  // The tokens of the leases this store handed out (0: unknown here, the worker name decides).
  std::vector<int64_t> tokens;
  for (const auto& id : task_ids) tokens.push_back(ForgetLease(id, worker));
  return Transact<int64_t>([&](WriteCtx& ctx) -> Result<int64_t> {
    // A task attempted before, or created delayed, is due later than it was enqueued: back to
    // scheduled at that time; others back to queued, keeping their place in line.
    auto r = ctx.conn.Exec(
        "UPDATE herald.task_queue q SET status = CASE WHEN due_at > enqueued_at THEN 2 ELSE 0 "
        "END, worker = '', lease_expires = 0, lease_token = 0 "
        "FROM unnest($1::text[], $2::bigint[]) AS v(id, token) "
        "WHERE q.id = v.id AND q.status = 1 AND q.worker = $3 "
        "AND (v.token = 0 OR q.lease_token = v.token) RETURNING q.status",
        Params().Bind(ArrayLiteral(task_ids)).Bind(ArrayLiteral(tokens)).Bind(worker),
        "cannot hand back leases");
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->rows(); ++i) ctx.Move(kStarted, static_cast<int>(Row(*r, i).Int(0)));
    if (r->rows() > 0) ctx.wake = true;
    return static_cast<int64_t>(r->rows());
  });
}

namespace {

// The task of `found` when it is still leased by `worker` under lease `token` (0: the worker
// name alone is checked); else the Conflict of a record for it.
Result<sql::TaskRef> LeasedBy(sql::FoundTask found, const std::string& task_id,
                              const std::string& worker, int64_t token) {
  auto ref = sql::LeasedTask(std::move(found), task_id, worker);
  if (!ref.ok()) return ref.status();
  if (token != 0 && ref->lease_token != token) {
    return Conflict("task " + task_id + " was leased again after worker '" + worker +
                    "'s lease expired; its attempt is dropped.");
  }
  return ref;
}

// Records the attempt `o` of the leased task `t` (locked) and moves the task on.
Status ApplyAttempt(PostgresStore::WriteCtx& ctx, const sql::TaskRef& t, const AttemptOutcome& o) {
  Conn& c = ctx.conn;
  const Attempt& a = o.attempt;
  const int number = t.attempts + 1;
  const int next = static_cast<int>(o.next_status);
  TimeUs ended = 0;
  if (next != kScheduled) ended = a.started_at > 0 ? a.started_at + a.duration_us : ctx.now;
  Params p;
  p.Bind(t.seq)
      .Bind(next)
      .Bind(number)
      .Bind(ended)
      .Bind(next == kScheduled ? o.due_at : t.due_at)
      .BindBytes(o.result)
      .BindBytes(o.error);
  pg_store::BindAttemptFields(p, a);
  // The attempt is recorded and the task moves on (to the history when finished or failed), in
  // one statement.
  const std::string insert_attempt =
      "INSERT INTO herald.attempts(task_seq, number, started_at, duration_us, status_code, "
      "response_excerpt, error, method, url, request_headers, request_body) "
      "SELECT t.seq, $3::integer, $8::bigint, $9::bigint, $10::integer, $11::bytea, "
      "$12::bytea, $13::text, $14::bytea, $15::bytea, $16::bytea FROM t";
  const std::string sql =
      next == kScheduled
          ? "WITH t AS (UPDATE herald.task_queue SET status = $2, attempts = $3, ended_at = $4, "
            "due_at = $5, worker = '', lease_expires = 0, lease_expiries = 0, lease_token = 0, "
            "result = $6, error = $7 WHERE seq = $1 RETURNING seq) " +
                insert_attempt
          : MoveTaskSql("herald.task_queue", "herald.task_history", "seq = $1",
                        {{"status", "$2::integer"},
                         {"attempts", "$3::integer"},
                         {"ended_at", "$4::bigint"},
                         {"due_at", "$5::bigint"},
                         {"worker", "''"},
                         {"lease_expires", "0"},
                         {"lease_expiries", "0"},
                         {"lease_token", "0"},
                         {"result", "$6::bytea"},
                         {"error", "$7::bytea"}},
                        "seq", insert_attempt);
  HERALD_RETURN_IF_ERROR(c.Run(sql, p, "cannot record attempt"));
  ctx.Move(kStarted, next);
  return Status::Ok();
}

// The body of RecordAttempt for one record alone, run inside the writer's transaction.
Status RecordAlone(PostgresStore::WriteCtx& ctx, const pg_store::RecordOp& r) {
  auto ref = LeasedBy(pg_store::FindTaskRef(ctx.conn, r.task_id), r.task_id, r.worker, r.token);
  if (!ref.ok()) return ref.status();
  return ApplyAttempt(ctx, *ref, r.outcome);
}

}  // namespace

namespace pg_store {

Status RecordAttempts(PostgresStore::WriteCtx& ctx, std::span<RecordOp* const> records) {
  Conn& c = ctx.conn;
  std::vector<std::string> ids;
  ids.reserve(records.size());
  for (const RecordOp* r : records) ids.push_back(r->task_id);
  // A leased task is in the queue; one that is not there gets its Conflict below.
  auto found = c.Exec(
      "SELECT id, seq, status, worker, attempts, due_at, lease_token FROM herald.task_queue "
      "WHERE id = ANY($1::text[]) ORDER BY seq FOR UPDATE",
      Params().Bind(TextArray(ids)), "cannot find tasks");
  if (!found.ok()) return found.status();
  std::unordered_map<std::string, sql::TaskRef> queued;
  for (int i = 0; i < found->rows(); ++i) {
    Row row(*found, i);
    queued.emplace(row.Text(0), sql::TaskRef{row.Int(1), static_cast<int>(row.Int(2)), row.Text(3),
                                             static_cast<int>(row.Int(4)), row.Int(5), row.Int(6)});
  }
  for (RecordOp* r : records) {
    auto it = queued.find(r->task_id);
    Result<sql::TaskRef> ref =
        it != queued.end()
            ? LeasedBy(std::optional<sql::TaskRef>(it->second), r->task_id, r->worker, r->token)
            : LeasedBy(FindTaskRef(c, r->task_id), r->task_id, r->worker, r->token);
    if (!ref.ok()) {
      if (ref.status().code() != Code::kConflict) return ref.status();
      r->SetResult(ref.status());
      continue;
    }
    HERALD_RETURN_IF_ERROR(ApplyAttempt(ctx, *ref, r->outcome));
    r->SetResult(Status::Ok());
  }
  return Status::Ok();
}

}  // namespace pg_store

Status PostgresStore::RecordAttempt(const std::string& task_id, const std::string& worker,
                                    AttemptOutcome outcome) {
  return sql::RecordAndWait<WriteOp, WriteCtx>(
      *queue_, task_id, worker, ForgetLease(task_id, worker), std::move(outcome), RecordAlone);
}

void PostgresStore::RecordAttemptAsync(const std::string& task_id, const std::string& worker,
                                       AttemptOutcome outcome, std::function<void(Status)> done) {
  sql::SubmitRecord<WriteOp, WriteCtx>(*queue_, task_id, worker, ForgetLease(task_id, worker),
                                       std::move(outcome), RecordAlone, std::move(done));
}

}  // namespace herald
