// The configuration endpoints, /api/extras/webhooks/ and /api/extras/event-rules/. One handler,
// Api::Crud, serves both: list (filters, limit/offset, brief), create, retrieve, PUT/PATCH and
// DELETE. Saving is validation/save.h's (shared with the UI); its errors are answered as
// api/errors.h maps them (a field error, a taken name included, is a 400 on that field; a
// missing object 404). What differs per type sits in a small "kind" class (WebhookKind,
// EventRuleKind): a table of its store calls and save function (Ops), the JSON form and the
// list filters.
#include <algorithm>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "api/api.h"
#include "api/context.h"
#include "common/log.h"
#include "validation/forms.h"
#include "validation/save.h"
#include "value/json.h"

namespace herald {

using namespace api_util;

namespace {

bool AnyEquals(const std::vector<std::string>& vals, const std::string& x) {
  return std::find(vals.begin(), vals.end(), x) != vals.end();
}

// The request body as JSON; kInvalidArgument saying why when it is empty or malformed.
Result<Value> ParseBody(const http::Request& req) {
  if (req.body.empty())
    return Status(Code::kInvalidArgument, "The request body is empty; send a JSON object.");
  auto v = ParseJson(req.body);
  if (!v.ok()) return Status(Code::kInvalidArgument, "JSON parse error - " + v.status().message());
  return v;
}

// The store calls and the save of one configuration type T (which has `id` and `name`).
template <class T>
struct Ops {
  std::string_view model;     // "No <model> matches the given query."
  std::string_view log_name;  // "<log_name> created", "... updated", "... deleted"
  Result<std::vector<T>> (Store::*list)();
  Result<T> (Store::*get)(int64_t id);
  herald::Status (Store::*remove)(int64_t id);
  // validation/save.h: validate the body, check references, create or update.
  Result<T> (*save)(Store& store, const Value& body, const T* existing, bool partial);
};

// A kind, as Api::Crud uses it:
//   using Object; kOps                  the stored type and its Ops
//   ToJson(object, brief)               forms.h, with what the kind knows (URL base, ...)
//   ReadFilters(req)                    the list filters from the query; kInvalidArgument when
//                                       malformed
//   Selected(object)                    whether the object passes them

// The list filters every kind has: ?id= and ?name= (repeatable) and ?q= (a substring, any
// case, of one of the kind's text fields).
class CommonFilters {
 protected:
  void ReadCommonFilters(const http::Request& req) {
    ids_ = req.query_params.GetAll("id");
    names_ = req.query_params.GetAll("name");
    if (auto q = req.query_params.Get("q")) q_ = AsciiLower(*q);
  }
  // Whether `o` passes ?id= and ?name=, and ?q= in one of `text`.
  template <class T>
  bool CommonSelected(const T& o, std::initializer_list<std::string_view> text) const {
    if (!ids_.empty() && !AnyEquals(ids_, std::to_string(o.id))) return false;
    if (!names_.empty() && !AnyEquals(names_, o.name)) return false;
    return !q_ || std::any_of(text.begin(), text.end(),
                              [this](std::string_view t) { return ContainsIgnoreCase(t, *q_); });
  }

 private:
  std::vector<std::string> ids_, names_;
  std::optional<std::string> q_;  // lower-case
};

class WebhookKind : CommonFilters {
 public:
  using Object = Webhook;
  static constexpr Ops<Webhook> kOps{
      "Webhook",   "webhook", &Store::ListWebhooks, &Store::GetWebhook, &Store::DeleteWebhook,
      &SaveWebhook};

  WebhookKind(std::string api_base, bool show_credentials)
      : api_base_(std::move(api_base)), show_credentials_(show_credentials) {}

  Value ToJson(const Webhook& w, bool brief) const {
    return WebhookToJson(w, api_base_, brief, show_credentials_);
  }

  // ?id= ?name= ?http_method= (repeatable), ?q= (name, description or URL, any case),
  // ?ssl_verification= (a value that is not a boolean filters nothing).
  herald::Status ReadFilters(const http::Request& req) {
    ReadCommonFilters(req);
    methods_ = req.query_params.GetAll("http_method");
    if (auto sv = req.query_params.Get("ssl_verification")) {
      bool b;
      if (ParseBoolParam(*sv, &b)) ssl_verification_ = b;
    }
    return herald::Status::Ok();
  }
  bool Selected(const Webhook& w) const {
    if (!CommonSelected(w, {w.name, w.description, w.payload_url})) return false;
    if (!methods_.empty() && !AnyEquals(methods_, w.http_method)) return false;
    if (ssl_verification_ && w.ssl_verification != *ssl_verification_) return false;
    return true;
  }

 private:
  std::string api_base_;
  bool show_credentials_;
  std::vector<std::string> methods_;
  std::optional<bool> ssl_verification_;
};

class EventRuleKind : CommonFilters {
 public:
  using Object = EventRule;
  static constexpr Ops<EventRule> kOps{"EventRule",
                                       "event rule",
                                       &Store::ListEventRules,
                                       &Store::GetEventRule,
                                       &Store::DeleteEventRule,
                                       &SaveEventRule};

  // `hooks`: every webhook, to nest a rule's target in its JSON.
  EventRuleKind(std::string api_base, const std::vector<Webhook>& hooks)
      : api_base_(std::move(api_base)), hooks_(hooks) {}

