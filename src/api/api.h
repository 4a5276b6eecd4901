// The REST API: NetBox-shaped endpoints for webhooks, event rules and background tasks, plus
// event ingest and status.
//
//   GET            /api/status/                      (no auth)
//   GET/POST       /api/extras/webhooks/             list (filters, limit/offset, brief) / create
//   GET/PUT/PATCH/DELETE /api/extras/webhooks/{id}/
//   GET/POST       /api/extras/event-rules/
//   GET/PUT/PATCH/DELETE /api/extras/event-rules/{id}/
//   POST           /api/events/                      ingest (one object, array, or NDJSON) -> 202
//   GET            /api/events/, /api/events/{id}/   recent events, one event with its tasks
//   GET            /api/core/background-queues/      counts per status
//   GET            /api/core/background-tasks/       ?status=queued|started|scheduled|finished|failed
//   GET            /api/core/background-tasks/{id}/
//   POST           /api/core/background-tasks/{id}/{requeue,enqueue,stop,delete}/
//
// Auth: "Authorization: Token <key>" or "Bearer <key>". Admin tokens do everything, read-only
// tokens only GET, ingest-only tokens only POST /api/events/. Failures: 403 {"detail": ...}.
// Handle() is thread-safe and never blocks on disk for ingest: the reply is sent from the
// store's commit callback once the events and tasks are durable.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/auth.h"
#include "http/http.h"
#include "rules/matcher.h"
#include "store/store.h"

namespace herald {

struct ApiOptions {
  std::string version = "0.1.0";
  int max_page_size = 1000;
  int default_page_size = 50;
};

class Api {
 public:
  Api(Store& store, ApiOptions options);

  // Serves one request; calls respond exactly once. Paths outside /api/ answer 404.
  void Handle(http::Request&& req, http::Responder respond);

  // Header-phase check, before the body is read: for paths that need a token, the 403 Handle()
  // would send when the Authorization header is missing or malformed or names an unknown or
  // revoked token; nullopt when the request may go on (*authenticated: a valid token came).
  std::optional<http::Response> CheckHead(const http::Request& head, bool* authenticated);

  // The current rule index, rebuilt when the configuration changed.
  std::shared_ptr<const RuleIndex> Rules();

  TokenCache& tokens() { return tokens_; }

 private:
  struct Ctx;
  void Route(Ctx& c);
  void Status(Ctx& c);
  void Webhooks(Ctx& c, const std::string& id);
  void EventRules(Ctx& c, const std::string& id);
  void Ingest(Ctx& c);
  void Events(Ctx& c, const std::string& id);
  void Queues(Ctx& c);
  void Tasks(Ctx& c, const std::string& id, const std::string& action);

  Store& store_;
  ApiOptions options_;
  TokenCache tokens_;
  std::mutex rules_mu_;
  std::shared_ptr<const RuleIndex> rules_;
};

// NetBox background-task representation of a task (SPEC 7.2) plus Herald's fields.
Value TaskToJson(const Task& t, const std::string& api_base);
// TaskToJson plus the render `context` and the `attempt_log` (every attempt with its rendered
// request). Used by GET background-tasks/{id}/ and `herald tasks show`.
Value TaskDetailJson(Store& store, const Task& t, const std::string& api_base);

}  // namespace herald
