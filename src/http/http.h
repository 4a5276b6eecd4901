// HTTP server plumbing over Boost.Beast: requests in, responses out, limits enforced.
//
// The server owns an io_context run by a few threads. Each accepted connection reads one request
// at a time (keep-alive supported), hands it to the Handler with a Responder, and writes the
// Response whenever the Responder is called — from any thread, at any later time — so handlers can
// wait for asynchronous work (a group commit) without blocking an I/O thread. Oversized bodies
// get 413, malformed requests 400, idle connections are closed after a timeout.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace herald::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target, "/api/x/?a=1"
  std::string path;    // target without the query, percent-decoded
  std::string query;   // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // in received order
  std::string body;
  std::string remote;  // client address
  int version = 11;    // 10 or 11

  // First header with that name (case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // Decoded query parameters in order (a key may repeat).
  std::vector<std::pair<std::string, std::string>> query_params() const;
  // First value of a query parameter.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // close the connection after writing

  static Response Json(int status, std::string body);
  static Response Text(int status, std::string body);
};

// Called exactly once per request, from any thread.
using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request&&, Responder)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port
  int threads = 2;
  size_t max_body_bytes = 10 * 1024 * 1024;
  int idle_timeout_seconds = 60;
  std::string server_name = "herald";
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the I/O threads. Errors: "ListenError" with the reason.
  Status Start();
  // The bound port (after Start).
  uint16_t port() const;
  // Stops accepting, closes connections and joins the threads. Idempotent.
  void Stop();
  // Blocks until Stop() is called from elsewhere (or a signal handler calls Stop()).
  void Wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-decodes s ('+' becomes a space when form is true).
std::string UrlDecode(std::string_view s, bool form = false);
// Standard reason phrase for a status code ("OK", "Not Found", ...).
std::string_view ReasonPhrase(int status);

}  // namespace herald::http
