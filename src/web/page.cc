// The page helper: rendering a page template with the common variables, error pages, redirects,
// flash messages. See page.h.
#include "web/page.h"

#include <chrono>

#include "common/log.h"
#include "model/model.h"
#include "web/assets.h"

namespace herald::web {

namespace {

// Jinja limits for the UI's own pages (larger than a webhook's: a page lists up to 200 rows).
constexpr size_t kPageOutputLimit = 16 << 20;
constexpr uint64_t kPageStepLimit = 50'000'000;
constexpr std::chrono::milliseconds kPageDeadline{5000};

}  // namespace

http::Response Html(int status, std::string body) {
  http::Response r = http::Response::Html(status, std::move(body));
  AddSecurityHeaders(r);
  r.With("Cache-Control", "no-store");
  return r;
}

void AddSecurityHeaders(http::Response& r) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'self'; style-src 'self'; "
                         "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                         "base-uri 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
}

// ---- Ctx ---------------------------------------------------------------------------------------

Ctx::Ctx(Pages& p, http::Request r, http::Responder answer)
    : pages(&p), req(std::move(r)), respond(std::move(answer)) {}

std::string Ctx::param(const char* name) const {
  return post() ? form.Str(name) : req.query_params.Str(name);
}

void Ctx::Page(const std::string& name, D vars, int status, const HeaderPairs& extra) {
  pages->Render(*this, name, std::move(vars), status, extra);
}

void Ctx::Error(int status, const std::string& message) {
  Page("error.html",
       D()("status", status)("reason", std::string(http::ReasonPhrase(status)))("message", message),
       status);
}

void Ctx::Redirect(const std::string& location, const std::string& cookie) {
  http::Response r = http::Response::Redirect(303, location);
  if (!cookie.empty()) r.With("Set-Cookie", cookie);
  respond(std::move(r.With("Cache-Control", "no-store")));
}

void Ctx::Flash(const std::string& message, bool error) {
  if (session) pages->sessions().SetFlash(*session, message, error);
}

// ---- Pages -------------------------------------------------------------------------------------

Pages::Pages(SessionStore& sessions, std::string version)
    : sessions_(sessions), version_(std::move(version)) {
  jinja::Options page_options;
  page_options.limits.max_output_bytes = kPageOutputLimit;
  page_options.limits.max_steps = kPageStepLimit;
  page_options.limits.deadline = kPageDeadline;
  page_options.trim_blocks = true;
  page_options.lstrip_blocks = true;
  // Every page renders under autoescape (includes, imports and parents too): each value is
  // HTML-escaped unless it is Markup made by the templates themselves.
  page_options.autoescape = true;
  env_ = std::make_unique<jinja::Environment>(page_options);
  std::vector<std::string> names;
  for (const Asset& a : EmbeddedAssets()) {
    if (a.path.rfind("templates/", 0) != 0) continue;
    std::string name(a.path.substr(10));
    env_->AddTemplate(name, std::string(a.content));
    names.push_back(name);
  }
  for (const auto& name : names) {
    auto t = env_->Compile("{% include \"" + name + "\" %}");
    if (!t.ok()) {
      log::Error("web template does not compile",
                 {{"template", name}, {"error", t.error().ToString()}});
      continue;
    }
    templates_[name] = t.value();
  }
}

void Pages::Render(Ctx& c, const std::string& name, D vars, int status, const HeaderPairs& extra) {
  Dict& d = vars.dict();
  if (c.session) {
    d.set("user",
          D()("name", c.session->token_name)("prefix", c.session->token_prefix)(
              "scope", TokenScopeName(c.session->scope))("can_write", c.session->can_write())
              .value());
    d.set("csrf", c.session->csrf);
    SessionFlash flash = sessions_.TakeFlash(*c.session);
    d.set("flash", flash.message);
    d.set("flash_error", flash.error);
  } else {
    d.set("user", Value());
    d.set("csrf", "");
  }
  d.set("nav", c.nav);
  d.set("version", version_);
  auto it = templates_.find(name);
  if (it == templates_.end()) {
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
  for (const auto& h : extra) r.headers.push_back(h);
  c.respond(std::move(r));
}

}  // namespace herald::web
