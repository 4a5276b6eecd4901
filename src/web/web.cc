// The web UI's front: the services the pages share, the checks every request passes before a
// page runs (method, cross-origin POST, session, CSRF token, write access), the routing table
// that sends a path to its page (web/pages.h), and the embedded static files. See web.h for the
// contract.
#include "web/web.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>

#include "api/errors.h"
#include "web/assets.h"
#include "web/page.h"
#include "web/page_values.h"
#include "web/pages.h"
#include "web/session.h"
#include "web/sign_in_guard.h"

namespace herald::web {

namespace {

constexpr const char* kNoSuchPage = "No such page.";

// The pages of one kind of stored record, below /<section>/, served by its page family
// (pages.h): the list, /new (the create form), and once the record <id> is found, /<id>,
// /<id>/edit, POST /<id>/delete and /<id>/<extra>, the family's own page (a webhook's preview,
// a rule's check). A path that names a record that does not exist answers 404 "<noun> <id> does
// not exist." whatever follows the id.
template <typename T, typename Family>
class RecordRoutes {
 public:
  using Get = Result<T> (Store::*)(int64_t id);
  using ExtraPage = void (Family::*)(Ctx& c, const T& record);

  RecordRoutes(const char* noun, Store& store, Get get, Family& family, const char* extra,
               ExtraPage extra_page)
      : noun_(noun),
        store_(store),
        get_(get),
        family_(family),
        extra_(extra),
        extra_page_(extra_page) {}

  void Route(Ctx& c) const {
    const auto& s = c.parts;
    if (s.size() == 1) return family_.List(c);
    if (s[1] == "new" && s.size() == 2) return family_.Edit(c, nullptr);
    auto id = ParseInt(s[1]);
    if (!id) return c.Error(404, kNoSuchPage);
    auto record = (store_.*get_)(*id);
    if (!record.ok()) return c.Error(404, std::string(noun_) + " " + s[1] + " does not exist.");
    if (s.size() == 2) return family_.Detail(c, *record);
    if (s.size() == 3) {
      if (s[2] == "edit") return family_.Edit(c, &*record);
      // A family with kDeleteConfirmPage answers GET .../delete with its confirm page.
      if (s[2] == "delete" && (c.post() || Family::kDeleteConfirmPage))
        return family_.Delete(c, *record);
      if (s[2] == extra_) return (family_.*extra_page_)(c, *record);
    }
    c.Error(404, kNoSuchPage);
  }

 private:
  const char* noun_;
  Store& store_;
  Get get_;
  Family& family_;
  const char* extra_;
  ExtraPage extra_page_;
};

// The page families and the table from a path's first segment to them.
class Router {
 public:
  Router(Store& store, TokenCache& tokens, SessionStore& sessions, SignInGuard& guard,
         delivery::Renderer& renderer, delivery::Transport& transport, const WebOptions& options)
      : login_{tokens, sessions, guard},
        dashboard_{store},
        webhooks_{store, renderer, transport, options},
        rules_{store, options},
        tasks_{store, renderer},
        explain_{store, renderer, options},
        webhook_routes_{kWebhookKind.Noun, store,     &Store::GetWebhook,
                        webhooks_,         "preview", &WebhookPages::Preview},
        rule_routes_{kRuleKind.Noun, store,   &Store::GetEventRule,
                     rules_,         "check", &RulePages::Check} {
    // Each section names the menu entry it belongs to (set before it routes the rest of the
    // path; /logout has none, and /queues sets it on its one page only).
    sections_ = {
        {"logout",
         {nullptr,
          [this](Ctx& c) {
            if (c.parts.size() == 1 && c.post()) return login_.Logout(c);
            c.Error(404, kNoSuchPage);
          }}},
        {"webhooks", {"webhooks", [this](Ctx& c) { webhook_routes_.Route(c); }}},
        {"rules", {"rules", [this](Ctx& c) { rule_routes_.Route(c); }}},
        {"events",
         {"events",
          [this](Ctx& c) {
            const auto& s = c.parts;
            if (s.size() == 1) return tasks_.EventList(c);
            if (s.size() == 2 && s[1] == "explain") return explain_.Show(c);
            auto id = ParseInt(s[1]);
            if (id && s.size() == 2) return tasks_.EventDetail(c, *id);
            c.Error(404, kNoSuchPage);
          }}},
        {"queues",
         {nullptr,
          [this](Ctx& c) {
            if (c.parts.size() != 1) return c.Error(404, kNoSuchPage);
            c.nav = "tasks";
            tasks_.Queues(c);
          }}},
        {"tasks",
         {"tasks",
          [this](Ctx& c) {
            const auto& s = c.parts;
            if (s.size() == 1) return tasks_.TaskList(c);
            if (s[1] == "requeue-failed" && s.size() == 2 && c.post())
              return tasks_.RequeueFailed(c);
            if (s.size() == 2) return tasks_.TaskDetail(c, s[1]);
            if (s.size() == 3 && c.post()) return tasks_.TaskAction(c, s[1], s[2]);
            c.Error(404, kNoSuchPage);
          }}},
    };
  }

