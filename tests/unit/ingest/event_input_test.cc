// Ingest (ingest/event_input.h): NetBox-shaped events -> normalised Events (event names, object
// type and model, timestamp, optional fields), the body forms (one object, an array, NDJSON),
// malformed, empty and large bodies, the per-event error list and its bounds, the stored form of
// an event and the webhook context built from it (SPEC 5.1).
#include "ingest/event_input.h"

#include <gtest/gtest.h>

#include <string>

#include "support/cases.h"
#include "support/json.h"
#include "value/json.h"

namespace herald {
namespace {

using herald::testing::StringPair;

constexpr int64_t kNow = 1'772'809'883'503'186;  // 2026-03-06T15:11:23.503186Z
const char* kNowIso = "2026-03-06T15:11:23.503186+00:00";

using herald::testing::J;

Result<Event> From(std::string_view json) { return EventFromValue(J(json), kNow); }

// The reason From(json) fails, or "accepted".
std::string Reason(std::string_view json) {
  auto e = From(json);
  return e.ok() ? "accepted" : e.status().message();
}

// Why ParseEvents refused the whole body; "" when the body is well-formed.
std::string Malformed(const Result<ParsedEvents>& p) { return p.ok() ? "" : p.status().message(); }

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// An event with NetBox's default webhook body shape (SPEC 5.1).
const char* kNetBoxBody = R"({
  "event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00",
  "object_type": "dcim.site", "username": "admin",
  "request_id": "4e4c0a52-6a5e-4a0c-8d0b-5b4f2b3d1e2f",
  "data": {"id": 4, "name": "Site 1", "status": {"value": "active", "label": "Active"}},
  "snapshots": {"prechange": null, "postchange": {"name": "Site 1", "status": "active"}}})";

TEST(EventFromValue, NetBoxDefaultBody) {
  auto e = From(kNetBoxBody);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->event, "created");
  EXPECT_EQ(e->event_type, "object_created");
  EXPECT_EQ(e->object_type, "dcim.site");
  EXPECT_EQ(e->model, "site");
  EXPECT_EQ(e->timestamp, "2026-03-06T15:11:23.503186+00:00");
  EXPECT_EQ(e->username.as_str(), "admin");
  EXPECT_EQ(e->request_id.as_str(), "4e4c0a52-6a5e-4a0c-8d0b-5b4f2b3d1e2f");
  EXPECT_EQ(e->data.get("name")->as_str(), "Site 1");
  EXPECT_EQ(DumpJson(e->snapshots),
            R"({"prechange": null, "postchange": {"name": "Site 1", "status": "active"}})");
  EXPECT_TRUE(e->request.is_none());
  EXPECT_TRUE(e->context.is_none());
  EXPECT_EQ(e->received_at, kNow);
  EXPECT_EQ(e->id, 0);
}

TEST(EventFromValue, EventNamesNormalise) {
  for (auto [event, type] :
       {StringPair{"created", "object_created"}, StringPair{"updated", "object_updated"},
        StringPair{"deleted", "object_deleted"}, StringPair{"object_created", "object_created"},
        StringPair{"object_updated", "object_updated"},
        StringPair{"object_deleted", "object_deleted"}, StringPair{"job_started", "job_started"},
        StringPair{"job_ended", "job_completed"}, StringPair{"job_completed", "job_completed"},
        StringPair{"job_failed", "job_failed"}, StringPair{"job_errored", "job_errored"}}) {
    auto e =
        From(std::string(R"({"object_type": "dcim.site", "data": {}, "event": ")") + event + "\"}");
    ASSERT_TRUE(e.ok()) << event << ": " << e.status().message();
    EXPECT_EQ(e->event, event);
    EXPECT_EQ(e->event_type, type) << event;
  }
  for (const char* bad : {"create", "Created", "CREATED", "exploded", "", "job_ended "}) {
    std::string r =
        Reason(std::string(R"({"object_type": "dcim.site", "data": {}, "event": ")") + bad + "\"}");
    EXPECT_TRUE(Contains(r, std::string("unknown event '") + bad + "'")) << r;
    EXPECT_TRUE(Contains(r, "expected created, updated, deleted")) << r;
  }
  EXPECT_EQ(Reason(R"({"object_type": "dcim.site", "data": {}})"), "'event' is required");
  EXPECT_EQ(Reason(R"({"object_type": "dcim.site", "data": {}, "event": 1})"),
            "'event' must be a string, not number");
  EXPECT_EQ(Reason(R"({"object_type": "dcim.site", "data": {}, "event": null})"),
            "'event' must be a string, not null");
}

