// ExplainEvents (explain.h): the rule index's decision per rule, the condition traces, and the
// request each matching rule's webhook would send, as JSON.
#include "api/explain.h"

#include <algorithm>

#include "common/time.h"
#include "delivery/request.h"
#include "delivery/signature.h"
#include "ingest/event_input.h"
#include "model/redact.h"
#include "store/task_id.h"

namespace herald {

namespace {

using Resolution = conditions::TraceEntry::Resolution;

const char* ResolutionName(Resolution r) {
  switch (r) {
    case Resolution::kValue: return "value";
    case Resolution::kMissing: return "missing";
    case Resolution::kAbsentPayload: return "absent_payload";
    case Resolution::kAbsentSnapshot: return "absent_snapshot";
    case Resolution::kSnapshots: return "snapshots";
    case Resolution::kNotEvaluated: return "not_evaluated";
  }
  return "not_evaluated";
}

// One condition: what it asks, whether evaluation reached it, the value it saw and its verdict.
Value ConditionJson(const conditions::CheckedCondition& cc) {
  const conditions::ConditionInfo& info = cc.condition;
  Dict d;
  d.set("location", info.location);
  d.set("attr", info.attr);
  d.set("op", info.op);
  d.set("negate", info.negate);
  d.set("value", info.has_value ? info.value : Value());
  d.set("reached", cc.trace.has_value());
  if (!cc.trace) {
    d.set("found", Value());
    d.set("seen", Value());
    d.set("result", Value());
    d.set("error", Value());
    return Value(std::move(d));
  }
  const conditions::TraceEntry& t = *cc.trace;
  d.set("found", ResolutionName(t.resolution));
  d.set("seen", t.resolution == Resolution::kValue ? t.resolved : Value());
  if (t.resolution == Resolution::kSnapshots) {
    d.set("before", t.pre_found ? t.pre : Value());
    d.set("after", t.post_found ? t.post : Value());
  }
  d.set("result", t.ok ? Value(t.result) : Value());
  d.set("error", t.ok ? Value() : Value(t.error.message()));
  return Value(std::move(d));
}

Value ConditionsJson(const RuleIndex::RuleExplanation& x) {
  if (!x.has_conditions) return Value();
  Dict d;
  d.set("evaluated", x.conditions_evaluated);
  bool answered = x.conditions_evaluated && x.check.result.ok();
  d.set("result", answered ? Value(*x.check.result) : Value());
  d.set("error", x.conditions_error.empty() ? Value() : Value(x.conditions_error));
  d.set("over_budget", x.over_budget);
  List trace;
  for (const auto& cc : x.check.conditions) trace.push_back(ConditionJson(cc));
  d.set("trace", Value(std::move(trace)));
  return Value(std::move(d));
}

// The request delivery would send for the task of a matched rule, or the render error.
void AddRequest(Dict& rule, const RuleIndex::RuleExplanation& x, const Event& event,
                const std::vector<Webhook>& hooks, delivery::Renderer& renderer,
                const ExplainOptions& o, size_t* body_budget) {
  auto w = std::find_if(hooks.begin(), hooks.end(),
                        [&](const Webhook& h) { return h.id == x.webhook_id; });
  if (w == hooks.end()) {
    rule.set("request", Value());
    rule.set("render_error", "Webhook " + std::to_string(x.webhook_id) +
                                 " no longer exists; the task cannot be delivered.");
    return;
  }
  Value context = BuildContext(event, x.task.action_data);
  // A sample task id, as the webhook preview uses one: delivery sends the task's own (in
  // X-Herald-Task and webhook-id), and the send time as webhook-timestamp.
  const std::string sample_id = NewTaskId();
  auto rendered =
      renderer.Render(*w, context, {{"X-Herald-Task", sample_id}}, {sample_id, NowUs()});
  if (!rendered.ok()) {
    rule.set("request", Value());
    rule.set("render_error", rendered.status().message());
    return;
  }
  delivery::HttpRequest hr =
      delivery::MakeHttpRequest(*w, std::move(*rendered), {o.default_timeout_seconds, "", ""});
  Dict req;
  req.set("method", hr.method);
  req.set("url", o.show_credentials ? hr.url : RedactUrl(hr.url));
  List signature_headers;
  for (const auto& h : hr.headers)
    if (h.first == delivery::kSignatureHeader || h.first == delivery::kWebhookSignatureHeader)
      signature_headers.push_back(Value(h.first));
  req.set("headers",
          delivery::HeaderDict(o.show_credentials ? hr.headers : RedactHeaders(hr.headers)));
  const size_t bytes = hr.body.size();
  bool fits = bytes <= *body_budget;
  if (fits) *body_budget -= bytes;
  req.set("body", fits ? Value(std::move(hr.body)) : Value());
  req.set("body_bytes", static_cast<int64_t>(bytes));
  req.set("signed", !signature_headers.empty());
  req.set("signature_scheme", w->signature_scheme);
  req.set("signature_headers", Value(std::move(signature_headers)));
  req.set("timeout", static_cast<int64_t>(
                         std::chrono::duration_cast<std::chrono::seconds>(hr.timeout).count()));
  req.set("ssl_verification", hr.verify_tls);
  rule.set("request", Value(std::move(req)));
  rule.set("render_error", Value());
}

}  // namespace

Value ExplainEvents(const std::vector<Event>& events, const RuleIndex& rules,
                    const std::vector<Webhook>& hooks, delivery::Renderer& renderer,
                    const ExplainOptions& o) {
  size_t body_budget = kMaxExplainBodyBytes;
  List out;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    conditions::Deadline deadline = o.condition_budget.count() > 0
                                        ? conditions::Clock::now() + o.condition_budget
                                        : conditions::kNoDeadline;
    int64_t tasks = 0;
    List rule_list;
    for (const auto& x : rules.Explain(e, deadline)) {
      Dict r;
      r.set("id", x.rule_id);
      r.set("name", x.rule_name);
      Dict hook;
      hook.set("id", x.webhook_id);
      hook.set("name", x.webhook_name);
      r.set("webhook", Value(std::move(hook)));
      r.set("object_type_matched", x.object_type_matched);
      r.set("event_type_matched", x.event_type_matched);
      r.set("conditions", ConditionsJson(x));
      r.set("matched", x.matched);
      if (x.matched) {
        ++tasks;
        AddRequest(r, x, e, hooks, renderer, o, &body_budget);
      }
      rule_list.emplace_back(std::move(r));
    }
    Dict ed;
    ed.set("index", static_cast<int64_t>(i));
    ed.set("object_type", e.object_type);
    ed.set("event_type", e.event_type);
    ed.set("tasks", tasks);
    ed.set("rules", Value(std::move(rule_list)));
    out.emplace_back(std::move(ed));
  }
  Dict d;
  d.set("stored", false);
  d.set("rules_considered", static_cast<int64_t>(rules.rule_count()));
  d.set("events", Value(std::move(out)));
  return Value(std::move(d));
}

}  // namespace herald
