// The REST API: NetBox-shaped endpoints for webhooks, event rules and background tasks, plus
// event ingest and status.
//
//   GET            /api/, /api/extras/, /api/core/   (no auth) links to the sections/endpoints
//   GET            /api/status/                      (no auth)
//   GET/POST/PUT/PATCH/DELETE/OPTIONS /api/extras/webhooks/
//                  list (NetBox's filters and lookups, ordering, fields/omit/brief,
//                  limit/offset or start) / create one or a list / bulk update / bulk delete
//   GET/PUT/PATCH/DELETE/OPTIONS /api/extras/webhooks/{id}/  (a delete takes the webhook's
//                  event rules with it; ?dry_run=1 previews any delete)
//   the same for   /api/extras/event-rules/ and /api/extras/event-rules/{id}/
//   POST           /api/events/                      ingest (one object, array, or NDJSON) -> 202
//   POST           /api/events/explain/              the same input; what would happen, nothing
//                                                    stored or sent (api/explain.h) -> 200
//   GET            /api/events/, /api/events/{id}/   recent events, one event with its tasks
//   GET            /api/core/background-queues/, /api/core/background-queues/default/
//                                                    the one queue, with counts per status
//   GET            /api/core/background-tasks/       ?status=queued (default), started,
//                                                    scheduled, finished, failed or all
//   GET            /api/core/background-tasks/{id}/
//   POST           /api/core/background-tasks/{id}/{requeue,enqueue,stop,delete}/
//   GET            /api/core/background-workers/, /api/core/background-workers/{name}/
//                                                    every node's live delivery workers
//
// Auth: "Authorization: Token <key>" or "Bearer <key>". Admin tokens do everything, read-only
// tokens only GET and HEAD (and POST /api/events/explain/, which changes nothing; they see
// credentials redacted), ingest-only tokens only POST /api/events/. Failures: 403
// {"detail": ...}. Every answer is JSON (errors too) but a DELETE's 204, which has no body, and
// every answer carries an API-Version header (kNetBoxApiVersion), as NetBox's do.
// Absolute URLs in answers are built from ApiOptions::public_url, else from the listen address,
// never from the request's Host header.
// Handle() is thread-safe and never blocks an I/O thread on ingest work: parsing, validation,
// matching and conditions run on a bounded pool (ingest.threads; a queue full by ingest.queue
// or ingest.queue_bytes answers 503 with Retry-After), and the reply is sent from the store's
// commit callback once the events and tasks are durable.
//
// The code: api.cc routes (auth, pagination, roots, status; api/context.h is what the handler
// files share), crud.cc serves webhooks and event rules, ingest.cc /api/events/, tasks.cc the
// background tasks and queues, workers.cc the background workers.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/work_pool.h"
#include "auth/auth.h"
#include "common/clock.h"
#include "delivery/renderer.h"
#include "herald_version.h"
#include "http/http.h"
#include "ingest/event_input.h"
#include "matching/matcher.h"
#include "store/store.h"

namespace herald {

// Ingest defaults (config: ingest.threads, ingest.queue, ingest.condition_budget_ms).
inline constexpr int kDefaultIngestThreads = 2;
inline constexpr size_t kDefaultIngestQueue = 64;
// Most request-body bytes waiting in the ingest queue (config: ingest.queue_bytes). A request
// is always taken when the queue is empty, whatever its size (server.max_body_bytes bounds it).
inline constexpr size_t kDefaultIngestQueueBytes = 64 * 1024 * 1024;
inline constexpr int kDefaultConditionBudgetMs = 50;
// Retry-After (seconds) sent with 503 when the ingest queue is full.
inline constexpr int kIngestRetryAfterSeconds = 1;

// The API-Version header of every answer: the major.minor of the NetBox release whose API
// Herald follows (SPEC 0), as NetBox's answers carry its own. pynetbox's `.version` reads it.
inline constexpr char kNetBoxApiVersion[] = "4.6";

// Delivery settings behind a task's NetBox `timeout` and `result_ttl` (delivery.default_timeout
// and delivery.retention_days).
struct TaskDefaults {
  int default_timeout_seconds = 60;
  int retention_days = 7;
};

struct ApiOptions {
  std::string version = kHeraldVersion;  // herald_version.h, from CMake's project()
  int max_page_size = 1000;
  int default_page_size = 50;
  // Base of absolute URLs in answers, e.g. "https://herald.example.com" (a trailing '/' is
  // dropped). Empty: "http://<listen host>:<port>" as given to SetListenAddress.
  std::string public_url;
  // Threads that run ingest work, and how many ingest requests may wait for one.
  int ingest_threads = kDefaultIngestThreads;
  size_t ingest_queue = kDefaultIngestQueue;
  size_t ingest_queue_bytes = kDefaultIngestQueueBytes;
  // Time all the rules an event reaches may spend on conditions (0: unbounded).
  std::chrono::milliseconds condition_budget{kDefaultConditionBudgetMs};
  // ingest.dedupe_window: an event whose dedupe key was accepted this recently is answered with
  // its first ids and not stored again; 0 disables deduplication.
  std::chrono::seconds dedupe_window{86400};
  // The clock of the token cache and of which workers' heartbeats are recent (tests move it);
  // null means SystemClock(). Must outlive the Api.
  const Clock* clock = nullptr;
  // delivery.default_timeout and delivery.retention_days, shown in background tasks (and the
  // timeout in explain's requests).
  TaskDefaults task_defaults;
  // The template limits delivery renders with ([templates]): explain renders requests with them.
  jinja::Options template_options;
};

class Api {
 public:
  // Starts the ingest pool. The store must outlive the Api (or Stop() must run first).
  Api(Store& store, ApiOptions options);
  // Stop().
  ~Api();