  Router(const Router&) = delete;  // the table's entries point back at this Router
  Router& operator=(const Router&) = delete;

  void Login(Ctx& c) { login_.Login(c); }

  // Sends a signed-in request to its page (or the 404 page).
  void Route(Ctx& c) {
    if (c.parts.empty()) return dashboard_.Show(c);
    auto it = sections_.find(c.parts[0]);
    if (it == sections_.end()) return c.Error(404, kNoSuchPage);
    if (it->second.nav) c.nav = it->second.nav;
    it->second.route(c);
  }

 private:
  LoginPages login_;
  DashboardPage dashboard_;
  WebhookPages webhooks_;
  RulePages rules_;
  TaskPages tasks_;
  ExplainPage explain_;
  RecordRoutes<Webhook, WebhookPages> webhook_routes_;
  RecordRoutes<EventRule, RulePages> rule_routes_;
  // A path's first segment: its menu entry (none: null) and how the rest of the path routes.
  struct Section {
    const char* nav;
    std::function<void(Ctx&)> route;
  };
  std::map<std::string, Section, std::less<>> sections_;
};

// POSTs that change nothing (preview, check, explain) are allowed for read-only sessions.
bool IsReadOnlyPost(const Ctx& c) {
  const auto& s = c.parts;
  if (s.size() == 3 && s[0] == "webhooks" && s[2] == "preview")
    return c.form.Str("action") != "send";
  if (s.size() == 3 && s[0] == "rules" && s[2] == "check") return true;
  if (s.size() == 2 && s[0] == "events" && s[1] == "explain") return true;
  return false;
}

// An embedded file under /static/, cached for 5 minutes.
void Static(Ctx& c) {
  const Asset* a = FindAsset(c.req.path.substr(1));
  if (!a || c.parts.size() != 2) {
    return c.respond(http::Response::Text(404, "Not found.\n"));
  }
  std::string_view path = a->path;
  auto ends = [&](std::string_view ext) {
    return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
  };
  http::Response r = http::Response::Text(200, std::string(a->content),
                                          ends(".css")   ? "text/css; charset=utf-8"
                                          : ends(".js")  ? "text/javascript; charset=utf-8"
                                          : ends(".svg") ? "image/svg+xml"
                                                         : "application/octet-stream");
  r.With("Cache-Control", "max-age=300");
  AddSecurityHeaders(r);
  c.respond(std::move(r));
}

}  // namespace

Result<Session> LiveSession(SessionStore& sessions, const http::Request& req, bool touch) {
  // The store reads the session with its token: a revoked token's sessions are gone.
  return sessions.Find(http::CookieValue(req.header("Cookie"), kCookieName), touch);
}

// ---- Impl --------------------------------------------------------------------------------------

struct Web::Impl {
  Impl(Store& s, TokenCache& tokens, delivery::Transport* t, WebOptions o)
      : store(s),
        options(std::move(o)),
        renderer(options.template_options),
        sessions(s, options.max_sessions_per_token, options.clock ? *options.clock : SystemClock()),
        guard({options.max_failed_sign_ins, options.failed_sign_in_window, options.public_url,
               options.trusted_proxies, options.clock}),
        pages(sessions, options.version) {
    if (!t) {
      delivery::TransportOptions to;
      to.guard = options.net_guard;  // "send test" obeys the delivery network guard
      own_transport = std::make_unique<delivery::Transport>(std::move(to));
      t = own_transport.get();
    }
    router = std::make_unique<Router>(store, tokens, sessions, guard, renderer, *t, options);
  }

