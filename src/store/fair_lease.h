// Fair leasing, shared by both backends: which due tasks one Lease call takes when several
// webhooks have due tasks. Every webhook with due tasks gets an equal share of the batch (bounded
// by LeaseRequest::max_per_webhook); a share a webhook cannot use (it has fewer due tasks, or
// its cap is lower) is handed to the others in further rounds. The backend answers two
// questions through callbacks: which webhooks have leasable tasks (an index walk, one seek per
// webhook), and each listed webhook's oldest due tasks up to a count (one index range each),
// so a lease costs O(webhooks + batch) index steps whatever the backlog. Pure logic, no I/O of
// its own; thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace herald::sql {

// A due task found by a backend's lease query.
struct LeaseCandidate {
  TimeUs key = 0;  // when it became due (enqueued_at, due_at or lease_expires by status)
  int64_t seq = 0;
  int status = 0;        // TaskStatus as stored: queued 0, started 1, scheduled 2
  int64_t expiries = 0;  // consecutive expired leases before this one
  int64_t webhook_id = 0;
};

// Most rounds of share hand-over per lease; later shares stay unused until the next lease.
inline constexpr int kMaxFairLeaseRounds = 8;

// Appends to `out` up to `limit` of webhook `id`'s due tasks (oldest due first per lane; the
// lanes may overlap in order, PlanFairLease merges them). Called with each webhook at most once
// per round, with a growing limit; it may return rows it returned in an earlier round.
using FetchDue = std::function<Status(const std::vector<std::pair<int64_t, int>>& limits,
                                      std::vector<LeaseCandidate>* out)>;

// Picks at most req.max candidates among `webhooks` (the ids with leasable tasks, any order,
// no duplicates) as Store::Lease documents: fair shares, round-robin order across webhooks
// (by id, from the first after req.after_webhook, wrapping), oldest due first within a webhook.
Result<std::vector<LeaseCandidate>> PlanFairLease(const LeaseRequest& req,
                                                  const std::vector<int64_t>& webhooks,
                                                  const FetchDue& fetch);

}  // namespace herald::sql
