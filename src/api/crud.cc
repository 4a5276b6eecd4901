// The configuration endpoints, /api/extras/webhooks/ and /api/extras/event-rules/. One handler,
// Api::Crud, serves both: list (filters, limit/offset, brief), create, retrieve, PUT/PATCH and
// DELETE, with a store conflict reported as a field error (400) and a missing object as 404.
// What differs per type sits in a small "kind" class (WebhookKind, EventRuleKind): a table of
// its store calls and JSON parser (Ops), the JSON form, the list filters, the check of a rule's
// webhook target, and the field a failed save is reported on.
#include <algorithm>
#include <functional>
#include <optional>

#include "api/api.h"
#include "api/context.h"
#include "common/log.h"
#include "validation/forms.h"
#include "value/json.h"

namespace herald {

using namespace api_util;

namespace {

// All values of a repeated query parameter (?name=a&name=b), in order. Each value is taken
// whole: "a,b" is one value, not two.
std::vector<std::string> Params(const http::Request& req, std::string_view name) {
  std::vector<std::string> out;
  for (auto& [k, v] : req.query_params())
    if (k == name) out.push_back(v);
  return out;
}

bool AnyEquals(const std::vector<std::string>& vals, const std::string& x) {
  return std::find(vals.begin(), vals.end(), x) != vals.end();
}

// The request body as JSON; on an empty or malformed body, *error says why (for a 400).
Value ParseBodyOr400(const http::Request& req, std::string* error) {
  if (req.body.empty()) {
    *error = "The request body is empty; send a JSON object.";
    return Value();
  }
  auto v = ParseJson(req.body);
  if (!v.ok()) {
    *error = "JSON parse error - " + v.status().message();
    return Value();
  }
  return std::move(*v);
}

// The store calls and the JSON parser of one configuration type T (which has `id` and `name`).
template <class T>
struct Ops {
  std::string_view model;     // "No <model> matches the given query."
  std::string_view log_name;  // "<log_name> created", "... updated", "... deleted"
  Result<std::vector<T>> (Store::*list)();
  Result<T> (Store::*get)(int64_t id);
  Result<T> (Store::*create)(T object);
  Result<T> (Store::*update)(T object);
  herald::Status (Store::*remove)(int64_t id);
  Validated<T> (*from_json)(const Value& body, const T* base, bool partial);
};

// A kind, as Api::Crud uses it:
//   using Object; kOps                  the stored type and its Ops
//   ToJson(object, brief)               forms.h, with what the kind knows (URL base, ...)
//   ReadFilters(req, &error)            the list filters from the query; false when malformed
//   Selected(object)                    whether the object passes them
//   CheckTarget(object, &errors)        false (and field errors) when it names a missing object
//   SaveErrorField(status, creating)    the field a failed create/update is reported on (400),
//                                       or "" to answer StoreErrorStatus with the message

class WebhookKind {
 public:
  using Object = Webhook;
  static constexpr Ops<Webhook> kOps{
      "Webhook", "webhook", &Store::ListWebhooks, &Store::GetWebhook, &Store::CreateWebhook,
      &Store::UpdateWebhook, &Store::DeleteWebhook, &WebhookFromJson};

  WebhookKind(std::string api_base, bool show_credentials)
      : api_base_(std::move(api_base)), show_credentials_(show_credentials) {}

  Value ToJson(const Webhook& w, bool brief) const {
    return WebhookToJson(w, api_base_, brief, show_credentials_);
  }

  // ?id= ?name= ?http_method= (repeatable), ?q= (name, description or URL, any case),
  // ?ssl_verification= (a value that is not a boolean filters nothing).
  bool ReadFilters(const http::Request& req, std::string* error) {
    ids_ = Params(req, "id");
    names_ = Params(req, "name");
    methods_ = Params(req, "http_method");
    if (auto q = req.query_param("q")) q_ = AsciiLower(*q);
    if (auto sv = req.query_param("ssl_verification")) {
      bool b;
      if (ParseBoolParam(*sv, &b)) ssl_verification_ = b;
    }
    return true;
  }
  bool Selected(const Webhook& w) const {
    if (!ids_.empty() && !AnyEquals(ids_, std::to_string(w.id))) return false;
    if (!names_.empty() && !AnyEquals(names_, w.name)) return false;
    if (!methods_.empty() && !AnyEquals(methods_, w.http_method)) return false;
    if (q_ && !(ContainsIgnoreCase(w.name, *q_) || ContainsIgnoreCase(w.description, *q_) ||
                ContainsIgnoreCase(w.payload_url, *q_)))
      return false;
    if (ssl_verification_ && w.ssl_verification != *ssl_verification_) return false;
    return true;
  }

