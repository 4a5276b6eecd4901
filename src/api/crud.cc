// The configuration endpoints, /api/extras/webhooks/ and /api/extras/event-rules/. One handler,
// Api::Crud, serves both: list (filters, limit/offset, brief), create, retrieve, PUT/PATCH and
// DELETE. Saving is validation/save.h's (shared with the UI); its errors are answered as
// api/errors.h maps them (a field error, a taken name included, is a 400 on that field; a
// missing object 404). What differs per type sits in a small "kind" class (WebhookKind,
// EventRuleKind): a table of its store calls and save function (Ops), the JSON form and the
// list filters.
#include <algorithm>
#include <functional>
#include <optional>

#include "api/api.h"
#include "api/context.h"
#include "api/filtersets.h"
#include "api/metadata.h"
#include "common/log.h"
#include "validation/forms.h"
#include "validation/save.h"
#include "value/json.h"

namespace herald {

using namespace api_util;

namespace {

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
//   Specs(), Field(object, spec)        its filter set (api/filtersets.h)

class WebhookKind {
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
  static constexpr api::FormKind kForm = api::FormKind::kWebhook;
  static const std::vector<api::FilterSpec>& Specs() { return api::WebhookFilterSpecs(); }
  static api::FieldValue Field(const Webhook& w, size_t spec) { return api::WebhookField(w, spec); }

 private:
  std::string api_base_;
  bool show_credentials_;
};

class EventRuleKind {
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
  static constexpr api::FormKind kForm = api::FormKind::kEventRule;
  static const std::vector<api::FilterSpec>& Specs() { return api::EventRuleFilterSpecs(); }
  static api::FieldValue Field(const EventRule& r, size_t spec) {
    return api::EventRuleField(r, spec);
  }

 private:
  const Webhook* WebhookOf(int64_t id) const {
    for (const auto& w : hooks_)
      if (w.id == id) return &w;
    return nullptr;
  }

  std::string api_base_;
  const std::vector<Webhook>& hooks_;
};

}  // namespace

template <class Kind>
void Api::Crud(Ctx& c, const std::string& id_str, Kind& kind) {
  using Object = typename Kind::Object;
  const Ops<Object>& ops = Kind::kOps;
  const std::string& m = c.req.method;
  // NetBox's precedence: ?fields=, else ?omit=, else ?brief=.
  auto render = [&](const Object& o) { return c.SelectFields(kind.ToJson(o, c.BriefOnly())); };
  // Saves the body over `existing` (nullptr: creates) and answers: `ok_status` with the stored
  // object, or the error (a malformed body, a field error, a store failure).
  auto save = [&](const Object* existing, bool partial, int ok_status) {
    auto body = ParseBody(c.req);
    if (!body.ok()) return c.Error(body.status());
    auto saved = ops.save(store_, *body, existing, partial);
    if (!saved.ok()) return c.Error(saved.status());
    log::Info(std::string(ops.log_name) + (existing ? " updated" : " created"),
              {{"id", static_cast<long long>(saved->id)}, {"name", saved->name}});
    c.ReplyValue(ok_status, render(*saved));
  };

  if (m == "OPTIONS") {
    bool writable = ScopeAllows(c.token.scope, Access::kWrite);
    return c.ReplyValue(200, api::FormMetadata(Kind::kForm, id_str.empty(), writable));
  }
  if (id_str.empty()) {
    if (c.IsRead()) {
      auto all = (store_.*ops.list)();
      if (!all.ok()) return c.Error(500, all.status().message());
      auto filters = api::FilterQuery::Parse(Kind::Specs(), c.req.query_params);
      if (!filters.ok()) return c.Error(filters.status());
      std::vector<size_t> sel;
      for (size_t i = 0; i < all->size(); ++i) {
        const Object& o = (*all)[i];
        if (filters->Matches([&](size_t spec) { return Kind::Field(o, spec); })) sel.push_back(i);
      }
      auto read = [&](size_t i, size_t spec) { return Kind::Field((*all)[i], spec); };
      return c.ListPage(options_, Kind::Specs(), read, std::move(sel),
                        [&](size_t i) { return render((*all)[i]); });
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
  if (c.IsRead()) return c.ReplyValue(200, render(*existing));
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
