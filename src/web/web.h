// The web UI served by `herald serve` at every path outside /api/ and /metrics.
//
// Server-rendered HTML pages (Herald's own Jinja engine, templates embedded in the binary) for
// what NetBox users do in NetBox's UI: webhooks (list, detail, create/edit/delete, preview of
// the rendered request, send test), event rules (list, create/edit with pickers and the
// conditions editor, check against an event), recent events with the tasks they created, and
// Background Tasks (queues, filtered paginated task lists, task detail with attempts, requeue /
// enqueue / stop / delete, bulk requeue of failed tasks), plus a dashboard.
//
// Sign-in is with an API token: the session lives in the store (web/session.h), so every process
// on the store accepts it and restarts keep it, behind an HttpOnly SameSite=Strict cookie (also
// Secure when public_url is https), at most max_sessions_per_token per token. Failed sign-ins
// are rate-limited per client address, taken from X-Forwarded-For only behind a trusted proxy
// (web/sign_in_guard.h). Admin tokens may
// change things; read-only tokens see everything but credentials and change nothing (403 on any
// changing POST or "send test", no edit buttons; credential header values and X-Hook-Signature
// read ******** via model/redact.h); ingest-only tokens cannot sign in. Every changing form is a
// POST carrying the session's CSRF token, checked server-side (and a cross-origin Origin header
// is refused). Every page renders with autoescape on, and no HTML is built outside the
// templates; pages also send a strict Content-Security-Policy (no inline script; assets from
// 'self' only). Forms are validated by the same code as the REST API (validation/forms.h), so
// errors read the same, next to each field. Task pages never load more than one page (kPageSize) of
// tasks.
//
// Handle() is thread-safe; it reads the store synchronously on the calling (server) thread, as
// the REST API does, and answers the "send test" page from the transport's callback thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "common/clock.h"
#include "delivery/transport.h"
#include "herald_version.h"
#include "http/http.h"
#include "jinja/jinja.h"
#include "store/store.h"
#include "web/session.h"
#include "web/sign_in_limit.h"

namespace herald::web {

// Rows per page of every paginated table (tasks, events).
inline constexpr int64_t kPageSize = 50;
// Tasks listed on an event's page, latest failures on the dashboard.
inline constexpr int64_t kEventTasksShown = 200;
inline constexpr int64_t kDashboardFailures = 10;
// Sample-event JSON pasted into a preview or check form is refused beyond this size.
inline constexpr size_t kMaxSampleBytes = 1 << 20;
// The dashboard chart covers this many minutes, one bar per minute.
inline constexpr int kChartMinutes = 60;

struct WebOptions {
  std::string version = kHeraldVersion;  // herald_version.h, from CMake's project()
  // Send test: timeout when the webhook sets none (delivery.default_timeout), and proxies (as
  // the dispatcher uses them).
  int default_timeout_seconds = 60;
  std::string http_proxy;
  std::string https_proxy;
  // Limits for rendering webhook templates in previews (the delivery engine's limits).
  jinja::Options template_options;
  // The delivery network guard, for the transport Web starts when it is given none (the shared
  // transport already has it): "send test" obeys the same rules as deliveries.
  std::shared_ptr<const delivery::NetGuard> net_guard;
  // Sessions (ui.max_sessions_per_token) and failed sign-ins per client address in a window
  // (ui.max_failed_sign_ins, ui.failed_sign_in_window).
  size_t max_sessions_per_token = kMaxSessionsPerToken;
  int max_failed_sign_ins = kMaxFailedSignIns;
  std::chrono::seconds failed_sign_in_window = kFailedSignInWindow;
  // server.public_url: an https:// URL makes session cookies Secure.
  std::string public_url;
  // server.trusted_proxies: addresses / CIDR ranges whose X-Forwarded-For is believed. Entries
  // that do not parse are logged and ignored (the configuration validates them at start).
  std::vector<std::string> trusted_proxies;
  // ingest.condition_budget_ms: a rule's "Check" page evaluates its conditions within the same
  // bound as ingest (zero: none), so a costly rule cannot hold a UI thread.
  std::chrono::milliseconds condition_budget{50};
  // The clock of session lifetimes and the sign-in rate limit (tests move it); null means
  // SystemClock(). Must outlive Web.
  const Clock* clock = nullptr;
};

class Web {
 public:
  // `tokens` resolves the keys typed into the sign-in form (the API's cache, so both see the
  // same tokens). `transport` (may be null: then Web starts its own for "send test"). Both
  // must outlive Web.
  Web(Store& store, TokenCache& tokens, delivery::Transport* transport, WebOptions options);
  ~Web();
  Web(const Web&) = delete;
  Web& operator=(const Web&) = delete;

  // Serves one UI request; calls respond exactly once (maybe later, from another thread).
  void Handle(http::Request&& req, http::Responder respond);

  // Header-phase check, before the body is read: a POST (other than the sign-in form) without a
  // live session gets the 403 page Handle() would send; nullopt otherwise. *signed_in tells
  // whether the request carries a live session.
  std::optional<http::Response> CheckHead(const http::Request& head, bool* signed_in);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::web
