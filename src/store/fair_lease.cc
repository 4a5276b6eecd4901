#include "store/fair_lease.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace herald::sql {

namespace {

bool DueBefore(const LeaseCandidate& a, const LeaseCandidate& b) {
  return std::tie(a.key, a.seq) < std::tie(b.key, b.seq);
}

// One webhook's state while the shares are handed out.
struct Share {
  int64_t id = 0;
  int cap = 0;       // most tasks it may get in this lease
  int asked = 0;     // the limit of its last fetch
  bool open = true;  // it filled its last fetch and is below its cap: it may take more
  std::vector<LeaseCandidate> due;  // its oldest due tasks, oldest first, at most `asked`
};

}  // namespace

Result<std::vector<LeaseCandidate>> PlanFairLease(const LeaseRequest& req,
                                                  const std::vector<int64_t>& webhooks,
                                                  const FetchDue& fetch) {
  std::vector<LeaseCandidate> out;
  if (req.max <= 0) return out;
  std::vector<Share> shares;
  for (int64_t id : webhooks) {
    int cap = req.max;
    if (auto it = req.max_per_webhook.find(id); it != req.max_per_webhook.end())
      cap = std::min(cap, it->second);
    if (cap > 0) shares.push_back({id, cap, 0, true, {}});
  }
  size_t total = 0;
  for (int round = 0; round < kMaxFairLeaseRounds && total < static_cast<size_t>(req.max);
       ++round) {
    size_t open = 0;
    for (const Share& s : shares) open += s.open ? 1 : 0;
    if (open == 0) break;
    // What is left of the batch, split evenly (rounded up) among the webhooks that may take more.
    const size_t left = static_cast<size_t>(req.max) - total;
    const int step = static_cast<int>((left + open - 1) / open);
    std::vector<std::pair<int64_t, int>> limits;
    std::map<int64_t, Share*> by_id;
    for (Share& s : shares) {
      if (!s.open) continue;
      s.asked = std::min(s.cap, static_cast<int>(s.due.size()) + step);
      limits.emplace_back(s.id, s.asked);
      by_id[s.id] = &s;
    }
    std::vector<LeaseCandidate> found;
    HERALD_RETURN_IF_ERROR(fetch(limits, &found));
    for (auto& [id, s] : by_id) s->due.clear();
    for (LeaseCandidate& c : found) {
      auto it = by_id.find(c.webhook_id);
      if (it != by_id.end()) it->second->due.push_back(c);
    }
    total = 0;
    for (Share& s : shares) {
      if (s.open) {
        // The lanes come one after another: merge them, keep the oldest `asked` (a lane's
        // rows beyond that are not among the webhook's oldest due tasks).
        std::sort(s.due.begin(), s.due.end(), DueBefore);
        s.due.erase(std::unique(s.due.begin(), s.due.end(),
                                [](const LeaseCandidate& a, const LeaseCandidate& b) {
                                  return a.seq == b.seq;
                                }),
                    s.due.end());
        if (s.due.size() > static_cast<size_t>(s.asked)) s.due.resize(s.asked);
        s.open = s.due.size() == static_cast<size_t>(s.asked) && s.asked < s.cap;
      }
      total += s.due.size();
    }
  }
  // Round-robin by webhook id, from the first after req.after_webhook.
  std::erase_if(shares, [](const Share& s) { return s.due.empty(); });
  std::sort(shares.begin(), shares.end(),
            [](const Share& a, const Share& b) { return a.id < b.id; });
  std::rotate(shares.begin(),
              std::find_if(shares.begin(), shares.end(),
                           [&req](const Share& s) { return s.id > req.after_webhook; }),
              shares.end());
  for (size_t i = 0; out.size() < static_cast<size_t>(req.max); ++i) {
    bool any = false;
    for (const Share& s : shares) {
      if (i >= s.due.size()) continue;
      any = true;
      out.push_back(s.due[i]);
      if (out.size() == static_cast<size_t>(req.max)) break;
    }
    if (!any) break;
  }
  return out;
}

}  // namespace herald::sql
