// HTTP server plumbing over Boost.Beast: requests in, responses out, limits enforced.
//
// The server owns an io_context run by a few threads. Each accepted connection reads one request
// at a time (keep-alive supported): first the header, which is checked (framing, then the
// optional HeadCheck, e.g. authentication) before "Expect: 100-continue" is answered and the
// body is read. The request then goes to the Handler with a Responder, and the Response is
// written whenever the Responder is called (from any thread, at any later time), so handlers can
// wait for asynchronous work (a group commit) without blocking an I/O thread. Responses to HEAD
// carry no body. Oversized bodies get 413, oversized headers 431, malformed or ambiguously
// framed requests 400 (and the connection closes), slow headers and idle connections are closed
// after timeouts, and the number of open connections is capped below the descriptor limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/params.h"
#include "http/response.h"

namespace herald::http {

struct Request {
  std::string method;   // "GET", "POST", ...
  std::string target;   // raw request target, "/api/x/?a=1"
  std::string path;     // target without the query, percent-decoded
  std::string query;    // raw query string without '?'
  Params query_params;  // the query, parsed once (SetTarget)
  HeaderList headers;   // in received order
  std::string body;
  std::string remote;  // client address
  int version = 11;    // 10 or 11

  // Sets `target` and, from it, `path`, `query` and `query_params`.
  void SetTarget(std::string raw_target);
  // First header with that name (case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

// Called exactly once per request, from any thread.
using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request&&, Responder)>;

// What a HeadCheck decides about a request whose header has arrived and whose body has not.
struct HeadDecision {
  // Sent instead of reading the body (no "100 Continue" goes out); the connection then closes.
  std::optional<Response> reject;
  // Largest body this request may carry: 0 means ServerOptions::max_body_bytes, anything else
  // lowers it (e.g. for requests without credentials). Larger bodies get 413.
  size_t max_body_bytes = 0;
};
// Called on an I/O thread with the request head (method, target, path, query, headers, remote;
// body empty) before the body is read and before "Expect: 100-continue" is answered.
using HeadCheck = std::function<HeadDecision(const Request& head)>;

// ---- limits (defaults of ServerOptions; `herald serve` sets them from the [server] config) ----
inline constexpr size_t kDefaultMaxBodyBytes = 10 * 1024 * 1024;
// Largest request header (request line and all fields); larger ones get 431.
inline constexpr size_t kMaxHeaderBytes = 64 * 1024;
inline constexpr int kDefaultMaxConnections = 1024;
inline constexpr int kDefaultHeaderTimeoutSeconds = 10;
inline constexpr int kDefaultIdleTimeoutSeconds = 60;
// File descriptors left for everything but client connections (store, deliveries, logs): the
// connection cap stays below the descriptor limit minus max(kMinFdReserve, limit / 4).
inline constexpr long kMinFdReserve = 64;
// When accept() fails for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) the
// server waits before accepting again: kAcceptBackoffMin, doubling up to kAcceptBackoffMax.
inline constexpr std::chrono::milliseconds kAcceptBackoffMin{10};
inline constexpr std::chrono::milliseconds kAcceptBackoffMax{1000};
// Before closing a connection whose input was not read to the end (a refused or malformed
// request), the server stops sending and discards what the client still sends, for at most
// kLingerTime or kLingerBytes, so the client reads the answer instead of a reset.
inline constexpr std::chrono::milliseconds kLingerTime{2000};
inline constexpr size_t kLingerBytes = 1024 * 1024;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port
  int threads = 2;
  size_t max_body_bytes = kDefaultMaxBodyBytes;
  // Most connections open at once (further held below the descriptor limit, see kMinFdReserve).
  // At the cap a new connection evicts the one that has waited longest for a request header
  // (idle keep-alive, partial header or lingering); when none is waiting it gets 503 and closed.
  int max_connections = kDefaultMaxConnections;
  // A request header must be complete this many seconds after the connection opened, or after
  // its first byte arrived on a kept-alive connection; slower connections are closed.
  int header_timeout_seconds = kDefaultHeaderTimeoutSeconds;
  // Idle keep-alive connections are closed after this many seconds; a request body, and the
  // writing of a response, must each complete within it too.
  int idle_timeout_seconds = kDefaultIdleTimeoutSeconds;
  std::string server_name = "herald";
  // Optional header-phase check (authentication before the body is read).
  HeadCheck head_check;
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
  // The connection cap in force (after Start): max_connections held below the descriptor limit.
  int connection_limit() const;
  // Client connections open now.
  int open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (common practice for servers) and returns the
// soft limit in force afterwards (-1 when it cannot be read).
long RaiseFileLimit();
// The connection cap for a descriptor limit: min(max_connections, fd_limit - reserve) with
// reserve = max(kMinFdReserve, fd_limit / 4), and at least 1. fd_limit < 0 means unknown.
int EffectiveConnectionCap(int max_connections, long fd_limit);

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or "" when absent.
std::string CookieValue(std::string_view cookie_header, std::string_view name);

// Why a request's framing is refused (RFC 9112 section 6), or empty when it is acceptable:
// Transfer-Encoding other than exactly one "chunked", Transfer-Encoding with Content-Length or
// in HTTP/1.0, or Content-Length values that are not one and the same decimal number.
std::string FramingError(const HeaderList& headers, int version);

}  // namespace herald::http
