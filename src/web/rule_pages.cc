// The event rule pages: list with search, detail (latest tasks), the create/edit form with the
// object-type and event-type pickers and the JSON conditions and action data (saved by
// validation/save.h, as the REST API saves), delete, and the check of a rule against a sample
// event, condition by condition. See pages.h.
#include <algorithm>

#include "api/errors.h"
#include "conditions/conditions.h"
#include "model/object_types.h"
#include "validation/save.h"
#include "value/json.h"
#include "web/page_values.h"
#include "web/pages.h"

namespace herald::web {

namespace {

// A rule for the templates, with the name of its target among `hooks`.
Value RuleValue(const EventRule& r, const std::vector<Webhook>& hooks) {
  std::string target;
  for (const auto& w : hooks)
    if (r.action_object_id && w.id == *r.action_object_id) target = w.name;
  auto json_text = [](const Value& v) { return v.is_none() ? std::string() : Pretty(v); };
  return D()("id", r.id)("name", r.name)("description", r.description)(
             "object_types", StrList(r.object_types))("event_types", StrList(r.event_types))(
             "enabled", r.enabled)("conditions", json_text(r.conditions))(
             "action_data", json_text(r.action_data))("comments", r.comments)(
             "webhook_id", r.action_object_id ? Value(*r.action_object_id) : Value(""))(
             "webhook", target)("created", FmtTime(r.created))("last_updated",
                                                               FmtTime(r.last_updated))
      .value();
}

// Parses a JSON textarea: empty -> None; invalid -> field error.
Value JsonField(const http::Params& f, const char* name, FieldErrors& errors) {
  std::string text = f.Str(name);
  bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
  if (blank) return Value();
  auto v = ParseStrictJson(text);
  if (!v.ok()) {
    AddFieldError(errors, name, "Enter a valid JSON: " + v.status().message());
    return Value();
  }
  return *v;
}

// The errors of a rule form whose JSON textareas did not parse: theirs, then the other fields'
// (validation only: nothing is saved). The broken fields' own validation errors would only
// repeat theirs and are left out.
FieldErrors ErrorsBesideJson(const FieldErrors& json_errors, const Value& body,
                             const EventRule* existing) {
  FieldErrors errors = json_errors;
  auto checked = EventRuleFromJson(body, existing, false);
  for (const auto& [field, msgs] : checked.status().field_errors()) {
    bool json_broken = std::any_of(json_errors.begin(), json_errors.end(),
                                   [&f = field](const auto& e) { return e.first == f; });
    if (!json_broken)
      for (const auto& m : msgs) AddFieldError(errors, field, m);
  }
  return errors;
}

// The object types ticked in the picker, then those typed by hand (comma or space separated).
std::vector<std::string> ObjectTypesFromForm(const http::Params& f) {
  std::vector<std::string> object_types = f.GetAll("object_types");
  std::string extra = f.Str("object_types_extra");
  for (char& ch : extra)
    if (ch == ',' || ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  for (auto& ot : SplitNonEmpty(extra, ' ')) object_types.push_back(std::move(ot));
  return object_types;
}

// How a condition's attribute resolved, for the check page.
std::string ResolutionText(const conditions::TraceEntry& t) {
  using R = conditions::TraceEntry::Resolution;
  switch (t.resolution) {
    case R::kValue: return DumpJson(t.resolved, {.ensure_ascii = false});
    case R::kMissing: return "(not found)";
    case R::kAbsentPayload: return "(no data payload)";
    case R::kAbsentSnapshot: return "null (no snapshot)";
    case R::kSnapshots:
      return "before: " + (t.pre_found ? DumpJson(t.pre, {.ensure_ascii = false}) : "(absent)") +
             ", after: " + (t.post_found ? DumpJson(t.post, {.ensure_ascii = false}) : "(absent)");
    case R::kNotEvaluated: return "(not evaluated)";
  }
  return "";
}

}  // namespace

void RulePages::List(Ctx& c) {
  auto rules = store.ListEventRules();
  auto hooks = store.ListWebhooks();
  if (!rules.ok() || !hooks.ok())
    return c.Error(500, (!rules.ok() ? rules.status() : hooks.status()).message());
  std::string q = c.req.query_params.Get("q").value_or("");
  std::string ql = AsciiLower(q);
  ::herald::List rows;
  for (const auto& r : *rules) {
    bool hit =
        ql.empty() || ContainsIgnoreCase(r.name, ql) || ContainsIgnoreCase(r.description, ql);
    for (const auto& ot : r.object_types) hit = hit || ContainsIgnoreCase(ot, ql);
    if (hit) rows.push_back(RuleValue(r, *hooks));
  }
  c.Page("rules.html", D()("rules", Value(std::move(rows)))("q", q)(
                           "total", static_cast<int64_t>(rules->size())));
}

void RulePages::Detail(Ctx& c, const EventRule& r) {
  auto hooks = store.ListWebhooks();
  if (!hooks.ok()) return c.Error(500, hooks.status().message());
  TaskFilter f;
  f.rule_id = r.id;
  f.limit = 10;
  c.Page("rule.html", D()("r", RuleValue(r, *hooks))("tasks", TaskRows(store, f))(
                          "object_types", ObjectTypesWithEvents(store)));
}

void RulePages::Edit(Ctx& c, const EventRule* existing) {
  if (!c.session->can_write()) return c.Error(403, kReadOnlyMessage);
  auto hooks = store.ListWebhooks();
  if (!hooks.ok()) return c.Error(500, hooks.status().message());
  EventRule blank;
  blank.event_types = {"object_created", "object_updated", "object_deleted"};
  Value current = RuleValue(existing ? *existing : blank, *hooks);
  auto show = [&](Value r, const FieldErrors& errors, int status) {
    std::vector<std::string> types = KnownObjectTypes();
    for (const auto& v : r.get("object_types")->as_list())
      if (std::find(types.begin(), types.end(), v.as_str()) == types.end())
        types.push_back(v.as_str());
    c.Page("rule_form.html",
           D()("r", r)("errors", ErrorsValue(errors))("editing", existing != nullptr)(
               "all_object_types", StrList(types))("all_event_types", StrList(KnownEventTypes()))(
               "webhooks", WebhookChoices(*hooks)),
           status);
  };
  if (!c.post()) return show(current, {}, 200);
  FieldErrors json_errors;
  std::vector<std::string> object_types = ObjectTypesFromForm(c.form);
  D b;
  b("name", c.form.Str("name"))("description", c.form.Str("description"))(
      "comments", c.form.Str("comments"))("object_types", StrList(object_types))(
      "event_types", StrList(c.form.GetAll("event_types")))("enabled", c.form.Has("enabled"))(
      "conditions", JsonField(c.form, "conditions", json_errors))("action_type", "webhook")(
      "action_object_type", "extras.webhook")("action_data",
                                              JsonField(c.form, "action_data", json_errors));
  std::string target = c.form.Str("action_object_id");
  b("action_object_id", TextOrNone(target));
  Value body = b.value();
  // Saved only when both JSON textareas parse.
  Result<EventRule> saved =
      json_errors.empty()
          ? SaveEventRule(store, body, existing, false)
          : Result<EventRule>(Status::Invalid(ErrorsBesideJson(json_errors, body, existing)));
  if (!saved.ok()) {
    // Re-show what the user typed, with the errors next to the fields.
    Value shown = current;
    Dict& d = shown.as_dict();
    for (const char* k : {"name", "description", "comments", "conditions", "action_data"})
      d.set(k, c.form.Str(k));
    d.set("object_types", StrList(object_types));
    d.set("event_types", StrList(c.form.GetAll("event_types")));
    d.set("enabled", c.form.Has("enabled"));
    d.set("webhook_id", target.empty() ? Value("") : Value(ParseInt(target).value_or(0)));
    return show(shown, FormErrors(saved.status()), HttpStatusFor(saved.status()));
  }
  RecordSaved(c, kRuleKind, saved->id, saved->name, existing != nullptr);
}

void RulePages::Delete(Ctx& c, const EventRule& r) {
  RecordDeleted(c, kRuleKind, r.id, r.name, store.DeleteEventRule(r.id));
}

void RulePages::Check(Ctx& c, const EventRule& r) {
  auto hooks = store.ListWebhooks();
  if (!hooks.ok()) return c.Error(500, hooks.status().message());
  D vars;
  bool bad_sample = false;
  auto event = PickSampleEvent(c, store, vars, &bad_sample);
  vars("r", RuleValue(r, *hooks))("result", Value());
  if (!event) return c.Page("rule_check.html", std::move(vars), bad_sample ? 400 : 200);
  bool type_ok = std::find(r.object_types.begin(), r.object_types.end(), event->object_type) !=
                 r.object_types.end();
  bool event_ok = std::find(r.event_types.begin(), r.event_types.end(), event->event_type) !=
                  r.event_types.end();
  ::herald::List rows;
  std::string cond_error, outcome;
  bool matched = false;
  if (conditions::IsFalsyConditions(r.conditions)) {
    matched = true;
    outcome = "no conditions: always true";
  } else {
    std::string where;
    auto set = conditions::ConditionSet::Compile(r.conditions, &where);
    if (!set.ok()) {
      cond_error = set.status().ToString();
    } else {
      Value data = conditions::BuildEvalData(event->data, event->snapshots);
      const auto budget = options.condition_budget;
      auto checked = set->Check(
          data, budget.count() > 0 ? conditions::Clock::now() + budget : conditions::kNoDeadline);
      const auto& res = checked.result;
      for (const auto& cc : checked.conditions) {
        const auto& info = cc.condition;
        D row;
        row("location", info.location.empty() ? "(top)" : info.location)("attr", info.attr)(
            "op", info.op)("negate", info.negate)(
            "value", info.has_value ? DumpJson(info.value, {.ensure_ascii = false}) : "");
        if (!cc.trace) {
          row("state", "skipped")("resolved", "(not reached: short-circuit)")("error", "");
        } else {
          const auto& t = *cc.trace;
          row("state", !t.ok      ? "error"
                       : t.result ? "held"
                                  : "failed")("resolved", ResolutionText(t))(
              "error", t.ok ? "" : t.error.message());
        }
        rows.push_back(row.value());
      }
      if (res.ok()) {
        matched = *res;
        outcome = *res ? "conditions hold" : "conditions do not hold";
      } else {
        cond_error = "Evaluation failed. " + res.status().message();
      }
    }
  }
  vars("result", D()("type_ok", type_ok)("event_ok", event_ok)("enabled", r.enabled)(
                     "matched", matched && type_ok && event_ok && r.enabled && cond_error.empty())(
                     "conditions_ok", matched && cond_error.empty())("outcome", outcome)(
                     "error", cond_error)("rows", Value(std::move(rows)))("event", EventRow(*event))
                     .value());
  c.Page("rule_check.html", std::move(vars));
}

}  // namespace herald::web