TEST(EventFromValue, ObjectTypeAndModel) {
  struct Case {
    const char* fields;
    const char* object_type;
    const char* model;
  };
  for (const Case& c : {
           Case{R"("object_type": "dcim.device")", "dcim.device", "device"},
           Case{R"("model": "device")", "dcim.device", "device"},
           Case{R"("model": "ipaddress")", "ipam.ipaddress", "ipaddress"},
           Case{R"("model": "virtualmachine")", "virtualization.virtualmachine", "virtualmachine"},
           Case{R"("model": "dcim.device")", "dcim.device", "device"},
           Case{R"("object_type": "dcim.device", "model": "device")", "dcim.device", "device"},
           Case{R"("object_type": "dcim.device", "model": null)", "dcim.device", "device"},
           Case{R"("object_type": null, "model": "site")", "dcim.site", "site"},
           // Types outside NetBox's table (plugins) by object_type.
           Case{R"("object_type": "netbox_bgp.bgpsession")", "netbox_bgp.bgpsession", "bgpsession"},
       }) {
    auto e = From(std::string(R"({"event": "updated", "data": {}, )") + c.fields + "}");
    ASSERT_TRUE(e.ok()) << c.fields << ": " << e.status().message();
    EXPECT_EQ(e->object_type, c.object_type) << c.fields;
    EXPECT_EQ(e->model, c.model) << c.fields;
  }
  struct Bad {
    const char* fields;
    const char* reason;  // substring
  };
  for (const Bad& b : {
           Bad{"", "'object_type' (or 'model') is required"},
           Bad{R"("object_type": null)", "'object_type' (or 'model') is required"},
           Bad{R"("object_type": 5)", "'object_type' must be a string"},
           Bad{R"("object_type": "device")", "'object_type' must look like \"app_label.model\""},
           Bad{R"("object_type": "DCIM.Device")", "got 'DCIM.Device'"},
           Bad{R"("object_type": "dcim.device.x")", "got 'dcim.device.x'"},
           Bad{R"("object_type": "")", "got ''"},
           Bad{R"("model": ["device"])", "'model' must be a string"},
           Bad{R"("model": "nosuchmodel")",
               "unknown model 'nosuchmodel': not a NetBox model name; send 'object_type'"},
           Bad{R"("model": "Device")", "unknown model 'Device'"},
           Bad{R"("model": "dcim..device")", "'model' 'dcim..device' is not a valid model name"},
           Bad{R"("object_type": "dcim.site", "model": "device")",
               "'model' 'device' does not match 'object_type' 'dcim.site'"},
           Bad{R"("object_type": "dcim.site", "model": "dcim.device")",
               "'model' 'dcim.device' does not match 'object_type' 'dcim.site'"},
       }) {
    std::string body = std::string(R"({"event": "updated", "data": {})") + (*b.fields ? ", " : "") +
                       b.fields + "}";
    std::string r = Reason(body);
    EXPECT_TRUE(Contains(r, b.reason)) << body << " -> " << r;
  }
}

