// The request handler `herald serve` runs: routing between the REST API, /metrics and the UI,
// plus the header-phase check that authenticates a request before its body is read. Built by
// functions so that tests and fuzzers exercise exactly what the server runs.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "api/api.h"
#include "app/config.h"
#include "http/http.h"
#include "web/web.h"

namespace herald {

// Largest body a request without valid credentials may carry (the sign-in form, /api/status/,
// a UI page fetch); bigger ones get 413 before anything is read.
inline constexpr size_t kUnauthenticatedBodyBytes = 64 * 1024;

// Routes /api and /api/... to `api`, /metrics to `metrics` (Prometheus text format) and every
// other path to `web`. The references must outlive the handler.
http::Handler MakeHandler(Api& api, web::Web& web, std::function<std::string()> metrics);

// The header-phase check: an API request that needs a token and carries none, a malformed one or
// an unknown or revoked one gets the API's 403; a UI POST without a live session gets the UI's
// 403 page (the sign-in form excepted); any other request without valid credentials may carry
// at most kUnauthenticatedBodyBytes. The references must outlive the check.
http::HeadCheck MakeHeadCheck(Api& api, web::Web& web);

// Server options from the [server] settings (listen address given apart, already split).
http::ServerOptions ServerOptionsFrom(const Settings& settings, const std::string& host,
                                      uint16_t port);

}  // namespace herald
