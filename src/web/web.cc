// The web UI: routing, sessions/CSRF, and one handler per page. See web.h for the contract.
#include "web/web.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>

#include "common/log.h"
#include "common/time.h"
#include "conditions/conditions.h"
#include "delivery/renderer.h"
#include "rules/event_input.h"
#include "rules/forms.h"
#include "rules/object_types.h"
#include "value/json.h"
#include "model/redact.h"
#include "web/assets.h"
#include "web/chart.h"
#include "web/form.h"
#include "web/session.h"
#include "web/sign_in_guard.h"

namespace herald::web {

namespace {

constexpr const char* kCookieName = "herald_session";
// Jinja limits for the UI's own pages (larger than a webhook's: a page lists up to 200 rows).
constexpr size_t kPageOutputLimit = 16 << 20;
constexpr uint64_t kPageStepLimit = 50'000'000;
constexpr std::chrono::milliseconds kPageDeadline{5000};
// Response excerpts and bodies shown in tables are cut to this many bytes.
constexpr size_t kExcerptChars = 300;

// ---- Value builders --------------------------------------------------------------------------

class D {
 public:
  D& operator()(std::string_view k, Value v) {
    d_.set(k, std::move(v));
    return *this;
  }
  Value value() { return Value(std::move(d_)); }
  Dict& dict() { return d_; }