TEST(EventFromValue, Timestamps) {
  auto ts = [](const char* value) {
    return std::string(R"({"event": "created", "object_type": "dcim.site", "data": {}, )") +
           R"("timestamp": )" + value + "}";
  };
  // Absent or null: the time of receipt, in NetBox's format.
  auto absent = From(R"({"event": "created", "object_type": "dcim.site", "data": {}})");
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(absent->timestamp, kNowIso);
  auto null = From(ts("null"));
  ASSERT_TRUE(null.ok());
  EXPECT_EQ(null->timestamp, kNowIso);
  // ISO 8601 forms are kept exactly as sent.
  for (const char* ok : {"2026-03-06T15:11:23.503186+00:00", "2026-03-06T15:11:23Z",
                         "2026-03-06T15:11:23.484Z", "2026-03-06 15:11:23", "2026-03-06T15:11",
                         "2026-03-06T17:11:23+02:00", "2026-03-06T10:11:23-0500", "2026-03-06"}) {
    auto e = From(ts(("\"" + std::string(ok) + "\"").c_str()));
    ASSERT_TRUE(e.ok()) << ok << ": " << e.status().message();
    EXPECT_EQ(e->timestamp, ok);
    EXPECT_EQ(e->received_at, kNow);
  }
  for (const char* bad :
       {"\"yesterday\"", "\"\"", "\"2026-13-01T00:00:00Z\"", "\"2026-03-06T25:00:00Z\"",
        "\"2026-03-06T15:11:23+00:00 extra\"", "\"06/03/2026\"", "1772809883", "true", "{}"}) {
    EXPECT_EQ(Reason(ts(bad)), "'timestamp' must be an ISO 8601 date-time string") << bad;
  }
}

TEST(EventFromValue, UsernameAndRequestIdAreStringsOrNull) {
  auto e = From(R"({"event": "created", "object_type": "dcim.site", "data": {}})");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->username.is_none());
  EXPECT_TRUE(e->request_id.is_none());
  e = From(R"({"event": "created", "object_type": "dcim.site", "data": {},
               "username": null, "request_id": "r1"})");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->username.is_none());
  EXPECT_EQ(e->request_id.as_str(), "r1");
  EXPECT_EQ(Reason(R"({"event": "created", "object_type": "dcim.site", "data": {},
                       "username": 1})"),
            "'username' must be a string or null");
  EXPECT_EQ(Reason(R"({"event": "created", "object_type": "dcim.site", "data": {},
                       "request_id": {"id": 1}})"),
            "'request_id' must be a string or null");
}

TEST(EventFromValue, DataIsRequiredForObjectEventsOnly) {
  for (const char* ev : {"created", "updated", "deleted", "object_deleted"}) {
    for (const char* data : {"", R"(, "data": null)"}) {
      EXPECT_EQ(Reason(std::string(R"({"object_type": "dcim.site", "event": ")") + ev + "\"" +
                       data + "}"),
                "'data' is required for object events and must be an object")
          << ev << data;
    }
  }
  for (const char* ev : {"job_started", "job_ended", "job_completed", "job_failed"}) {
    auto e = From(std::string(R"({"object_type": "core.job", "event": ")") + ev + "\"}");
    ASSERT_TRUE(e.ok()) << ev << ": " << e.status().message();
    EXPECT_TRUE(e->data.is_none()) << ev;
    auto with = From(std::string(R"({"object_type": "core.job", "data": {"id": 1}, "event": ")") +
                     ev + "\"}");
    ASSERT_TRUE(with.ok()) << ev;
    EXPECT_EQ(with->data.get("id")->as_int(), 1);
  }
  for (const char* data : {"[]", "\"x\"", "1", "true"}) {
    std::string r = Reason(std::string(R"({"object_type": "dcim.site", "event": "created", )") +
                           R"("data": )" + data + "}");
    EXPECT_TRUE(Contains(r, "'data' must be an object, not ")) << data << " -> " << r;
    r = Reason(std::string(R"({"object_type": "core.job", "event": "job_started", "data": )") +
               data + "}");
    EXPECT_TRUE(Contains(r, "'data' must be an object, not ")) << "job " << data << " -> " << r;
  }
}

