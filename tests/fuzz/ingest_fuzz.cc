// libFuzzer target: the ingest JSON path (src/ingest/event_input.*) and rule matching.
//
// Input: byte 0 selects JSON (even) or NDJSON (odd); the rest is a POST /api/events/ body.
// Checks: nothing crashes, leaks or hangs; a request is either malformed, or rejected with
// errors, or yields events; every event's canonical form (less "model") parses back to the same
// canonical form; matching against a fixed rule index (object and event types, conditions with
// regexes, action_data, an int beyond 64 bits) yields tasks only for enabled rules with a webhook,
// and the webhook context builds; a JSON body that parses (ints of any size, NaN, Infinity
// included) dumps to text that parses back to the same dump.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "common/log.h"
#include "ingest/event_input.h"
#include "matching/matcher.h"
#include "value/json.h"

using namespace herald;

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "ingest_fuzz: invariant violated: %s\n", what);
    abort();
  }
}

Value J(std::string_view text) {
  auto v = ParseJson(text);
  Check(v.ok(), "fixture JSON");
  return *v;
}

std::shared_ptr<const RuleIndex> BuildIndex() {
  Webhook hook;
  hook.id = 1;
  hook.name = "hook";
  hook.payload_url = "http://127.0.0.1:9/";
  std::vector<EventRule> rules;
  auto rule = [&](int64_t id, std::string name, std::vector<std::string> types,
                  std::vector<std::string> events, std::string_view conditions,
                  std::string_view action_data, bool enabled = true) {
    EventRule r;
    r.id = id;
    r.name = std::move(name);
    r.object_types = std::move(types);
    r.event_types = std::move(events);
    r.enabled = enabled;
    r.conditions = conditions.empty() ? Value() : J(conditions);
    r.action_object_id = 1;
    r.action_data = action_data.empty() ? Value() : J(action_data);
    rules.push_back(std::move(r));
  };
  const std::vector<std::string> all = {"object_created", "object_updated", "object_deleted",
                                        "job_started",    "job_completed",  "job_failed",
                                        "job_errored"};
  rule(1, "a-all-devices", {"dcim.device"}, all, "", "");
  rule(2, "b-active", {"dcim.device", "dcim.site"}, {"object_created", "object_updated"},
       R"({"attr": "status.value", "value": "active"})", R"({"extra": 1})");
  rule(3, "c-regex", {"dcim.device", "ipam.prefix"}, all,
       R"({"or": [{"attr": "name", "value": "^(web|db)[0-9]+$", "op": "regex"},
                  {"and": [{"attr": "tags", "value": "x", "op": "contains"},
                           {"attr": "id", "value": 5, "op": "gt", "negate": true}]}]})",
       R"({"name": "from action_data"})");
  rule(4, "d-disabled", {"dcim.device"}, all, "", "", false);
  rule(5, "e-snapshot", {"dcim.interface"}, {"object_updated"},
       R"({"attr": "snapshots.prechange.enabled", "value": true})", "");
  rule(6, "f-in", {"dcim.site"}, all,
       R"({"attr": "status.value", "value": ["a", "b"], "op": "in"})", "");
  rule(7, "g-big", {"dcim.site", "dcim.device"}, all,
       R"({"attr": "serial", "value": 123456789012345678901234567890, "op": "gte"})", "");
  return RuleIndex::Build(rules, {hook}, 1);
}

std::shared_ptr<const RuleIndex> g_index;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  log::SetLevel(log::Level::kError);
  g_index = BuildIndex();
  Check(g_index->rule_count() == 6, "fixture rules (the disabled one is left out)");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 256 * 1024) return 0;
  const bool ndjson = data[0] & 1;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const int64_t now = 1764547200000000;  // fixed, so runs are reproducible
  if (!ndjson) {
    // json.dumps of what json.loads read parses back to the same value.
    auto v = ParseJson(body);
    if (v.ok()) {
      std::string once = DumpJson(*v);
      auto back = ParseJson(once);
      Check(back.ok(), "json.dumps output does not parse back");
      Check(DumpJson(*back) == once, "the JSON round trip is not stable");
    }
  }
  auto parsed_body = ParseEvents(body, ndjson, now);
  if (!parsed_body.ok()) {
    Check(!parsed_body.status().message().empty(), "a malformed body without a reason");
    return 0;
  }
  const ParsedEvents& parsed = *parsed_body;
  if (!parsed.errors.empty()) {
    for (const EventError& e : parsed.errors)
      Check(!e.status.ok() && !e.status.message().empty(), "an invalid event without a reason");
    return 0;
  }
  for (const Event& e : parsed.events) {
    // The canonical form is a fixed point.
    // ("model" is left out when parsing it back: it is derived from object_type, and a model
    // name outside NetBox's table is refused on input even when object_type names it.)
    Value canonical = EventToValue(e);
    std::string text = DumpJson(canonical);
    Dict without_model;
    for (const auto& [k, v] : canonical.as_dict())
      if (!(k.is_str() && k.as_str() == "model")) without_model.set_item(k, v);
    auto again = EventFromValue(Value(std::move(without_model)), now);
    Check(again.ok(), "the canonical form of an accepted event is refused");
    Check(DumpJson(EventToValue(*again)) == text, "the canonical form is not stable");
    // Matching and the delivery context.
    std::vector<Task> tasks;
    g_index->Match(e, &tasks);
    Check(tasks.size() <= 6, "more tasks than enabled rules");
    for (const Task& t : tasks) {
      Check(t.rule_name != "d-disabled", "a disabled rule matched");
      (void)t;
    }
    Value ctx = BuildContext(e, Value());
    Check(ctx.is_dict(), "the webhook context is not an object");
  }
  return 0;
}
