// The configuration endpoints, /api/extras/webhooks/ and /api/extras/event-rules/. One handler,
// Api::Crud, serves both as NetBox's model viewsets do: list (api/filtersets.h filters,
// ordering, fields, pagination: Ctx::ListPage), create one or a list, retrieve, PUT/PATCH,
// bulk PUT/PATCH and DELETE of a list of {id}, DELETE (a webhook's event rules go with it;
// ?dry_run=1 previews) and OPTIONS (api/metadata.h). Saving is validation/save.h's (shared with
// the UI); its errors are answered as api/errors.h maps them (a field error, a taken name
// included, is a 400 on that field; a missing object 404). What differs per type sits in a
// table per type (Ops: its store calls, form functions and filter table) and, per request, its
// JSON form (CrudKind).
#include <algorithm>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "api/api.h"
#include "api/context.h"
#include "api/errors.h"
#include "api/filtersets.h"
#include "api/metadata.h"
#include "common/log.h"
#include "delivery/signature.h"
#include "model/redact.h"
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
  auto v = ParseStrictJson(req.body);
  if (!v.ok()) return Status(Code::kInvalidArgument, "JSON parse error - " + v.status().message());
  return v;
}

// What Api::Crud needs of one configuration type T (which has `id` and `name`), by concern.
template <class T>
struct Ops {
  struct {
    std::string_view model;     // "No <model> matches the given query."
    std::string_view log_name;  // "<log_name> created", "... updated", "... deleted"
    api::FormKind form;         // its OPTIONS metadata (api/metadata.h)
  } names;
  struct {
    Result<std::vector<T>> (Store::*list)();
    Result<T> (Store::*get)(int64_t id);
    Result<T> (Store::*update)(T object);  // puts a bulk update's earlier objects back
  } store;
  struct {
    // validation/forms.h: the body as an object, validated (nothing saved).
    Result<T> (*parse)(const Value& body, const T* base, bool partial);
    // validation/save.h: validate the body, check references, create or update.
    Result<T> (*save)(Store& store, const Value& body, const T* existing, bool partial);
    // What deleting object `id` deletes with it (a webhook's event rules), and the delete.
    Result<std::vector<EventRule>> (*dependents)(Store& store, int64_t id);
    herald::Status (*remove)(Store& store, int64_t id, std::vector<EventRule>* deleted);
  } writes;
  struct {
    // api/filtersets.h: the filter table, and what filter `spec` reads of an object.
    const std::vector<api::FilterSpec>& (*specs)();
    api::FieldValue (*field)(const T& object, size_t spec);
    // The object as a caller who may not see credentials sees it (model/redact.h): lists filter,
    // search and order readers' copies, so a filter cannot probe a hidden value.
    T (*as_reader_sees)(T object);
  } filters;
};

Webhook WebhookAsReaderSees(Webhook w) {
  w.payload_url = RedactUrl(w.payload_url);
  w.additional_headers = RedactHeaderTemplate(w.additional_headers);
  return w;
}
EventRule EventRuleAsReaderSees(EventRule r) { return r; }

Result<std::vector<EventRule>> NoDependents(Store&, int64_t) { return std::vector<EventRule>{}; }
herald::Status DeleteRule(Store& store, int64_t id, std::vector<EventRule>*) {
  return store.DeleteEventRule(id);
}

// "Expected a list of items but got type "dict"." (DRF's ListSerializer), on non_field_errors.
herald::Status NotAList(const Value& body) {
  return herald::Status::Invalid(
      "non_field_errors", "Expected a list of items but got type \"" + body.type_name() + "\".");
}

// The ids of a bulk body ([{"id": N, ...}, ...]); on a missing or malformed id, the per-item
// errors as DRF lists them ({} for the good items).
std::optional<std::vector<int64_t>> BulkIds(const List& items, List* errors) {
  std::vector<int64_t> ids;
  bool bad = false;
  for (const auto& item : items) {
    const Value* id = item.is_dict() ? item.get("id") : nullptr;
    Dict e;
    if (!item.is_dict()) e.set("non_field_errors", Value(List{Value("Expected a dictionary.")}));
    else if (!id) e.set("id", Value(List{Value("This field is required.")}));
    else if (!id->is_int() || id->is_bool() || id->as_int() < 1)
      e.set("id", Value(List{Value("A valid integer is required.")}));
    else ids.push_back(id->as_int());
    bad = bad || !e.empty();
    errors->emplace_back(std::move(e));
  }
  if (bad) return std::nullopt;
  return ids;
}