TEST(EventFromValue, Snapshots) {
  auto with = [](const char* snaps) {
    return std::string(R"({"event": "updated", "object_type": "dcim.site", "data": {}, )") +
           R"("snapshots": )" + snaps + "}";
  };
  // Normalised to both keys; null or absent snapshots stay None.
  for (auto [sent, stored] :
       {StringPair{"{}", R"({"prechange": null, "postchange": null})"},
        StringPair{R"({"postchange": {"a": 1}})", R"({"prechange": null, "postchange": {"a": 1}})"},
        StringPair{R"({"postchange": {"a": 2}, "prechange": {"a": 1}})",
                   R"({"prechange": {"a": 1}, "postchange": {"a": 2}})"},
        StringPair{"null", "null"}}) {
    auto e = From(with(sent));
    ASSERT_TRUE(e.ok()) << sent << ": " << e.status().message();
    EXPECT_EQ(DumpJson(e->snapshots), stored) << sent;
  }
  EXPECT_EQ(Reason(with("[]")), "'snapshots' must be an object with prechange/postchange");
  EXPECT_EQ(Reason(with(R"({"prechange": null, "during": {}})")),
            "'snapshots' may only hold 'prechange' and 'postchange', got 'during'");
  EXPECT_EQ(Reason(with(R"({"prechange": [1]})")),
            "'snapshots.prechange' must be an object or null");
  EXPECT_EQ(Reason(with(R"({"postchange": "x"})")),
            "'snapshots.postchange' must be an object or null");
}

TEST(EventFromValue, RequestAndContextAreKeptWhenObjects) {
  auto e = From(R"({"event": "created", "object_type": "dcim.site", "data": {},
                    "request": {"id": "r", "method": "POST"}, "context": {"k": 1}})");
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(DumpJson(e->request), R"({"id": "r", "method": "POST"})");
  EXPECT_EQ(DumpJson(e->context), R"({"k": 1})");
  e = From(R"({"event": "created", "object_type": "dcim.site", "data": {},
               "request": null, "context": null})");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->request.is_none());
  EXPECT_TRUE(e->context.is_none());
  EXPECT_EQ(Reason(R"({"event": "created", "object_type": "dcim.site", "data": {},
                       "request": "POST /"})"),
            "'request' must be an object or null");
  EXPECT_EQ(Reason(R"({"event": "created", "object_type": "dcim.site", "data": {},
                       "context": [1]})"),
            "'context' must be an object or null");
  // Unknown keys are ignored.
  EXPECT_EQ(Reason(R"({"event": "created", "object_type": "dcim.site", "data": {},
                       "extra": 1, "object_id": 4})"),
            "accepted");
}

TEST(EventFromValue, NotAnObject) {
  for (auto [json, type] : {StringPair{"null", "null"}, StringPair{"true", "boolean"},
                            StringPair{"1", "number"}, StringPair{"1.5", "number"},
                            StringPair{"\"created\"", "string"}, StringPair{"[]", "array"}}) {
    EXPECT_EQ(Reason(json), std::string("an event must be a JSON object, not ") + type);
  }
}

TEST(EventFromValue, EchoedValuesAreCut) {
  std::string long_event(300, 'x');
  std::string r = Reason(std::string(R"({"object_type": "dcim.site", "data": {}, "event": ")") +
                         long_event + "\"}");
  EXPECT_TRUE(
      Contains(r, "unknown event '" + std::string(kMaxEchoedValueBytes, 'x') + "... (300 bytes)'"))
      << r;
  EXPECT_FALSE(Contains(r, std::string(kMaxEchoedValueBytes + 1, 'x'))) << r;
  // Never inside a UTF-8 sequence: 99 ASCII bytes, then two-byte characters.
  std::string model(kMaxEchoedValueBytes - 1, 'm');
  for (int i = 0; i < 50; ++i) model += "\xc3\xa9";
  r = Reason(std::string(R"({"event": "created", "data": {}, "model": ")") + model + "\"}");
  EXPECT_TRUE(Contains(r, "unknown model '" + std::string(kMaxEchoedValueBytes - 1, 'm') + "... (" +
                              std::to_string(model.size()) + " bytes)'"))
      << r;
  // Short values are quoted whole.
  EXPECT_TRUE(Contains(Reason(R"({"event": "created", "data": {}, "model": "nosuch"})"),
                       "unknown model 'nosuch'"));
}

