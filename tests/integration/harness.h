// Test harness: runs the real herald binary in a temp dir and talks to it over loopback HTTP.
// The general helpers (TempDir, WaitFor, ReadFile, loopback sockets) are tests/support's.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "support/wait.h"
#include "value/value.h"

namespace herald::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `herald args...` to completion (bounded by timeout) and captures stdout/stderr.
RunResult RunHerald(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env = {},
                    std::chrono::seconds timeout = std::chrono::seconds(60));

// A running `herald serve` on 127.0.0.1:<free port>.
class Server {
 public:
  // Starts `herald serve --listen 127.0.0.1:0 --store sqlite://<dir>/herald.db extra...` (a
  // "--store URL" pair in `extra` replaces that store, e.g. a PostgreSQL database) with
  // `env` (and RLIMIT_NOFILE set to `max_open_files` when it is not 0) and waits (with a
  // deadline) for the listening line. Parses the admin token if printed.
  explicit Server(const std::string& dir, std::vector<std::string> extra = {},
                  std::map<std::string, std::string> env = {}, int max_open_files = 0);
  ~Server();

  bool started() const { return port_ != 0; }
  int port() const { return port_; }
  // The server's process id (-1 once it has been stopped or has exited and been reaped).
  pid_t pid() const { return pid_; }
  // Whether the process still runs (reaps it when it has exited).
  bool alive();
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& admin_token() const { return admin_token_; }
  const std::string& store_url() const { return store_url_; }
  // Everything the process wrote to stdout / stderr so far.
  std::string Stdout();
  std::string Stderr();
  // Sends SIGTERM and waits; returns the exit code.
  int Stop();
  // SIGKILL, no cleanup.
  void Kill();
  // Waits until stderr contains `needle` (deadline); true if seen.
  bool WaitForLog(const std::string& needle, std::chrono::milliseconds deadline);

 private:
  std::string dir_;
  std::string store_url_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string admin_token_;
  std::string err_path_;
  std::mutex mu_;
  std::string out_;
  std::thread reader_;
  int out_fd_ = -1;
};

// A running `herald worker --store <store_url>` (delivery workers only), with `env`; waits (with
// a deadline) for its startup line. Output goes to files in `dir`.
class Worker {
 public:
  Worker(const std::string& dir, const std::string& store_url,
         std::map<std::string, std::string> env = {});
  ~Worker();  // SIGKILL when still running
  bool started() const { return started_; }
  // Sends SIGTERM and waits (bounded); returns the exit code.
  int Stop();
  void Kill();
  std::string Stderr();

 private:
  pid_t pid_ = -1;
  bool started_ = false;
  std::string out_path_, err_path_;
};

// A running `herald webhook_receiver --port 0 extra...` (NetBox's manage.py webhook_receiver),
// its stdout in a file in `dir`; waits (with a deadline) for its "Listening on port" line.
class WebhookReceiverProcess {
 public:
  explicit WebhookReceiverProcess(const std::string& dir, std::vector<std::string> extra = {});
  ~WebhookReceiverProcess();  // SIGTERM, then reaped
  bool started() const { return port_ != 0; }
  // http://127.0.0.1:<port><path>
  std::string url(const std::string& path = "/") const;
  // Everything it printed so far.
  std::string Stdout();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string out_path_;
};

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;                           // transport error
  // Parsed body (None if not JSON), parsed once and kept, so references into it stay valid as
  // long as this result lives.
  const Value& json() const;

 private:
  mutable bool parsed_ = false;
  mutable Value json_;
};

// One HTTP request; a transport error (in .error, status 0) after `timeout`.
HttpResult Http(const std::string& method, const std::string& url, const std::string& body = "",
                const std::vector<std::string>& headers = {},
                std::chrono::seconds timeout = std::chrono::seconds(30));

// Convenience with "Authorization: Token <token>" and JSON content type.
HttpResult Api(const std::string& method, const std::string& url, const std::string& token,
               const std::string& body = "", const std::string& content_type = "application/json");

// Creates, through the API at `base` with `token`, a webhook from `webhook` (a JSON object's
// text) and an event rule named `rule_name` that sends object_created events of `object_type`
// to it (`rule_extra`: more fields, each with its leading comma). Returns the webhook's id; 0,
// with a test failure, when either is refused.
int64_t CreateWebhookAndRule(const std::string& base, const std::string& token,
                             const std::string& webhook, const std::string& rule_name = "rule",
                             const std::string& object_type = "dcim.site",
                             const std::string& rule_extra = "");

