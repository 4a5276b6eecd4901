// Ingest: the body of POST /api/events/ -> validated, normalised Events; and the webhook context.
//
// An event has NetBox's default-body shape (event, timestamp, object_type and/or model, username,
// request_id, data, snapshots; NetBox's request and context keys are kept when present), so a
// NetBox webhook with an empty body template pointed at Herald is a valid producer. Pure
// functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/model.h"

namespace herald {

// Most per-event errors ParseEvents reports for one body (the rest are only counted).
inline constexpr size_t kMaxReportedEventErrors = 100;
// Longest value from the request quoted in an error message (longer ones are cut).
inline constexpr size_t kMaxEchoedValueBytes = 100;

// Why the event at `index` (0-based, in body order) is invalid: EventFromValue's failure.
struct EventError {
  size_t index = 0;
  Status status;
};

// Longest per-event "id" (and Idempotency-Key header) accepted, in bytes.
inline constexpr size_t kMaxDedupeKeyBytes = 200;

// A well-formed body, event by event: the valid events and the invalid ones.
struct ParsedEvents {
  std::vector<Event> events;
  // Per valid event, its dedupe key: "id:" + the event's "id" string when it has one, else, when
  // it has a "timestamp", "sha256:" + the SHA-256 hex of its canonical JSON (the object as
  // posted, keys sorted, compact, ASCII); else "" (no key: an event stamped on receipt).
  std::vector<std::string> keys;
  std::vector<EventError> errors;  // non-empty => reject the whole request (the first
                                   // kMaxReportedEventErrors of them)
  size_t error_count = 0;          // all invalid events, reported or not
};

// Parses one JSON event object, a JSON array of them, or NDJSON (ndjson = true: one JSON
// object per non-empty line). `now_us` supplies the default timestamp and received_at.
// kInvalidArgument when the body itself is not valid JSON/NDJSON or holds no event; invalid
// events are reported one by one in ParsedEvents::errors. Without `content_keys` (the caller
// keys the events otherwise, or not at all), an event without an "id" gets the key "" instead
// of its "sha256:" key; an invalid "id" is still an error.
Result<ParsedEvents> ParseEvents(std::string_view body, bool ndjson, int64_t now_us,
                                 bool content_keys = true);

// The dedupe key of one decoded event object (see ParsedEvents::keys; without `content_keys`,
// "" instead of a "sha256:" key); kInvalidArgument when its "id" is present but not a non-empty
// string of at most kMaxDedupeKeyBytes.
Result<std::string> EventDedupeKey(const Value& v, bool content_keys = true);

// Validates and normalises one decoded event object. kInvalidArgument with the reason on
// failure.
Result<Event> EventFromValue(const Value& v, int64_t now_us);

// Canonical JSON form of an event as stored and as shown by the API (the ingest shape).
Value EventToValue(const Event& e);

// The webhook context (SPEC 5.1), in this key order: event, timestamp, object_type, model,
// username, request_id, data (action_data keys first, the object's values win), request (when
// present), snapshots (when truthy), context (when non-empty).
Value BuildContext(const Event& e, const Value& action_data);

}  // namespace herald
