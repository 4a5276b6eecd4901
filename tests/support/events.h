// Change events and tasks as the store receives them, for tests and benchmarks that commit
// events without going through ingest.
#pragma once

#include <cstdint>
#include <string>

#include "model/model.h"
#include "value/value.h"

namespace herald::testing {

// The timestamp ChangeEvent gives every event.
inline constexpr const char* kEventTimestamp = "2024-01-02T03:04:05+00:00";

// A NetBox change event: `action` ("created", "updated" or "deleted"; event_type
// "object_<action>") of `object_type` (the model is the part after the dot), with `data` and
// kEventTimestamp. Other fields keep their defaults.
Event ChangeEvent(const std::string& object_type, Value data,
                  const std::string& action = "created");

// A task of `event` from rule `rule_id` to webhook `webhook_id`, named `rule_name` and
// `webhook_name` ("rule<id>" and "hook<id>" when empty).
Task TaskFor(const Event& event, int64_t rule_id, int64_t webhook_id, std::string rule_name = "",
             std::string webhook_name = "");

}  // namespace herald::testing
