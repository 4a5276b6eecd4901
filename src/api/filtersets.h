// NetBox's WebhookFilterSet and EventRuleFilterSet (netbox/extras/filtersets.py, 4.6) as tables
// for the lookup engine of api/filters.h, plus what each filter reads from a Webhook or an
// EventRule.
//
// Webhooks: id, name, description, payload_url (contains, any case; no lookups, as NetBox
// declares it), http_method (choices), http_content_type, ssl_verification, ca_file_path,
// timeout (4.7), created, last_updated, q (name, description or payload_url contains).
// Event rules: id, name, description, enabled, action_type (choices webhook, script,
// notification), action_object_type, action_object_id, object_type (app.model; a rule matches
// when one of its object types is named), event_type (a rule matches when it has any of the
// values), created, last_updated, q (name, description or comments contains).
// Both: created_by_request, updated_by_request, modified_by_request (valid UUIDs match nothing:
// Herald keeps no change log). Refused with 400, because Herald has no such thing and
// answering every object would be wrong: tag, tag_id, owner, owner_id, owner_group,
// owner_group_id, object_type_id (Herald has no object type ids; use object_type), and the
// webhook's `secret` (write-only in Herald).
#pragma once

#include <cstddef>
#include <vector>

#include "api/filters.h"
#include "model/model.h"

namespace herald::api {

const std::vector<FilterSpec>& WebhookFilterSpecs();
const std::vector<FilterSpec>& EventRuleFilterSpecs();

// Field `spec` (an index into the table above) of `w` / `r`.
FieldValue WebhookField(const Webhook& w, size_t spec);
FieldValue EventRuleField(const EventRule& r, size_t spec);

}  // namespace herald::api
