// Explain: what Herald would do with events, without storing or sending anything. For each event,
// every rule of the rule index (enabled, with a webhook target), whether its object type and event
// type matched, its condition trace (ConditionSet::Check through RuleIndex::Explain, the decision
// ingest makes), and for each rule that matched the request delivery would send (Renderer::Render
// and MakeHttpRequest, as the dispatcher builds it), with credentials redacted for callers who may
// not see them (model/redact.h). Template errors are part of the answer, never a failure.
// POST /api/events/explain/, `herald events explain` and the UI's explain page all answer with
// ExplainEvents. See docs/explain.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "delivery/renderer.h"
#include "matching/matcher.h"
#include "model/model.h"
#include "value/value.h"

namespace herald {

// Most events one explain request may hold (the rest of /api/events/'s input rules apply).
inline constexpr size_t kMaxExplainEvents = 100;
// Most rendered body bytes one explain answer carries; past it a request's body is left out
// ("body": null, "body_bytes" still given), so many events times many rules cannot build an
// answer of gigabytes.
inline constexpr size_t kMaxExplainBodyBytes = 8 * 1024 * 1024;

struct ExplainOptions {
  // Admins see credential header values, URL credentials and the signature value
  // (ScopeAllows(scope, Access::kCredentials)); others see kRedacted in their place.
  bool show_credentials = false;
  // Per event, as ingest.condition_budget_ms (zero: unbounded).
  std::chrono::milliseconds condition_budget{50};
  // delivery.default_timeout, for webhooks without their own timeout.
  int default_timeout_seconds = 60;
};

// The explain answer for `events` (validated, as ParseEvents returns them), in body order:
//   {"stored": false, "rules_considered": N, "events": [{"index", "object_type", "event_type",
//    "tasks" (how many ingest would create), "rules": [...]}, ...]}
// Each rule: id, name, webhook {id, name}, object_type_matched, event_type_matched, conditions
// (null without conditions; else evaluated, result, error, over_budget, trace), matched, and for
// a matched rule `request` (method, url, headers, body, body_bytes, signed, signature_scheme,
// signature_headers, timeout, ssl_verification) or `render_error`. A request carries a fresh
// sample task id (X-Herald-Task, webhook-id) and now as webhook-timestamp, as the UI's preview
// does: delivery sends the task's own id and the send time. `hooks` are the stored webhooks the
// rules target. Pure but for rendering through `renderer` (thread-safe).
Value ExplainEvents(const std::vector<Event>& events, const RuleIndex& rules,
                    const std::vector<Webhook>& hooks, delivery::Renderer& renderer,
                    const ExplainOptions& options);

}  // namespace herald
