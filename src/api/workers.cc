// Background workers over the API, shaped like NetBox's /api/core/background-workers/: the
// delivery worker processes of every node on the store, as their heartbeats describe them
// (delivery/heartbeat.h). A worker whose heartbeats stopped for longer than kWorkerStaleAfter
// is not listed (it crashed or lost the store); one that stopped gracefully deregistered.
#include "api/api.h"
#include "api/context.h"
#include "common/time.h"
#include "delivery/heartbeat.h"

namespace herald {

using namespace api_util;

namespace {

Value WorkerToJson(const WorkerInfo& w, const std::string& api_base) {
  auto iso = [](TimeUs us) { return us ? Value(FormatIsoUtc(us, 'Z')) : Value(); };
  Dict d;
  d.set("name", w.name);
  d.set("url", api_base + "/api/core/background-workers/" + PercentEncode(w.name) + "/");
  d.set("state", w.state);
  d.set("birth_date", iso(w.birth_date));
  List queues;
  for (const auto& q : w.queue_names) queues.emplace_back(q);
  d.set("queue_names", Value(std::move(queues)));
  d.set("pid", std::to_string(w.pid));  // a string, as NetBox's serializer gives it
  d.set("successful_job_count", w.successful_job_count);
  d.set("failed_job_count", w.failed_job_count);
  d.set("total_working_time", w.total_working_time / 1000000);  // whole seconds, as NetBox
  // Herald additions.
  d.set("hostname", w.host);
  d.set("last_heartbeat", iso(w.last_heartbeat));
  return Value(std::move(d));
}

}  // namespace

Result<std::vector<WorkerInfo>> Api::LiveWorkers() {
  const Clock& clock = options_.clock ? *options_.clock : SystemClock();
  return store_.ListWorkers(delivery::WorkerAliveSince(clock.NowUs()));
}

void Api::Workers(Ctx& c, const std::string& name) {
  if (!c.IsRead()) return c.MethodNotAllowed();
  auto workers = LiveWorkers();
  if (!workers.ok()) return c.Error(workers.status());
  if (!name.empty()) {
    for (const auto& w : *workers)
      if (w.name == name) return c.ReplyValue(200, WorkerToJson(w, c.api_base));
    return c.Error(404, "Worker not found.");
  }
  int64_t limit = 0, offset = 0;
  c.Page(options_, &limit, &offset);
  const auto count = static_cast<int64_t>(workers->size());
  List results;
  for (int64_t i = offset; i < count && i < offset + limit; ++i)
    results.push_back(WorkerToJson((*workers)[static_cast<size_t>(i)], c.api_base));
  c.ReplyValue(200, c.Paginated(count, std::move(results), limit, offset));
}

}  // namespace herald
