// Webhook and event rule forms: NetBox-shaped JSON in (create, PUT, PATCH) with NetBox's
// validation, and NetBox-shaped JSON out. Errors are per field, as the API returns them:
// {"field": ["message", ...]}. Uniqueness and references are checked by the store.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/model.h"
#include "value/value.h"

namespace herald {

using FieldErrors = std::vector<std::pair<std::string, std::vector<std::string>>>;

// Adds a message to a field's list.
void AddFieldError(FieldErrors& errors, const std::string& field, std::string message);
// {"field": ["message"], ...}
Value FieldErrorsToValue(const FieldErrors& errors);

template <typename T>
struct Validated {
  std::optional<T> value;
  FieldErrors errors;
  bool ok() const { return value.has_value() && errors.empty(); }
};

// Builds a webhook from a request body. `base` is the stored record for PUT/PATCH (nullptr for
// create); `partial` is true for PATCH (absent fields keep base's values).
Validated<Webhook> WebhookFromJson(const Value& body, const Webhook* base, bool partial);
Validated<EventRule> EventRuleFromJson(const Value& body, const EventRule* base, bool partial);

// `api_base` is the absolute prefix of API URLs, e.g. "http://127.0.0.1:8080". Unless
// `show_credentials` (admin callers), credential header values in additional_headers are
// replaced by "********" (model/redact.h).
Value WebhookToJson(const Webhook& w, const std::string& api_base, bool brief = false,
                    bool show_credentials = false);
// `webhook_of` resolves the rule's target for the nested action_object (may return nullptr).
Value EventRuleToJson(const EventRule& r, const std::string& api_base, bool brief,
                      const std::function<const Webhook*(int64_t)>& webhook_of);

// Validation pieces shared with the UI.
// Returns the error for payload_url, or empty when valid (SPEC 1, item 2).
std::string ValidatePayloadUrl(const std::string& url);
// Compiles a template in the webhook environment; returns "Type: message" or empty.
std::string TemplateSyntaxError(const std::string& source);
// Compiles conditions; returns the error message or empty (falsy conditions are valid).
std::string ConditionsError(const Value& conditions);

// Header names additional_headers may not set, because Herald frames every request itself and
// a second value would let event data or a template re-frame it (request smuggling, wrong
// virtual host, connection reuse games): Content-Length, Transfer-Encoding, Host, Connection.
// Returns the canonical spelling when `name` is one of them (ASCII case-insensitive), else "".
std::string ForbiddenHeaderName(std::string_view name);
// "additional_headers may not set Content-Length: ..." — the message for a forbidden header,
// shared by the save-time check and the render-time check (same wording everywhere).
std::string ForbiddenHeaderMessage(std::string_view canonical_name);
// Save-time check of the additional_headers template text: its lines (split like
// ParseAdditionalHeaders splits rendered text) whose name — the text before the first ':',
// stripped — is forbidden. Names that only appear once rendered are caught at render time.
// Returns the error message, or empty when the text is acceptable.
std::string AdditionalHeadersError(std::string_view source);

}  // namespace herald