  // Serves one request; calls respond exactly once, possibly later and from another thread.
  // Paths outside /api/ answer 404.
  void Handle(http::Request&& req, http::Responder respond);

  // The address the server actually listens on (after it bound port 0, say): the base of
  // absolute URLs when public_url is empty. Thread-safe.
  void SetListenAddress(const std::string& host, uint16_t port);
  // The base of absolute URLs ("http://127.0.0.1:8080", no trailing '/').
  std::string BaseUrl() const;

  // Stops taking ingest requests (they answer 503), finishes those already queued and joins
  // the pool. Call after the HTTP server stopped and before the store closes. Idempotent.
  void Stop();
  // Header-phase check, before the body is read: for paths that need a token, the 403 Handle()
  // would send when the Authorization header is missing or malformed or names an unknown or
  // revoked token; nullopt when the request may go on (*authenticated: a valid token came).
  std::optional<http::Response> CheckHead(const http::Request& head, bool* authenticated);

  // The current rule index, rebuilt when the configuration changed.
  std::shared_ptr<const RuleIndex> Rules();

  // The tokens requests are checked against (cached for kTokenCacheTtl); the UI's sign-in uses
  // the same cache.
  TokenCache& tokens() { return tokens_; }
  // The ingest pool (for status and tests).
  WorkPool& ingest_pool() { return *ingest_pool_; }

 private:
  struct Ctx;  // api/context.h
  // api.cc
  void Route(Ctx& c);
  void Root(Ctx& c);
  void SectionRoot(Ctx& c, const std::string& section);
  void Status(Ctx& c);
  // crud.cc: both run Crud with their type's kind (the per-type parts).
  void Webhooks(Ctx& c, const std::string& id);
  void EventRules(Ctx& c, const std::string& id);
  template <class Kind>
  void Crud(Ctx& c, const std::string& id, Kind& kind);
  // ingest.cc: Ingest queues the body on the pool; IngestNow, on a pool thread, parses,
  // validates, matches and commits.
  void Ingest(Ctx& c);
  // POST /api/events/explain/: the same input, on the same pool, answered by ExplainEvents
  // (api/explain.h); nothing is stored.
  void Explain(Ctx& c);
  // How the body is framed, from its Content-Type: *ndjson for NDJSON, else JSON. False after
  // answering 415 for types that can never be JSON.
  static bool ReadFraming(Ctx& c, bool* ndjson);
  // Queues work(body) on the ingest pool within ingest.queue and ingest.queue_bytes (c's body
  // moves into the job), or answers 503 with Retry-After. The work answers the request.
  void RunOnPool(Ctx& c, std::function<void(const std::string& body)> work);
  // The 400 answer for a body that is not JSON/NDJSON events or holds invalid ones (their
  // indexes and errors); nullopt when every event is valid.
  static std::optional<http::Response> RejectEvents(const Result<ParsedEvents>& parsed);
  // `request_key` is the Idempotency-Key header ("" when absent).
  void IngestNow(const std::string& body, bool ndjson, const std::string& request_key,
                 const http::Responder& respond);
  void Events(Ctx& c, const std::string& id);
  // tasks.cc
  void Queues(Ctx& c);
  void Tasks(Ctx& c, const std::string& id, const std::string& action);
  // workers.cc: the list, or the worker `name`; LiveWorkers, every node's workers whose
  // heartbeats are recent, by name.
  void Workers(Ctx& c, const std::string& name);
  Result<std::vector<WorkerInfo>> LiveWorkers();

  Store& store_;
  ApiOptions options_;
  mutable std::mutex base_mu_;
  std::string base_url_;
  TokenCache tokens_;
  std::atomic<size_t> ingest_queued_bytes_{0};  // bodies of requests waiting for the pool
  std::atomic<long long> ingest_refused_{0};    // 503s not yet logged
  std::atomic<int64_t> ingest_refused_logged_at_{0};
  std::unique_ptr<WorkPool> ingest_pool_;
  delivery::Renderer renderer_;  // explain's requests, rendered as delivery renders them
  std::mutex rules_mu_;
  std::shared_ptr<const RuleIndex> rules_;
};

// NetBox background-task representation of a task (SPEC 7.2) plus Herald's fields. `kwargs`
// holds send_webhook's keyword arguments as NetBox shows them (each value Python str()-ed):
// event_rule, object_type, event_type from the task; data, snapshots, timestamp, username and
// request (the latter only when the event has one) from `event`, null when it is not given.
// `timeout` is the webhook's own timeout (`webhook`, when given), else the default;
// `result_ttl` the seconds a finished task is kept. Without `defaults` both are null.
Value TaskToJson(const Task& t, const std::string& api_base, const Event* event = nullptr,
                 const Webhook* webhook = nullptr, const TaskDefaults* defaults = nullptr);
// TaskToJson with the task's event and webhook read from the store (a deleted webhook: the
// default timeout).
Value TaskJson(Store& store, const Task& t, const std::string& api_base,
               const TaskDefaults& defaults);
// TaskJson plus the render `context` and the `attempt_log` (every attempt with its rendered
// request). Used by GET background-tasks/{id}/ and `herald tasks show`. Unless
// `show_credentials` (admins, the local CLI), sensitive request header values (credentials,
// X-Hook-Signature) are replaced by "********" (model/redact.h).
Value TaskDetailJson(Store& store, const Task& t, const std::string& api_base,
                     bool show_credentials, const TaskDefaults& defaults = {});

}  // namespace herald
