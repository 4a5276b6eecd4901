// POST /api/events/, the part that runs on the ingest pool (see api.h): parse and validate the
// body, match every event against the rule index within the per-event condition budget, and
// commit the events and their tasks. The answer is sent from the store's commit callback.
#include <exception>
#include <map>

#include "api/api.h"
#include "common/log.h"
#include "common/time.h"
#include "rules/event_input.h"
#include "value/json.h"

namespace herald {

namespace {

http::Response DetailResponse(int status, std::string_view msg) {
  Dict d;
  d.set("detail", Value(msg));
  return http::Response::Json(status, DumpJsonCompact(Value(std::move(d))));
}

}  // namespace

void Api::IngestNow(const std::string& body, bool ndjson, const http::Responder& respond) {
  bool responded = false;
  try {
    int64_t now = NowUs();
    ParsedEvents parsed = ParseEvents(body, ndjson, now);
    if (!parsed.malformed.empty()) {
      responded = true;
      return respond(DetailResponse(400, parsed.malformed));
    }
    if (!parsed.errors.empty()) {
      Dict d;
      d.set("detail", "Rejected: " + std::to_string(parsed.error_count) +
                          " invalid event(s); nothing was stored." +
                          (parsed.error_count > parsed.errors.size()
                               ? " The first " + std::to_string(parsed.errors.size()) +
                                     " are listed."
                               : std::string()));
      List errs;
      for (const auto& e : parsed.errors) {
        Dict ed;
        ed.set("index", static_cast<int64_t>(e.index));
        ed.set("error", e.reason);
        errs.emplace_back(std::move(ed));
      }
      d.set("errors", Value(std::move(errs)));
      responded = true;
      return respond(http::Response::Json(400, DumpJsonCompact(Value(std::move(d)))));
    }
    auto rules = Rules();
    std::vector<NewEvent> batch;
    batch.reserve(parsed.events.size());
    // Rules that ran out of condition time: rule name -> (events, first reason, object type).
    struct Skipped {
      long long events = 0;
      std::string reason, object_type;
    };
    std::map<std::string, Skipped> skipped;
    for (auto& e : parsed.events) {
      NewEvent ne;
      conditions::Deadline deadline =
          options_.condition_budget.count() > 0
              ? conditions::Clock::now() + options_.condition_budget
              : conditions::kNoDeadline;
      auto stats = rules->Match(e, &ne.tasks, deadline);
      for (auto& s : stats.skipped) {
        Skipped& k = skipped[s.name];
        if (k.events++ == 0) {
          k.reason = std::move(s.reason);
          k.object_type = e.object_type;
        }
      }
      for (auto& t : ne.tasks) t.created_at = t.enqueued_at = t.due_at = now;
      ne.event = std::move(e);
      batch.push_back(std::move(ne));
    }
    // Logged like a failed evaluation ("<rule>: Evaluation failed. <reason>"), once per rule
    // and request.
    for (const auto& [name, k] : skipped) {
      log::Error(name + ": Evaluation failed. " + k.reason + " (ingest.condition_budget_ms=" +
                     std::to_string(options_.condition_budget.count()) +
                     "); the rule did not match " + std::to_string(k.events) +
                     " event(s) of this request",
                 {{"rule", name},
                  {"object_type", k.object_type},
                  {"events", k.events},
                  {"budget_ms", static_cast<long long>(options_.condition_budget.count())}});
    }
    responded = true;
    store_.CommitEvents(std::move(batch), [respond](Result<std::vector<CommittedEvent>> r) {
      if (!r.ok()) {
        log::Error("event commit failed", {{"error", r.status().message()}});
        respond(DetailResponse(503, "The events could not be stored: " + r.status().message()));
        return;
      }
      Dict d;
      List events;
      int64_t tasks = 0;
      for (const auto& ce : *r) {
        Dict ed;
        ed.set("id", ce.event_id);
        ed.set("tasks", static_cast<int64_t>(ce.task_ids.size()));
        tasks += static_cast<int64_t>(ce.task_ids.size());
        events.emplace_back(std::move(ed));
      }
      d.set("accepted", static_cast<int64_t>(r->size()));
      d.set("tasks", tasks);
      d.set("events", Value(std::move(events)));
      respond(http::Response::Json(202, DumpJsonCompact(Value(std::move(d)))));
    });
  } catch (const std::exception& e) {
    log::Error("unhandled error in event ingest", {{"error", e.what()}});
    if (!responded) respond(DetailResponse(500, "Internal error; see the server log."));
  }
}

}  // namespace herald