  bool CheckTarget(const Webhook&, FieldErrors*) const { return true; }
  // A conflict is a taken name (or id).
  std::string SaveErrorField(const herald::Status& st, bool creating) const {
    return st.type() == "Conflict" ? "name" : "";
  }

 private:
  std::string api_base_;
  bool show_credentials_;
  std::vector<std::string> ids_, names_, methods_;
  std::optional<std::string> q_;  // lower-case
  std::optional<bool> ssl_verification_;
};

class EventRuleKind {
 public:
  using Object = EventRule;
  static constexpr Ops<EventRule> kOps{
      "EventRule", "event rule", &Store::ListEventRules, &Store::GetEventRule,
      &Store::CreateEventRule, &Store::UpdateEventRule, &Store::DeleteEventRule,
      &EventRuleFromJson};

  // `hooks`: every webhook, to check targets and nest them in the JSON.
  EventRuleKind(std::string api_base, const std::vector<Webhook>& hooks)
      : api_base_(std::move(api_base)), hooks_(hooks) {}

  Value ToJson(const EventRule& r, bool brief) const {
    return EventRuleToJson(r, api_base_, brief,
                           [this](int64_t id) { return WebhookOf(id); });
  }

  // ?id= ?name= ?object_type= ?event_type= ?action_type= ?action_object_id= (repeatable; a
  // rule passes object_type and event_type when one of its own is listed), ?q= (name,
  // description or comments, any case), ?enabled= (must be a boolean).
  bool ReadFilters(const http::Request& req, std::string* error) {
    ids_ = Params(req, "id");
    names_ = Params(req, "name");
    object_types_ = Params(req, "object_type");
    event_types_ = Params(req, "event_type");
    action_types_ = Params(req, "action_type");
    action_object_ids_ = Params(req, "action_object_id");
    if (auto q = req.query_param("q")) q_ = AsciiLower(*q);
    if (auto e = req.query_param("enabled")) {
      bool b;
      if (!ParseBoolParam(*e, &b)) {
        *error = "enabled must be true or false.";
        return false;
      }
      enabled_ = b;
    }
    return true;
  }
  bool Selected(const EventRule& r) const {
    auto any_listed = [](const std::vector<std::string>& listed,
                         const std::vector<std::string>& own) {
      return std::any_of(own.begin(), own.end(),
                         [&](const std::string& s) { return AnyEquals(listed, s); });
    };
    if (!ids_.empty() && !AnyEquals(ids_, std::to_string(r.id))) return false;
    if (!names_.empty() && !AnyEquals(names_, r.name)) return false;
    if (enabled_ && r.enabled != *enabled_) return false;
    if (!action_types_.empty() && !AnyEquals(action_types_, r.action_type)) return false;
    if (!action_object_ids_.empty() &&
        !(r.action_object_id && AnyEquals(action_object_ids_, std::to_string(*r.action_object_id))))
      return false;
    if (!object_types_.empty() && !any_listed(object_types_, r.object_types)) return false;
    if (!event_types_.empty() && !any_listed(event_types_, r.event_types)) return false;
    if (q_ && !(ContainsIgnoreCase(r.name, *q_) || ContainsIgnoreCase(r.description, *q_) ||
                ContainsIgnoreCase(r.comments, *q_)))
      return false;
    return true;
  }

  bool CheckTarget(const EventRule& r, FieldErrors* errors) const {
    if (r.action_object_id && !WebhookOf(*r.action_object_id)) {
      AddFieldError(*errors, "action_object_id",
                    "Webhook " + std::to_string(*r.action_object_id) + " does not exist.");
      return false;
    }
    return true;
  }
  // A conflict, or on create a NotFound (the rule itself cannot be missing then), is put on
  // action_object_id when its message speaks of the webhook and not of a name, else on name.
  // On update a NotFound is the rule gone: 404. (The store's missing-target message,
  // "action_object_id N names no webhook.", contains "name" and so lands on name; errors that
  // carry their field, issue 9, will end this message search.)
  std::string SaveErrorField(const herald::Status& st, bool creating) const {
    if (st.type() != "Conflict" && !(creating && st.type() == "NotFound")) return "";
    if (st.message().find("webhook") != std::string::npos &&
        st.message().find("name") == std::string::npos)
      return "action_object_id";
    return "name";
  }

 private:
  const Webhook* WebhookOf(int64_t id) const {
    for (const auto& w : hooks_)
      if (w.id == id) return &w;
    return nullptr;
  }