TEST(ParseEvents, OneObjectOrAnArray) {
  auto one = ParseEvents(kNetBoxBody, false, kNow);
  ASSERT_EQ(Malformed(one), "");
  EXPECT_TRUE(one->errors.empty());
  ASSERT_EQ(one->events.size(), 1u);
  EXPECT_EQ(one->events[0].object_type, "dcim.site");

  auto many = ParseEvents(R"([{"event": "created", "model": "site", "data": {"id": 1}},
                              {"event": "deleted", "object_type": "ipam.prefix", "data": {"id": 2}},
                              {"event": "job_started", "object_type": "core.job"}])",
                          false, kNow);
  ASSERT_EQ(Malformed(many), "");
  EXPECT_EQ(many->error_count, 0u);
  ASSERT_EQ(many->events.size(), 3u);
  EXPECT_EQ(many->events[0].object_type, "dcim.site");
  EXPECT_EQ(many->events[1].event_type, "object_deleted");
  EXPECT_EQ(many->events[2].event_type, "job_started");
  for (const auto& e : many->events) EXPECT_EQ(e.received_at, kNow);
}

TEST(ParseEvents, MalformedAndEmptyBodies) {
  for (const char* body : {"", " ", "{", "{\"event\": }", "[1,]", "nul", "{} {}", "\xff"}) {
    auto p = ParseEvents(body, false, kNow);
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument) << body;
    EXPECT_EQ(Malformed(p).rfind("the body is not valid JSON: ", 0), 0u)
        << body << " -> " << Malformed(p);
  }
  auto empty = ParseEvents("[]", false, kNow);
  EXPECT_EQ(Malformed(empty), "the body holds no events (empty array)");
  for (const char* body : {"", "\n", "  \n\r\n\t\n"}) {
    auto p = ParseEvents(body, true, kNow);
    EXPECT_EQ(Malformed(p), "the body holds no events") << "ndjson " << body;
  }
}

TEST(ParseEvents, InvalidEventsAreListedByIndexAndValidOnesStillParsed) {
  auto p = ParseEvents(R"([{"event": "created", "object_type": "dcim.site", "data": {}},
                           {"event": "exploded", "object_type": "dcim.site", "data": {}},
                           {"event": "created", "object_type": "dcim.site", "data": {}},
                           "not an event",
                           {"event": "created", "object_type": "dcim.site"}])",
                       false, kNow);
  ASSERT_EQ(Malformed(p), "");
  EXPECT_EQ(p->events.size(), 2u);
  EXPECT_EQ(p->error_count, 3u);
  ASSERT_EQ(p->errors.size(), 3u);
  EXPECT_EQ(p->errors[0].index, 1u);
  EXPECT_EQ(p->errors[0].status.code(), Code::kInvalidArgument);
  EXPECT_TRUE(Contains(p->errors[0].status.message(), "unknown event 'exploded'"))
      << p->errors[0].status.message();
  EXPECT_EQ(p->errors[1].index, 3u);
  EXPECT_EQ(p->errors[1].status.message(), "an event must be a JSON object, not string");
  EXPECT_EQ(p->errors[2].index, 4u);
  EXPECT_EQ(p->errors[2].status.message(),
            "'data' is required for object events and must be an object");
}

