// Sign in with an API token, sign out. Failed sign-ins are limited per client address
// (web/sign_in_guard.h); ingest-only tokens cannot sign in. See pages.h.
#include <cctype>
#include <chrono>

#include "api/errors.h"
#include "common/log.h"
#include "web/page_values.h"
#include "web/pages.h"

namespace herald::web {

namespace {

// Where to go after signing in: a path on this site, never back to /login, else "/".
std::string SafeNext(const std::string& next) {
  if (next.empty() || next[0] != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\')))
    return "/";
  for (char ch : next)
    if (static_cast<unsigned char>(ch) < 0x20) return "/";
  if (next.rfind("/login", 0) == 0) return "/";
  return next;
}

constexpr const char* kInvalidTokenMessage = "This token is not valid (unknown or revoked).";

void SignInRefused(Ctx& c, const std::string& next, std::chrono::seconds wait) {
  std::string msg = "Too many failed sign-ins from your address. Try again in " +
                    std::to_string(wait.count()) + " seconds.";
  c.Page("login.html", D()("next", next)("error", msg), 429,
         {{"Retry-After", std::to_string(wait.count())}});
}

}  // namespace

void LoginPages::Login(Ctx& c) {
  std::string next =
      SafeNext(c.post() ? c.form.Str("next") : c.req.query_params.Get("next").value_or("/"));
  if (!c.post()) {
    if (LiveSession(sessions, c.req).ok()) return c.Redirect(next);  // already signed in
    return c.Page("login.html", D()("next", next)("error", ""));
  }
  // Failed sign-ins are limited per client; a limited client is refused even with a valid
  // token, so the answer tells nothing about the token.
  auto client = guard.Identify(c.req);
  if (auto wait = guard.RetryAfter(client); wait.count() > 0) {
    log::Warning(
        "ui sign-in refused: too many failures",
        {{"client", client.address}, {"retry_after_s", static_cast<long long>(wait.count())}});
    return SignInRefused(c, next, wait);
  }
  std::string key = c.form.Str("token");
  while (!key.empty() && isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
  while (!key.empty() && isspace(static_cast<unsigned char>(key.front()))) key.erase(0, 1);
  std::string why;
  auto token = tokens.ResolveKey(key, &why);
  if (!token) {
    guard.RecordFailure(client);
    log::Warning("ui sign-in failed",
                 {{"client", client.address}, {"reason", "unknown or revoked token"}});
    return c.Page("login.html", D()("next", next)("error", kInvalidTokenMessage), 403);
  }
  if (!ScopeAllows(token->scope, Access::kRead)) {
    return c.Page("login.html",
                  D()("next", next)("error",
                                    "This is an ingest-only token: it can post events but not "
                                    "use the UI. Use an admin or read-only token."),
                  403);
  }
  auto s = sessions.Create(*token);
  if (!s.ok()) {
    // NotFound: revoked (by another process) since the token cache last checked it.
    const bool revoked = s.status().code() == Code::kNotFound;
    log::Warning("ui sign-in failed", {{"client", client.address},
                                       {"reason", revoked ? "revoked token" : "store"},
                                       {"error", s.status().message()}});
    return c.Page("login.html",
                  D()("next", next)("error", revoked ? std::string(kInvalidTokenMessage)
                                                     : "Cannot sign in: " + s.status().message()),
                  revoked ? 403 : HttpStatusFor(s.status()));
  }
  log::Info("ui sign-in", {{"token_id", static_cast<long long>(token->id)},
                           {"scope", TokenScopeName(token->scope)},
                           {"client", client.address}});
  c.Redirect(next, std::string(kCookieName) + "=" + s->id + guard.cookie_attributes());
}

void LoginPages::Logout(Ctx& c) {
  Status st = sessions.Remove(*c.session);
  if (!st.ok())
    return c.Error(HttpStatusFor(st), "Cannot sign out: " + st.message() + " Try again.");
  c.Redirect("/login", std::string(kCookieName) + "=" + guard.cookie_attributes() + "; Max-Age=0");
}

}  // namespace herald::web
