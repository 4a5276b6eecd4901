// The API's router (see api.h): request context and pagination, authentication and scope
// checks, the dispatch to the handler files (crud.cc, ingest.cc, tasks.cc, workers.cc), the
// public roots and status, and the rule index that ingest and status read.
#include "api/api.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>

#include "api/context.h"
#include "api/errors.h"
#include "common/log.h"
#include "common/time.h"

namespace herald {

namespace api_util {

bool ParseId(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  *out = std::stoll(s);
  return true;
}

bool ParseBoolParam(const std::string& s, bool* out) {
  std::string l = AsciiLower(s);
  if (l == "true" || l == "1" || l == "yes" || l == "on") *out = true;
  else if (l == "false" || l == "0" || l == "no" || l == "off") *out = false;
  else return false;
  return true;
}

}  // namespace api_util

using namespace api_util;

namespace {

// The paths under /api/ that need no token (`parts` starts with "api"): the API root, the
// section roots (links only) and the status. CheckHead and Route both ask this.
bool IsPublicPath(const std::vector<std::string>& parts) {
  return parts.size() == 1 || (parts.size() == 2 && (parts[1] == "extras" || parts[1] == "core" ||
                                                     parts[1] == "status"));
}

std::string StripTrailingSlashes(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

// ---------------------------------------------------------------- request context

void Api::Ctx::Reply(http::Response r) {
  responded = true;
  respond(std::move(r));
}

void Api::Ctx::ReplyValue(int status, const Value& v) { Reply(http::Response::Json(status, v)); }

void Api::Ctx::Error(int status, std::string_view msg) {
  Reply(http::Response::Detail(status, msg));
}

void Api::Ctx::Error(const herald::Status& st) { ReplyValue(HttpStatusFor(st), ErrorBody(st)); }

void Api::Ctx::MethodNotAllowed() { Error(405, "Method \"" + req.method + "\" not allowed."); }

void Api::Ctx::NoContent() { Reply(http::Response::Empty(204)); }

bool Api::Ctx::Brief() const { return !req.query_params.Str("brief").empty(); }

bool Api::Ctx::BriefOnly() const {
  // As NetBox: brief mode for reads only.
  return IsRead() && Brief() && req.query_params.Str("fields").empty() &&
         req.query_params.Str("omit").empty();
}

Value Api::Ctx::SelectFields(Value v) const {
  std::string fields = req.query_params.Str("fields");
  std::string omit = fields.empty() ? req.query_params.Str("omit") : "";
  if ((fields.empty() && omit.empty()) || !v.is_dict()) return v;
  std::vector<std::string> names = SplitNonEmpty(fields.empty() ? omit : fields, ',');
  Dict out;
  for (const auto& [k, val] : v.as_dict()) {
    bool named = std::find(names.begin(), names.end(), k.as_str()) != names.end();
    if (named == !fields.empty()) out.set_item(k, val);
  }
  return Value(std::move(out));
}

void Api::Ctx::Page(const ApiOptions& o, int64_t* limit, int64_t* offset) const {
  *limit = o.default_page_size;
  *offset = 0;
  int64_t n;
  // As NetBox: a limit that is not a non-negative integer means the default; 0 or one above
  // the maximum means the maximum. An offset that is not one means 0.
  if (auto l = req.query_params.Get("limit"); l && ParseId(std::string(TrimBlanks(*l)), &n))
    *limit = n == 0 || n > o.max_page_size ? o.max_page_size : n;
  if (auto off = req.query_params.Get("offset"); off && ParseId(std::string(TrimBlanks(*off)), &n))
    *offset = n;
}

std::string Api::Ctx::PageUrl(int64_t limit, int64_t offset, int64_t start) const {
  std::string q;
  for (const auto& [k, v] : req.query_params.fields()) {
    if (k == "limit" || k == "offset" || k == "start") continue;
    q += (q.empty() ? "" : "&") + PercentEncode(k) + "=" + PercentEncode(v);
  }
  q += (q.empty() ? "" : "&") + std::string("limit=") + std::to_string(limit);
  if (start >= 0) q += "&start=" + std::to_string(start);
  else if (offset > 0) q += "&offset=" + std::to_string(offset);
  return api_base + PercentEncode(req.path, /*keep_slash=*/true) + "?" + q;
}

Value Api::Ctx::Paginated(int64_t count, List results, int64_t limit, int64_t offset) const {
  return PageValue(Value(count), offset + limit < count, std::move(results), limit, offset);
}

Value Api::Ctx::PaginatedUncounted(bool more, List results, int64_t limit, int64_t offset) const {
  return PageValue(Value(), more, std::move(results), limit, offset);
}

Value Api::Ctx::PageValue(Value count, bool more, List results, int64_t limit,
                          int64_t offset) const {
  Dict d;
  d.set("count", std::move(count));
  d.set("next", more ? Value(PageUrl(limit, offset + limit)) : Value());
  d.set("previous",
        offset > 0 ? Value(PageUrl(limit, std::max<int64_t>(0, offset - limit))) : Value());
  d.set("results", Value(std::move(results)));
  return Value(std::move(d));
}

void Api::Ctx::ListPage(const ApiOptions& o, const std::vector<api::FilterSpec>& specs,
                        const std::function<api::FieldValue(size_t, size_t)>& read,
                        std::vector<size_t> sel, const std::function<Value(size_t)>& render) {
  int64_t limit, offset;
  Page(o, &limit, &offset);
  auto start_param = req.query_params.Get("start");
  if (!start_param) {
    api::SortByOrdering(specs, req.query_params.Str("ordering"), read, sel);
    List results;
    for (int64_t i = offset; i < static_cast<int64_t>(sel.size()) && i < offset + limit; ++i)
      results.push_back(render(sel[i]));
    return ReplyValue(200, Paginated(sel.size(), std::move(results), limit, offset));
  }
  // NetBox 4.6's cursor pagination: `start` is an object id; the page holds the objects with
  // that id or a greater one, by id, and `next` starts after the last of them.
  int64_t start;
  if (!ParseId(std::string(TrimBlanks(*start_param)), &start))
    return Error(400, "start must be a non-negative integer (an object id).");
  if (req.query_params.Has("offset"))
    return Error(400, "start and offset cannot be used together.");
  auto id_of = [&](size_t i) { return read(i, 0).number.value_or(0); };
  std::sort(sel.begin(), sel.end(), [&](size_t a, size_t b) { return id_of(a) < id_of(b); });
  List results;
  int64_t last = -1;
  bool more = false;
  for (size_t i : sel) {
    if (id_of(i) < start) continue;
    if (static_cast<int64_t>(results.size()) == limit) {
      more = true;
      break;
    }
    results.push_back(render(i));
    last = id_of(i);
  }
  Dict d;
  d.set("count", Value());
  d.set("next", more ? Value(PageUrl(limit, 0, last + 1)) : Value());
  d.set("previous", Value());
  d.set("results", Value(std::move(results)));
  ReplyValue(200, Value(std::move(d)));
}

// ---------------------------------------------------------------- the Api object

Api::Api(Store& store, ApiOptions options)
    : store_(store),
      options_(std::move(options)),
      base_url_(StripTrailingSlashes(options_.public_url)),
      tokens_(store, kTokenCacheTtl, options_.clock ? *options_.clock : SystemClock()),
      ingest_pool_(
          std::make_unique<WorkPool>("ingest", options_.ingest_threads, options_.ingest_queue)),
      renderer_(options_.template_options) {
  if (base_url_.empty()) base_url_ = "http://localhost";
}

Api::~Api() { Stop(); }

void Api::Stop() { ingest_pool_->Stop(); }

void Api::SetListenAddress(const std::string& host, uint16_t port) {
  if (!options_.public_url.empty()) return;
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string base = "http://" + h + ":" + std::to_string(port);
  if (host == "0.0.0.0" || host == "::" || host.empty()) {
    log::Warning(
        "listening on every address without server.public_url: absolute URLs in API "
        "answers (object urls, next/previous pages) will name " +
            base + "; set server.public_url to the address clients use",
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
    log::Error("cannot load event rules",
               {{"error", (!rules.ok() ? rules.status() : hooks.status()).message()}});
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
  c->respond = [respond = std::move(respond)](http::Response r) {
    respond(std::move(r.With("API-Version", kNetBoxApiVersion)));
  };
  c->api_base = BaseUrl();
  c->parts = SplitNonEmpty(c->req.path, '/');
  try {
    Route(*c);
  } catch (const std::exception& e) {
    log::Error("unhandled error in API handler", {{"path", c->req.path}, {"error", e.what()}});
    if (!c->responded) c->Error(500, "Internal error; see the server log.");
  }
}

std::optional<http::Response> Api::CheckHead(const http::Request& head, bool* authenticated) {
  *authenticated = false;
  auto p = SplitNonEmpty(head.path, '/');
  // Outside /api/ (not ours) and the public paths need no token.
  if (p.empty() || p[0] != "api" || IsPublicPath(p)) return std::nullopt;
  std::string why;
  if (!tokens_.Resolve(head.header("Authorization"), &why))
    return http::Response::Detail(403, why).With("API-Version", kNetBoxApiVersion);
  *authenticated = true;
  return std::nullopt;
}

void Api::Route(Ctx& c) {
  const auto& p = c.parts;
  if (p.empty() || p[0] != "api") return c.Error(404, "Not found.");
  if (IsPublicPath(p)) {
    if (!c.IsRead()) return c.MethodNotAllowed();
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
  // Explain changes nothing: a read (it shows the configuration, which ingest-only tokens may
  // not read; read-only tokens see credentials redacted).
  bool explain = p.size() == 3 && p[1] == "events" && p[2] == "explain" && c.req.method == "POST";
  // OPTIONS describes an endpoint (its answer leaves out the write actions a token may not use).
  bool read = c.IsRead() || c.req.method == "OPTIONS" || explain;
  Access access = ingest ? Access::kIngest : read ? Access::kRead : Access::kWrite;
  if (!ScopeAllows(c.token.scope, access)) {
    return c.Error(403, c.token.scope == TokenScope::kIngestOnly
                            ? "This token may only post events (ingest-only)."
                            : "This token is read-only: write operations are not permitted.");
  }

  if (p.size() >= 3 && p.size() <= 4 && p[1] == "extras") {
    std::string id = p.size() == 4 ? p[3] : "";
    if (p[2] == "webhooks") return Webhooks(c, id);
    if (p[2] == "event-rules") return EventRules(c, id);
  }
  if (p[1] == "events" && p.size() <= 3) {
    if (p.size() == 2 && c.req.method == "POST") return Ingest(c);
    if (explain) return Explain(c);
    if (c.IsRead()) return Events(c, p.size() == 3 ? p[2] : "");
    return c.MethodNotAllowed();
  }
  if (p.size() >= 3 && p[1] == "core") {
    if (p[2] == "background-queues" && p.size() <= 4) return Queues(c);
    if (p[2] == "background-workers" && p.size() <= 4) return Workers(c, p.size() == 4 ? p[3] : "");
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
    d.set("background-workers", c.api_base + "/api/core/background-workers/");
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

}  // namespace herald
