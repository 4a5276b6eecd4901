#include "api/metadata.h"

#include <string>
#include <utility>
#include <vector>

#include "model/object_types.h"

namespace herald::api {

namespace {

using Choices = std::vector<std::pair<std::string, std::string>>;  // value, display name

struct MetaField {
  const char* name;
  const char* type;
  bool required;
  bool read_only;
  const char* label;
  int max_length = 0;
  Choices choices = {};
  const char* child_type = nullptr;  // "list": the item type (with `choices` on the child)
  bool min_value_zero = false;       // an id: min_value 0
};

Choices EventTypeChoices() {
  static const std::pair<const char*, const char*> kLabels[] = {
      {"object_created", "Object created"}, {"object_updated", "Object updated"},
      {"object_deleted", "Object deleted"}, {"job_started", "Job started"},
      {"job_completed", "Job completed"},   {"job_failed", "Job failed"},
      {"job_errored", "Job errored"}};
  Choices out;
  for (const auto& et : KnownEventTypes()) {
    std::string label = et;
    for (const auto& [v, l] : kLabels)
      if (et == v) label = l;
    out.emplace_back(et, label);
  }
  return out;
}

// The fields every NetBox model serializer starts with.
void AddIdentity(std::vector<MetaField>& f) {
  f.push_back({"id", "integer", false, true, "ID"});
  f.push_back({"url", "field", false, true, "Url"});
  f.push_back({"display_url", "field", false, true, "Display url"});
  f.push_back({"display", "field", false, true, "Display"});
}

// ... and ends with. Herald refuses writes of custom_fields, owner and tags (see forms.h).
void AddTrailer(std::vector<MetaField>& f) {
  f.push_back({"custom_fields", "field", false, true, "Custom fields"});
  f.push_back({"owner", "nested object", false, true, "Owner"});
  f.push_back({"tags", "list", false, true, "Tags"});
  f.push_back({"created", "datetime", false, true, "Created"});
  f.push_back({"last_updated", "datetime", false, true, "Last updated"});
}

std::vector<MetaField> WebhookFields() {
  std::vector<MetaField> f;
  AddIdentity(f);
  f.push_back({"name", "string", true, false, "Name", 150});
  f.push_back({"description", "string", false, false, "Description", 200});
  f.push_back({"payload_url", "string", true, false, "URL", 500});
  Choices methods;
  for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE"}) methods.emplace_back(m, m);
  f.push_back({"http_method", "choice", false, false, "HTTP method", 0, methods});
  f.push_back({"http_content_type", "string", false, false, "HTTP content type", 100});
  f.push_back({"additional_headers", "string", false, false, "Additional headers"});
  f.push_back({"body_template", "string", false, false, "Body template"});
  f.push_back({"secret", "string", false, false, "Secret", 255});
  f.push_back({"ssl_verification", "boolean", false, false, "SSL verification"});
  f.push_back({"ca_file_path", "string", false, false, "CA File Path", 4096});
  f.push_back({"timeout", "integer", false, false, "Timeout"});
  f.push_back({"max_attempts", "integer", false, false, "Max attempts"});
  f.push_back({"retry_policy",
               "choice",
               false,
               false,
               "Retry policy",
               0,
               {{"fixed", "Fixed"}, {"exponential", "Exponential"}}});
  f.push_back({"retry_interval", "integer", false, false, "Retry interval"});
  f.push_back({"signature_scheme",
               "choice",
               false,
               false,
               "Signature scheme",
               0,
               {{"netbox", "NetBox (X-Hook-Signature)"},
                {"standard", "Standard Webhooks"},
                {"both", "Both"}}});
  f.push_back({"previous_secret", "string", false, false, "Previous secret", 255});
  f.push_back({"previous_secret_expires", "datetime", false, false, "Previous secret expires"});
  f.push_back({"secret_set", "boolean", false, true, "Secret set"});
  f.push_back({"previous_secret_set", "boolean", false, true, "Previous secret set"});
  AddTrailer(f);
  return f;
}

std::vector<MetaField> EventRuleFields() {
  std::vector<MetaField> f;
  AddIdentity(f);
  f.push_back({"object_types", "list", true, false, "Object types", 0, {}, "string"});
  f.push_back({"name", "string", true, false, "Name", 150});
  f.push_back({"enabled", "boolean", false, false, "Enabled"});
  f.push_back({"event_types", "list", true, false, "Event types", 0, EventTypeChoices(), "choice"});
  f.push_back({"conditions", "field", false, false, "Conditions"});
  f.push_back({"action_type", "choice", false, false, "Action type", 0, {{"webhook", "Webhook"}}});
  f.push_back({"action_object_type",
               "field",
               true,
               false,
               "Action object type",
               0,
               {{"extras.webhook", "Extras | webhook"}}});
  f.push_back(
      {"action_object_id", "integer", false, false, "Action object id", 0, {}, nullptr, true});
  f.push_back({"action_object", "field", false, true, "Action object"});
  f.push_back({"action_data", "field", false, false, "Action data"});
  f.push_back({"description", "string", false, false, "Description", 200});
  f.push_back({"comments", "string", false, false, "Comments"});
  AddTrailer(f);
  return f;
}

Value ChoicesValue(const Choices& choices) {
  List l;
  for (const auto& [v, d] : choices) {
    Dict c;
    c.set("value", v);
    c.set("display_name", d);
    l.emplace_back(std::move(c));
  }
  return Value(std::move(l));
}

Value FieldInfo(const MetaField& m) {
  Dict d;
  d.set("type", m.type);
  d.set("required", m.required);
  d.set("read_only", m.read_only);
  d.set("label", m.label);
  if (m.max_length) d.set("max_length", m.max_length);
  if (m.min_value_zero) d.set("min_value", 0);
  if (m.child_type) {
    Dict child;
    child.set("type", m.child_type);
    child.set("required", true);
    child.set("read_only", false);
    if (!m.choices.empty()) child.set("choices", ChoicesValue(m.choices));
    d.set("child", Value(std::move(child)));
  } else if (!m.choices.empty() && !m.read_only) {
    d.set("choices", ChoicesValue(m.choices));
  }
  return Value(std::move(d));
}

}  // namespace

Value FormMetadata(FormKind kind, bool list, bool writable) {
  std::string model = kind == FormKind::kWebhook ? "Webhook" : "Event Rule";
  Dict d;
  d.set("name", model + (list ? " List" : " Instance"));
  d.set("description", "");
  d.set("renders", Value(List{Value("application/json"), Value("text/html")}));
  d.set("parses", Value(List{Value("application/json")}));
  if (!writable) return Value(std::move(d));
  Dict fields;
  for (const auto& m : kind == FormKind::kWebhook ? WebhookFields() : EventRuleFields())
    fields.set(m.name, FieldInfo(m));
  Value info(std::move(fields));
  Dict actions;
  if (list) actions.set("POST", info);
  actions.set("PUT", info);
  d.set("actions", Value(std::move(actions)));
  return Value(std::move(d));
}

}  // namespace herald::api