  void Handle(http::Request&& req, http::Responder respond) {
    Ctx c(pages, std::move(req), std::move(respond));
    c.parts = SplitNonEmpty(c.req.path, '/');  // the path's segments
    const std::string& m = c.req.method;
    if (!c.parts.empty() && c.parts[0] == "static") return Static(c);
    if (c.req.path == "/favicon.ico") return c.respond(http::Response::Empty(204));
    if (m != "GET" && m != "HEAD" && m != "POST") return c.Error(405, "Method not allowed.");
    if (c.post()) {
      // Cross-site form posts are refused outright (SameSite=Strict already drops the cookie).
      std::string_view origin = c.req.header("Origin");
      std::string host(c.req.header("Host"));
      if (!origin.empty() && origin != "http://" + host && origin != "https://" + host)
        return c.Error(403, "Cross-origin form submission refused.");
      c.form = http::Params::Parse(c.req.body, http::kMaxFormFields);
    }
    if (c.parts.size() == 1 && c.parts[0] == "login") return router->Login(c);
    auto live = LiveSession(sessions, c.req);
    if (!live.ok() && live.status().code() != Code::kNotFound)
      return c.Error(HttpStatusFor(live.status()),
                     "Cannot read your session: " + live.status().message());
    if (live.ok()) c.session = std::move(*live);
    if (!c.session) {
      if (c.post()) return c.Error(403, "Your session has expired. Sign in again.");
      std::string next = c.req.target;
      return c.Redirect("/login?next=" + PercentEncode(next));
    }
    if (c.post()) {
      if (!SecureEquals(c.form.Str("csrf"), c.session->csrf))
        return c.Error(403,
                       "The form's CSRF token is missing or wrong. Reload the page and "
                       "try again.");
      if (!(c.parts.size() == 1 && c.parts[0] == "logout") && !IsReadOnlyPost(c) &&
          !c.session->can_write())
        return c.Error(403, kReadOnlyMessage);
    }
    router->Route(c);
  }

  std::optional<http::Response> CheckHead(const http::Request& head, bool* signed_in) {
    // Not touched here: Handle records the use once the whole request has come.
    auto live = LiveSession(sessions, head, /*touch=*/false);
    *signed_in = live.ok();
    bool login = head.path == "/login" || head.path == "/login/";
    // A store failure is not "expired": Handle answers it with the error.
    bool unknown = !live.ok() && live.status().code() != Code::kNotFound;
    if (*signed_in || unknown || head.method != "POST" || login ||
        head.path.rfind("/static/", 0) == 0)
      return std::nullopt;
    std::optional<http::Response> out;
    Ctx c(pages, http::Request(head), [&out](http::Response r) { out = std::move(r); });
    c.Error(403, "Your session has expired. Sign in again.");
    return out;
  }

  Store& store;
  WebOptions options;
  delivery::Renderer renderer;
  SessionStore sessions;
  SignInGuard guard;
  Pages pages;
  std::unique_ptr<Router> router;  // made once the transport is known
  // Last, so it stops first: pending "send test" callbacks still find the pages and sessions.
  std::unique_ptr<delivery::Transport> own_transport;
};

const Asset* FindAsset(std::string_view path) {
  const auto& all = EmbeddedAssets();
  auto it = std::lower_bound(all.begin(), all.end(), path,
                             [](const Asset& a, std::string_view p) { return a.path < p; });
  return it != all.end() && it->path == path ? &*it : nullptr;
}

Web::Web(Store& store, TokenCache& tokens, delivery::Transport* transport, WebOptions options)
    : impl_(std::make_unique<Impl>(store, tokens, transport, std::move(options))) {}

Web::~Web() = default;

void Web::Handle(http::Request&& req, http::Responder respond) {
  impl_->Handle(std::move(req), std::move(respond));
}

std::optional<http::Response> Web::CheckHead(const http::Request& head, bool* signed_in) {
  return impl_->CheckHead(head, signed_in);
}

}  // namespace herald::web