// A UI session over real HTTP: the cookie to send ("herald_session=...") and the CSRF token of
// its forms.
struct UiSession {
  std::string cookie, csrf;
};
// Signs in to the UI at `base` with `token` and reads a form's CSRF token; empty fields (and a
// test failure) when either step fails.
UiSession SignInToUi(const std::string& base, const std::string& token);
// Checks (with test failures) that the UI at `base` takes `ui`: its page loads signed in (200)
// with the session's CSRF token in its forms. For a session signed in on another node.
void ExpectSignedIn(const std::string& base, const UiSession& ui);

// The fixture of the tests of several Herald processes on one store, as the nodes of a cluster.
// A suite on another store sets store_args_ (e.g. {"--store", url}) in SetUp; left empty, the
// nodes share the SQLite store in dir_.
class NodesTest : public ::testing::Test {
 protected:
  // Starts a `herald serve` on the shared store, with a test failure when it does not start;
  // `delivery_workers` false sets HERALD_DELIVERY_WORKERS=false. The first node creates the
  // store, and its admin token is kept in token_.
  std::unique_ptr<Server> StartNode(bool delivery_workers = false);

  TempDir dir_;
  std::vector<std::string> store_args_;
  std::string token_;
};

}  // namespace herald::testing

#include "http/http.h"

namespace herald::testing {

// A real HTTP receiver on 127.0.0.1:<free port> (Herald's own server plumbing), recording every
// request. Its answer (status, body, delay) can be changed while it runs. Thread-safe.
class Receiver {
 public:
  struct Request {
    std::string method, path, body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string header(const std::string& name) const;
  };
  Receiver();
  ~Receiver();
  int port() const;
  std::string url(const std::string& path = "/") const;
  void Respond(int status, std::string body = "", int delay_ms = 0);
  // Answers `status` for the next `n` requests, then the normal answer.
  void FailNext(int n, int status);
  std::vector<Request> requests();
  size_t count() { return requests().size(); }
  void Stop();

 private:
  std::mutex mu_;
  std::vector<Request> requests_;
  int status_ = 200, delay_ms_ = 0, fail_next_ = 0, fail_status_ = 500;
  std::string body_;
  std::vector<std::thread> delayed_;  // answers sent late; joined before the server stops
  std::unique_ptr<http::Server> server_;
};

// `event` (one JSON event object's text) with an "id" no other call in this process gives, so
// Herald's idempotent ingest stores each post as a new event (tests that post one body many
// times to make many deliveries).
std::string FreshEvent(const std::string& event);

// A NetBox event: site "Site 1" (dcim.site #4) created by admin, the one most tests post.
inline constexpr const char* kSiteCreatedEvent =
    R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00",
  "object_type": "dcim.site", "username": "admin", "data": {"id": 4, "name": "Site 1"},
  "snapshots": {"prechange": null, "postchange": {"name": "Site 1"}}})";

// Lower-case hex HMAC-SHA512 (what X-Hook-Signature must carry).
std::string HmacSha512Hex(const std::string& key, const std::string& body);

}  // namespace herald::testing

namespace herald::testing {

// A minimal HTTP/1.1 receiver on raw sockets for crash and durability tests, where the receiver
// must be able to be "down" at a fixed URL and come up later, or take requests and never answer.
//   kDown:   the port is bound (reserved, so the URL stays valid) but not listening: connections
//            are refused;
//   kSilent: accepts and reads requests, records them, never answers (the connection stays
//            open until the client gives up);
//   kAnswer: answers 200 with an empty body after `delay_ms`.
// Records the X-Herald-Task and X-Gen header of every request. Keep-alive; one thread per
// connection. Thread-safe.
class RawReceiver {
 public:
  enum class Mode { kDown, kSilent, kAnswer };
  struct Hit {
    std::string task;  // X-Herald-Task
    std::string gen;   // X-Gen (tests put the sending process's generation there)
  };
  explicit RawReceiver(Mode mode = Mode::kAnswer, int delay_ms = 0);
  ~RawReceiver();
  int port() const { return port_; }
  std::string url(const std::string& path = "/") const;
  // Changes how later requests are treated; leaving kDown starts listening. Going back to kDown
  // is not supported (the port stays open).
  void SetMode(Mode mode);
  std::vector<Hit> hits();
  size_t count() { return hits().size(); }
  // Requests seen for one task id.
  size_t CountFor(const std::string& task);

 private:
  void AcceptLoop();
  void Serve(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  int delay_ms_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  Mode mode_;
  bool listening_ = false;
  std::vector<Hit> hits_;
  std::thread acceptor_;
  std::vector<std::thread> conns_;
};

}  // namespace herald::testing