 private:
  Dict d_;
};

Value StrList(const std::vector<std::string>& v) {
  List l;
  for (const auto& s : v) l.push_back(Value(s));
  return Value(std::move(l));
}

std::string FmtTime(TimeUs t) {
  if (t <= 0) return "";
  time_t secs = static_cast<time_t>(t / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(buf) + " UTC";
}

std::string FmtAge(int64_t us) {
  if (us < 0) us = 0;
  int64_t s = us / 1000000;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m " + std::to_string(s % 60) + "s";
  if (s < 86400) return std::to_string(s / 3600) + "h " + std::to_string(s % 3600 / 60) + "m";
  return std::to_string(s / 86400) + "d " + std::to_string(s % 86400 / 3600) + "h";
}

std::string FmtDuration(int64_t us) {
  char buf[32];
  if (us < 1000) snprintf(buf, sizeof buf, "%lld µs", static_cast<long long>(us));
  else if (us < 10'000'000) snprintf(buf, sizeof buf, "%.1f ms", us / 1000.0);
  else snprintf(buf, sizeof buf, "%.2f s", us / 1e6);
  return buf;
}

std::string Cut(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t end = n;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;  // UTF-8 boundary
  return s.substr(0, end) + "…";
}

std::string Pretty(const Value& v) {
  JsonDumpOptions o;
  o.indent = 2;
  o.ensure_ascii = false;
  return DumpJson(v, o);
}

std::string PrettyJsonText(const std::string& text) {
  auto v = ParseJson(text);
  return v.ok() ? Pretty(*v) : text;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

Value TaskRow(const Task& t) {
  return D()("id", t.id)("short_id", t.id.substr(0, 8))("status", TaskStatusName(t.status))(
             "rule", t.rule_name)("rule_id", t.rule_id)("webhook", t.webhook_name)(
             "webhook_id", t.webhook_id)("object_type", t.object_type)("event_type", t.event_type)(
             "event_id", t.event_id)("attempts", t.attempts)("created", FmtTime(t.created_at))(
             "ended", FmtTime(t.ended_at))("error", Cut(t.error, kExcerptChars))(
             "result", Cut(t.result, kExcerptChars))
      .value();
}

Value EventRow(const Event& e) {
  return D()("id", e.id)("event", e.event)("event_type", e.event_type)(
             "object_type", e.object_type)("username", e.username.is_str() ? e.username : Value(""))(
             "request_id", e.request_id.is_str() ? e.request_id : Value(""))(
             "received", FmtTime(e.received_at))("timestamp", e.timestamp)
      .value();
}

Value ErrorsValue(const FieldErrors& errors) {
  Dict d;
  for (const auto& [field, msgs] : errors) d.set(field, StrList(msgs));
  return Value(std::move(d));
}

// Headers as [[name, value], ...]; sensitive values hidden unless `show_credentials`.
Value HeaderRows(const delivery::HeaderList& headers, bool show_credentials) {
  List l;
  for (const auto& [k, v] : show_credentials ? headers : RedactHeaders(headers))
    l.push_back(Value(List{Value(k), Value(v)}));
  return Value(std::move(l));
}

// The same from a stored JSON object of headers (attempt logs).
Value HeaderRowsFromJson(const std::string& json, bool show_credentials) {
  List l;
  auto v = ParseJson(json);
  if (!v.ok() || !v->is_dict()) return Value(std::move(l));
  Value shown = show_credentials ? *v : RedactHeaderDict(*v);
  for (const auto& [k, val] : shown.as_dict())
    l.push_back(Value(List{Value(k.str()), Value(val.is_str() ? val.as_str() : val.str())}));
  return Value(std::move(l));
}

}  // namespace

// ---- Impl --------------------------------------------------------------------------------------

struct Web::Impl {
  Impl(Store& s, Api& a, delivery::Transport* t, WebOptions o)
      : store(s),
        api(a),
        options(std::move(o)),
        renderer(options.template_options),
        sessions(options.max_sessions_per_token),
        guard({options.max_failed_sign_ins, options.failed_sign_in_window, options.public_url,
               options.trusted_proxies, options.clock}) {
    if (!t) {
      delivery::TransportOptions to;
      to.guard = options.net_guard;  // "send test" obeys the delivery network guard
      own_transport = std::make_unique<delivery::Transport>(std::move(to));
      t = own_transport.get();
    }
    transport = t;
    jinja::Options page_options;
    page_options.limits.max_output_bytes = kPageOutputLimit;
    page_options.limits.max_steps = kPageStepLimit;
    page_options.limits.deadline = kPageDeadline;
    page_options.trim_blocks = true;
    page_options.lstrip_blocks = true;
    env = std::make_unique<jinja::Environment>(page_options);
    std::vector<std::string> names;
    for (const Asset& a : EmbeddedAssets()) {
      if (a.path.rfind("templates/", 0) != 0) continue;
      std::string name(a.path.substr(10));
      env->AddTemplate(name, std::string(a.content));
      names.push_back(name);
    }
    // Every page renders under autoescape (it carries through includes, imports and extends):
    // each value is HTML-escaped unless it is Markup made by the templates themselves.
    for (const auto& name : names) {
      auto t = env->Compile("{% autoescape true %}{% include \"" + name +
                            "\" %}{% endautoescape %}");
      if (!t.ok()) {
        log::Error("web template does not compile",
                   {{"template", name}, {"error", t.error().ToString()}});
        continue;
      }
      pages[name] = t.value();
    }
  }

  struct Ctx {
    http::Request req;
    http::Responder respond;
    std::optional<Session> session;
    Form form;
    std::vector<std::string> parts;  // path segments
    std::string nav;
  };

  // ---- responses ----
  static http::Response Html(int status, std::string body) {
    http::Response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::move(body);
    AddSecurityHeaders(r);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  static void AddSecurityHeaders(http::Response& r) {
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                           "base-uri 'none'");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("Referrer-Policy", "same-origin");
  }

  void Page(Ctx& c, const std::string& name, D vars, int status = 200,
            const std::vector<std::pair<std::string, std::string>>& extra_headers = {}) {
    Dict& d = vars.dict();
    if (c.session) {
      d.set("user", D()("name", c.session->token_name)("prefix", c.session->token_prefix)(
                          "scope", TokenScopeName(c.session->scope))(
                          "can_write", c.session->can_write())
                        .value());
      d.set("csrf", c.session->csrf);
      auto [flash, flash_error] = sessions.TakeFlash(c.session->id);
      d.set("flash", flash);
      d.set("flash_error", flash_error);
    } else {
      d.set("user", Value());
      d.set("csrf", "");
    }
    d.set("nav", c.nav);
    d.set("version", options.version);
    auto it = pages.find(name);
    if (it == pages.end()) {
      c.respond(Html(500, "<h1>Internal error</h1><p>missing template " + HtmlEscape(name)));
      return;
    }
    auto out = it->second->Render(vars.value());
    if (!out.ok()) {
      log::Error("web page render failed", {{"template", name}, {"error", out.error().ToString()}});
      c.respond(Html(500, "<h1>Internal error</h1><p>" + HtmlEscape(out.error().ToString())));
      return;
    }
    http::Response r = Html(status, std::move(out).value());
    for (const auto& h : extra_headers) r.headers.push_back(h);
    c.respond(std::move(r));
  }

  void Error(Ctx& c, int status, const std::string& message) {
    Page(c, "error.html",
         D()("status", status)("reason", std::string(http::ReasonPhrase(status)))("message",
                                                                                   message),
         status);
  }

  static void Redirect(http::Responder& respond, const std::string& location,
                       const std::string& cookie = "") {
    http::Response r;
    r.status = 303;
    r.content_type = "text/plain";
    r.headers.emplace_back("Location", location);
    if (!cookie.empty()) r.headers.emplace_back("Set-Cookie", cookie);
    r.headers.emplace_back("Cache-Control", "no-store");
    respond(std::move(r));
  }
  void Flash(Ctx& c, const std::string& msg, bool error = false) {
    if (c.session) sessions.SetFlash(c.session->id, msg, error);
  }

  // ---- entry ----
  void Handle(http::Request&& req, http::Responder respond) {
    Ctx c{std::move(req), std::move(respond), std::nullopt, Form(), {}, ""};
    // Path segments.
    std::string_view p = c.req.path;
    size_t pos = 0;
    while (pos < p.size()) {
      size_t slash = p.find('/', pos);
      if (slash == std::string_view::npos) slash = p.size();
      if (slash > pos) c.parts.emplace_back(p.substr(pos, slash - pos));
      pos = slash + 1;
    }
    const std::string& m = c.req.method;
    if (!c.parts.empty() && c.parts[0] == "static") return Static(c);
    if (c.req.path == "/favicon.ico") {
      http::Response r;
      r.status = 204;
      r.content_type = "text/plain";
      return c.respond(std::move(r));
    }
    if (m != "GET" && m != "HEAD" && m != "POST") return Error(c, 405, "Method not allowed.");
    if (m == "POST") {
      // Cross-site form posts are refused outright (SameSite=Strict already drops the cookie).
      std::string_view origin = c.req.header("Origin");
      std::string host(c.req.header("Host"));
      if (!origin.empty() && origin != "http://" + host && origin != "https://" + host)
        return Error(c, 403, "Cross-origin form submission refused.");
      c.form = Form::Parse(c.req.body);
    }
    if (c.parts.size() == 1 && c.parts[0] == "login") return Login(c);
    c.session = CurrentSession(c.req);
    if (!c.session) {
      if (m == "POST") return Error(c, 403, "Your session has expired. Sign in again.");
      std::string next = c.req.target;
      return Redirect(c.respond, "/login?next=" + UrlEncode(next));
    }
    if (m == "POST") {
      if (!SecureEquals(c.form.Str("csrf"), c.session->csrf))
        return Error(c, 403, "The form's CSRF token is missing or wrong. Reload the page and "
                             "try again.");
      if (!(c.parts.size() == 1 && c.parts[0] == "logout") && !IsReadOnlyPost(c) &&
          !c.session->can_write())
        return Error(c, 403, "Your token is read-only: it cannot change anything.");
    }
    Route(c);
  }

  std::optional<http::Response> CheckHead(const http::Request& head, bool* signed_in) {
    *signed_in = CurrentSession(head).has_value();
    bool login = head.path == "/login" || head.path == "/login/";
    if (*signed_in || head.method != "POST" || login || head.path.rfind("/static/", 0) == 0)
      return std::nullopt;
    std::optional<http::Response> out;
    Ctx c{http::Request(head), [&out](http::Response r) { out = std::move(r); }, std::nullopt,
          Form(), {}, ""};
    Error(c, 403, "Your session has expired. Sign in again.");
    return out;
  }

  // POSTs that change nothing (preview, check) are allowed for read-only sessions.
  static bool IsReadOnlyPost(const Ctx& c) {
    const auto& s = c.parts;
    if (s.size() == 3 && s[0] == "webhooks" && s[2] == "preview")
      return c.form.Str("action") != "send";
    if (s.size() == 3 && s[0] == "rules" && s[2] == "check") return true;
    return false;
  }

  std::optional<Session> CurrentSession(const http::Request& req) {
    auto s = sessions.Find(CookieValue(req.header("Cookie"), kCookieName));
    if (!s) return s;
    // A revoked token ends its sessions at once.
    auto t = store.FindTokenByHash(s->token_hash);
    if (!t.ok() || t->revoked) {
      sessions.Remove(s->id);
      return std::nullopt;
    }
    return s;
  }

  void Route(Ctx& c) {
    const auto& s = c.parts;
    const bool post = c.req.method == "POST";
    auto at = [&](size_t i) -> std::string { return i < s.size() ? s[i] : std::string(); };
    if (s.empty()) return Dashboard(c);
    if (s[0] == "logout" && s.size() == 1 && post) return Logout(c);
    if (s[0] == "webhooks") {
      c.nav = "webhooks";
      if (s.size() == 1) return WebhookList(c);
      if (s[1] == "new" && s.size() == 2) return WebhookEdit(c, nullptr);
      auto id = ParseInt(s[1]);
      if (!id) return Error(c, 404, "No such page.");
      auto w = store.GetWebhook(*id);
      if (!w.ok()) return Error(c, 404, "Webhook " + s[1] + " does not exist.");
      if (s.size() == 2) return WebhookDetail(c, *w);
      if (at(2) == "edit" && s.size() == 3) return WebhookEdit(c, &*w);
      if (at(2) == "delete" && s.size() == 3 && post) return WebhookDelete(c, *w);
      if (at(2) == "preview" && s.size() == 3) return WebhookPreview(c, *w);
      return Error(c, 404, "No such page.");
    }
    if (s[0] == "rules") {
      c.nav = "rules";
      if (s.size() == 1) return RuleList(c);
      if (s[1] == "new" && s.size() == 2) return RuleEdit(c, nullptr);
      auto id = ParseInt(s[1]);
      if (!id) return Error(c, 404, "No such page.");
      auto r = store.GetEventRule(*id);
      if (!r.ok()) return Error(c, 404, "Event rule " + s[1] + " does not exist.");
      if (s.size() == 2) return RuleDetail(c, *r);
      if (at(2) == "edit" && s.size() == 3) return RuleEdit(c, &*r);
      if (at(2) == "delete" && s.size() == 3 && post) return RuleDelete(c, *r);
      if (at(2) == "check" && s.size() == 3) return RuleCheck(c, *r);
      return Error(c, 404, "No such page.");
    }
    if (s[0] == "events") {
      c.nav = "events";
      if (s.size() == 1) return EventList(c);
      auto id = ParseInt(s[1]);
      if (id && s.size() == 2) return EventDetail(c, *id);
      return Error(c, 404, "No such page.");
    }
    if (s[0] == "queues" && s.size() == 1) {
      c.nav = "tasks";
      return Queues(c);
    }
    if (s[0] == "tasks") {
      c.nav = "tasks";
      if (s.size() == 1) return TaskList(c);
      if (s[1] == "requeue-failed" && s.size() == 2 && post) return RequeueFailed(c);
      if (s.size() == 2) return TaskDetail(c, s[1]);
      if (s.size() == 3 && post) return TaskAction(c, s[1], s[2]);
      return Error(c, 404, "No such page.");
    }
    Error(c, 404, "No such page.");
  }

  // ---- static ----
  void Static(Ctx& c) {
    const Asset* a = FindAsset(c.req.path.substr(1));
    if (!a || c.parts.size() != 2) {
      return c.respond(http::Response::Text(404, "Not found.\n"));
    }
    http::Response r;
    std::string_view path = a->path;
    auto ends = [&](std::string_view ext) {
      return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
    };
    r.content_type = ends(".css")   ? "text/css; charset=utf-8"
                     : ends(".js")  ? "text/javascript; charset=utf-8"
                     : ends(".svg") ? "image/svg+xml"
                                    : "application/octet-stream";
    r.body = std::string(a->content);
    r.headers.emplace_back("Cache-Control", "max-age=300");
    AddSecurityHeaders(r);
    c.respond(std::move(r));
  }

  // ---- sign in / out ----
  static std::string SafeNext(const std::string& next) {
    if (next.empty() || next[0] != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\')))
      return "/";
    for (char ch : next)
      if (static_cast<unsigned char>(ch) < 0x20) return "/";
    if (next.rfind("/login", 0) == 0) return "/";
    return next;
  }

  void Login(Ctx& c) {
    std::string next = SafeNext(c.req.method == "POST" ? c.form.Str("next")
                                                       : c.req.query_param("next").value_or("/"));
    if (c.req.method != "POST") {
      if (CurrentSession(c.req)) return Redirect(c.respond, next);  // already signed in
      return Page(c, "login.html", D()("next", next)("error", ""));
    }
    // Failed sign-ins are limited per client; a limited client is refused even with a valid
    // token, so the answer tells nothing about the token.
    auto client = guard.Identify(c.req);
    if (auto wait = guard.RetryAfter(client); wait.count() > 0) {
      log::Warning("ui sign-in refused: too many failures",
                   {{"client", client.address}, {"retry_after_s", static_cast<long long>(wait.count())}});
      return SignInRefused(c, next, wait);
    }
    std::string key = c.form.Str("token");
    while (!key.empty() && isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
    while (!key.empty() && isspace(static_cast<unsigned char>(key.front()))) key.erase(0, 1);
    std::string why;
    auto token = key.empty() ? std::nullopt : api.tokens().Resolve("Token " + key, &why);
    if (!token) {
      guard.RecordFailure(client);
      log::Warning("ui sign-in failed", {{"client", client.address}, {"reason", "unknown or revoked token"}});
      return Page(c, "login.html",
                  D()("next", next)("error", "This token is not valid (unknown or revoked)."),
                  403);
    }
    if (token->scope == TokenScope::kIngestOnly) {
      return Page(c, "login.html",
                  D()("next", next)("error",
                                    "This is an ingest-only token: it can post events but not "
                                    "use the UI. Use an admin or read-only token."),
                  403);
    }
    Session s = sessions.Create(*token);
    log::Info("ui sign-in", {{"token_id", static_cast<long long>(token->id)},
                             {"scope", TokenScopeName(token->scope)},
                             {"client", client.address}});
    Redirect(c.respond, next, std::string(kCookieName) + "=" + s.id + guard.cookie_attributes());
  }

  void SignInRefused(Ctx& c, const std::string& next, std::chrono::seconds wait) {
    std::string msg = "Too many failed sign-ins from your address. Try again in " +
                      std::to_string(wait.count()) + " seconds.";
    Page(c, "login.html", D()("next", next)("error", msg), 429,
         {{"Retry-After", std::to_string(wait.count())}});
  }

  void Logout(Ctx& c) {
    sessions.Remove(c.session->id);
    Redirect(c.respond, "/login",
             std::string(kCookieName) + "=" + guard.cookie_attributes() + "; Max-Age=0");
  }

  // ---- dashboard ----
  void Dashboard(Ctx& c) {
    c.nav = "dashboard";
    auto counts = store.CountByStatus();
    if (!counts.ok()) return Error(c, 500, counts.status().message());
    TimeUs now = NowUs();
    TimeUs since = (now / 60'000'000 - (kChartMinutes - 1)) * 60'000'000;
    auto hist = store.AttemptsPerMinute(since, kChartMinutes);
    Value chart;
    int64_t ok_total = 0, failed_total = 0;
    bool truncated = false;
    if (hist.ok()) {
      chart = ChartValue(*hist);
      for (auto n : hist->succeeded) ok_total += n;
      for (auto n : hist->failed) failed_total += n;
      truncated = hist->truncated;
    }
    TaskFilter f;
    f.status = TaskStatus::kFailed;
    f.limit = kDashboardFailures;
    auto failures = store.ListTasks(f);
    List rows;
    if (failures.ok())
      for (const auto& t : *failures) rows.push_back(TaskRow(t));
    Page(c, "dashboard.html",
         D()("counts", CountsValue(*counts))("queue_depth", counts->queued + counts->scheduled)(
             "oldest_age",
             counts->oldest_queued_at ? FmtAge(now - counts->oldest_queued_at) : std::string("—"))(
             "chart", chart)("chart_ok", ok_total)("chart_failed", failed_total)(
             "chart_truncated", truncated)("failures", Value(std::move(rows))));
  }

  static Value CountsValue(const QueueCounts& q) {
    List l;
    auto add = [&](const char* name, int64_t n) { l.push_back(D()("status", name)("count", n).value()); };
    add("queued", q.queued);
    add("started", q.started);
    add("scheduled", q.scheduled);
    add("finished", q.finished);
    add("failed", q.failed);
    return Value(std::move(l));
  }

  // ---- webhooks ----
  // A webhook for the templates; credential header values hidden unless `show_credentials`.
  static Value WebhookValue(const Webhook& w, bool show_credentials) {
    auto opt = [](const std::optional<int>& v) { return v ? Value(*v) : Value(""); };
    return D()("id", w.id)("name", w.name)("description", w.description)(
               "payload_url", w.payload_url)("http_method", w.http_method)(
               "http_content_type", w.http_content_type)(
               "additional_headers",
               show_credentials ? w.additional_headers : RedactHeaderTemplate(w.additional_headers))(
               "body_template", w.body_template)("secret_set", !w.secret.empty())(
               "ssl_verification", w.ssl_verification)("ca_file_path", w.ca_file_path.value_or(""))(
               "timeout", opt(w.timeout))("max_attempts", opt(w.max_attempts))(
               "retry_policy", w.retry_policy.value_or(""))("retry_interval", opt(w.retry_interval))(
               "created", FmtTime(w.created))("last_updated", FmtTime(w.last_updated))
        .value();
  }

  static bool ContainsCI(const std::string& hay, const std::string& needle_lower) {
    std::string h = hay;
    for (auto& ch : h) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    return h.find(needle_lower) != std::string::npos;
  }

  void WebhookList(Ctx& c) {
    auto hooks = store.ListWebhooks();
    if (!hooks.ok()) return Error(c, 500, hooks.status().message());
    std::string q = c.req.query_param("q").value_or("");
    std::string ql = q;
    for (auto& ch : ql) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    List rows;
    for (const auto& w : *hooks) {
      if (!ql.empty() && !ContainsCI(w.name, ql) && !ContainsCI(w.payload_url, ql) &&
          !ContainsCI(w.description, ql))
        continue;
      rows.push_back(WebhookValue(w, c.session->can_write()));
    }
    Page(c, "webhooks.html", D()("webhooks", Value(std::move(rows)))("q", q)(
                                 "total", static_cast<int64_t>(hooks->size())));
  }

  void WebhookDetail(Ctx& c, const Webhook& w) {
    auto rules = store.ListEventRules();
    List used_by;
    if (rules.ok())
      for (const auto& r : *rules)
        if (r.action_object_id && *r.action_object_id == w.id)
          used_by.push_back(D()("id", r.id)("name", r.name)("enabled", r.enabled).value());
    TaskFilter f;
    f.webhook_id = w.id;
    f.limit = 10;
    auto tasks = store.ListTasks(f);
    List trows;
    if (tasks.ok())
      for (const auto& t : *tasks) trows.push_back(TaskRow(t));
    Page(c, "webhook.html",
         D()("w", WebhookValue(w, c.session->can_write()))("rules", Value(std::move(used_by)))(
             "tasks", Value(std::move(trows)))("object_types", ObjectTypesWithEvents()));
  }

  // Object types that have events (for the sample pickers), from the rules' object types and
  // the known table, cheapest first: rules are few.
  Value ObjectTypesWithEvents() {
    std::vector<std::string> types;
    auto rules = store.ListEventRules();
    if (rules.ok())
      for (const auto& r : *rules)
        for (const auto& ot : r.object_types)
          if (std::find(types.begin(), types.end(), ot) == types.end()) types.push_back(ot);
    EventFilter ef;
    ef.limit = 20;
    auto recent = store.ListEvents(ef);
    if (recent.ok())
      for (const auto& e : *recent)
        if (std::find(types.begin(), types.end(), e.object_type) == types.end())
          types.push_back(e.object_type);
    std::sort(types.begin(), types.end());
    return StrList(types);
  }

  // Builds the JSON body the API would receive from the webhook form.
  static Value WebhookBodyFromForm(const Form& f, bool editing) {
    D b;
    for (const char* k : {"name", "description", "payload_url", "http_method", "http_content_type",
                          "additional_headers", "body_template", "ca_file_path"})
      b(k, f.Str(k));
    // Browsers send CRLF in textareas; templates and headers are stored with \n.
    for (const char* k : {"additional_headers", "body_template"}) {
      std::string v = f.Str(k), out;
      for (size_t i = 0; i < v.size(); ++i)
        if (!(v[i] == '\r' && i + 1 < v.size() && v[i + 1] == '\n')) out.push_back(v[i]);
      b(k, out);
    }
    std::string secret = f.Str("secret");
    if (!(editing && secret.empty()) || f.Has("clear_secret")) b("secret", f.Has("clear_secret") ? "" : secret);
    b("ssl_verification", f.Has("ssl_verification"));
    for (const char* k : {"timeout", "max_attempts", "retry_interval"}) {
      std::string v = f.Str(k);
      b(k, v.empty() ? Value() : Value(v));
    }
    std::string policy = f.Str("retry_policy");
    b("retry_policy", policy.empty() ? Value() : Value(policy));
    return b.value();
  }

  void WebhookEdit(Ctx& c, const Webhook* existing) {
    if (!c.session->can_write()) return Error(c, 403, "Your token is read-only: it cannot change anything.");
    Value current = existing ? WebhookValue(*existing, true) : WebhookValue(Webhook(), true);
    if (c.req.method != "POST")
      return Page(c, "webhook_form.html", D()("w", current)("errors", Value::MakeDict())(
                                              "editing", existing != nullptr));
    Value body = WebhookBodyFromForm(c.form, existing != nullptr);
    auto v = WebhookFromJson(body, existing, existing != nullptr);
    FieldErrors errors = v.errors;
    std::optional<Webhook> saved;
    if (v.ok()) {
      if (existing) v.value->id = existing->id;
      auto r = existing ? store.UpdateWebhook(*v.value) : store.CreateWebhook(*v.value);
      if (r.ok()) saved = *r;
      else if (r.status().type() == "Conflict") AddFieldError(errors, "name", r.status().message());
      else AddFieldError(errors, "non_field_errors", r.status().message());
    }
    if (!saved) {
      // Re-show what the user typed, with the errors next to the fields.
      Value shown = current;
      for (const auto& [k, val] : body.as_dict()) {
        if (k.str() == "secret") continue;
        shown.as_dict().set_item(k, val.is_none() ? Value("") : val);
      }
      return Page(c, "webhook_form.html",
                  D()("w", shown)("errors", ErrorsValue(errors))("editing", existing != nullptr),
                  400);
    }
    log::Info(existing ? "webhook updated (ui)" : "webhook created (ui)",
              {{"id", static_cast<long long>(saved->id)}, {"name", saved->name}});
    Flash(c, std::string("Webhook \"") + saved->name + (existing ? "\" saved." : "\" created."));
    Redirect(c.respond, "/webhooks/" + std::to_string(saved->id));
  }

  void WebhookDelete(Ctx& c, const Webhook& w) {
    auto st = store.DeleteWebhook(w.id);
    if (!st.ok()) {
      Flash(c, "Cannot delete webhook \"" + w.name + "\": " + st.message(), true);
      return Redirect(c.respond, "/webhooks/" + std::to_string(w.id));
    }
    log::Info("webhook deleted (ui)", {{"id", static_cast<long long>(w.id)}, {"name", w.name}});
    Flash(c, "Webhook \"" + w.name + "\" deleted.");
    Redirect(c.respond, "/webhooks/");
  }

  // Resolves the sample event of a preview/check form: pasted JSON, an event id, or the latest
  // event of an object type. Sets *error (shown next to the field) on failure.
  std::optional<Event> SampleEvent(const Ctx& c, std::string* error, std::string* source) {
    auto param = [&](const char* name) {
      return c.req.method == "POST" ? c.form.Str(name) : c.req.query_param(name).value_or("");
    };
    std::string json = param("sample_json");
    if (!json.empty()) {
      *source = "pasted JSON";
      if (json.size() > kMaxSampleBytes) {
        *error = "The sample event is larger than " + std::to_string(kMaxSampleBytes) + " bytes.";
        return std::nullopt;
      }
      auto v = ParseJson(json);
      if (!v.ok()) {
        *error = "Invalid JSON: " + v.status().message();
        return std::nullopt;
      }
      auto e = EventFromValue(*v, NowUs());
      if (!e.ok()) {
        *error = e.status().message();
        return std::nullopt;
      }
      return *e;
    }
    std::string event_id = param("event");
    if (!event_id.empty()) {
      auto id = ParseInt(event_id);
      auto e = id ? store.GetEvent(*id) : Result<Event>(Status::Error("NotFound", ""));
      if (!e.ok()) {
        *error = "Event " + event_id + " does not exist.";
        return std::nullopt;
      }
      *source = "event #" + event_id;
      return *e;
    }
    std::string ot = param("object_type");
    if (!ot.empty()) {
      EventFilter ef;
      ef.object_type = ot;
      ef.limit = 1;
      auto es = store.ListEvents(ef);
      if (!es.ok() || es->empty()) {
        *error = "No event of object type " + ot + " has been received yet.";
        return std::nullopt;
      }
      *source = "latest " + ot + " event (#" + std::to_string(es->front().id) + ")";
      return es->front();
    }
    return std::nullopt;
  }

  // The rules that target webhook `id`, as [{id, name}].
  Value RulesOf(int64_t id) {
    List l;
    auto rules = store.ListEventRules();
    if (rules.ok())
      for (const auto& r : *rules)
        if (r.action_object_id && *r.action_object_id == id)
          l.push_back(D()("id", r.id)("name", r.name).value());
    return Value(std::move(l));
  }

  void WebhookPreview(Ctx& c, const Webhook& w) {
    std::string error, source;
    auto event = SampleEvent(c, &error, &source);
    auto param = [&](const char* name) {
      return c.req.method == "POST" ? c.form.Str(name) : c.req.query_param(name).value_or("");
    };
    D vars;
    const bool admin = c.session->can_write();
    vars("w", WebhookValue(w, admin))("object_types", ObjectTypesWithEvents())(
        "sample_json", param("sample_json"))("object_type", param("object_type"))(
        "event_id", param("event"))("sample_error", error)("source", source)("rendered", Value())(
        "render_error", "")("response", Value())("rule", param("rule"))("rules", RulesOf(w.id));
    if (!event) {
      if (error.empty() && (c.req.method == "POST" || !c.req.query.empty()))
        vars("sample_error", "Choose an object type, an event id, or paste an event.");
      return Page(c, "webhook_preview.html", std::move(vars), error.empty() ? 200 : 400);
    }
    // Optionally merge the action_data of a rule targeting this webhook, as its tasks would.
    Value action_data;
    if (auto rid = ParseInt(param("rule"))) {
      auto rule = store.GetEventRule(*rid);
      if (rule.ok()) action_data = rule->action_data;
    }
    Value context = BuildContext(*event, action_data);
    vars("context", Pretty(context));
    auto rendered = renderer.Render(w, context);
    if (!rendered.ok()) {
      vars("render_error", rendered.status().message());
      return Page(c, "webhook_preview.html", std::move(vars));
    }
    // Only admins see the signature: it would let a reader sign any body they paste.
    bool signed_body = false;
    for (const auto& [k, v] : rendered->headers) signed_body |= k == delivery::kSignatureHeader;
    vars("rendered", D()("method", rendered->method)("url", rendered->url)(
                         "headers", HeaderRows(rendered->headers, admin))("body", rendered->body)(
                         "body_pretty", PrettyJsonText(rendered->body))("signed", signed_body)(
                         "signature_hidden", signed_body && !admin)
                         .value());
    if (c.req.method != "POST" || c.form.Str("action") != "send")
      return Page(c, "webhook_preview.html", std::move(vars));
    // Send test: admins only (Handle refuses it first; this keeps it so), deliver it now,
    // outside the queue, and show the response.
    if (!admin) return Error(c, 403, "Your token is read-only: it cannot send tests.");
    delivery::HttpRequest hr;
    hr.method = rendered->method;
    hr.url = rendered->url;
    hr.headers = rendered->headers;
    hr.body = rendered->body;
    hr.timeout = std::chrono::seconds(w.timeout.value_or(options.default_timeout_seconds));
    hr.verify_tls = w.ssl_verification;
    if (w.ca_file_path) hr.ca_file = *w.ca_file_path;
    hr.proxy = hr.url.rfind("https:", 0) == 0 ? options.https_proxy : options.http_proxy;
    log::Info("webhook test send (ui)", {{"webhook", w.name}, {"url", hr.url}});
    auto shared = std::make_shared<Ctx>(std::move(c));
    auto shared_vars = std::make_shared<D>(std::move(vars));
    transport->Submit(std::move(hr), [this, shared, shared_vars](delivery::HttpResponse resp) {
      (*shared_vars)("response",
                     D()("status", resp.status)("error", resp.error)("body", resp.body_excerpt)(
                         "duration", FmtDuration(resp.duration_us))("final_url", resp.final_url)(
                         "ok", resp.error.empty() && resp.status >= 200 && resp.status <= 299)
                         .value());
      Page(*shared, "webhook_preview.html", std::move(*shared_vars));
    });
  }

  // ---- event rules ----
  Value RuleValue(const EventRule& r, const std::vector<Webhook>& hooks) {
    std::string target;
    for (const auto& w : hooks)
      if (r.action_object_id && w.id == *r.action_object_id) target = w.name;
    auto json_text = [](const Value& v) { return v.is_none() ? std::string() : Pretty(v); };
    return D()("id", r.id)("name", r.name)("description", r.description)(
               "object_types", StrList(r.object_types))("event_types", StrList(r.event_types))(
               "enabled", r.enabled)("conditions", json_text(r.conditions))(
               "action_data", json_text(r.action_data))("comments", r.comments)(
               "webhook_id", r.action_object_id ? Value(*r.action_object_id) : Value(""))(
               "webhook", target)("created", FmtTime(r.created))(
               "last_updated", FmtTime(r.last_updated))
        .value();
  }

  static Value WebhookChoices(const std::vector<Webhook>& hooks) {
    List l;
    for (const auto& w : hooks) l.push_back(D()("id", w.id)("name", w.name).value());
    return Value(std::move(l));
  }

  void RuleList(Ctx& c) {
    auto rules = store.ListEventRules();
    auto hooks = store.ListWebhooks();
    if (!rules.ok() || !hooks.ok())
      return Error(c, 500, (!rules.ok() ? rules.status() : hooks.status()).message());
    std::string q = c.req.query_param("q").value_or("");
    std::string ql = q;
    for (auto& ch : ql) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    List rows;
    for (const auto& r : *rules) {
      bool hit = ql.empty() || ContainsCI(r.name, ql) || ContainsCI(r.description, ql);
      for (const auto& ot : r.object_types) hit = hit || ContainsCI(ot, ql);
      if (hit) rows.push_back(RuleValue(r, *hooks));
    }
    Page(c, "rules.html", D()("rules", Value(std::move(rows)))("q", q)(
                              "total", static_cast<int64_t>(rules->size())));
  }

  void RuleDetail(Ctx& c, const EventRule& r) {
    auto hooks = store.ListWebhooks();
    if (!hooks.ok()) return Error(c, 500, hooks.status().message());
    TaskFilter f;
    f.rule_id = r.id;
    f.limit = 10;
    auto tasks = store.ListTasks(f);
    List trows;
    if (tasks.ok())
      for (const auto& t : *tasks) trows.push_back(TaskRow(t));
    Page(c, "rule.html", D()("r", RuleValue(r, *hooks))("tasks", Value(std::move(trows)))(
                             "object_types", ObjectTypesWithEvents()));
  }

  // Parses a JSON textarea: empty -> None; invalid -> field error.
  static Value JsonField(const Form& f, const char* name, FieldErrors& errors) {
    std::string text = f.Str(name);
    bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
    if (blank) return Value();
    auto v = ParseJson(text);
    if (!v.ok()) {
      AddFieldError(errors, name, "Enter a valid JSON: " + v.status().message());
      return Value();
    }
    return *v;
  }

  void RuleEdit(Ctx& c, const EventRule* existing) {
    if (!c.session->can_write()) return Error(c, 403, "Your token is read-only: it cannot change anything.");
    auto hooks = store.ListWebhooks();
    if (!hooks.ok()) return Error(c, 500, hooks.status().message());
    EventRule blank;
    blank.event_types = {"object_created", "object_updated", "object_deleted"};
    Value current = RuleValue(existing ? *existing : blank, *hooks);
    auto show = [&](Value r, const FieldErrors& errors, int status) {
      std::vector<std::string> types = KnownObjectTypes();
      for (const auto& v : r.get("object_types")->as_list())
        if (std::find(types.begin(), types.end(), v.as_str()) == types.end())
          types.push_back(v.as_str());
      Page(c, "rule_form.html",
           D()("r", r)("errors", ErrorsValue(errors))("editing", existing != nullptr)(
               "all_object_types", StrList(types))("all_event_types", StrList(KnownEventTypes()))(
               "webhooks", WebhookChoices(*hooks)),
           status);
    };
    if (c.req.method != "POST") return show(current, {}, 200);
    FieldErrors json_errors;
    std::vector<std::string> object_types = c.form.All("object_types");
    // Extra object types typed by hand, comma or space separated.
    std::string extra = c.form.Str("object_types_extra");
    for (char& ch : extra)
      if (ch == ',' || ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
    size_t pos = 0;
    while (pos < extra.size()) {
      size_t sp = extra.find(' ', pos);
      if (sp == std::string::npos) sp = extra.size();
      if (sp > pos) object_types.push_back(extra.substr(pos, sp - pos));
      pos = sp + 1;
    }
    D b;
    b("name", c.form.Str("name"))("description", c.form.Str("description"))(
        "comments", c.form.Str("comments"))("object_types", StrList(object_types))(
        "event_types", StrList(c.form.All("event_types")))("enabled", c.form.Has("enabled"))(
        "conditions", JsonField(c.form, "conditions", json_errors))("action_type", "webhook")(
        "action_object_type", "extras.webhook")(
        "action_data", JsonField(c.form, "action_data", json_errors));
    std::string target = c.form.Str("action_object_id");
    b("action_object_id", target.empty() ? Value() : Value(target));
    Value body = b.value();
    auto v = EventRuleFromJson(body, existing, false);
    FieldErrors errors = json_errors;
    for (const auto& [field, msgs] : v.errors) {
      bool json_broken = std::any_of(json_errors.begin(), json_errors.end(),
                                     [&f = field](const auto& e) { return e.first == f; });
      if (!json_broken)
        for (const auto& m : msgs) AddFieldError(errors, field, m);
    }
    if (v.value && target.size() && errors.empty()) {
      auto id = ParseInt(target);
      bool found = id && std::any_of(hooks->begin(), hooks->end(),
                                     [&](const Webhook& w) { return w.id == *id; });
      if (!found) AddFieldError(errors, "action_object_id", "Webhook " + target + " does not exist.");
    }
    std::optional<EventRule> saved;
    if (errors.empty() && v.value) {
      if (existing) v.value->id = existing->id;
      auto r = existing ? store.UpdateEventRule(*v.value) : store.CreateEventRule(*v.value);
      if (r.ok()) saved = *r;
      else if (r.status().message().find("webhook") != std::string::npos &&
               r.status().message().find("name") == std::string::npos)
        AddFieldError(errors, "action_object_id", r.status().message());
      else AddFieldError(errors, "name", r.status().message());
    }
    if (!saved) {
      Value shown = current;
      Dict& d = shown.as_dict();
      for (const char* k : {"name", "description", "comments", "conditions", "action_data"})
        d.set(k, c.form.Str(k));
      d.set("object_types", StrList(object_types));
      d.set("event_types", StrList(c.form.All("event_types")));
      d.set("enabled", c.form.Has("enabled"));
      d.set("webhook_id", target.empty() ? Value("") : Value(ParseInt(target).value_or(0)));
      return show(shown, errors, 400);
    }
    log::Info(existing ? "event rule updated (ui)" : "event rule created (ui)",
              {{"id", static_cast<long long>(saved->id)}, {"name", saved->name}});
    Flash(c, std::string("Event rule \"") + saved->name + (existing ? "\" saved." : "\" created."));
    Redirect(c.respond, "/rules/" + std::to_string(saved->id));
  }

  void RuleDelete(Ctx& c, const EventRule& r) {
    auto st = store.DeleteEventRule(r.id);
    if (!st.ok()) {
      Flash(c, "Cannot delete event rule \"" + r.name + "\": " + st.message(), true);
      return Redirect(c.respond, "/rules/" + std::to_string(r.id));
    }
    log::Info("event rule deleted (ui)", {{"id", static_cast<long long>(r.id)}, {"name", r.name}});
    Flash(c, "Event rule \"" + r.name + "\" deleted.");
    Redirect(c.respond, "/rules/");
  }

  static std::string ResolutionText(const conditions::TraceEntry& t) {
    using R = conditions::TraceEntry::Resolution;
    switch (t.resolution) {
      case R::kValue: return DumpJson(t.resolved, {.ensure_ascii = false});
      case R::kMissing: return "(not found)";
      case R::kAbsentPayload: return "(no data payload)";
      case R::kAbsentSnapshot: return "null (no snapshot)";
      case R::kSnapshots:
        return "before: " + (t.pre_found ? DumpJson(t.pre, {.ensure_ascii = false}) : "(absent)") +
               ", after: " + (t.post_found ? DumpJson(t.post, {.ensure_ascii = false}) : "(absent)");
      case R::kNotEvaluated: return "(not evaluated)";
    }
    return "";
  }

  void RuleCheck(Ctx& c, const EventRule& r) {
    auto hooks = store.ListWebhooks();
    if (!hooks.ok()) return Error(c, 500, hooks.status().message());
    std::string error, source;
    auto event = SampleEvent(c, &error, &source);
    auto param = [&](const char* name) {
      return c.req.method == "POST" ? c.form.Str(name) : c.req.query_param(name).value_or("");
    };
    D vars;
    vars("r", RuleValue(r, *hooks))("object_types", ObjectTypesWithEvents())(
        "sample_json", param("sample_json"))("object_type", param("object_type"))(
        "event_id", param("event"))("sample_error", error)("source", source)("result", Value());
    if (!event) {
      if (error.empty() && (c.req.method == "POST" || !c.req.query.empty()))
        vars("sample_error", "Choose an object type, an event id, or paste an event.");
      return Page(c, "rule_check.html", std::move(vars), error.empty() ? 200 : 400);
    }
    bool type_ok = std::find(r.object_types.begin(), r.object_types.end(), event->object_type) !=
                   r.object_types.end();
    bool event_ok = std::find(r.event_types.begin(), r.event_types.end(), event->event_type) !=
                    r.event_types.end();
    List rows;
    std::string cond_error, outcome;
    bool matched = false;
    if (conditions::IsFalsyConditions(r.conditions)) {
      matched = true;
      outcome = "no conditions: always true";
    } else {
      std::string where;
      auto set = conditions::ConditionSet::Compile(r.conditions, &where);
      if (!set.ok()) {
        cond_error = set.status().ToString();
      } else {
        Value data = conditions::BuildEvalData(event->data, event->snapshots);
        std::vector<conditions::TraceEntry> trace;
        auto res = set->Evaluate(data, &trace);
        std::map<std::string, const conditions::TraceEntry*> by_loc;
        for (const auto& t : trace) by_loc[t.location + "\x1f" + t.attr] = &t;
        for (const auto& info : set->Conditions()) {
          auto it = by_loc.find(info.location + "\x1f" + info.attr);
          D row;
          row("location", info.location.empty() ? "(top)" : info.location)("attr", info.attr)(
              "op", info.op)("negate", info.negate)(
              "value", info.has_value ? DumpJson(info.value, {.ensure_ascii = false}) : "");
          if (it == by_loc.end()) {
            row("state", "skipped")("resolved", "(not reached: short-circuit)")("error", "");
          } else {
            const auto& t = *it->second;
            row("state", !t.ok ? "error" : t.result ? "held" : "failed")(
                "resolved", ResolutionText(t))("error", t.ok ? "" : t.error.message());
          }
          rows.push_back(row.value());
        }
        if (res.ok()) {
          matched = *res;
          outcome = *res ? "conditions hold" : "conditions do not hold";
        } else {
          cond_error = "Evaluation failed. " + res.status().message();
        }
      }
    }
    vars("result", D()("type_ok", type_ok)("event_ok", event_ok)("enabled", r.enabled)(
                       "matched", matched && type_ok && event_ok && r.enabled && cond_error.empty())(
                       "conditions_ok", matched && cond_error.empty())("outcome", outcome)(
                       "error", cond_error)("rows", Value(std::move(rows)))(
                       "event", EventRow(*event))
                       .value());
    Page(c, "rule_check.html", std::move(vars));
  }

  // ---- events ----
  static int64_t PageParam(const http::Request& req) {
    auto p = ParseInt(req.query_param("page").value_or("1"));
    return p && *p >= 1 ? std::min<int64_t>(*p, 1'000'000) : 1;
  }

  void EventList(Ctx& c) {
    EventFilter f;
    std::string ot = c.req.query_param("object_type").value_or("");
    if (!ot.empty()) f.object_type = ot;
    int64_t page = PageParam(c.req);
    f.limit = kPageSize + 1;  // one more tells whether a next page exists
    f.offset = (page - 1) * kPageSize;
    auto events = store.ListEvents(f);
    if (!events.ok()) return Error(c, 500, events.status().message());
    List rows;
    for (size_t i = 0; i < events->size() && i < static_cast<size_t>(kPageSize); ++i)
      rows.push_back(EventRow((*events)[i]));
    Page(c, "events.html",
         D()("events", Value(std::move(rows)))("object_type", ot)("page", page)(
             "has_next", static_cast<int64_t>(events->size()) > kPageSize)(
             "qs", ot.empty() ? std::string() : "object_type=" + UrlEncode(ot) + "&")(
             "object_types", ObjectTypesWithEvents()));
  }

  void EventDetail(Ctx& c, int64_t id) {
    auto e = store.GetEvent(id);
    if (!e.ok()) return Error(c, 404, "Event " + std::to_string(id) + " does not exist.");
    TaskFilter f;
    f.event_id = id;
    f.limit = kEventTasksShown;
    f.oldest_first = true;
    auto tasks = store.ListTasks(f);
    List rows;
    if (tasks.ok())
      for (const auto& t : *tasks) rows.push_back(TaskRow(t));
    Page(c, "event.html", D()("e", EventRow(*e))("json", Pretty(EventToValue(*e)))(
                              "tasks", Value(std::move(rows))));
  }

  // ---- background tasks ----
  void Queues(Ctx& c) {
    auto counts = store.CountByStatus();
    if (!counts.ok()) return Error(c, 500, counts.status().message());
    Page(c, "queues.html",
         D()("counts", CountsValue(*counts))("queue_depth", counts->queued + counts->scheduled)(
             "oldest_age", counts->oldest_queued_at ? FmtAge(NowUs() - counts->oldest_queued_at)
                                                    : std::string("—")));
  }

  void TaskList(Ctx& c) {
    TaskFilter f;
    std::string qs;
    std::string status = c.req.query_param("status").value_or("");
    std::string webhook = c.req.query_param("webhook").value_or("");
    std::string rule = c.req.query_param("rule").value_or("");
    std::string ot = c.req.query_param("object_type").value_or("");
    std::vector<std::string> problems;
    if (!status.empty()) {
      auto s = ParseTaskStatus(status);
      if (s) f.status = *s, qs += "status=" + UrlEncode(status) + "&";
      else problems.push_back("Unknown status \"" + status + "\".");
    }
    if (!webhook.empty()) {
      if (auto id = ParseInt(webhook)) f.webhook_id = *id, qs += "webhook=" + webhook + "&";
      else problems.push_back("Webhook must be an id.");
    }
    if (!rule.empty()) {
      if (auto id = ParseInt(rule)) f.rule_id = *id, qs += "rule=" + rule + "&";
      else problems.push_back("Rule must be an id.");
    }
    if (!ot.empty()) f.object_type = ot, qs += "object_type=" + UrlEncode(ot) + "&";
    auto total = store.CountTasks(f);
    if (!total.ok()) return Error(c, 500, total.status().message());
    int64_t pages = std::max<int64_t>(1, (*total + kPageSize - 1) / kPageSize);
    int64_t page = std::min(PageParam(c.req), pages);
    f.limit = kPageSize;
    f.offset = (page - 1) * kPageSize;
    auto tasks = store.ListTasks(f);
    if (!tasks.ok()) return Error(c, 500, tasks.status().message());
    List rows;
    for (const auto& t : *tasks) rows.push_back(TaskRow(t));
    auto hooks = store.ListWebhooks();
    auto rules = store.ListEventRules();
    List rule_choices;
    if (rules.ok())
      for (const auto& r : *rules) rule_choices.push_back(D()("id", r.id)("name", r.name).value());
    Page(c, "tasks.html",
         D()("tasks", Value(std::move(rows)))("total", *total)("page", page)("pages", pages)(
             "first", *total ? f.offset + 1 : 0)(
             "last", f.offset + static_cast<int64_t>(tasks->size()))("qs", qs)(
             "status", status)("webhook", webhook)("rule", rule)("object_type", ot)(
             "problems", StrList(problems))(
             "webhooks", hooks.ok() ? WebhookChoices(*hooks) : Value(List{}))(
             "rules", Value(std::move(rule_choices)))("object_types", ObjectTypesWithEvents())(
             "statuses", StrList({"queued", "started", "scheduled", "finished", "failed"})));
  }

  void TaskDetail(Ctx& c, const std::string& id) {
    auto t = store.GetTask(id);
    if (!t.ok()) return Error(c, 404, "Task " + id + " does not exist.");
    auto attempts = store.ListAttempts(id);
    List arows;
    Value request;
    if (attempts.ok()) {
      for (const auto& a : *attempts) {
        arows.push_back(D()("number", a.number)("started", FmtTime(a.started_at))(
                            "duration", FmtDuration(a.duration_us))("status_code", a.status_code)(
                            "response", Cut(a.response_excerpt, 2000))("error", a.error)(
                            "ok", a.error.empty() && a.status_code >= 200 && a.status_code <= 299)
                            .value());
      }
      for (auto it = attempts->rbegin(); it != attempts->rend(); ++it) {
        if (it->url.empty() && it->method.empty()) continue;
        request = D()("method", it->method)("url", it->url)(
                      "headers", HeaderRowsFromJson(it->request_headers, c.session->can_write()))(
                      "body", it->request_body)(
                      "body_pretty", PrettyJsonText(it->request_body))(
                      "note", "as sent in attempt " + std::to_string(it->number))
                      .value();
        break;
      }
    }
    std::string context, render_error;
    auto e = store.GetEvent(t->event_id);
    if (e.ok()) {
      Value ctx = BuildContext(*e, t->action_data);
      context = Pretty(ctx);
      if (request.is_none()) {
        auto w = store.GetWebhook(t->webhook_id);
        if (w.ok()) {
          auto r = renderer.Render(*w, ctx, {{"X-Herald-Task", t->id}});
          if (r.ok())
            request = D()("method", r->method)("url", r->url)(
                          "headers", HeaderRows(r->headers, c.session->can_write()))(
                          "body", r->body)("body_pretty", PrettyJsonText(r->body))(
                          "note", "not sent yet: rendered now with the current webhook")
                          .value();
          else render_error = r.status().message();
        } else {
          render_error = "The webhook of this task no longer exists.";
        }
      }
    } else {
      context = "(event " + std::to_string(t->event_id) + " is no longer stored)";
    }
    Value task = TaskRow(*t);
    Dict& td = task.as_dict();
    td.set("error", t->error);
    td.set("result", t->result);
    td.set("enqueued", FmtTime(t->enqueued_at));
    td.set("due", t->status == TaskStatus::kScheduled ? FmtTime(t->due_at) : "");
    td.set("started", FmtTime(t->started_at));
    td.set("worker", t->worker);
    Page(c, "task.html",
         D()("t", task)("attempts", Value(std::move(arows)))("request", request)(
             "render_error", render_error)("context", context)(
             "can_requeue", t->status == TaskStatus::kFailed || t->status == TaskStatus::kFinished)(
             "can_enqueue", t->status == TaskStatus::kScheduled)(
             "can_stop", t->status == TaskStatus::kQueued || t->status == TaskStatus::kStarted ||
                             t->status == TaskStatus::kScheduled));
  }

  void TaskAction(Ctx& c, const std::string& id, const std::string& action) {
    TimeUs now = NowUs();
    herald::Status st;
    if (action == "requeue") st = store.Requeue(id, now);
    else if (action == "enqueue") st = store.Enqueue(id, now);
    else if (action == "stop") st = store.Stop(id, now);
    else if (action == "delete") st = store.DeleteTask(id);
    else return Error(c, 404, "Unknown task action \"" + action + "\".");
    std::string short_id = id.substr(0, 8);
    if (!st.ok()) {
      Flash(c, "Cannot " + action + " task " + short_id + ": " + st.message(), true);
      return Redirect(c.respond, st.type() == "NotFound" ? "/tasks/" : "/tasks/" + id);
    }
    log::Info("task action (ui)", {{"task", id}, {"action", action}});
    static const std::map<std::string, std::string> kDone = {{"requeue", "requeued"},
                                                             {"enqueue", "enqueued"},
                                                             {"stop", "stopped"},
                                                             {"delete", "deleted"}};
    Flash(c, "Task " + short_id + " " + kDone.at(action) + ".");
    Redirect(c.respond, action == "delete" ? "/tasks/" : "/tasks/" + id);
  }

  void RequeueFailed(Ctx& c) {
    auto n = store.RequeueAllFailed(NowUs());
    if (!n.ok()) {
      Flash(c, "Cannot requeue failed tasks: " + n.status().message(), true);
    } else {
      log::Info("requeued failed tasks (ui)", {{"count", static_cast<long long>(*n)}});
      Flash(c, "Requeued " + std::to_string(*n) + " failed task" + (*n == 1 ? "." : "s."));
    }
    Redirect(c.respond, "/queues/");
  }

  Store& store;
  Api& api;
  WebOptions options;
  delivery::Renderer renderer;
  delivery::Transport* transport = nullptr;
  std::unique_ptr<jinja::Environment> env;
  std::map<std::string, std::shared_ptr<const jinja::Template>> pages;
  SessionStore sessions;
  SignInGuard guard;
  // Last, so it stops first: pending "send test" callbacks still find the pages and sessions.
  std::unique_ptr<delivery::Transport> own_transport;
};

const Asset* FindAsset(std::string_view path) {
  const auto& all = EmbeddedAssets();
  auto it = std::lower_bound(all.begin(), all.end(), path,
                             [](const Asset& a, std::string_view p) { return a.path < p; });
  return it != all.end() && it->path == path ? &*it : nullptr;
}

Web::Web(Store& store, Api& api, delivery::Transport* transport, WebOptions options)
    : impl_(std::make_unique<Impl>(store, api, transport, std::move(options))) {}

Web::~Web() = default;

void Web::Handle(http::Request&& req, http::Responder respond) {
  impl_->Handle(std::move(req), std::move(respond));
}

std::optional<http::Response> Web::CheckHead(const http::Request& head, bool* signed_in) {
  return impl_->CheckHead(head, signed_in);
}

}  // namespace herald::web
