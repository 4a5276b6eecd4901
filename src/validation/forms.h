// Webhook and event rule forms: NetBox-shaped JSON in (create, PUT, PATCH) with NetBox's
// validation, and NetBox-shaped JSON out. Errors are per field: a failed Status of
// Code::kInvalidArgument whose field_errors() the API returns as {"field": ["message", ...]}.
// Uniqueness and references are checked by the store; validation/save.h puts it together.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/model.h"
#include "value/value.h"

namespace herald {

// FieldErrors (common/status.h): {field, [messages]} in the order first reported.
// Adds a message to a field's list.
void AddFieldError(FieldErrors& errors, const std::string& field, std::string message);
// {"field": ["message"], ...}
Value FieldErrorsToValue(const FieldErrors& errors);

// Builds a webhook from a request body. `base` is the stored record for PUT/PATCH (nullptr for
// create): absent fields keep base's values; `partial` is true for PATCH (required fields may
// be absent; PUT must send them, as DRF's full update). On invalid input,
// a kInvalidArgument Status with every field's errors (Status::field_errors()).
Result<Webhook> WebhookFromJson(const Value& body, const Webhook* base, bool partial);
Result<EventRule> EventRuleFromJson(const Value& body, const EventRule* base, bool partial);

// `api_base` is the absolute prefix of API URLs, e.g. "http://127.0.0.1:8080". Unless
// `show_credentials` (admin callers), credential header values in additional_headers are
// replaced by "********" (model/redact.h).
Value WebhookToJson(const Webhook& w, const std::string& api_base, bool brief = false,
                    bool show_credentials = false);
// `webhook_of` resolves the rule's target for the nested action_object (may return nullptr).
Value EventRuleToJson(const EventRule& r, const std::string& api_base, bool brief,
                      const std::function<const Webhook*(int64_t)>& webhook_of);

// Validation pieces (each OK, or kInvalidArgument on the field it checks).
// payload_url: a literal http(s) URL, or a template that compiles (SPEC 1, item 2).
Status ValidatePayloadUrl(const std::string& url);
// Compiles a template in the webhook environment; on failure the label is the Jinja2
// exception class and the message its text ("unexpected '}'"), as str() of the exception
// reads in NetBox. Names no field.
Status CheckTemplateSyntax(const std::string& source);
// The compile errors of a webhook's body and additional-headers templates, one line each
// ("body_template: TemplateSyntaxError: ... (line 3)"), compiled as delivery compiles them (the
// headers with `header_safe`). NetBox saves such webhooks and their deliveries fail, and so
// does Herald; the UI shows these as a warning when it saves. Empty when both compile.
std::vector<std::string> WebhookTemplateWarnings(const Webhook& w);
// Compiles event rule conditions (falsy conditions are valid); field "conditions", with
// " (at <location>)" after the message when the problem is nested.
Status CheckConditions(const Value& conditions);

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
// OK when the text is acceptable, else kInvalidArgument on field "additional_headers"
// ("Line N: additional_headers may not set ...").
Status CheckAdditionalHeaders(std::string_view source);

}  // namespace herald
