#include "api/api.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>

#include "common/log.h"
#include "common/time.h"
#include "model/redact.h"
#include "rules/event_input.h"
#include "rules/forms.h"
#include "value/json.h"

namespace herald {

namespace {

std::string Detail(std::string_view msg) {
  Dict d;
  d.set("detail", Value(msg));
  return DumpJsonCompact(Value(std::move(d)));
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

// The paths under /api/ that need no token (`parts` starts with "api"): the API root, the
// section roots (links only) and the status. CheckHead and Route both ask this.
bool IsPublicPath(const std::vector<std::string>& parts) {
  return parts.size() == 1 || (parts.size() == 2 && (parts[1] == "extras" ||
                                                     parts[1] == "core" || parts[1] == "status"));
}

bool ParseId(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  *out = std::stoll(s);
  return true;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ContainsCI(const std::string& hay, const std::string& needle_lower) {
  return Lower(hay).find(needle_lower) != std::string::npos;
}

// Percent-encodes everything but RFC 3986 unreserved characters (and '/' when keep_slash).
std::string UrlEncode(std::string_view s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// "0.1.0" -> "0.1": NetBox's API-Version header carries major.minor.
std::string MajorMinor(const std::string& version) {
  size_t dot = version.find('.');
  if (dot == std::string::npos) return version;
  size_t dot2 = version.find('.', dot + 1);
  return dot2 == std::string::npos ? version : version.substr(0, dot2);
}

std::string StripTrailingSlashes(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

bool ParseBoolParam(const std::string& s, bool* out) {
  std::string l = Lower(s);
  if (l == "true" || l == "1" || l == "yes" || l == "on") *out = true;
  else if (l == "false" || l == "0" || l == "no" || l == "off") *out = false;
  else return false;
  return true;
}

}  // namespace

struct Api::Ctx {
  http::Request req;
  http::Responder respond;
  ApiToken token;
  std::string api_base;
  std::vector<std::string> parts;
  bool responded = false;

  void Reply(int status, std::string body) {
    responded = true;
    respond(http::Response::Json(status, std::move(body)));
  }
  void ReplyValue(int status, const Value& v) { Reply(status, DumpJsonCompact(v)); }
  void Error(int status, std::string_view msg) { Reply(status, Detail(msg)); }
  void NoContent() {
    responded = true;
    http::Response r;
    r.status = 204;
    r.content_type.clear();
    respond(std::move(r));
  }
  bool IsRead() const { return req.method == "GET" || req.method == "HEAD"; }
  // Only admins see credential header values and signatures (model/redact.h).
  bool ShowCredentials() const { return token.scope == TokenScope::kAdmin; }
  // Pagination parameters; false (and a 400 sent) when malformed.
  bool Page(const ApiOptions& o, int64_t* limit, int64_t* offset) {
    *limit = o.default_page_size;
    *offset = 0;
    if (auto l = req.query_param("limit")) {
      if (!ParseId(*l, limit)) {
        Error(400, "limit must be a non-negative integer.");
        return false;
      }
      if (*limit == 0 || *limit > o.max_page_size) *limit = o.max_page_size;
    }
    if (auto off = req.query_param("offset")) {
      if (!ParseId(*off, offset)) {
        Error(400, "offset must be a non-negative integer.");
        return false;
      }
    }
    return true;
  }
  std::string PageUrl(int64_t limit, int64_t offset) const {
    std::string q;
    for (const auto& [k, v] : req.query_params()) {
      if (k == "limit" || k == "offset") continue;
      q += (q.empty() ? "" : "&") + UrlEncode(k, false) + "=" + UrlEncode(v, false);
    }
    q += (q.empty() ? "" : "&") + std::string("limit=") + std::to_string(limit);
    if (offset > 0) q += "&offset=" + std::to_string(offset);
    return api_base + UrlEncode(req.path, true) + "?" + q;
  }
  Value Paginated(int64_t count, List results, int64_t limit, int64_t offset) const {
    Dict d;
    d.set("count", count);
    d.set("next", offset + limit < count ? Value(PageUrl(limit, offset + limit)) : Value());
    d.set("previous", offset > 0 ? Value(PageUrl(limit, std::max<int64_t>(0, offset - limit)))
                                 : Value());
    d.set("results", Value(std::move(results)));
    return Value(std::move(d));
  }
  bool Brief() const {
    auto b = req.query_param("brief");
    return b && !b->empty();
  }
};

Api::Api(Store& store, ApiOptions options)
    : store_(store),
      options_(std::move(options)),
      api_version_(MajorMinor(options_.version)),
      base_url_(StripTrailingSlashes(options_.public_url)),
      tokens_(store, std::chrono::seconds(10)),
      ingest_pool_(std::make_unique<WorkPool>("ingest", options_.ingest_threads,
                                              options_.ingest_queue)) {
  if (base_url_.empty()) base_url_ = "http://localhost";
}

Api::~Api() { Stop(); }

void Api::Stop() { ingest_pool_->Stop(); }

void Api::SetListenAddress(const std::string& host, uint16_t port) {
  if (!options_.public_url.empty()) return;
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string base = "http://" + h + ":" + std::to_string(port);
  if (host == "0.0.0.0" || host == "::" || host.empty()) {
    log::Warning("listening on every address without server.public_url: absolute URLs in API "
                 "answers (object urls, next/previous pages) will name " + base +
                 "; set server.public_url to the address clients use",
                 {{"base_url", base}});
  }
  std::lock_guard<std::mutex> lock(base_mu_);
  base_url_ = std::move(base);
}

std::string Api::BaseUrl() const {
  std::lock_guard<std::mutex> lock(base_mu_);
  return base_url_;
}

std::shared_ptr<const RuleIndex> Api::Rules() {
  int64_t rev = store_.ConfigRevision();
  std::lock_guard<std::mutex> lock(rules_mu_);
  if (rules_ && rules_->revision() == rev) return rules_;
  auto rules = store_.ListEventRules();
  auto hooks = store_.ListWebhooks();
  if (!rules.ok() || !hooks.ok()) {
    log::Error("cannot load event rules", {{"error", (!rules.ok() ? rules.status() : hooks.status()).message()}});
    if (rules_) return rules_;
    return RuleIndex::Build({}, {}, -1);
  }
  rules_ = RuleIndex::Build(*rules, *hooks, rev);
  log::Info("rule index loaded", {{"rules", static_cast<long>(rules_->rule_count())},
                                  {"revision", static_cast<long long>(rev)}});
  return rules_;
}

void Api::Handle(http::Request&& req, http::Responder respond) {
  auto c = std::make_shared<Ctx>();
  c->req = std::move(req);
  // Every API answer names the API version, as NetBox's do (pynetbox's .version reads it).
  c->respond = [respond = std::move(respond), version = api_version_](http::Response r) {
    r.headers.emplace_back("API-Version", version);
    respond(std::move(r));
  };
  c->api_base = BaseUrl();
  c->parts = SplitPath(c->req.path);
  try {
    Route(*c);
  } catch (const std::exception& e) {
    log::Error("unhandled error in API handler", {{"path", c->req.path}, {"error", e.what()}});
    if (!c->responded) c->Error(500, "Internal error; see the server log.");
  }
}

std::optional<http::Response> Api::CheckHead(const http::Request& head, bool* authenticated) {
  *authenticated = false;
  auto p = SplitPath(head.path);
  // Outside /api/ (not ours) and the public paths need no token.
  if (p.empty() || p[0] != "api" || IsPublicPath(p)) return std::nullopt;
  std::string why;
  if (!tokens_.Resolve(head.header("Authorization"), &why)) {
    http::Response r = http::Response::Json(403, Detail(why));
    r.headers.emplace_back("API-Version", api_version_);
    return r;
  }
  *authenticated = true;
  return std::nullopt;
}

void Api::Route(Ctx& c) {
  const auto& p = c.parts;
  if (p.empty() || p[0] != "api") return c.Error(404, "Not found.");
  if (IsPublicPath(p)) {
    if (!c.IsRead()) return c.Error(405, "Method \"" + c.req.method + "\" not allowed.");
    if (p.size() == 1) return Root(c);
    if (p[1] == "status") return Status(c);
    return SectionRoot(c, p[1]);
  }
  // Authentication.
  std::string why;
  auto token = tokens_.Resolve(c.req.header("Authorization"), &why);
  if (!token) return c.Error(403, why);
  c.token = *token;
  bool ingest = p.size() == 2 && p[1] == "events" && c.req.method == "POST";
  if (c.token.scope == TokenScope::kIngestOnly && !ingest)
    return c.Error(403, "This token may only post events (ingest-only).");
  if (c.token.scope == TokenScope::kReadOnly && !c.IsRead())
    return c.Error(403, "This token is read-only: write operations are not permitted.");

  if (p.size() >= 3 && p.size() <= 4 && p[1] == "extras") {
    std::string id = p.size() == 4 ? p[3] : "";
    if (p[2] == "webhooks") return Webhooks(c, id);
    if (p[2] == "event-rules") return EventRules(c, id);
  }
  if (p[1] == "events" && p.size() <= 3) {
    if (p.size() == 2 && c.req.method == "POST") return Ingest(c);
    if (c.IsRead()) return Events(c, p.size() == 3 ? p[2] : "");
    return c.Error(405, "Method \"" + c.req.method + "\" not allowed.");
  }
  if (p.size() >= 3 && p[1] == "core") {
    if (p[2] == "background-queues" && p.size() <= 4) return Queues(c);
    if (p[2] == "background-tasks" && p.size() <= 5)
      return Tasks(c, p.size() >= 4 ? p[3] : "", p.size() == 5 ? p[4] : "");
  }
  c.Error(404, "Not found.");
}

void Api::Root(Ctx& c) {
  Dict d;
  d.set("core", c.api_base + "/api/core/");
  d.set("events", c.api_base + "/api/events/");
  d.set("extras", c.api_base + "/api/extras/");
  d.set("status", c.api_base + "/api/status/");
  c.ReplyValue(200, Value(std::move(d)));
}

void Api::SectionRoot(Ctx& c, const std::string& section) {
  Dict d;
  if (section == "extras") {
    d.set("event-rules", c.api_base + "/api/extras/event-rules/");
    d.set("webhooks", c.api_base + "/api/extras/webhooks/");
  } else {
    d.set("background-queues", c.api_base + "/api/core/background-queues/");
    d.set("background-tasks", c.api_base + "/api/core/background-tasks/");
  }
  c.ReplyValue(200, Value(std::move(d)));
}

void Api::Status(Ctx& c) {
  Dict d;
  d.set("herald-version", options_.version);
  // The backend kind only: the store's location (a file path, a server address) stays private.
  std::string store = store_.Describe();
  d.set("store", store.substr(0, store.find("://")));
  auto counts = store_.CountByStatus();
  if (counts.ok()) {
    Dict q;
    q.set("queued", counts->queued);
    q.set("started", counts->started);
    q.set("scheduled", counts->scheduled);
    q.set("finished", counts->finished);
    q.set("failed", counts->failed);
    q.set("oldest_queued_at",
          counts->oldest_queued_at ? Value(FormatIsoUtc(counts->oldest_queued_at, 'Z')) : Value());
    d.set("tasks", Value(std::move(q)));
  } else {
    d.set("tasks", Value());
    d.set("store_error", counts.status().message());
  }
  auto rules = Rules();
  d.set("active_event_rules", static_cast<int64_t>(rules->rule_count()));
  Dict ingest;
  ingest.set("threads", static_cast<int64_t>(ingest_pool_->threads()));
  ingest.set("queued", static_cast<int64_t>(ingest_pool_->queued()));
  ingest.set("queue_limit", static_cast<int64_t>(ingest_pool_->max_queued()));
  ingest.set("queued_bytes", static_cast<int64_t>(ingest_queued_bytes_.load()));
  ingest.set("queue_bytes_limit", static_cast<int64_t>(options_.ingest_queue_bytes));
  d.set("ingest", Value(std::move(ingest)));
  c.ReplyValue(counts.ok() ? 200 : 503, Value(std::move(d)));
}

// ---------------------------------------------------------------- webhooks

namespace {

// Multi-valued filter: all values of a query parameter.
std::vector<std::string> Params(const http::Request& req, std::string_view name) {
  std::vector<std::string> out;
  for (auto& [k, v] : req.query_params())
    if (k == name) {
      // NetBox also accepts comma-free repeats; support "a,b" too for convenience.
      out.push_back(v);
    }
  return out;
}

bool AnyEquals(const std::vector<std::string>& vals, const std::string& x) {
  return std::find(vals.begin(), vals.end(), x) != vals.end();
}

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

int StoreErrorStatus(const herald::Status& st) {
  if (st.type() == "NotFound") return 404;
  if (st.type() == "Conflict") return 409;
  return 500;
}

}  // namespace

void Api::Webhooks(Ctx& c, const std::string& id_str) {
  const std::string& m = c.req.method;
  bool brief = c.Brief();
  if (id_str.empty()) {
    if (c.IsRead()) {
      auto all = store_.ListWebhooks();
      if (!all.ok()) return c.Error(500, all.status().message());
      auto ids = Params(c.req, "id");
      auto names = Params(c.req, "name");
      auto methods = Params(c.req, "http_method");
      auto q = c.req.query_param("q");
      std::string ql = q ? Lower(*q) : "";
      std::vector<const Webhook*> sel;
      for (const auto& w : *all) {
        if (!ids.empty() && !AnyEquals(ids, std::to_string(w.id))) continue;
        if (!names.empty() && !AnyEquals(names, w.name)) continue;
        if (!methods.empty() && !AnyEquals(methods, w.http_method)) continue;
        if (q && !(ContainsCI(w.name, ql) || ContainsCI(w.description, ql) ||
                   ContainsCI(w.payload_url, ql)))
          continue;
        if (auto sv = c.req.query_param("ssl_verification")) {
          bool b;
          if (ParseBoolParam(*sv, &b) && b != w.ssl_verification) continue;
        }
        sel.push_back(&w);
      }
      int64_t limit, offset;
      if (!c.Page(options_, &limit, &offset)) return;
      List results;
      for (int64_t i = offset; i < static_cast<int64_t>(sel.size()) && i < offset + limit; ++i)
        results.push_back(WebhookToJson(*sel[i], c.api_base, brief, c.ShowCredentials()));
      return c.ReplyValue(200, c.Paginated(sel.size(), std::move(results), limit, offset));
    }
    if (m == "POST") {
      std::string err;
      Value body = ParseBodyOr400(c.req, &err);
      if (!err.empty()) return c.Error(400, err);
      auto v = WebhookFromJson(body, nullptr, false);
      if (!v.ok()) return c.ReplyValue(400, FieldErrorsToValue(v.errors));
      auto created = store_.CreateWebhook(std::move(*v.value));
      if (!created.ok()) {
        if (created.status().type() == "Conflict") {
          FieldErrors fe;
          AddFieldError(fe, "name", created.status().message());
          return c.ReplyValue(400, FieldErrorsToValue(fe));
        }
        return c.Error(StoreErrorStatus(created.status()), created.status().message());
      }
      log::Info("webhook created", {{"id", static_cast<long long>(created->id)}, {"name", created->name}});
      return c.ReplyValue(201, WebhookToJson(*created, c.api_base, false, c.ShowCredentials()));
    }
    return c.Error(405, "Method \"" + m + "\" not allowed.");
  }
  int64_t id;
  if (!ParseId(id_str, &id)) return c.Error(404, "Not found.");
  auto existing = store_.GetWebhook(id);
  if (!existing.ok()) {
    if (existing.status().type() == "NotFound") return c.Error(404, "No Webhook matches the given query.");
    return c.Error(500, existing.status().message());
  }
  if (c.IsRead())
    return c.ReplyValue(200, WebhookToJson(*existing, c.api_base, brief, c.ShowCredentials()));
  if (m == "PUT" || m == "PATCH") {
    std::string err;
    Value body = ParseBodyOr400(c.req, &err);
    if (!err.empty()) return c.Error(400, err);
    auto v = WebhookFromJson(body, &*existing, m == "PATCH");
    if (!v.ok()) return c.ReplyValue(400, FieldErrorsToValue(v.errors));
    v.value->id = id;
    auto updated = store_.UpdateWebhook(std::move(*v.value));
    if (!updated.ok()) {
      if (updated.status().type() == "Conflict") {
        FieldErrors fe;
        AddFieldError(fe, "name", updated.status().message());
        return c.ReplyValue(400, FieldErrorsToValue(fe));
      }
      return c.Error(StoreErrorStatus(updated.status()), updated.status().message());
    }
    log::Info("webhook updated", {{"id", static_cast<long long>(id)}, {"name", updated->name}});
    return c.ReplyValue(200, WebhookToJson(*updated, c.api_base, false, c.ShowCredentials()));
  }
  if (m == "DELETE") {
    auto st = store_.DeleteWebhook(id);
    if (!st.ok()) return c.Error(StoreErrorStatus(st), st.message());
    log::Info("webhook deleted", {{"id", static_cast<long long>(id)}});
    return c.NoContent();
  }
  c.Error(405, "Method \"" + m + "\" not allowed.");
}

// ---------------------------------------------------------------- event rules

void Api::EventRules(Ctx& c, const std::string& id_str) {
  const std::string& m = c.req.method;
  bool brief = c.Brief();
  auto hooks_r = store_.ListWebhooks();
  if (!hooks_r.ok()) return c.Error(500, hooks_r.status().message());
  const auto& hooks = *hooks_r;
  auto webhook_of = [&hooks](int64_t id) -> const Webhook* {
    for (const auto& w : hooks)
      if (w.id == id) return &w;
    return nullptr;
  };
  auto save_errors = [&](const herald::Status& st) {
    FieldErrors fe;
    if (st.message().find("webhook") != std::string::npos &&
        st.message().find("name") == std::string::npos)
      AddFieldError(fe, "action_object_id", st.message());
    else
      AddFieldError(fe, "name", st.message());
    c.ReplyValue(400, FieldErrorsToValue(fe));
  };
  auto check_target = [&](const EventRule& r) -> bool {
    if (r.action_object_id && !webhook_of(*r.action_object_id)) {
      FieldErrors fe;
      AddFieldError(fe, "action_object_id",
                    "Webhook " + std::to_string(*r.action_object_id) + " does not exist.");
      c.ReplyValue(400, FieldErrorsToValue(fe));
      return false;
    }
    return true;
  };
  if (id_str.empty()) {
    if (c.IsRead()) {
      auto all = store_.ListEventRules();
      if (!all.ok()) return c.Error(500, all.status().message());
      auto ids = Params(c.req, "id");
      auto names = Params(c.req, "name");
      auto ots = Params(c.req, "object_type");
      auto ets = Params(c.req, "event_type");
      auto ats = Params(c.req, "action_type");
      auto aoids = Params(c.req, "action_object_id");
      auto q = c.req.query_param("q");
      std::string ql = q ? Lower(*q) : "";
      std::optional<bool> enabled;
      if (auto e = c.req.query_param("enabled")) {
        bool b;
        if (!ParseBoolParam(*e, &b)) return c.Error(400, "enabled must be true or false.");
        enabled = b;
      }
      std::vector<const EventRule*> sel;
      for (const auto& r : *all) {
        if (!ids.empty() && !AnyEquals(ids, std::to_string(r.id))) continue;
        if (!names.empty() && !AnyEquals(names, r.name)) continue;
        if (enabled && r.enabled != *enabled) continue;
        if (!ats.empty() && !AnyEquals(ats, r.action_type)) continue;
        if (!aoids.empty() &&
            !(r.action_object_id && AnyEquals(aoids, std::to_string(*r.action_object_id))))
          continue;
        if (!ots.empty() && std::none_of(r.object_types.begin(), r.object_types.end(),
                                         [&](const std::string& s) { return AnyEquals(ots, s); }))
          continue;
        if (!ets.empty() && std::none_of(r.event_types.begin(), r.event_types.end(),
                                         [&](const std::string& s) { return AnyEquals(ets, s); }))
          continue;
        if (q && !(ContainsCI(r.name, ql) || ContainsCI(r.description, ql) ||
                   ContainsCI(r.comments, ql)))
          continue;
        sel.push_back(&r);
      }
      int64_t limit, offset;
      if (!c.Page(options_, &limit, &offset)) return;
      List results;
      for (int64_t i = offset; i < static_cast<int64_t>(sel.size()) && i < offset + limit; ++i)
        results.push_back(EventRuleToJson(*sel[i], c.api_base, brief, webhook_of));
      return c.ReplyValue(200, c.Paginated(sel.size(), std::move(results), limit, offset));
    }
    if (m == "POST") {
      std::string err;
      Value body = ParseBodyOr400(c.req, &err);
      if (!err.empty()) return c.Error(400, err);
      auto v = EventRuleFromJson(body, nullptr, false);
      if (!v.ok()) return c.ReplyValue(400, FieldErrorsToValue(v.errors));
      if (!check_target(*v.value)) return;
      auto created = store_.CreateEventRule(std::move(*v.value));
      if (!created.ok()) {
        if (created.status().type() == "Conflict" || created.status().type() == "NotFound")
          return save_errors(created.status());
        return c.Error(500, created.status().message());
      }
      log::Info("event rule created", {{"id", static_cast<long long>(created->id)}, {"name", created->name}});
      return c.ReplyValue(201, EventRuleToJson(*created, c.api_base, false, webhook_of));
    }
    return c.Error(405, "Method \"" + m + "\" not allowed.");
  }
  int64_t id;
  if (!ParseId(id_str, &id)) return c.Error(404, "Not found.");
  auto existing = store_.GetEventRule(id);
  if (!existing.ok()) {
    if (existing.status().type() == "NotFound") return c.Error(404, "No EventRule matches the given query.");
    return c.Error(500, existing.status().message());
  }
  if (c.IsRead()) return c.ReplyValue(200, EventRuleToJson(*existing, c.api_base, brief, webhook_of));
  if (m == "PUT" || m == "PATCH") {
    std::string err;
    Value body = ParseBodyOr400(c.req, &err);
    if (!err.empty()) return c.Error(400, err);
    auto v = EventRuleFromJson(body, &*existing, m == "PATCH");
    if (!v.ok()) return c.ReplyValue(400, FieldErrorsToValue(v.errors));
    v.value->id = id;
    if (!check_target(*v.value)) return;
    auto updated = store_.UpdateEventRule(std::move(*v.value));
    if (!updated.ok()) {
      if (updated.status().type() == "Conflict") return save_errors(updated.status());
      return c.Error(StoreErrorStatus(updated.status()), updated.status().message());
    }
    log::Info("event rule updated", {{"id", static_cast<long long>(id)}, {"name", updated->name}});
    return c.ReplyValue(200, EventRuleToJson(*updated, c.api_base, false, webhook_of));
  }
  if (m == "DELETE") {
    auto st = store_.DeleteEventRule(id);
    if (!st.ok()) return c.Error(StoreErrorStatus(st), st.message());
    log::Info("event rule deleted", {{"id", static_cast<long long>(id)}});
    return c.NoContent();
  }
  c.Error(405, "Method \"" + m + "\" not allowed.");
}

// ---------------------------------------------------------------- ingest

void Api::Ingest(Ctx& c) {
  std::string ct = Lower(std::string(c.req.header("Content-Type")));
  bool ndjson = ct.find("ndjson") != std::string::npos || ct.find("x-json-stream") != std::string::npos ||
                ct.find("jsonlines") != std::string::npos;
  // Anything else is read as JSON (curl -d sends application/x-www-form-urlencoded by default),
  // except types that can never be JSON.
  if (!ndjson && (ct.find("xml") != std::string::npos || ct.find("multipart") != std::string::npos)) {
    return c.Error(415, "Unsupported media type \"" + ct +
                            "\": send application/json or application/x-ndjson.");
  }
  // Admit the body into the queue unless the bytes already waiting would pass the bound.
  size_t size = c.req.body.size();
  size_t queued = ingest_queued_bytes_.load();
  bool fits;
  do {
    fits = queued == 0 || queued + size <= options_.ingest_queue_bytes;
  } while (fits && !ingest_queued_bytes_.compare_exchange_weak(queued, queued + size));
  bool taken = fits && ingest_pool_->TrySubmit(
                           [this, body = std::move(c.req.body), ndjson, respond = c.respond] {
                             ingest_queued_bytes_ -= body.size();
                             IngestNow(body, ndjson, respond);
                           });
  if (!taken) {
    if (fits) ingest_queued_bytes_ -= size;
    // One log line per second at most, counting the refusals since the last one.
    long long refused = ++ingest_refused_;
    int64_t now = NowUs(), last = ingest_refused_logged_at_.load();
    if (now - last >= 1'000'000 && ingest_refused_logged_at_.compare_exchange_strong(last, now)) {
      ingest_refused_ -= refused;
      log::Warning("ingest queue full; requests refused with 503",
                   {{"refused", refused},
                    {"queued_requests", static_cast<long long>(ingest_pool_->queued())},
                    {"queue_limit", static_cast<long long>(ingest_pool_->max_queued())},
                    {"queued_bytes", static_cast<long long>(ingest_queued_bytes_.load())},
                    {"request_bytes", static_cast<long long>(size)}});
    }
    http::Response r = http::Response::Json(
        503, Detail("Too many event requests are waiting to be processed (or Herald is "
                    "stopping); nothing was stored. Retry shortly."));
    r.headers.emplace_back("Retry-After", std::to_string(kIngestRetryAfterSeconds));
    c.responded = true;
    c.respond(std::move(r));
    return;
  }
  c.responded = true;
}

void Api::Events(Ctx& c, const std::string& id_str) {
  if (id_str.empty()) {
    int64_t limit, offset;
    if (!c.Page(options_, &limit, &offset)) return;
    EventFilter f;
    f.limit = limit + 1;
    f.offset = offset;
    if (auto ot = c.req.query_param("object_type")) f.object_type = *ot;
    auto evs = store_.ListEvents(f);
    if (!evs.ok()) return c.Error(500, evs.status().message());
    List results;
    bool more = static_cast<int64_t>(evs->size()) > limit;
    for (int64_t i = 0; i < static_cast<int64_t>(evs->size()) && i < limit; ++i)
      results.push_back(EventToValue((*evs)[i]));
    Dict d;
    d.set("count", Value());  // unknown without a full count; use next to page
    d.set("next", more ? Value(c.PageUrl(limit, offset + limit)) : Value());
    d.set("previous", offset > 0 ? Value(c.PageUrl(limit, std::max<int64_t>(0, offset - limit))) : Value());
    d.set("results", Value(std::move(results)));
    return c.ReplyValue(200, Value(std::move(d)));
  }
  int64_t id;
  if (!ParseId(id_str, &id)) return c.Error(404, "Not found.");
  auto ev = store_.GetEvent(id);
  if (!ev.ok()) return c.Error(StoreErrorStatus(ev.status()), ev.status().type() == "NotFound" ? "Event not found." : ev.status().message());
  Value v = EventToValue(*ev);
  TaskFilter tf;
  tf.event_id = id;
  tf.limit = 1000;
  tf.oldest_first = true;
  auto tasks = store_.ListTasks(tf);
  List tl;
  if (tasks.ok())
    for (const auto& t : *tasks) tl.push_back(TaskToJson(t, c.api_base));
  v.as_dict().set("tasks", Value(std::move(tl)));
  c.ReplyValue(200, v);
}

// ---------------------------------------------------------------- background tasks

Value TaskToJson(const Task& t, const std::string& api_base) {
  auto iso = [](TimeUs us) { return us ? Value(FormatIsoUtc(us, 'Z')) : Value(); };
  Dict d;
  d.set("id", t.id);
  d.set("url", api_base + "/api/core/background-tasks/" + t.id + "/");
  d.set("description", "Deliver " + t.object_type + " " + t.event_type + " to webhook \"" +
                           t.webhook_name + "\" (event rule \"" + t.rule_name + "\")");
  d.set("origin", "default");
  d.set("func_name", "extras.webhooks.send_webhook");
  d.set("args", Value(List{}));
  Dict kw;
  kw.set("event_rule", t.rule_name);
  kw.set("webhook", t.webhook_name);
  kw.set("object_type", t.object_type);
  kw.set("event_type", t.event_type);
  kw.set("event_id", std::to_string(t.event_id));
  d.set("kwargs", Value(std::move(kw)));
  d.set("result", t.result.empty() ? Value() : Value(t.result));
  d.set("timeout", Value());
  d.set("result_ttl", Value());
  d.set("created_at", iso(t.created_at));
  d.set("enqueued_at", iso(t.enqueued_at));
  d.set("started_at", iso(t.started_at));
  d.set("ended_at", iso(t.ended_at));
  d.set("worker_name", t.worker.empty() ? Value() : Value(t.worker));
  d.set("position", Value());
  d.set("status", TaskStatusName(t.status));
  d.set("meta", Value::MakeDict());
  d.set("last_heartbeat", Value());
  d.set("is_finished", t.status == TaskStatus::kFinished);
  d.set("is_queued", t.status == TaskStatus::kQueued);
  d.set("is_failed", t.status == TaskStatus::kFailed);
  d.set("is_started", t.status == TaskStatus::kStarted);
  d.set("is_deferred", false);
  d.set("is_canceled", false);
  d.set("is_scheduled", t.status == TaskStatus::kScheduled);
  d.set("is_stopped", false);
  // Herald additions.
  d.set("event_id", t.event_id);
  d.set("event_rule_id", t.rule_id);
  d.set("webhook_id", t.webhook_id);
  d.set("object_type", t.object_type);
  d.set("event_type", t.event_type);
  d.set("attempts", t.attempts);
  d.set("scheduled_for", t.status == TaskStatus::kScheduled ? iso(t.due_at) : Value());
  d.set("error", t.error.empty() ? Value() : Value(t.error));
  return Value(std::move(d));
}

Value TaskDetailJson(Store& store, const Task& task, const std::string& api_base,
                     bool show_credentials) {
  Value v = TaskToJson(task, api_base);
  // The render context the delivery uses (event + the rule's action_data, merged).
  auto ev = store.GetEvent(task.event_id);
  v.as_dict().set("context", ev.ok() ? BuildContext(*ev, task.action_data) : Value());
  auto attempts = store.ListAttempts(task.id);
  List al;
  if (attempts.ok()) {
    for (const auto& a : *attempts) {
      Dict ad;
      ad.set("number", a.number);
      ad.set("started_at", a.started_at ? Value(FormatIsoUtc(a.started_at, 'Z')) : Value());
      ad.set("duration_ms", static_cast<double>(a.duration_us) / 1000.0);
      ad.set("status_code", a.status_code ? Value(a.status_code) : Value());
      ad.set("response_excerpt", a.response_excerpt);
      ad.set("error", a.error.empty() ? Value() : Value(a.error));
      Dict rq;
      rq.set("method", a.method);
      rq.set("url", a.url);
      auto hv = ParseJson(a.request_headers.empty() ? "{}" : a.request_headers);
      Value headers = hv.ok() ? *hv : Value(a.request_headers);
      rq.set("headers", show_credentials ? headers : RedactHeaderDict(headers));
      rq.set("body", a.request_body);
      ad.set("request", Value(std::move(rq)));
      al.emplace_back(std::move(ad));
    }
  }
  v.as_dict().set("attempt_log", Value(std::move(al)));
  return v;
}

void Api::Queues(Ctx& c) {
  if (!c.IsRead()) return c.Error(405, "Method \"" + c.req.method + "\" not allowed.");
  auto counts = store_.CountByStatus();
  if (!counts.ok()) return c.Error(500, counts.status().message());
  if (c.parts.size() == 4 && c.parts[3] != "default") return c.Error(404, "Queue not found.");
  Dict q;
  q.set("name", "default");
  q.set("url", c.api_base + "/api/core/background-queues/default/");
  q.set("jobs", counts->queued);
  q.set("oldest_job_timestamp",
        counts->oldest_queued_at ? Value(FormatIsoUtc(counts->oldest_queued_at, 'Z')) : Value());
  q.set("index", 0);
  q.set("scheduler_pid", Value());
  q.set("workers", Value());
  q.set("finished_jobs", counts->finished);
  q.set("started_jobs", counts->started);
  q.set("deferred_jobs", 0);
  q.set("failed_jobs", counts->failed);
  q.set("scheduled_jobs", counts->scheduled);
  if (c.parts.size() == 4) return c.ReplyValue(200, Value(std::move(q)));
  List results;
  results.emplace_back(std::move(q));
  c.ReplyValue(200, c.Paginated(1, std::move(results), 50, 0));
}

void Api::Tasks(Ctx& c, const std::string& id, const std::string& action) {
  if (id.empty()) {
    if (!c.IsRead()) return c.Error(405, "Method \"" + c.req.method + "\" not allowed.");
    TaskFilter f;
    std::string status = c.req.query_param("status").value_or("queued");
    if (status != "all") {
      auto s = ParseTaskStatus(status);
      if (!s)
        return c.Error(400, "Unknown status \"" + status +
                                "\": use queued, started, scheduled, finished, failed or all.");
      f.status = *s;
    }
    int64_t n;
    if (auto w = c.req.query_param("webhook_id")) {
      if (!ParseId(*w, &n)) return c.Error(400, "webhook_id must be an integer.");
      f.webhook_id = n;
    }
    if (auto r = c.req.query_param("event_rule_id")) {
      if (!ParseId(*r, &n)) return c.Error(400, "event_rule_id must be an integer.");
      f.rule_id = n;
    }
    if (auto e = c.req.query_param("event_id")) {
      if (!ParseId(*e, &n)) return c.Error(400, "event_id must be an integer.");
      f.event_id = n;
    }
    if (auto ot = c.req.query_param("object_type")) f.object_type = *ot;
    if (!c.Page(options_, &f.limit, &f.offset)) return;
    f.oldest_first = f.status && *f.status == TaskStatus::kQueued;
    auto count = store_.CountTasks(f);
    auto tasks = store_.ListTasks(f);
    if (!count.ok() || !tasks.ok())
      return c.Error(500, (!count.ok() ? count.status() : tasks.status()).message());
    List results;
    for (const auto& t : *tasks) results.push_back(TaskToJson(t, c.api_base));
    return c.ReplyValue(200, c.Paginated(*count, std::move(results), f.limit, f.offset));
  }
  if (action.empty()) {
    if (!c.IsRead()) return c.Error(405, "Method \"" + c.req.method + "\" not allowed.");
    auto t = store_.GetTask(id);
    if (!t.ok()) {
      if (t.status().type() == "NotFound") return c.Error(404, "Task " + id + " not found.");
      return c.Error(500, t.status().message());
    }
    Value v = TaskDetailJson(store_, *t, c.api_base, c.ShowCredentials());
    return c.ReplyValue(200, v);
  }
  if (c.req.method != "POST") return c.Error(405, "Method \"" + c.req.method + "\" not allowed.");
  herald::Status st;
  int64_t now = NowUs();
  if (action == "requeue") st = store_.Requeue(id, now);
  else if (action == "enqueue") st = store_.Enqueue(id, now);
  else if (action == "stop") st = store_.Stop(id, now);
  else if (action == "delete") st = store_.DeleteTask(id);
  else return c.Error(404, "Unknown action \"" + action + "\".");
  if (!st.ok()) {
    if (st.type() == "NotFound") return c.Error(404, "Task " + id + " not found.");
    return c.Error(StoreErrorStatus(st), st.message());
  }
  log::Info("task " + action, {{"task", id}, {"token", c.token.name}});
  Dict d;
  d.set("detail", "Task " + id + ": " + action + " done.");
  c.ReplyValue(200, Value(std::move(d)));
}

}  // namespace herald
