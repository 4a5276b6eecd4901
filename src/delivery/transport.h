// HTTP delivery transport: many concurrent webhook requests on a few libcurl multi handles.
//
// One thread drives a few curl multi handles ("shards") with curl_multi_socket_action on one
// epoll set; an eventfd wakes it when another thread submits work. Requests wait in
// per-destination (scheme://host:port) queues and are started round-robin across destinations
// while both caps allow it — overall in-flight and per-destination in-flight — so a slow or dead
// host only ever occupies its own slots. Each destination has its own order of shards and fills
// them in turn (up to its share of the per-host cap in each), so the per-transfer costs of libcurl
// that grow with a multi handle's size stay bounded by a shard's. Finished transfers hand their
// easy handle back to a small pool; libcurl keeps the connections alive for reuse. Redirects are
// followed by the transport itself with Python requests semantics (SPEC §5.2 step 9), and the wire
// format follows SPEC §5.6 (HTTP/1.1, no Accept, no Expect, explicit Content-Length, headers in the
// caller's order). Environment proxy variables are never used.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "delivery/net_guard.h"

namespace herald::delivery {

struct HttpRequest {
  std::string method;  // GET POST PUT PATCH DELETE (HEAD and others are passed through)
  std::string url;     // already normalised (NormalizeUrl)
  // In wire order: Content-Type first, then additional headers, then X-Hook-Signature. Values are
  // wire bytes (FormRequestHeaders encodes them). An empty value is sent as "Name:" with nothing.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{60000};  // bounds connect and the whole job (all hops)
  bool verify_tls = true;
  std::string ca_file;  // non-empty replaces the default CA store (file or directory)
  std::string proxy;    // "" = no proxy; proxy environment variables are never read
  uint64_t tag = 0;     // caller's id, echoed back
};

struct HttpResponse {
  uint64_t tag = 0;
  int status = 0;            // final status; 0 if no response (then `error` is set)
  std::string body_excerpt;  // first max_response_excerpt bytes of the final response body
  std::string error;         // transport error (refused, timeout, TLS, DNS, redirects, a
                             // destination the guard refused); "" if ok
  std::string retry_after;   // raw Retry-After header of the final response, if any
  std::string final_url;     // URL of the last hop
  int64_t duration_us = 0;   // from the first hop's start to the end of the last
  int redirects = 0;         // hops followed
};

// Named limits of the transport; every one can be overridden.
struct TransportOptions {
  size_t max_in_flight = 10000;           // transfers running at once, all destinations
  size_t max_in_flight_per_host = 256;    // transfers running at once per scheme://host:port
  size_t max_response_excerpt = 4096;     // bytes of the final body kept; the rest is discarded
  int max_redirects = 30;                 // like requests' Session.max_redirects
  std::string user_agent = "herald/0.1";  // default User-Agent (a request header replaces it)
  size_t max_pooled_handles = 1024;       // idle easy handles kept for reuse
  size_t multi_handles = 4;               // curl multi handles (shards) on the one thread
  size_t receive_buffer = 1024;           // libcurl's receive buffer per transfer (1 KiB-512 KiB)
  // Where connections may go (SSRF guard); null allows every address. Checked on the resolved
  // address of every connection libcurl opens (each redirect hop included). With a proxy the
  // socket goes to the proxy (operator configuration, not checked), so the target host is first
  // resolved and checked on a resolver thread (never on the transfer loop), then handed over.
  std::shared_ptr<const NetGuard> guard;
  size_t resolver_threads = 2;  // threads for the proxied-target checks (started lazily)
};

// The destination a request's URL counts against for max_in_flight_per_host:
// "scheme://host:port" (host lower-cased, default port filled in); "" when the URL cannot be
// parsed.
std::string DestinationKey(const std::string& url);

// The wire error text for a stopped transport.
inline constexpr const char* kTransportStopped = "transport stopped";

// What the dispatcher needs from a transport: hand a request over, get its response once, stop.
// Transport (below) is the libcurl implementation; tests substitute an in-memory fake.
class RequestSender {
 public:
  virtual ~RequestSender() = default;
  // Queues `request`; never blocks on the network. `done` is called exactly once, on any thread
  // (inline with error kTransportStopped once stopped). Thread-safe.
  virtual void Submit(HttpRequest request, std::function<void(HttpResponse)> done) = 0;
  // Every request not yet completed gets error kTransportStopped, and so does every later one.
  // Idempotent, thread-safe.
  virtual void Stop() = 0;
};

class Transport final : public RequestSender {
 public:
  // Starts the transport thread. Failing to create the curl multi handle is a broken invariant
  // (out of memory) and aborts.
  explicit Transport(TransportOptions options);
  // Stops and joins; pending and running requests get error "transport stopped".
  ~Transport() override;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Queues a request; never blocks on the network. Thread-safe. Requests beyond the caps wait in
  // their destination's queue and start as slots free. `done` is called exactly once, on the
  // transport thread (keep it short and do not call Stop() from it expecting a join) — or inline
  // on the caller's thread with error "transport stopped" if the transport is already stopped.
  void Submit(HttpRequest request, std::function<void(HttpResponse)> done) override;

  // Transfers currently running / waiting for a slot (approximate while work is moving).
  size_t in_flight() const;
  size_t queued() const;

  // Stops the thread: every request not yet completed gets error "transport stopped". Idempotent,
  // thread-safe; when called from a `done` callback it does not wait for the thread.
  void Stop() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::delivery