  Value ToJson(const EventRule& r, bool brief) const {
    return EventRuleToJson(r, api_base_, brief, [this](int64_t id) { return WebhookOf(id); });
  }

  // ?id= ?name= ?object_type= ?event_type= ?action_type= ?action_object_id= (repeatable; a
  // rule passes object_type and event_type when one of its own is listed), ?q= (name,
  // description or comments, any case), ?enabled= (must be a boolean).
  herald::Status ReadFilters(const http::Request& req) {
    ReadCommonFilters(req);
    object_types_ = req.query_params.GetAll("object_type");
    event_types_ = req.query_params.GetAll("event_type");
    action_types_ = req.query_params.GetAll("action_type");
    action_object_ids_ = req.query_params.GetAll("action_object_id");
    if (auto e = req.query_params.Get("enabled")) {
      bool b;
      if (!ParseBoolParam(*e, &b))
        return herald::Status(Code::kInvalidArgument, "enabled must be true or false.");
      enabled_ = b;
    }
    return herald::Status::Ok();
  }
  bool Selected(const EventRule& r) const {
    auto any_listed = [](const std::vector<std::string>& listed,
                         const std::vector<std::string>& own) {
      return std::any_of(own.begin(), own.end(),
                         [&](const std::string& s) { return AnyEquals(listed, s); });
    };
    if (!CommonSelected(r, {r.name, r.description, r.comments})) return false;
    if (enabled_ && r.enabled != *enabled_) return false;
    if (!action_types_.empty() && !AnyEquals(action_types_, r.action_type)) return false;
    if (!action_object_ids_.empty() &&
        !(r.action_object_id && AnyEquals(action_object_ids_, std::to_string(*r.action_object_id))))
      return false;
    if (!object_types_.empty() && !any_listed(object_types_, r.object_types)) return false;
    if (!event_types_.empty() && !any_listed(event_types_, r.event_types)) return false;
    return true;
  }

 private:
  const Webhook* WebhookOf(int64_t id) const {
    for (const auto& w : hooks_)
      if (w.id == id) return &w;
    return nullptr;
  }

  std::string api_base_;
  const std::vector<Webhook>& hooks_;
  std::vector<std::string> object_types_, event_types_, action_types_, action_object_ids_;
  std::optional<bool> enabled_;
};

}  // namespace

template <class Kind>
void Api::Crud(Ctx& c, const std::string& id_str, Kind& kind) {
  using Object = typename Kind::Object;
  const Ops<Object>& ops = Kind::kOps;
  const std::string& m = c.req.method;
  bool brief = c.Brief();
  // Saves the body over `existing` (nullptr: creates) and answers: `ok_status` with the stored
  // object, or the error (a malformed body, a field error, a store failure).
  auto save = [&](const Object* existing, bool partial, int ok_status) {
    auto body = ParseBody(c.req);
    if (!body.ok()) return c.Error(body.status());
    auto saved = ops.save(store_, *body, existing, partial);
    if (!saved.ok()) return c.Error(saved.status());
    log::Info(std::string(ops.log_name) + (existing ? " updated" : " created"),
              {{"id", static_cast<long long>(saved->id)}, {"name", saved->name}});
    c.ReplyValue(ok_status, kind.ToJson(*saved, false));
  };

  if (id_str.empty()) {
    if (c.IsRead()) {
      auto all = (store_.*ops.list)();
      if (!all.ok()) return c.Error(500, all.status().message());
      herald::Status filters = kind.ReadFilters(c.req);
      if (!filters.ok()) return c.Error(filters);
      std::vector<const Object*> sel;
      for (const auto& o : *all)
        if (kind.Selected(o)) sel.push_back(&o);
      int64_t limit, offset;
      c.Page(options_, &limit, &offset);
      List results;
      for (int64_t i = offset; i < static_cast<int64_t>(sel.size()) && i < offset + limit; ++i)
        results.push_back(kind.ToJson(*sel[i], brief));
      return c.ReplyValue(200, c.Paginated(sel.size(), std::move(results), limit, offset));
    }
    if (m == "POST") return save(nullptr, false, 201);
    return c.MethodNotAllowed();
  }
  int64_t id;
  if (!ParseId(id_str, &id)) return c.Error(404, "Not found.");
  auto existing = (store_.*ops.get)(id);
  if (!existing.ok()) {
    if (existing.status().code() == Code::kNotFound)
      return c.Error(404, "No " + std::string(ops.model) + " matches the given query.");
    return c.Error(500, existing.status().message());
  }
  if (c.IsRead()) return c.ReplyValue(200, kind.ToJson(*existing, brief));
  if (m == "PUT" || m == "PATCH") return save(&*existing, m == "PATCH", 200);
  if (m == "DELETE") {
    auto st = (store_.*ops.remove)(id);
    if (!st.ok()) return c.Error(st);
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
  // Every request needs the webhooks: to nest a rule's target in its JSON.
  auto hooks = store_.ListWebhooks();
  if (!hooks.ok()) return c.Error(500, hooks.status().message());
  EventRuleKind kind(c.api_base, *hooks);
  Crud(c, id, kind);
}

}  // namespace herald
