#include "validation/save.h"

#include "validation/forms.h"

namespace herald {

namespace {

// kInvalidArgument on action_object_id when `rule` targets a webhook that does not exist.
Status CheckTarget(Store& store, const EventRule& rule) {
  if (!rule.action_object_id) return Status::Ok();
  auto hook = store.GetWebhook(*rule.action_object_id);
  if (hook.ok()) return Status::Ok();
  if (hook.status().code() != Code::kNotFound) return hook.status();
  return Status::Invalid("action_object_id",
                         "Webhook " + std::to_string(*rule.action_object_id) + " does not exist.");
}

}  // namespace

Result<Webhook> SaveWebhook(Store& store, const Value& body, const Webhook* existing,
                            bool partial) {
  auto w = WebhookFromJson(body, existing, partial);
  if (!w.ok()) return w.status();
  if (!existing) return store.CreateWebhook(std::move(*w));
  w->id = existing->id;
  return store.UpdateWebhook(std::move(*w));
}

Result<EventRule> SaveEventRule(Store& store, const Value& body, const EventRule* existing,
                                bool partial) {
  auto r = EventRuleFromJson(body, existing, partial);
  if (!r.ok()) return r.status();
  HERALD_RETURN_IF_ERROR(CheckTarget(store, *r));
  if (!existing) return store.CreateEventRule(std::move(*r));
  r->id = existing->id;
  return store.UpdateEventRule(std::move(*r));
}

Result<std::vector<EventRule>> RulesUsingWebhook(Store& store, int64_t id) {
  auto rules = store.ListEventRules();
  if (!rules.ok()) return rules.status();
  std::vector<EventRule> out;
  for (auto& r : *rules)
    if (r.action_object_id == id && r.action_object_type == "extras.webhook")
      out.push_back(std::move(r));
  return out;
}

Status DeleteWebhookAndRules(Store& store, int64_t id, std::vector<EventRule>* deleted_rules) {
  HERALD_RETURN_IF_ERROR(store.GetWebhook(id).status());
  auto rules = RulesUsingWebhook(store, id);
  if (!rules.ok()) return rules.status();
  for (const auto& r : *rules) {
    Status st = store.DeleteEventRule(r.id);
    if (!st.ok() && st.code() != Code::kNotFound) return st;
    deleted_rules->push_back(r);
  }
  return store.DeleteWebhook(id);
}

}  // namespace herald
