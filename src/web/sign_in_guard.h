// What guards the UI's sign-in form, in one place: who the client is (its address, from
// X-Forwarded-For only behind a trusted proxy: web/client_address.h), whether it may try now
// (failed sign-ins per client: web/sign_in_limit.h), and the attributes of the session cookie
// (Secure when Herald's public URL is https).
//
// Thread-safe after construction.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/clock.h"
#include "http/http.h"
#include "web/client_address.h"
#include "web/sign_in_limit.h"

namespace herald::web {

class SignInGuard {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    int max_failures = kMaxFailedSignIns;
    std::chrono::seconds window = kFailedSignInWindow;
    std::string public_url;                    // https://... makes cookies Secure
    std::vector<std::string> trusted_proxies;  // bad entries are logged and ignored
    const herald::Clock* clock = nullptr;      // null: SystemClock(); must outlive the guard
  };
  explicit SignInGuard(Options o);

  // One sign-in attempt's client.
  struct Client {
    std::string address;  // for logs
    std::string key;      // what the limit counts (IPv6: the /64)
    Clock::time_point now;
  };
  Client Identify(const http::Request& req) const;
  // Zero when the client may try now, else the wait (>= 1 s).
  std::chrono::seconds RetryAfter(const Client& c) { return limiter_.RetryAfter(c.key, c.now); }
  void RecordFailure(const Client& c) { limiter_.RecordFailure(c.key, c.now); }

  // "; Path=/; HttpOnly; SameSite=Strict", plus "; Secure" when the public URL is https.
  const std::string& cookie_attributes() const { return cookie_attributes_; }

 private:
  SignInLimiter limiter_;
  NetworkList trusted_;
  const herald::Clock& clock_;
  std::string cookie_attributes_;
};

}  // namespace herald::web
