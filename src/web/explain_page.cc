// The explain page (pages.h): a sample event through the sample picker the preview and check
// pages share, explained by ExplainEvents (api/explain.h) against a rule index built from the
// store now, as POST /api/events/explain/ explains it.
#include "api/explain.h"
#include "web/page_values.h"
#include "web/pages.h"

namespace herald::web {

void ExplainPage::Show(Ctx& c) {
  D vars;
  bool bad_sample = false;
  auto event = PickSampleEvent(c, store, vars, &bad_sample);
  vars("answer", Value());
  if (!event) return c.Page("explain.html", std::move(vars), bad_sample ? 400 : 200);
  int64_t revision = store.ConfigRevision();
  auto rules = store.ListEventRules();
  auto hooks = store.ListWebhooks();
  if (!rules.ok() || !hooks.ok())
    return c.Error(500, (!rules.ok() ? rules.status() : hooks.status()).message());
  ExplainOptions o;
  o.show_credentials = c.session->can_write();
  o.condition_budget = options.condition_budget;
  o.default_timeout_seconds = options.default_timeout_seconds;
  std::vector<Event> events{std::move(*event)};
  Value answer =
      ExplainEvents(events, *RuleIndex::Build(*rules, *hooks, revision), *hooks, renderer, o);
  vars("answer", answer.get("events")->as_list()[0])(
      "rules_considered", *answer.get("rules_considered"))("event", EventRow(events[0]));
  c.Page("explain.html", std::move(vars));
}

}  // namespace herald::web
