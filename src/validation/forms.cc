#include "validation/forms.h"

#include <cmath>
#include <regex>
#include <stdexcept>

#include "common/time.h"
#include "model/object_types.h"
#include "model/redact.h"
#include "model/signing.h"
#include "value/bigint.h"

namespace herald {

void AddFieldError(FieldErrors& errors, const std::string& field, std::string message) {
  for (auto& [f, msgs] : errors) {
    if (f == field) {
      msgs.push_back(std::move(message));
      return;
    }
  }
  errors.push_back({field, {std::move(message)}});
}

Value FieldErrorsToValue(const FieldErrors& errors) {
  Dict d;
  for (const auto& [f, msgs] : errors) {
    List l;
    for (const auto& m : msgs) l.emplace_back(m);
    d.set(f, Value(std::move(l)));
  }
  return Value(std::move(d));
}

namespace {

// Reads typed fields from a JSON body, collecting DRF-style errors.
class FieldReader {
 public:
  FieldReader(const Value& body, bool partial, FieldErrors& errors)
      : body_(body), partial_(partial), errors_(errors) {}

  // Returns the raw value if present (and not absent).
  const Value* Get(const char* name) const { return body_.get(name); }

  // Required on create/PUT; on PATCH only checked if present.
  bool String(const char* name, std::string* out, bool required, size_t max_len,
              bool allow_blank = true, bool allow_null = false) {
    const Value* v = Get(name);
    if (!v) {
      if (required && !partial_) AddFieldError(errors_, name, "This field is required.");
      return false;
    }
    if (v->is_none()) {
      if (allow_null) {
        out->clear();
        return true;
      }
      AddFieldError(errors_, name, "This field may not be null.");
      return false;
    }
    if (!v->is_str()) {
      if (v->is_number() && !v->is_bool()) {
        *out = v->str();
      } else {
        AddFieldError(errors_, name, "Not a valid string.");
        return false;
      }
    } else {
      *out = v->as_str();
    }
    if (!allow_blank && Trim(*out).empty()) {
      AddFieldError(errors_, name, "This field may not be blank.");
      return false;
    }
    if (max_len && Utf8Length(*out) > max_len) {
      AddFieldError(
          errors_, name,
          "Ensure this field has no more than " + std::to_string(max_len) + " characters.");
      return false;
    }
    return true;
  }

  bool Bool(const char* name, bool* out) {
    const Value* v = Get(name);
    if (!v) return false;
    if (v->is_bool()) {
      *out = v->as_bool();
      return true;
    }
    if (v->is_int() && (v->as_int() == 0 || v->as_int() == 1)) {
      *out = v->as_int() == 1;
      return true;
    }
    if (v->is_str()) {
      const std::string& s = v->as_str();
      if (s == "true" || s == "True" || s == "1") {
        *out = true;
        return true;
      }
      if (s == "false" || s == "False" || s == "0") {
        *out = false;
        return true;
      }
    }
    AddFieldError(errors_, name, "Must be a valid boolean.");
    return false;
  }

  // present + null => *is_null
  bool Int(const char* name, std::optional<int64_t>* out, bool nullable, int64_t min, int64_t max) {
    const Value* v = Get(name);
    if (!v) return false;
    if (v->is_none()) {
      if (!nullable) {
        AddFieldError(errors_, name, "This field may not be null.");
        return false;
      }
      out->reset();
      return true;
    }
    int64_t n;
    if (v->is_int()) {
      n = v->as_int();
    } else if (IsBigInt(*v)) {  // an int past 64 bits: past min or max, as DRF says
      n = BigIntOf(*v).negative() ? INT64_MIN : INT64_MAX;
    } else if (v->is_float() && std::fabs(v->as_float()) < 0x1p63 &&  // cast below is defined
               v->as_float() == std::trunc(v->as_float())) {
      n = static_cast<int64_t>(v->as_float());
    } else if (v->is_str() && !v->as_str().empty() &&
               v->as_str().find_first_not_of("0123456789-") == std::string::npos) {
      try {
        size_t used = 0;
        n = std::stoll(v->as_str(), &used);
        if (used != v->as_str().size()) throw std::invalid_argument("not an integer");  // "1-2"
      } catch (...) {
        AddFieldError(errors_, name, "A valid integer is required.");
        return false;
      }
    } else {
      AddFieldError(errors_, name, "A valid integer is required.");
      return false;
    }
    if (n < min) {
      AddFieldError(errors_, name,
                    "Ensure this value is greater than or equal to " + std::to_string(min) + ".");
      return false;
    }
    if (n > max) {
      AddFieldError(errors_, name,
                    "Ensure this value is less than or equal to " + std::to_string(max) + ".");
      return false;
    }
    *out = n;
    return true;
  }

