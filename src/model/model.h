// Herald's domain records: webhooks, event rules, events, tasks, attempts and API tokens.
//
// These are plain structs, the unit of exchange between the API, the matcher, the store and the
// delivery engine. Validation of user input and the NetBox-shaped JSON forms live in
// validation/forms.h; the store persists these records as they are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "value/value.h"

namespace herald {

// Microseconds since the Unix epoch (UTC). All stored times use this unit.
using TimeUs = int64_t;

struct Webhook {
  int64_t id = 0;
  std::string name;
  std::string description;
  std::string payload_url;
  std::string http_method = "POST";
  std::string http_content_type = "application/json";
  std::string additional_headers;
  std::string body_template;
  std::string secret;  // write-only through the API
  bool ssl_verification = true;
  std::optional<std::string> ca_file_path;
  std::optional<int> timeout;  // seconds, 1..3600; null => configured default
  // Retry policy; unset fields fall back to the configured defaults.
  std::optional<int> max_attempts;          // total attempts including the first
  std::optional<std::string> retry_policy;  // "fixed" | "exponential"
  std::optional<int> retry_interval;        // seconds (fixed) or base (exponential)
  // Which signatures deliveries carry: "netbox" | "standard" | "both" (model/signing.h).
  std::string signature_scheme = "netbox";
  // Secret rotation: a previous secret that still signs (webhook-signature only) until
  // previous_secret_expires. Write-only through the API, like `secret`.
  std::string previous_secret;
  std::optional<TimeUs> previous_secret_expires;
  TimeUs created = 0;
  TimeUs last_updated = 0;
};

struct EventRule {
  int64_t id = 0;
  std::string name;
  std::string description;
  std::vector<std::string> object_types;  // "app.model"
  std::vector<std::string> event_types;   // "object_created", ...
  bool enabled = true;
  Value conditions;  // JSON as stored (None when absent)
  std::string action_type = "webhook";
  std::string action_object_type = "extras.webhook";
  std::optional<int64_t> action_object_id;
  Value action_data;  // object or None
  std::string comments;
  TimeUs created = 0;
  TimeUs last_updated = 0;
};

// A change event as accepted by POST /api/events/ (normalised).
struct Event {
  int64_t id = 0;
  std::string event;        // as sent: "created", "object_created", "job_started", ...
  std::string event_type;   // normalised rule event type: "object_created", ...
  std::string object_type;  // "dcim.device"
  std::string model;        // "device"
  std::string timestamp;    // ISO 8601 with microseconds and offset
  Value username;           // str or None
  Value request_id;         // str or None
  Value data;               // object (or None for job events without data)
  Value snapshots;          // {"prechange":..., "postchange":...} or None
  Value request;            // NetBox's request summary when the producer sent one, else None
  Value context;            // NetBox plugin callback context when sent, else None
  TimeUs received_at = 0;
};

enum class TaskStatus { kQueued, kStarted, kScheduled, kFinished, kFailed };

// "queued", "started", "scheduled", "finished", "failed".
const char* TaskStatusName(TaskStatus s);
// Parses a status name; nullopt when unknown.
std::optional<TaskStatus> ParseTaskStatus(std::string_view name);

// One delivery of one event by one rule's webhook.
struct Task {
  std::string id;  // UUID string (sent as X-Herald-Task)
  int64_t event_id = 0;
  int64_t rule_id = 0;
  int64_t webhook_id = 0;
  std::string rule_name;
  std::string webhook_name;
  std::string object_type;
  std::string event_type;
  Value action_data;  // the rule's action_data when the task was created (merged at render)
  TaskStatus status = TaskStatus::kQueued;
  int attempts = 0;
  TimeUs created_at = 0;
  TimeUs enqueued_at = 0;
  TimeUs due_at = 0;  // when it may run (retries and scheduled tasks)
  TimeUs started_at = 0;
  TimeUs ended_at = 0;
  std::string worker;        // lease holder while started
  TimeUs lease_expires = 0;  // a started task whose lease expired is delivered again
  std::string result;        // success message
  std::string error;         // last error message
};

// The record of one HTTP attempt.
struct Attempt {
  std::string task_id;
  int number = 0;  // 1-based
  TimeUs started_at = 0;
  int64_t duration_us = 0;
  int status_code = 0;  // 0 when no response
  std::string response_excerpt;
  std::string error;
  // The rendered request.
  std::string method;
  std::string url;
  std::string request_headers;  // JSON object text
  std::string request_body;     // kRequestBodyNotRecorded when the body was not kept
};

// The request_body of an attempt whose body was not kept (a successful attempt under
// delivery.record_bodies = "failed"). It opens with a control byte no rendered JSON or form body
// starts with, so readers tell "not recorded" from a real empty body without a schema change.
inline constexpr std::string_view kRequestBodyNotRecorded = "\x01herald: request body not recorded";
// What readers show instead of a body that was not recorded.
inline constexpr std::string_view kRequestBodyNotRecordedNote =
    "not recorded (delivery.record_bodies = failed)";
inline bool RequestBodyRecorded(const Attempt& a) {
  return a.request_body != kRequestBodyNotRecorded;
}

enum class TokenScope { kAdmin, kReadOnly, kIngestOnly };
const char* TokenScopeName(TokenScope s);  // "admin", "read-only", "ingest-only"
// The scope named by TokenScopeName; nullopt for anything else (never a default scope).
std::optional<TokenScope> ParseTokenScope(std::string_view name);

struct ApiToken {
  int64_t id = 0;
  std::string name;
  std::string key_prefix;  // first characters of the key, for display
  std::string key_hash;    // hex SHA-256 of the key; the key itself is never stored
  TokenScope scope = TokenScope::kAdmin;
  TimeUs created = 0;
  TimeUs last_used = 0;
  bool revoked = false;
};

}  // namespace herald
