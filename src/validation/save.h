// Saving a webhook or an event rule from a NetBox-shaped JSON body, the one way the REST API
// (api/crud.cc) and the UI (web/webhook_pages.cc, web/rule_pages.cc) both save them: validate
// (forms.h), check that a rule's webhook exists, then create or update in the store. Every
// failure is a Status that names its field where it has one (a taken name on "name", a missing
// webhook on "action_object_id"), so callers never read messages to place an error; api/errors.h
// turns it into an HTTP status and NetBox's error body. Thread-safe when the Store is.
#pragma once

#include <vector>

#include "common/status.h"
#include "model/model.h"
#include "store/store.h"
#include "value/value.h"

namespace herald {

// Validates `body` (WebhookFromJson with `existing` as base and `partial` for PATCH) and
// creates the webhook (existing == nullptr) or updates `*existing` (keeping its id). Returns
// the stored webhook, or:
//   kInvalidArgument with every field's errors when the body is invalid;
//   kConflict on field "name" when another webhook has the name;
//   kNotFound when `existing` no longer exists;
//   the store's error (kUnavailable, ...) otherwise.
Result<Webhook> SaveWebhook(Store& store, const Value& body, const Webhook* existing, bool partial);

// The same for an event rule, and before saving: kInvalidArgument on field "action_object_id"
// ("Webhook N does not exist.") when the rule targets a webhook the store does not have. (The
// store checks again as it writes: a webhook deleted in between is a kConflict on the same
// field.)
Result<EventRule> SaveEventRule(Store& store, const Value& body, const EventRule* existing,
                                bool partial);

// The event rules that target webhook `id` (ordered by name; none when it has none).
Result<std::vector<EventRule>> RulesUsingWebhook(Store& store, int64_t id);

// Deletes webhook `id` and, first, every event rule that targets it, as NetBox deletes a
// webhook's rules with it (its foreign key cascades). *deleted_rules: the rules deleted (also
// when a later step fails). kNotFound when the webhook does not exist; kConflict when a rule
// targeting it appeared meanwhile (nothing more is deleted then); the store's error otherwise.
Status DeleteWebhookAndRules(Store& store, int64_t id, std::vector<EventRule>* deleted_rules);

}  // namespace herald