  bool StringList(const char* name, std::vector<std::string>* out, bool required) {
    const Value* v = Get(name);
    if (!v) {
      if (required && !partial_) AddFieldError(errors_, name, "This field is required.");
      return false;
    }
    if (!v->is_list()) {
      AddFieldError(errors_, name,
                    "Expected a list of items but got type \"" + v->type_name() + "\".");
      return false;
    }
    std::vector<std::string> items;
    for (const auto& item : v->as_list()) {
      if (!item.is_str()) {
        AddFieldError(errors_, name, "Each item must be a string.");
        return false;
      }
      bool dup = false;
      for (const auto& x : items) dup = dup || x == item.as_str();
      if (!dup) items.push_back(item.as_str());
    }
    if (items.empty()) {
      AddFieldError(errors_, name, "This list may not be empty.");
      return false;
    }
    *out = std::move(items);
    return true;
  }

  static std::string Trim(const std::string& s) {
    size_t a = s.find_first_not_of(" \t\r\n");
    if (a == std::string::npos) return "";
    size_t b = s.find_last_not_of(" \t\r\n");
    return s.substr(a, b - a + 1);
  }

 private:
  const Value& body_;
  bool partial_;
  FieldErrors& errors_;
};

Value IsoOrNull(TimeUs t) { return t ? Value(FormatIsoUtc(t, 'Z')) : Value(); }

Value EmptyDict() { return Value::MakeDict(); }

// `s` when it failed, as a message on `errors`.
void Note(FieldErrors& errors, const Status& s) {
  if (!s.ok()) AddFieldError(errors, s.field(), s.message());
}

// custom_fields, tags and owner: Herald stores none of them, so anything but their empty
// values ({}, [], null: what a GET answers, so a GET body can be sent back) is refused rather
// than dropped.
void RefuseUnsupported(const Value& body, FieldErrors& errors) {
  const struct {
    const char* field;
    const char* what;
  } kUnsupported[] = {{"custom_fields", "custom fields"}, {"tags", "tags"}, {"owner", "owners"}};
  for (const auto& u : kUnsupported) {
    const Value* v = body.get(u.field);
    if (v && v->truthy())
      AddFieldError(errors, u.field,
                    std::string("Herald does not support ") + u.what + "; send " +
                        (v->is_dict()   ? "{}"
                         : v->is_list() ? "[]"
                                        : "null") +
                        " or leave it out.");
  }
}

// The validated object, or every field error at once.
template <typename T>
Result<T> Validated(T object, FieldErrors errors) {
  if (!errors.empty()) return Status::Invalid(std::move(errors));
  return object;
}

}  // namespace

Status ValidatePayloadUrl(const std::string& url) {
  static const std::regex kTemplated(R"(\{[{%#])");
  static const std::regex kScheme(R"(^[a-zA-Z][a-zA-Z0-9+.\-]*:)");
  auto bad_url = [] {
    return Status::Invalid("payload_url", "Enter a valid URL, beginning with http:// or https://.");
  };
  if (std::regex_search(url, kTemplated)) {
    std::smatch m;
    if (std::regex_search(url, m, kScheme)) {
      std::string scheme = m.str(0);
      scheme.pop_back();
      for (auto& c : scheme) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
      if (scheme != "http" && scheme != "https") return bad_url();
    }
    Status syntax = CheckTemplateSyntax(url);
    if (!syntax.ok())
      return Status::Invalid("payload_url", "Invalid template: " + syntax.message());
    return Status::Ok();
  }
  // Literal: Python urlsplit-like: scheme must be http(s) and the netloc non-empty & well formed.
  std::smatch m;
  if (!std::regex_search(url, m, kScheme)) return bad_url();
  std::string scheme = m.str(0);
  scheme.pop_back();
  for (auto& c : scheme) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return bad_url();
  std::string rest = url.substr(m.length(0));
  if (rest.rfind("//", 0) != 0) return bad_url();
  size_t end = rest.find_first_of("/?#", 2);
  std::string netloc = rest.substr(2, end == std::string::npos ? std::string::npos : end - 2);
  if (netloc.empty()) return bad_url();
  // Host part after userinfo.
  std::string host =
      netloc.substr(netloc.rfind('@') == std::string::npos ? 0 : netloc.rfind('@') + 1);
  bool open_b = host.find('[') != std::string::npos, close_b = host.find(']') != std::string::npos;
  if (open_b != close_b) return bad_url();
  if (host.empty() || host[0] == ':') return bad_url();
  for (char c : url)
    if (static_cast<unsigned char>(c) < 0x20 || c == ' ') return bad_url();
  return Status::Ok();
}

namespace {

// The name (required, at most 150 characters) and description (at most 200) every NetBox
// object has.
template <typename T>
void ReadNameAndDescription(FieldReader& r, T& o) {
  r.String("name", &o.name, true, 150, false);
  r.String("description", &o.description, false, 200);
}

Status NotADict() {
  return Status::Invalid("non_field_errors", "Invalid data. Expected a dictionary.");
}

// signature_scheme, previous_secret and previous_secret_expires (model/signing.h), then what
// they require of each other and of the secrets once merged over the stored record: a previous
// secret needs its expiry, and under the standard or both scheme a "whsec_" secret must hold a
// base64 key of the size the specification allows.
void ReadSignatureFields(FieldReader& r, Webhook& w, FieldErrors& errors) {
  if (const Value* v = r.Get("signature_scheme")) {
    if (v->is_str() && IsSignatureScheme(v->as_str())) w.signature_scheme = v->as_str();
    else if (v->is_none()) AddFieldError(errors, "signature_scheme", "This field may not be null.");
    else
      AddFieldError(errors, "signature_scheme",
                    "\"" + v->str() + "\" is not a valid choice (netbox, standard, both).");
  }
  // Write-only as `secret`: null keeps the stored value, "" clears it.
  if (const Value* v = r.Get("previous_secret"); !(v && v->is_none()))
    r.String("previous_secret", &w.previous_secret, false, 255, true);
  if (const Value* v = r.Get("previous_secret_expires")) {
    std::optional<int64_t> t;
    if (v->is_str()) t = ParseIso(v->as_str());
    if (v->is_none()) w.previous_secret_expires.reset();
    else if (t) w.previous_secret_expires = *t;
    else
      AddFieldError(errors, "previous_secret_expires",
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].");
  }
  if (!w.previous_secret.empty() && !w.previous_secret_expires)
    AddFieldError(errors, "previous_secret_expires",
                  "A previous secret needs the time it stops signing.");
  if (!SignsStandard(w)) return;
  for (auto [field, secret] : {std::pair<const char*, const std::string*>{"secret", &w.secret},
                               {"previous_secret", &w.previous_secret}}) {
    auto key = SigningKey(*secret);
    if (!key.ok()) AddFieldError(errors, field, key.status().message());
  }
}

}  // namespace

Result<Webhook> WebhookFromJson(const Value& body, const Webhook* base, bool partial) {
  if (!body.is_dict()) return NotADict();
  FieldErrors errors;
  // PUT and PATCH both start from the stored record: a field left out keeps its value, as in
  // DRF's full update (PUT still requires the required fields: `partial` is false).
  Webhook w = base ? *base : Webhook();
  FieldReader r(body, partial, errors);
  RefuseUnsupported(body, errors);
  ReadNameAndDescription(r, w);
  if (r.String("payload_url", &w.payload_url, true, 500, false))
    Note(errors, ValidatePayloadUrl(w.payload_url));
  std::string method;
  if (r.String("http_method", &method, false, 30, false)) {
    static const char* kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    bool ok = false;
    for (const char* m : kMethods) ok = ok || method == m;
    if (!ok) AddFieldError(errors, "http_method", "\"" + method + "\" is not a valid choice.");
    else w.http_method = method;
  }
  r.String("http_content_type", &w.http_content_type, false, 100, false);
  if (r.String("additional_headers", &w.additional_headers, false, 0, true, true))
    Note(errors, CheckAdditionalHeaders(w.additional_headers));
  r.String("body_template", &w.body_template, false, 0, true, true);
  // Write-only: reads answer `"secret": null`, so null (what a client read back) keeps the stored
  // secret and "" clears it. pynetbox's `record.secret = ...; record.save()` then sends it.
  if (const Value* v = r.Get("secret"); !(v && v->is_none()))
    r.String("secret", &w.secret, false, 255, true);
  r.Bool("ssl_verification", &w.ssl_verification);
  std::string ca;
  if (const Value* v = r.Get("ca_file_path"); v && v->is_none()) {
    w.ca_file_path.reset();
  } else if (r.String("ca_file_path", &ca, false, 4096)) {
    w.ca_file_path = ca;  // "" stays "", as NetBox stores and reads it back
  }
  std::optional<int64_t> n;
  if (r.Get("timeout")) {
    n = w.timeout;
    if (r.Int("timeout", &n, true, 1, 3600)) w.timeout = n ? std::optional<int>(*n) : std::nullopt;
  }
  if (r.Get("max_attempts")) {
    n.reset();
    if (r.Int("max_attempts", &n, true, 1, 100))
      w.max_attempts = n ? std::optional<int>(*n) : std::nullopt;
  }
  if (r.Get("retry_interval")) {
    n.reset();
    if (r.Int("retry_interval", &n, true, 0, 86400))
      w.retry_interval = n ? std::optional<int>(*n) : std::nullopt;
  }
  if (const Value* v = r.Get("retry_policy")) {
    if (v->is_none()) {
      w.retry_policy.reset();
    } else if (v->is_str() && (v->as_str() == "fixed" || v->as_str() == "exponential")) {
      w.retry_policy = v->as_str();
    } else {
      AddFieldError(errors, "retry_policy",
                    "\"" + v->str() + "\" is not a valid choice (fixed, exponential).");
    }
  }
  ReadSignatureFields(r, w, errors);
  if (!w.ssl_verification && w.ca_file_path && !w.ca_file_path->empty()) {
    AddFieldError(errors, "ca_file_path",
                  "Do not specify a CA certificate file if SSL verification is disabled.");
  }
  return Validated(std::move(w), std::move(errors));
}

Result<EventRule> EventRuleFromJson(const Value& body, const EventRule* base, bool partial) {
  if (!body.is_dict()) return NotADict();
  FieldErrors errors;
  EventRule rule = base ? *base : EventRule();  // as WebhookFromJson: omitted fields kept
  FieldReader r(body, partial, errors);
  RefuseUnsupported(body, errors);
  ReadNameAndDescription(r, rule);
  r.String("comments", &rule.comments, false, 0);
  std::vector<std::string> list;
  if (r.StringList("object_types", &list, true)) {
    bool ok = true;
    for (const auto& ot : list) {
      if (!IsWellFormedObjectType(ot)) {
        AddFieldError(errors, "object_types",
                      "Invalid object type \"" + ot +
                          "\": expected \"app_label.model\" such as \"dcim.device\".");
        ok = false;
      }
    }
    if (ok) rule.object_types = list;
  }
  if (r.StringList("event_types", &list, true)) {
    bool ok = true;
    for (const auto& et : list) {
      if (!IsKnownEventType(et)) {
        AddFieldError(errors, "event_types", "\"" + et + "\" is not a valid choice.");
        ok = false;
      }
    }
    if (ok) rule.event_types = list;
  }
  r.Bool("enabled", &rule.enabled);
  if (const Value* c = r.Get("conditions")) {
    Status checked = CheckConditions(*c);
    Note(errors, checked);
    if (checked.ok()) rule.conditions = *c;  // as sent: {} reads back {}, as in NetBox
  }
  std::string s;
  if (r.String("action_type", &s, false, 100, false)) {
    if (s != "webhook") {
      if (s == "script" || s == "notification")
        AddFieldError(errors, "action_type",
                      "\"" + s + "\" actions are not supported by Herald; use \"webhook\".");
      else AddFieldError(errors, "action_type", "\"" + s + "\" is not a valid choice.");
    } else {
      rule.action_type = s;
    }
  }
  if (r.String("action_object_type", &s, false, 100, false)) {
    if (s != "extras.webhook")
      AddFieldError(errors, "action_object_type",
                    "Only \"extras.webhook\" targets are supported, got \"" + s + "\".");
    else rule.action_object_type = s;
  }
  std::optional<int64_t> id = rule.action_object_id;
  if (r.Get("action_object_id")) {
    if (r.Int("action_object_id", &id, true, 1, INT64_MAX)) rule.action_object_id = id;
  }
  if (!rule.action_object_id && !(partial && !r.Get("action_object_id")) &&
      std::none_of(errors.begin(), errors.end(),
                   [](const auto& e) { return e.first == "action_object_id"; })) {
    AddFieldError(errors, "action_object_id",
                  "This action requires a target object to be selected.");
  }
  if (const Value* ad = r.Get("action_data")) {
    if (!ad->is_none() && !ad->is_dict())
      AddFieldError(errors, "action_data", "Action data must be a JSON object or null.");
    else rule.action_data = *ad;
  }
  return Validated(std::move(rule), std::move(errors));
}

namespace {

// The keys a NetBox object's JSON starts with (its brief form is only these): id, url (under
// `api_path`), display_url (under `ui_path`, not brief), display, name and description.
template <typename T>
Dict ObjectHead(const T& o, const std::string& api_base, const char* api_path, const char* ui_path,
                bool brief) {
  Dict d;
  const std::string id = std::to_string(o.id);
  d.set("id", o.id);
  d.set("url", api_base + api_path + id + "/");
  if (!brief) d.set("display_url", api_base + ui_path + id + "/");
  d.set("display", o.name);
  d.set("name", o.name);
  d.set("description", o.description);
  return d;
}

// The keys a full NetBox object's JSON ends with: NetBox's custom fields, owner and tags (Herald
// has none) and the two timestamps.
template <typename T>
Value WithObjectTail(Dict d, const T& o) {
  d.set("custom_fields", EmptyDict());
  d.set("owner", Value());
  d.set("tags", Value(List{}));
  d.set("created", IsoOrNull(o.created));
  d.set("last_updated", IsoOrNull(o.last_updated));
  return Value(std::move(d));
}

}  // namespace

Value WebhookToJson(const Webhook& w, const std::string& api_base, bool brief,
                    bool show_credentials) {
  Dict d = ObjectHead(w, api_base, "/api/extras/webhooks/", "/webhooks/", brief);
  if (brief) return Value(std::move(d));
  d.set("payload_url", show_credentials ? w.payload_url : RedactUrl(w.payload_url));
  d.set("http_method", w.http_method);
  d.set("http_content_type", w.http_content_type);
  d.set("additional_headers",
        show_credentials ? w.additional_headers : RedactHeaderTemplate(w.additional_headers));
  d.set("body_template", w.body_template);
  d.set("secret", Value());  // write-only: never read back
  d.set("secret_set", !w.secret.empty());
  d.set("ssl_verification", w.ssl_verification);
  d.set("ca_file_path", w.ca_file_path ? Value(*w.ca_file_path) : Value());
  d.set("timeout", w.timeout ? Value(*w.timeout) : Value());
  d.set("max_attempts", w.max_attempts ? Value(*w.max_attempts) : Value());
  d.set("retry_policy", w.retry_policy ? Value(*w.retry_policy) : Value());
  d.set("retry_interval", w.retry_interval ? Value(*w.retry_interval) : Value());
  d.set("signature_scheme", w.signature_scheme);
  d.set("previous_secret", Value());  // write-only, as `secret`
  d.set("previous_secret_set", !w.previous_secret.empty());
  d.set("previous_secret_expires",
        w.previous_secret_expires ? Value(FormatIsoUtc(*w.previous_secret_expires, 'Z')) : Value());
  return WithObjectTail(std::move(d), w);
}

Value EventRuleToJson(const EventRule& r, const std::string& api_base, bool brief,
                      const std::function<const Webhook*(int64_t)>& webhook_of) {
  Dict d = ObjectHead(r, api_base, "/api/extras/event-rules/", "/event-rules/", brief);
  if (brief) return Value(std::move(d));
  List ots, ets;
  for (const auto& s : r.object_types) ots.emplace_back(s);
  for (const auto& s : r.event_types) ets.emplace_back(s);
  d.set("object_types", Value(std::move(ots)));
  d.set("enabled", r.enabled);
  d.set("event_types", Value(std::move(ets)));
  d.set("conditions", r.conditions);
  Dict at;
  at.set("value", r.action_type);
  at.set("label", "Webhook");
  d.set("action_type", Value(std::move(at)));
  d.set("action_object_type", r.action_object_type);
  d.set("action_object_id", r.action_object_id ? Value(*r.action_object_id) : Value());
  const Webhook* w = r.action_object_id && webhook_of ? webhook_of(*r.action_object_id) : nullptr;
  d.set("action_object", w ? WebhookToJson(*w, api_base, true) : Value());
  d.set("action_data", r.action_data);
  d.set("comments", r.comments);
  return WithObjectTail(std::move(d), r);
}

}  // namespace herald
