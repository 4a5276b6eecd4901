// Sign-in guard. See sign_in_guard.h.
#include "web/sign_in_guard.h"

#include "common/log.h"

namespace herald::web {

namespace {

bool IsHttps(const std::string& url) {
  static const std::string kScheme = "https://";
  if (url.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (tolower(static_cast<unsigned char>(url[i])) != kScheme[i]) return false;
  return true;
}

}  // namespace

SignInGuard::SignInGuard(Options o)
    : limiter_(o.max_failures, o.window), clock_(o.clock ? *o.clock : SystemClock()) {
  auto nets = NetworkList::Parse(o.trusted_proxies);
  if (nets.ok()) trusted_ = std::move(*nets);
  else log::Error("ignoring server.trusted_proxies", {{"error", nets.status().message()}});
  cookie_attributes_ = "; Path=/; HttpOnly; SameSite=Strict";
  if (IsHttps(o.public_url)) cookie_attributes_ += "; Secure";
}

SignInGuard::Client SignInGuard::Identify(const http::Request& req) const {
  Client c;
  c.address = ClientAddress(req, trusted_);
  c.key = ClientKey(c.address);
  c.now = clock_.SteadyNow();
  return c;
}

}  // namespace herald::web
