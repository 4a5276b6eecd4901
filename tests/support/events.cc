#include "events.h"

#include <utility>

namespace herald::testing {

Event ChangeEvent(const std::string& object_type, Value data, const std::string& action) {
  Event e;
  e.event = action;
  e.event_type = "object_" + action;
  e.object_type = object_type;
  e.model = object_type.substr(object_type.find('.') + 1);
  e.timestamp = kEventTimestamp;
  e.data = std::move(data);
  return e;
}

Task TaskFor(const Event& event, int64_t rule_id, int64_t webhook_id, std::string rule_name,
             std::string webhook_name) {
  Task t;
  t.rule_id = rule_id;
  t.webhook_id = webhook_id;
  t.rule_name = rule_name.empty() ? "rule" + std::to_string(rule_id) : std::move(rule_name);
  t.webhook_name =
      webhook_name.empty() ? "hook" + std::to_string(webhook_id) : std::move(webhook_name);
  t.object_type = event.object_type;
  t.event_type = event.event_type;
  return t;
}

}  // namespace herald::testing