  std::string api_base_;
  const std::vector<Webhook>& hooks_;
  std::vector<std::string> ids_, names_, object_types_, event_types_, action_types_,
      action_object_ids_;
  std::optional<std::string> q_;  // lower-case
  std::optional<bool> enabled_;
};

}  // namespace

template <class Kind>
void Api::Crud(Ctx& c, const std::string& id_str, Kind& kind) {
  using Object = typename Kind::Object;
  const Ops<Object>& ops = Kind::kOps;
  const std::string& m = c.req.method;
  bool brief = c.Brief();
  auto field_error = [&c](const std::string& field, std::string message) {
    FieldErrors fe;
    AddFieldError(fe, field, std::move(message));
    c.ReplyValue(400, FieldErrorsToValue(fe));
  };
  // The body as a validated object with its target checked; nullopt once a 400 is sent.
  auto from_body = [&](const Object* base, bool partial) -> std::optional<Object> {
    std::string err;
    Value body = ParseBodyOr400(c.req, &err);
    if (!err.empty()) {
      c.Error(400, err);
      return std::nullopt;
    }
    auto v = ops.from_json(body, base, partial);
    if (!v.ok()) {
      c.ReplyValue(400, FieldErrorsToValue(v.errors));
      return std::nullopt;
    }
    FieldErrors fe;
    if (!kind.CheckTarget(*v.value, &fe)) {
      c.ReplyValue(400, FieldErrorsToValue(fe));
      return std::nullopt;
    }
    return std::move(v.value);
  };
  auto save_failed = [&](const herald::Status& st, bool creating) {
    std::string field = kind.SaveErrorField(st, creating);
    if (!field.empty()) return field_error(field, st.message());
    c.Error(StoreErrorStatus(st), st.message());
  };
  auto log_saved = [&](const char* what, const Object& o) {
    log::Info(std::string(ops.log_name) + " " + what,
              {{"id", static_cast<long long>(o.id)}, {"name", o.name}});
  };

  if (id_str.empty()) {
    if (c.IsRead()) {
      auto all = (store_.*ops.list)();
      if (!all.ok()) return c.Error(500, all.status().message());
      std::string err;
      if (!kind.ReadFilters(c.req, &err)) return c.Error(400, err);
      std::vector<const Object*> sel;
      for (const auto& o : *all)
        if (kind.Selected(o)) sel.push_back(&o);
      int64_t limit, offset;
      if (!c.Page(options_, &limit, &offset)) return;
      List results;
      for (int64_t i = offset; i < static_cast<int64_t>(sel.size()) && i < offset + limit; ++i)
        results.push_back(kind.ToJson(*sel[i], brief));
      return c.ReplyValue(200, c.Paginated(sel.size(), std::move(results), limit, offset));
    }
    if (m == "POST") {
      auto o = from_body(nullptr, false);
      if (!o) return;
      auto created = (store_.*ops.create)(std::move(*o));
      if (!created.ok()) return save_failed(created.status(), true);
      log_saved("created", *created);
      return c.ReplyValue(201, kind.ToJson(*created, false));
    }
    return c.MethodNotAllowed();
  }
  int64_t id;
  if (!ParseId(id_str, &id)) return c.Error(404, "Not found.");
  auto existing = (store_.*ops.get)(id);
  if (!existing.ok()) {
    if (existing.status().type() == "NotFound")
      return c.Error(404, "No " + std::string(ops.model) + " matches the given query.");
    return c.Error(500, existing.status().message());
  }
  if (c.IsRead()) return c.ReplyValue(200, kind.ToJson(*existing, brief));
  if (m == "PUT" || m == "PATCH") {
    auto o = from_body(&*existing, m == "PATCH");
    if (!o) return;
    o->id = id;
    auto updated = (store_.*ops.update)(std::move(*o));
    if (!updated.ok()) return save_failed(updated.status(), false);
    log_saved("updated", *updated);
    return c.ReplyValue(200, kind.ToJson(*updated, false));
  }
  if (m == "DELETE") {
    auto st = (store_.*ops.remove)(id);
    if (!st.ok()) return c.Error(StoreErrorStatus(st), st.message());
    log::Info(std::string(ops.log_name) + " deleted", {{"id", static_cast<long long>(id)}});
    return c.NoContent();
  }
  c.MethodNotAllowed();
}

void Api::Webhooks(Ctx& c, const std::string& id) {
  WebhookKind kind(c.api_base, c.ShowCredentials());
  Crud(c, id, kind);
}

void Api::EventRules(Ctx& c, const std::string& id) {
  // Every request needs the webhooks: to nest a rule's target in its JSON and to check it.
  auto hooks = store_.ListWebhooks();
  if (!hooks.ok()) return c.Error(500, hooks.status().message());
  EventRuleKind kind(c.api_base, *hooks);
  Crud(c, id, kind);
}

}  // namespace herald
