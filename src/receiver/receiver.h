// `herald webhook_receiver`: a debugging HTTP endpoint that prints every request it receives.
//
// Compatible with NetBox's `manage.py webhook_receiver` (SPEC §6): binds to localhost, answers
// every method with `Webhook received!\n`, and prints per request an access line, the headers in
// received order, the body (pretty JSON for `Content-Type: application/json`), then
// `Completed request #n` and a dashed line. Improvements over NetBox: other bodies are printed as
// text (NetBox prints nothing), invalid JSON prints a note and the text instead of a traceback,
// requests are served concurrently (Boost.Asio, a few threads) with every size and time bounded,
// and malformed input gets a 4xx answer instead of killing the server. One request's block of
// output is written at once, never interleaved with another's.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace herald::receiver {

// Named limits.
inline constexpr size_t kMaxHeaderBytes = 64 * 1024;        // request line + headers
inline constexpr size_t kMaxHeaders = 100;                  // as Python's http.client
inline constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;   // larger bodies get 413
inline constexpr size_t kMaxConnections = 1024;             // more are closed at once
inline constexpr std::chrono::seconds kRequestTimeout{30};  // to read one whole request
inline constexpr std::chrono::seconds kWriteTimeout{10};    // to write the answer
inline constexpr int kReceiverThreads = 4;

struct ReceiverOptions {
  std::string host = "localhost";
  uint16_t port = 9000;  // 0 picks a free port
  bool show_headers = true;
  int status = 200;  // status code of every answer
};

// One received request, as printed.
struct ReceivedRequest {
  std::string client_ip;
  std::string request_line;                                  // raw first line without CRLF
  std::vector<std::pair<std::string, std::string>> headers;  // in received order
  bool has_content_length = false;
  std::string body;
};

// The exact text printed for request number `n` (SPEC §6 plus the text-body improvements),
// ending with "------------\n". `date` is the RFC 1123 access-line date. Pure.
std::string FormatRequest(uint64_t n, std::string_view date, int status,
                          const ReceivedRequest& request, bool show_headers);

// RFC 1123 date in GMT, e.g. "Fri, 27 Nov 2026 08:33:53 GMT" (locale-independent).
std::string HttpDate(int64_t unix_seconds);

class Receiver {
 public:
  // `out` must outlive the Receiver; it is written only under the receiver's print lock.
  Receiver(ReceiverOptions options, std::ostream& out);
  ~Receiver();  // stops and joins
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // Binds and listens. Errors: "ListenError" with the reason (address in use, bad host...).
  Status Start();
  // The bound port (after a successful Start).
  uint16_t port() const;
  // Serves until Stop() (a few threads, the caller's included). Returns at once without Start.
  void Run();
  // Makes Run() return; connections are dropped. Thread-safe, idempotent, callable before Run.
  void Stop();
  // Requests printed so far. Once it reaches k, the text of the first k requests is in `out`.
  uint64_t completed() const;

  struct Impl;  // implementation detail (public only so connection code can name it)

 private:
  std::unique_ptr<Impl> impl_;
};

// CLI entry for `herald webhook_receiver`: starts a Receiver on stdout, prints
// "Listening on port http://localhost:{port}. Stop with CONTROL-C.", serves until SIGINT/SIGTERM,
// then prints a newline and "Exiting...". Returns the process exit code (1 if it cannot listen,
// with the reason on stderr).
int RunWebhookReceiver(const ReceiverOptions& options);

}  // namespace herald::receiver