TEST(ParseEvents, Ndjson) {
  std::string body =
      "{\"event\": \"created\", \"object_type\": \"dcim.site\", \"data\": {\"id\": 1}}\r\n"
      "\n"
      "   \t\n"
      "  {\"event\": \"updated\", \"model\": \"device\", \"data\": {\"id\": 2}}  \n"
      "{\"event\": \"job_ended\", \"object_type\": \"core.job\"}";  // no final newline
  auto p = ParseEvents(body, true, kNow);
  ASSERT_EQ(Malformed(p), "");
  EXPECT_EQ(p->error_count, 0u);
  ASSERT_EQ(p->events.size(), 3u);
  EXPECT_EQ(p->events[0].data.get("id")->as_int(), 1);
  EXPECT_EQ(p->events[1].object_type, "dcim.device");
  EXPECT_EQ(p->events[2].event_type, "job_completed");

  // A bad line names its (1-based) line number, blank lines counted.
  auto bad = ParseEvents("{\"event\": \"created\", \"model\": \"site\", \"data\": {}}\n\n{oops\n",
                         true, kNow);
  EXPECT_EQ(Malformed(bad).rfind("line 3 is not valid JSON: ", 0), 0u) << Malformed(bad);

  // Each line is one event: an array on a line is not a batch; indexes skip blank lines.
  auto arr = ParseEvents(
      "\n[{\"event\": \"created\", \"model\": \"site\", \"data\": {}}]\n"
      "{\"event\": \"nope\", \"model\": \"site\", \"data\": {}}",
      true, kNow);
  ASSERT_EQ(Malformed(arr), "");
  ASSERT_EQ(arr->errors.size(), 2u);
  EXPECT_EQ(arr->errors[0].index, 0u);
  EXPECT_EQ(arr->errors[0].status.message(), "an event must be a JSON object, not array");
  EXPECT_EQ(arr->errors[1].index, 1u);

  // Without ndjson, two objects on two lines are not one JSON document.
  auto two = ParseEvents(
      "{\"event\": \"created\", \"model\": \"site\", \"data\": {}}\n"
      "{\"event\": \"created\", \"model\": \"site\", \"data\": {}}",
      false, kNow);
  EXPECT_NE(Malformed(two), "");
}

TEST(ParseEvents, LargeBatchesAndBoundedErrorLists) {
  constexpr size_t kEvents = 5000, kBad = 250;
  std::string body = "[";
  for (size_t i = 0; i < kEvents; ++i) {
    if (i) body += ",";
    bool bad = i % (kEvents / kBad) == 7;
    body += std::string(R"({"event": ")") + (bad ? "bogus" : "created") +
            R"(", "object_type": "dcim.interface", "data": {"id": )" + std::to_string(i) + "}}";
  }
  body += "]";
  auto p = ParseEvents(body, false, kNow);
  ASSERT_EQ(Malformed(p), "");
  EXPECT_EQ(p->events.size(), kEvents - kBad);
  EXPECT_EQ(p->error_count, kBad);
  ASSERT_EQ(p->errors.size(), kMaxReportedEventErrors);
  EXPECT_EQ(p->errors.front().index, 7u);
  EXPECT_EQ(p->errors.back().index, 7u + (kMaxReportedEventErrors - 1) * (kEvents / kBad));
  EXPECT_EQ(p->events.back().data.get("id")->as_int(), static_cast<int64_t>(kEvents - 1));
}

TEST(ParseEvents, HugeValuesAndDeepNesting) {
  // A megabyte string value is data like any other.
  std::string big(1 << 20, 'v');
  auto p = ParseEvents(
      R"({"event": "created", "object_type": "dcim.site", "data": {"x": ")" + big + "\"}}", false,
      kNow);
  ASSERT_EQ(Malformed(p), "");
  ASSERT_EQ(p->events.size(), 1u);
  EXPECT_EQ(p->events[0].data.get("x")->as_str().size(), big.size());
  // Nesting deeper than the JSON parser allows is a malformed body, not a crash.
  std::string deep = R"({"event": "created", "object_type": "dcim.site", "data": {"x": )" +
                     std::string(5000, '[') + std::string(5000, ']') + "}}";
  auto d = ParseEvents(deep, false, kNow);
  EXPECT_NE(Malformed(d), "");
  auto dn = ParseEvents(deep, true, kNow);
  EXPECT_EQ(Malformed(dn).rfind("line 1 is not valid JSON: ", 0), 0u) << Malformed(dn);
}

