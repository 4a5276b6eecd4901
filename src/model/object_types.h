// NetBox object types and event types known to Herald.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// Maps a bare NetBox model name ("device") to its object type ("dcim.device"); nullopt if the
// name is not one of NetBox's models.
std::optional<std::string> ObjectTypeForModel(std::string_view model);
// True for "app_label.model" with lower-case identifier parts.
bool IsWellFormedObjectType(std::string_view object_type);
// Every object type of the built-in table, sorted.
const std::vector<std::string>& KnownObjectTypes();

// The event types an event rule may name (NetBox's registry).
const std::vector<std::string>& KnownEventTypes();
bool IsKnownEventType(std::string_view event_type);
// Normalises an ingested "event" value to the rule event type: created -> object_created,
// updated -> object_updated, deleted -> object_deleted, job_ended -> job_completed; registry
// names pass unchanged. nullopt when unknown.
std::optional<std::string> EventTypeForEvent(std::string_view event);
// The context's `event` value for an event type (SPEC 5.1): object_created -> created,
// job_completed/job_failed/job_errored -> job_ended, others unchanged.
std::string ContextEventName(std::string_view event_type);

}  // namespace herald
