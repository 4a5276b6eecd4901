// /api/events/. POST ingests: Ingest() admits the body into the bounded ingest pool on the I/O
// thread (or answers 503); IngestNow(), on a pool thread, parses and validates the body,
// matches every event against the rule index within the condition budget and commits the
// events and their tasks, answering from the store's commit callback (see api.h). GET reads
// recent events back, and one event with its tasks.
#include <algorithm>
#include <exception>
#include <map>

#include "api/api.h"
#include "api/context.h"
#include "common/log.h"
#include "common/time.h"
#include "ingest/event_input.h"

namespace herald {

using namespace api_util;

namespace {

// The 202 answer, {"accepted":N,"tasks":T,"events":[{"id":I,"tasks":K},...]} (compact, as
// DumpJsonCompact writes it), built as text: it is made on the store's writer thread.
std::string AcceptedJson(const std::vector<CommittedEvent>& committed) {
  size_t tasks = 0;
  std::string events;
  events.reserve(committed.size() * 24);
  for (const auto& ce : committed) {
    events += events.empty() ? "{\"id\":" : ",{\"id\":";
    events += std::to_string(ce.event_id);
    events += ",\"tasks\":";
    events += std::to_string(ce.task_ids.size());
    events += '}';
    tasks += ce.task_ids.size();
  }
  return "{\"accepted\":" + std::to_string(committed.size()) +
         ",\"tasks\":" + std::to_string(tasks) + ",\"events\":[" + events + "]}";
}

}  // namespace

void Api::Ingest(Ctx& c) {
  std::string ct = AsciiLower(std::string(c.req.header("Content-Type")));
  bool ndjson = ct.find("ndjson") != std::string::npos ||
                ct.find("x-json-stream") != std::string::npos ||
                ct.find("jsonlines") != std::string::npos;
  // Anything else is read as JSON (curl -d sends application/x-www-form-urlencoded by default),
  // except types that can never be JSON.
  if (!ndjson &&
      (ct.find("xml") != std::string::npos || ct.find("multipart") != std::string::npos)) {
    return c.Error(415, "Unsupported media type \"" + ct +
                            "\": send application/json or application/x-ndjson.");
  }
  std::string request_key(c.req.header("Idempotency-Key"));
  if (request_key.size() > kMaxDedupeKeyBytes) {
    return c.Error(400, "The Idempotency-Key header may be at most " +
                            std::to_string(kMaxDedupeKeyBytes) + " bytes.");
  }
  // Admit the body into the queue unless the bytes already waiting would pass the bound.
  size_t size = c.req.body.size();
  size_t queued = ingest_queued_bytes_.load();
  bool fits;
  do {
    fits = queued == 0 || queued + size <= options_.ingest_queue_bytes;
  } while (fits && !ingest_queued_bytes_.compare_exchange_weak(queued, queued + size));
  bool taken =
      fits && ingest_pool_->TrySubmit([this, body = std::move(c.req.body), ndjson,
                                       request_key = std::move(request_key), respond = c.respond] {
        ingest_queued_bytes_ -= body.size();
        IngestNow(body, ndjson, request_key, respond);
      });
  if (!taken) {
    if (fits) ingest_queued_bytes_ -= size;
    // One log line per second at most, counting the refusals since the last one.
    long long refused = ++ingest_refused_;
    int64_t now = NowUs(), last = ingest_refused_logged_at_.load();
    if (now - last >= 1'000'000 && ingest_refused_logged_at_.compare_exchange_strong(last, now)) {
      ingest_refused_ -= refused;
      log::Warning("ingest queue full; requests refused with 503",
                   {{"refused", refused},
                    {"queued_requests", static_cast<long long>(ingest_pool_->queued())},
                    {"queue_limit", static_cast<long long>(ingest_pool_->max_queued())},
                    {"queued_bytes", static_cast<long long>(ingest_queued_bytes_.load())},
                    {"request_bytes", static_cast<long long>(size)}});
    }
    return c.Reply(http::Response::Detail(503,
                                          "Too many event requests are waiting to be processed (or "
                                          "Herald is stopping); nothing was stored. Retry shortly.")
                       .With("Retry-After", std::to_string(kIngestRetryAfterSeconds)));
  }
  c.responded = true;
}

void Api::Events(Ctx& c, const std::string& id_str) {
  if (id_str.empty()) {
    int64_t limit, offset;
    c.Page(options_, &limit, &offset);
    EventFilter f;
    f.limit = limit + 1;
    f.offset = offset;
    if (auto ot = c.req.query_params.Get("object_type")) f.object_type = *ot;
    auto evs = store_.ListEvents(f);
    if (!evs.ok()) return c.Error(500, evs.status().message());
    List results;
    bool more = static_cast<int64_t>(evs->size()) > limit;
    for (int64_t i = 0; i < static_cast<int64_t>(evs->size()) && i < limit; ++i)
      results.push_back(EventToValue((*evs)[i]));
    // The count is unknown without a full count (null); clients follow next.
    return c.ReplyValue(200, c.PaginatedUncounted(more, std::move(results), limit, offset));
  }
  int64_t id;
  if (!ParseId(id_str, &id)) return c.Error(404, "Not found.");
  auto ev = store_.GetEvent(id);
  if (!ev.ok()) {
    if (ev.status().code() == Code::kNotFound) return c.Error(404, "Event not found.");
    return c.Error(ev.status());
  }
  Value v = EventToValue(*ev);
  TaskFilter tf;
  tf.event_id = id;
  tf.limit = 1000;
  tf.oldest_first = true;
  auto tasks = store_.ListTasks(tf);
  List tl;
  if (tasks.ok())
    for (const auto& t : *tasks) tl.push_back(TaskToJson(t, c.api_base));
  v.as_dict().set("tasks", Value(std::move(tl)));
  c.ReplyValue(200, v);
}

void Api::IngestNow(const std::string& body, bool ndjson, const std::string& request_key,
                    const http::Responder& respond) {
  bool responded = false;
  try {
    int64_t now = NowUs();
    auto parsed_body = ParseEvents(body, ndjson, now);
    if (!parsed_body.ok()) {
      responded = true;
      return respond(http::Response::Detail(400, parsed_body.status().message()));
    }
    ParsedEvents& parsed = *parsed_body;
    if (!parsed.errors.empty()) {
      Dict d;
      d.set("detail",
            "Rejected: " + std::to_string(parsed.error_count) +
                " invalid event(s); nothing was stored." +
                (parsed.error_count > parsed.errors.size()
                     ? " The first " + std::to_string(parsed.errors.size()) + " are listed."
                     : std::string()));
      List errs;
      for (const auto& e : parsed.errors) {
        Dict ed;
        ed.set("index", static_cast<int64_t>(e.index));
        ed.set("error", e.status.message());
        errs.emplace_back(std::move(ed));
      }
      d.set("errors", Value(std::move(errs)));
      responded = true;
      return respond(http::Response::Json(400, Value(std::move(d))));
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
    const bool dedupe = options_.dedupe_window.count() > 0;
    const TimeUs dedupe_since =
        now - static_cast<TimeUs>(options_.dedupe_window.count()) * 1'000'000;
    for (size_t i = 0; i < parsed.events.size(); ++i) {
      Event& e = parsed.events[i];
      NewEvent ne;
      if (dedupe) {
        // With the header, the events are keyed by it and their place in the body (a rejected
        // body stores nothing, so the valid events' places are their indexes).
        ne.dedupe_key = request_key.empty() ? std::move(parsed.keys[i])
                                            : "request:" + request_key + ":" + std::to_string(i);
        ne.dedupe_since = dedupe_since;
      }
      conditions::Deadline deadline = options_.condition_budget.count() > 0
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
      log::Error(
          name + ": Evaluation failed. " + k.reason +
              " (ingest.condition_budget_ms=" + std::to_string(options_.condition_budget.count()) +
              "); the rule did not match " + std::to_string(k.events) + " event(s) of this request",
          {{"rule", name},
           {"object_type", k.object_type},
           {"events", k.events},
           {"budget_ms", static_cast<long long>(options_.condition_budget.count())}});
    }
    responded = true;
    store_.CommitEvents(std::move(batch), [respond](Result<std::vector<CommittedEvent>> r) {
      if (!r.ok()) {
        // While the store is down every request fails the same way: one line per 10 s.
        static log::Throttle throttle(std::chrono::seconds(10));
        if (long long held; throttle.Allow(&held))
          log::Error("event commit failed",
                     {{"error", r.status().message()}, {"similar_lines_suppressed", held}});
        respond(
            http::Response::Detail(503, "The events could not be stored: " + r.status().message()));
        return;
      }
      respond(http::Response::Json(202, AcceptedJson(*r)));
    });
  } catch (const std::exception& e) {
    log::Error("unhandled error in event ingest", {{"error", e.what()}});
    if (!responded) respond(http::Response::Detail(500, "Internal error; see the server log."));
  }
}

}  // namespace herald