TEST(EventToValue, StoredShape) {
  auto e = From(kNetBoxBody);
  ASSERT_TRUE(e.ok());
  Event ev = *e;
  ev.id = 17;
  EXPECT_EQ(
      DumpJson(EventToValue(ev)),
      R"({"id": 17, "event": "created", "event_type": "object_created", )"
      R"("timestamp": "2026-03-06T15:11:23.503186+00:00", "object_type": "dcim.site", )"
      R"("model": "site", "username": "admin", )"
      R"("request_id": "4e4c0a52-6a5e-4a0c-8d0b-5b4f2b3d1e2f", )"
      R"("data": {"id": 4, "name": "Site 1", "status": {"value": "active", "label": "Active"}}, )"
      R"("snapshots": {"prechange": null, "postchange": {"name": "Site 1", "status": "active"}}, )"
      R"("received_at": "2026-03-06T15:11:23.503186Z"})");
  // Parsing the stored form gives the same event back.
  auto again = EventFromValue(EventToValue(ev), kNow + 1);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->timestamp, ev.timestamp);
  EXPECT_EQ(DumpJson(again->data), DumpJson(ev.data));
  EXPECT_EQ(DumpJson(again->snapshots), DumpJson(ev.snapshots));

  // No id before it is stored; request and context only when sent.
  auto job = From(R"({"event": "job_started", "object_type": "core.job",
                      "request": {"id": "r"}, "context": {"c": 1}})");
  ASSERT_TRUE(job.ok());
  Value v = EventToValue(*job);
  EXPECT_EQ(v.get("id"), nullptr);
  EXPECT_TRUE(v.get("data")->is_none());
  EXPECT_TRUE(v.get("snapshots")->is_none());
  EXPECT_EQ(DumpJson(*v.get("request")), R"({"id": "r"})");
  EXPECT_EQ(DumpJson(*v.get("context")), R"({"c": 1})");
}

TEST(BuildContext, KeyOrderAndDataMerge) {
  auto e = From(kNetBoxBody);
  ASSERT_TRUE(e.ok());
  // action_data keys first; the object's values win but keep action_data's position (SPEC 4.5).
  Value ctx = BuildContext(*e, J(R"({"name": "from rule", "team": "ops"})"));
  EXPECT_EQ(
      DumpJson(ctx),
      R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00", )"
      R"("object_type": "dcim.site", "model": "site", "username": "admin", )"
      R"("request_id": "4e4c0a52-6a5e-4a0c-8d0b-5b4f2b3d1e2f", )"
      R"("data": {"name": "Site 1", "team": "ops", "id": 4, )"
      R"("status": {"value": "active", "label": "Active"}}, )"
      R"("snapshots": {"prechange": null, "postchange": {"name": "Site 1", "status": "active"}}})");
  // Without action_data the data is the object's.
  EXPECT_EQ(DumpJson(*BuildContext(*e, Value()).get("data")), DumpJson(e->data));
}

