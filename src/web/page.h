// The page helper of the web UI (internal to src/web): what a page handler is given and how it
// answers.
//
// Ctx is one request as a page sees it: the request, where to answer, the session, the parsed
// form and the path's segments. Through Ctx a page answers with a rendered template (Page: the
// template gets the variables every page shares — user, CSRF token, flash message, current menu
// entry, version — on top of its own), an error page, or a redirect, and leaves a flash message
// for the next page. Pages holds the compiled templates and renders them. D builds template
// variables. The page families (web/pages.h) take a Ctx and only the services they use.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "http/http.h"
#include "jinja/jinja.h"
#include "value/value.h"
#include "web/session.h"

namespace herald::web {

// The answer to a changing request from a read-only session.
inline constexpr const char* kReadOnlyMessage =
    "Your token is read-only: it cannot change anything.";

using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

// Builds a dict of template variables: D()("name", w.name)("id", w.id).value().
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

// An HTML answer (http::Response::Html) with the UI's security headers and
// Cache-Control: no-store.
http::Response Html(int status, std::string body);
// Adds the strict Content-Security-Policy and the other security headers every UI answer has.
void AddSecurityHeaders(http::Response& r);

class Pages;

// One UI request. Moved into the "send test" callback, so it owns all it refers to but `pages`,
// which outlives every request. Not shared between threads.
struct Ctx {
  Ctx(Pages& pages, http::Request req, http::Responder respond);

  bool post() const { return req.method == "POST"; }
  // Field `name` of the form on a POST, else query parameter `name`; "" when absent.
  std::string param(const char* name) const;

  // Answers with template `name` rendered with `vars` and the common variables; a template
  // that is missing or fails to render gives a 500 page.
  void Page(const std::string& name, D vars, int status = 200, const HeaderPairs& extra = {});
  // Answers with the error page: `status`, its reason phrase and `message`.
  void Error(int status, const std::string& message);
  // Answers 303 to `location`, setting `cookie` when not empty.
  void Redirect(const std::string& location, const std::string& cookie = "");
  // Leaves `message` for the session's next page (nothing without a session).
  void Flash(const std::string& message, bool error = false);

  Pages* pages;
  http::Request req;
  http::Responder respond;
  std::optional<Session> session;  // the live session; unset before the check and on /login
  http::Params form;               // the body's fields, on a POST (at most kMaxFormFields)
  std::vector<std::string> parts;  // the path's non-empty segments
  std::string nav;                 // the menu entry shown as current
};

// The UI's page templates, compiled once from the embedded assets, each under autoescape.
// Thread-safe after construction.
class Pages {
 public:
  // Compiles every embedded template; one that does not compile is logged and left out (its
  // page then answers 500). `sessions` (flash messages) must outlive Pages.
  Pages(SessionStore& sessions, std::string version);

  // Renders template `name` for `c` (see Ctx::Page) and answers through c.respond.
  void Render(Ctx& c, const std::string& name, D vars, int status, const HeaderPairs& extra);
  SessionStore& sessions() { return sessions_; }

 private:
  SessionStore& sessions_;
  std::string version_;
  std::unique_ptr<jinja::Environment> env_;
  std::map<std::string, std::shared_ptr<const jinja::Template>> templates_;
};

}  // namespace herald::web