constexpr Ops<Webhook> kWebhookOps{
    {"Webhook", "webhook", api::FormKind::kWebhook},
    {&Store::ListWebhooks, &Store::GetWebhook, &Store::UpdateWebhook},
    {&WebhookFromJson, &SaveWebhook, &RulesUsingWebhook, &DeleteWebhookAndRules},
    {&api::WebhookFilterSpecs, &api::WebhookField, &WebhookAsReaderSees}};

constexpr Ops<EventRule> kEventRuleOps{
    {"EventRule", "event rule", api::FormKind::kEventRule},
    {&Store::ListEventRules, &Store::GetEventRule, &Store::UpdateEventRule},
    {&EventRuleFromJson, &SaveEventRule, &NoDependents, &DeleteRule},
    {&api::EventRuleFilterSpecs, &api::EventRuleField, &EventRuleAsReaderSees}};

// A kind, as Api::Crud takes it: the type's Ops, and its JSON form as this request shows it
// (forms.h, with what the request knows: the URL base, whether credentials show, the webhooks
// a rule's target is nested from). `brief`: the brief form.
template <class T>
struct CrudKind {
  using Object = T;
  const Ops<T>& ops;
  std::function<Value(const T& object, bool brief)> to_json;
};

}  // namespace

template <class Kind>
void Api::Crud(Ctx& c, const std::string& id_str, Kind& kind) {
  using Object = typename Kind::Object;
  const Ops<Object>& ops = kind.ops;
  const std::string& m = c.req.method;
  const std::string not_found = "No " + std::string(ops.names.model) + " matches the given query.";
  // NetBox's precedence: ?fields=, else ?omit=, else ?brief=.
  auto render = [&](const Object& o) { return c.SelectFields(kind.to_json(o, c.BriefOnly())); };
  auto logged = [&](const Object& o, const char* what) {
    log::Info(std::string(ops.names.log_name) + " " + what,
              {{"id", static_cast<long long>(o.id)}, {"name", o.name}, {"token", c.token.name}});
  };
  // Logs each of `objects` as `what` and answers them as a list with `status`.
  auto answer_list = [&](const std::vector<Object>& objects, const char* what, int status) {
    List out;
    for (const auto& o : objects) {
      logged(o, what);
      out.push_back(render(o));
    }
    c.ReplyValue(status, Value(std::move(out)));
  };
  // Saves `body` over `existing` (nullptr: creates) and answers: `ok_status` with the stored
  // object, or the error (a field error, a store failure).
  auto save = [&](const Value& body, const Object* existing, bool partial, int ok_status) {
    auto saved = ops.writes.save(store_, body, existing, partial);
    if (!saved.ok()) return c.Error(saved.status());
    logged(*saved, existing ? "updated" : "created");
    c.ReplyValue(ok_status, render(*saved));
  };
  // POST of a list: every item validated first (DRF's per-item errors, {} for good ones), then
  // created; a store failure deletes those already created, so it is all or nothing.
  auto bulk_create = [&](const List& items) {
    List errors;
    bool bad = false;
    for (const auto& item : items) {
      auto parsed = ops.writes.parse(item, nullptr, false);
      bad = bad || !parsed.ok();
      errors.push_back(parsed.ok() ? Value::MakeDict() : ErrorBody(parsed.status()));
    }
    if (bad) return c.ReplyValue(400, Value(std::move(errors)));
    std::vector<Object> created;
    for (size_t i = 0; i < items.size(); ++i) {
      auto saved = ops.writes.save(store_, items[i], nullptr, false);
      if (!saved.ok()) {
        for (const auto& o : created) (void)ops.writes.remove(store_, o.id, nullptr);
        if (HttpStatusFor(saved.status()) != 400) return c.Error(saved.status());
        errors[i] = ErrorBody(saved.status());
        return c.ReplyValue(400, Value(std::move(errors)));
      }
      created.push_back(std::move(*saved));
    }
    answer_list(created, "created", 201);
  };
  // PUT/PATCH of a list of {id, ...}: NetBox's bulk update, all or nothing. Errors as NetBox
  // 4.6 lists them: {"detail": "k of n objects failed validation.", "errors": [{id, errors}]}.
  auto bulk_update = [&](const List& items, bool partial) {
    List id_errors;
    auto ids = BulkIds(items, &id_errors);
    if (!ids) return c.ReplyValue(400, Value(std::move(id_errors)));
    std::vector<Object> before;
    List errors;
    auto failed = [&](int64_t id, const herald::Status& st) {
      Dict e;
      e.set("id", id);
      if (st.code() == Code::kNotFound) {
        Dict nf;
        nf.set("id", Value(List{Value(not_found)}));
        e.set("errors", Value(std::move(nf)));
      } else {
        e.set("errors", ErrorBody(st));
      }
      errors.emplace_back(std::move(e));
    };
    auto answer_errors = [&] {
      Dict d;
      d.set("detail", std::to_string(errors.size()) + " of " + std::to_string(items.size()) +
                          " objects failed validation.");
      d.set("errors", Value(std::move(errors)));
      c.ReplyValue(400, Value(std::move(d)));
    };
    for (size_t i = 0; i < items.size(); ++i) {
      auto existing = (store_.*ops.store.get)((*ids)[i]);
      if (!existing.ok()) {
        if (existing.status().code() != Code::kNotFound) return c.Error(existing.status());
        failed((*ids)[i], existing.status());
        continue;
      }
      auto parsed = ops.writes.parse(items[i], &*existing, partial);
      if (!parsed.ok()) failed((*ids)[i], parsed.status());
      before.push_back(std::move(*existing));
    }
    if (!errors.empty()) return answer_errors();
    std::vector<Object> saved;
    for (size_t i = 0; i < items.size(); ++i) {
      auto s = ops.writes.save(store_, items[i], &before[i], partial);
      if (!s.ok()) {
        for (size_t k = 0; k < saved.size(); ++k) (void)(store_.*ops.store.update)(before[k]);
        if (HttpStatusFor(s.status()) != 400) return c.Error(s.status());
        failed((*ids)[i], s.status());
        return answer_errors();
      }
      saved.push_back(std::move(*s));
    }
    answer_list(saved, "updated", 200);
  };
  // Deletes the objects `ids` (all must exist) and what goes with them (a webhook's event
  // rules, as NetBox cascades), or with ?dry_run= only says what that would delete.
  auto remove = [&](const std::vector<int64_t>& ids) {
    std::vector<Object> objects;
    std::vector<EventRule> rules;
    for (int64_t id : ids) {
      auto o = (store_.*ops.store.get)(id);
      if (!o.ok()) {
        if (o.status().code() == Code::kNotFound) return c.Error(404, not_found);
        return c.Error(o.status());
      }
      auto deps = ops.writes.dependents(store_, id);
      if (!deps.ok()) return c.Error(deps.status());
      rules.insert(rules.end(), deps->begin(), deps->end());
      objects.push_back(std::move(*o));
    }
    bool dry_run = false;
    if (auto d = c.req.query_params.Get("dry_run")) (void)ParseBoolParam(*d, &dry_run);
    if (dry_run) {
      List own, cascaded;
      for (const auto& o : objects) own.push_back(kind.to_json(o, true));
      for (const auto& r : rules) cascaded.push_back(EventRuleToJson(r, c.api_base, true, nullptr));
      Dict would;
      would.set(c.parts[2], Value(std::move(own)));
      if (c.parts[2] != "event-rules") would.set("event-rules", Value(std::move(cascaded)));
      Dict d;
      d.set("dry_run", true);
      d.set("would_delete", Value(std::move(would)));
      return c.ReplyValue(200, Value(std::move(d)));
    }
    std::string rule_ids;
    for (const auto& o : objects) {
      std::vector<EventRule> deleted;
      auto st = ops.writes.remove(store_, o.id, &deleted);
      for (const auto& r : deleted) {
        log::Info("event rule deleted with its webhook",
                  {{"id", static_cast<long long>(r.id)},
                   {"name", r.name},
                   {"webhook", static_cast<long long>(o.id)}});
        rule_ids += (rule_ids.empty() ? "" : ",") + std::to_string(r.id);
      }
      if (!st.ok()) return c.Error(st);
      logged(o, "deleted");
    }
    http::Response r = http::Response::Empty(204);
    // The event rules deleted with the webhooks, by id (the log names them).
    if (!rule_ids.empty()) r.With("X-Herald-Deleted-Event-Rules", rule_ids);
    c.Reply(std::move(r));
  };

  auto options = [&] {
    bool writable = ScopeAllows(c.token.scope, Access::kWrite);
    c.ReplyValue(200, api::FormMetadata(ops.names.form, id_str.empty(), writable));
  };
  if (id_str.empty()) {
    if (m == "OPTIONS") return options();
    if (c.IsRead()) {
      auto all = (store_.*ops.store.list)();
      if (!all.ok()) return c.Error(500, all.status().message());
      if (!c.ShowCredentials()) {
        for (Object& o : *all) o = ops.filters.as_reader_sees(std::move(o));
      }
      auto filters = api::FilterQuery::Parse(ops.filters.specs(), c.req.query_params);
      if (!filters.ok()) return c.Error(filters.status());
      std::vector<size_t> sel;
      for (size_t i = 0; i < all->size(); ++i) {
        const Object& o = (*all)[i];
        if (filters->Matches([&](size_t spec) { return ops.filters.field(o, spec); }))
          sel.push_back(i);
      }
      auto read = [&](size_t i, size_t spec) { return ops.filters.field((*all)[i], spec); };
      return c.ListPage(options_, ops.filters.specs(), read, std::move(sel),
                        [&](size_t i) { return render((*all)[i]); });
    }
    if (m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE") return c.MethodNotAllowed();
    auto body = ParseBody(c.req);
    if (!body.ok()) return c.Error(body.status());
    if (m == "POST")
      return body->is_list() ? bulk_create(body->as_list()) : save(*body, nullptr, false, 201);
    if (!body->is_list()) return c.Error(NotAList(*body));
    if (m != "DELETE") return bulk_update(body->as_list(), m == "PATCH");
    List errors;
    auto ids = BulkIds(body->as_list(), &errors);
    if (!ids) return c.ReplyValue(400, Value(std::move(errors)));
    return remove(*ids);
  }
  int64_t id;
  if (!ParseId(id_str, &id)) return c.Error(404, "Not found.");
  auto existing = (store_.*ops.store.get)(id);
  if (!existing.ok()) {
    if (existing.status().code() == Code::kNotFound) return c.Error(404, not_found);
    return c.Error(500, existing.status().message());
  }
  if (m == "OPTIONS") return options();
  if (c.IsRead()) return c.ReplyValue(200, render(*existing));
  if (m == "PUT" || m == "PATCH") {
    auto body = ParseBody(c.req);
    if (!body.ok()) return c.Error(body.status());
    return save(*body, &*existing, m == "PATCH", 200);
  }
  if (m == "DELETE") return remove({id});
  c.MethodNotAllowed();
}

void Api::Webhooks(Ctx& c, const std::string& id) {
  // POST /api/extras/webhooks/generate-secret/: a new "whsec_" secret to set (nothing is stored;
  // a POST, so read-only tokens cannot ask).
  if (id == "generate-secret") {
    if (c.req.method != "POST") return c.MethodNotAllowed();
    auto secret = delivery::GenerateSecret();
    if (!secret.ok()) return c.Error(500, secret.status().message());
    Dict d;
    d.set("secret", *secret);
    return c.ReplyValue(200, Value(std::move(d)));
  }
  const bool show_credentials = c.ShowCredentials();
  CrudKind<Webhook> kind{kWebhookOps, [&](const Webhook& w, bool brief) {
                           return WebhookToJson(w, c.api_base, brief, show_credentials);
                         }};
  Crud(c, id, kind);
}

void Api::EventRules(Ctx& c, const std::string& id) {
  // Every request needs the webhooks: to nest a rule's target in its JSON.
  auto hooks = store_.ListWebhooks();
  if (!hooks.ok()) return c.Error(500, hooks.status().message());
  auto webhook_of = [&](int64_t webhook_id) -> const Webhook* {
    for (const auto& w : *hooks)
      if (w.id == webhook_id) return &w;
    return nullptr;
  };
  CrudKind<EventRule> kind{kEventRuleOps, [&](const EventRule& r, bool brief) {
                             return EventRuleToJson(r, c.api_base, brief, webhook_of);
                           }};
  Crud(c, id, kind);
}

}  // namespace herald