TEST(BuildContext, EventNamesAndOptionalKeys) {
  for (auto [event, context_event] :
       {StringPair{"object_updated", "updated"}, StringPair{"deleted", "deleted"},
        StringPair{"job_started", "job_started"}, StringPair{"job_ended", "job_ended"},
        StringPair{"job_completed", "job_ended"}, StringPair{"job_failed", "job_ended"}}) {
    auto e =
        From(std::string(R"({"object_type": "core.job", "data": {}, "event": ")") + event + "\"}");
    ASSERT_TRUE(e.ok()) << event;
    EXPECT_EQ(BuildContext(*e, Value()).get("event")->as_str(), context_event) << event;
  }
  // A job without data: data is action_data (or {}); no snapshots, request or context keys.
  auto job = From(R"({"event": "job_started", "object_type": "core.job"})");
  ASSERT_TRUE(job.ok());
  Value ctx = BuildContext(*job, Value());
  EXPECT_EQ(DumpJson(*ctx.get("data")), "{}");
  for (const char* absent : {"snapshots", "request", "context"})
    EXPECT_EQ(ctx.get(absent), nullptr) << absent;
  EXPECT_EQ(DumpJson(*BuildContext(*job, J(R"({"a": 1})")).get("data")), R"({"a": 1})");
  // request after data, then snapshots and context when present.
  auto full = From(R"({"event": "updated", "object_type": "dcim.site", "data": {},
                       "request": {"id": "r"}, "snapshots": {"prechange": {}},
                       "context": {"k": 1}})");
  ASSERT_TRUE(full.ok());
  std::vector<std::string> keys;
  Value full_ctx = BuildContext(*full, Value());  // alive through the loop
  for (const auto& [k, v] : full_ctx.as_dict()) keys.push_back(k.as_str());
  EXPECT_EQ(keys,
            (std::vector<std::string>{"event", "timestamp", "object_type", "model", "username",
                                      "request_id", "data", "request", "snapshots", "context"}));
}

TEST(BuildContext, SpecExampleBodyWithItsRequest) {
  // SPEC 5.4's example event (with its request), as a NetBox default-body producer sends it.
  auto e = From(R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00", )"
                R"("object_type": "dcim.site", "username": "admin", )"
                R"("request_id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", )"
                R"("data": {"id": 4, "name": "Site \u00e9", "latitude": 40.7128, "region": null, )"
                R"("tags": []}, )"
                R"("request": {"id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "method": "POST", )"
                R"("path": "/api/dcim/sites/", "user": "admin"}, )"
                R"("snapshots": {"prechange": null, )"
                R"("postchange": {"name": "Site \u00e9", "status": "active"}}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  // SPEC 5.4's 488-byte body, plus the `model` key Herald keeps from the seed document.
  EXPECT_EQ(
      DumpJson(BuildContext(*e, J(R"({"foo": 1})"))),
      R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00", "object_type": "dcim.site", "model": "site", "username": "admin", "request_id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "data": {"foo": 1, "id": 4, "name": "Site \u00e9", "latitude": 40.7128, "region": null, "tags": []}, "request": {"id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "method": "POST", "path": "/api/dcim/sites/", "user": "admin"}, "snapshots": {"prechange": null, "postchange": {"name": "Site \u00e9", "status": "active"}}})");
}

TEST(BuildContext, NullsStayEmptyPartsGo) {
  auto e = From(R"({"event": "updated", "object_type": "dcim.device", "data": {"id": 1},
                   "snapshots": {"prechange": null, "postchange": null}, "context": {}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Value ctx = BuildContext(*e, J(R"(["not", "an", "object"])"));
  EXPECT_TRUE(ctx.get("username")->is_none()) << "always present, null when not sent";
  EXPECT_TRUE(ctx.get("request_id")->is_none());
  EXPECT_NE(ctx.get("snapshots"), nullptr) << "both snapshots null is still a snapshot";
  EXPECT_EQ(ctx.get("context"), nullptr) << "an empty context is left out";
  EXPECT_EQ(DumpJson(*ctx.get("data")), R"({"id": 1})")
      << "action_data that is no object adds nothing";
}

TEST(BuildContext, StampedTimestampIsStableAcrossRenders) {
  auto e = From(R"({"event": "created", "model": "site", "data": {}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Value a = BuildContext(*e, Value());
  EXPECT_EQ(a.get("timestamp")->as_str(), kNowIso) << "ingest stamps the time it received it";
  EXPECT_EQ(DumpJson(a), DumpJson(BuildContext(*e, Value()))) << "retries render the same context";
}

}  // namespace
}  // namespace herald
