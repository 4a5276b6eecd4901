#include "app/handler.h"

#include <utility>

namespace herald {

namespace {

bool IsApiPath(const std::string& path) { return path == "/api" || path.rfind("/api/", 0) == 0; }

}  // namespace

http::Handler MakeHandler(Api& api, web::Web& web, std::function<std::string()> metrics) {
  return [&api, &web, metrics = std::move(metrics)](http::Request&& req, http::Responder respond) {
    if (IsApiPath(req.path)) return api.Handle(std::move(req), std::move(respond));
    if (req.path == "/metrics") {
      return respond(http::Response::Text(200, metrics ? metrics() : std::string(),
                                          "text/plain; version=0.0.4"));
    }
    web.Handle(std::move(req), std::move(respond));  // the UI: every other path
  };
}

http::HeadCheck MakeHeadCheck(Api& api, web::Web& web) {
  return [&api, &web](const http::Request& head) {
    http::HeadDecision d;
    bool authenticated = false;
    if (IsApiPath(head.path)) d.reject = api.CheckHead(head, &authenticated);
    else if (head.path != "/metrics") d.reject = web.CheckHead(head, &authenticated);
    if (!authenticated) d.max_body_bytes = kUnauthenticatedBodyBytes;
    return d;
  };
}

http::ServerOptions ServerOptionsFrom(const Settings& settings, const std::string& host,
                                      uint16_t port) {
  http::ServerOptions so;
  so.host = host;
  so.port = port;
  so.threads = static_cast<int>(settings.server.threads);
  so.max_body_bytes = static_cast<size_t>(settings.server.max_body_bytes);
  so.idle_timeout_seconds = static_cast<int>(settings.server.idle_timeout);
  so.header_timeout_seconds = static_cast<int>(settings.server.header_timeout);
  so.max_connections = static_cast<int>(settings.server.max_connections);
  return so;
}

}  // namespace herald
