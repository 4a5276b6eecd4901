// The answer to OPTIONS on the webhook and event rule endpoints, shaped as Django REST
// framework's SimpleMetadata (as NetBox's BulkOperationMetadata answers it): name, description,
// renders, parses and, when the caller may write, actions.POST (list URL) and actions.PUT (both
// URLs) describing every field of the JSON form: type ("integer", "string", "boolean",
// "choice", "datetime", "list", "field" ...), required, read_only, label, max_length or
// min_value/max_value where the form checks them, and choices ([{value, display_name}]) for
// choice fields. pynetbox's Endpoint.choices() reads the choices from actions.POST. The
// choices are what Herald accepts (an event rule's action_type is "webhook" only).
#pragma once

#include "value/value.h"

namespace herald::api {

enum class FormKind { kWebhook, kEventRule };

// `list`: the list URL (POST and PUT described) rather than one object's (PUT only);
// `writable`: the caller may write (else no "actions" key, as DRF leaves it out).
Value FormMetadata(FormKind kind, bool list, bool writable);

}  // namespace herald::api
