// BuildContext: the webhook context (SPEC 5.1, docs/delivery.md) in its key order: event
// (NetBox's mapped names), timestamp, object_type, model, username, request_id, data (the
// rule's action_data keys first, the object's values win in place), request when sent,
// snapshots when truthy, context when non-empty. Its json.dumps is the default body.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/event_input.h"
#include "value/json.h"

namespace herald {
namespace {

Value Json(const std::string& text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : Value();
}

std::vector<std::string> Keys(const Value& v) {
  std::vector<std::string> out;
  for (const auto& [k, val] : v.as_dict()) out.push_back(k.as_str());
  return out;
}

// An event as ingest accepts it.
Event Accept(const std::string& json) {
  auto e = EventFromValue(Json(json), 0);
  EXPECT_TRUE(e.ok()) << json << ": " << e.status().ToString();
  return e.ok() ? *e : Event();
}

// SPEC 5.4's example event, as a NetBox default-body producer sends it.
constexpr const char* kSiteEvent =
    R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00", "object_type": "dcim.site", "username": "admin", "request_id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "data": {"id": 4, "name": "Site \u00e9", "latitude": 40.7128, "region": null, "tags": []}, "request": {"id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "method": "POST", "path": "/api/dcim/sites/", "user": "admin"}, "snapshots": {"prechange": null, "postchange": {"name": "Site \u00e9", "status": "active"}}})";

TEST(BuildContext, DefaultBodyOfTheSpecExample) {
  Value ctx = BuildContext(Accept(kSiteEvent), Json(R"({"foo": 1})"));
  // SPEC 5.4's body, plus the `model` key Herald keeps from the seed document (DESIGN.md).
  EXPECT_EQ(
      DumpJson(ctx),
      R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00", "object_type": "dcim.site", "model": "site", "username": "admin", "request_id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "data": {"foo": 1, "id": 4, "name": "Site \u00e9", "latitude": 40.7128, "region": null, "tags": []}, "request": {"id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "method": "POST", "path": "/api/dcim/sites/", "user": "admin"}, "snapshots": {"prechange": null, "postchange": {"name": "Site \u00e9", "status": "active"}}})");
}

TEST(BuildContext, KeysInOrderWithEveryOptionalPart) {
  Event e = Accept(kSiteEvent);
  e.context = Json(R"({"plugin": {"x": 1}})");
  Value ctx = BuildContext(e, Value());
  EXPECT_EQ(Keys(ctx),
            (std::vector<std::string>{"event", "timestamp", "object_type", "model", "username",
                                      "request_id", "data", "request", "snapshots", "context"}));
  EXPECT_EQ(ctx.get("context")->get("plugin")->get("x")->as_int(), 1);
}

TEST(BuildContext, OptionalPartsAreLeftOutWhenAbsentOrEmpty) {
  Value ctx = BuildContext(
      Accept(R"({"event": "updated", "object_type": "dcim.device", "data": {"id": 1}})"), Value());
  EXPECT_EQ(Keys(ctx), (std::vector<std::string>{"event", "timestamp", "object_type", "model",
                                                 "username", "request_id", "data"}));
  EXPECT_TRUE(ctx.get("username")->is_none());
  EXPECT_TRUE(ctx.get("request_id")->is_none());
  EXPECT_EQ(ctx.get("model")->as_str(), "device");

  Event e = Accept(R"({"event": "updated", "object_type": "dcim.device", "data": {"id": 1},
                      "snapshots": {"prechange": null, "postchange": null}, "context": {}})");
  Value with_snapshots = BuildContext(e, Value());
  EXPECT_NE(with_snapshots.get("snapshots"), nullptr)
      << "both snapshots null is still a snapshot (truthy dict)";
  EXPECT_EQ(with_snapshots.get("context"), nullptr) << "an empty context is left out";
}

TEST(BuildContext, EventNamesAreNetBoxs) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"object_created", "created"},  {"object_updated", "updated"},
      {"object_deleted", "deleted"},  {"job_started", "job_started"},
      {"job_completed", "job_ended"}, {"job_failed", "job_ended"},
      {"job_errored", "job_ended"},   {"plugin_event", "plugin_event"},
  };
  for (const auto& [type, name] : cases) {
    Event e;
    e.event_type = type;
    e.data = Json("{}");
    EXPECT_EQ(BuildContext(e, Value()).get("event")->as_str(), name) << type;
  }
  // What the producer wrote in `event` does not matter; the normalised type does.
  EXPECT_EQ(
      BuildContext(Accept(R"({"event": "object_deleted", "model": "site", "data": {}})"), Value())
          .get("event")
          ->as_str(),
      "deleted");
}

TEST(BuildContext, DataMergesActionDataFirstAndTheObjectWins) {
  Event e = Accept(R"({"event": "created", "object_type": "dcim.site",
                      "data": {"id": 4, "name": "site", "status": "active"}})");
  Value ctx = BuildContext(e, Json(R"({"status": "planned", "team": "net", "id": 0})"));
  EXPECT_EQ(DumpJson(*ctx.get("data")),
            R"({"status": "active", "team": "net", "id": 4, "name": "site"})");
  // action_data that is not an object adds nothing.
  EXPECT_EQ(DumpJson(*BuildContext(e, Json(R"(["x"])")).get("data")),
            R"({"id": 4, "name": "site", "status": "active"})");
}

TEST(BuildContext, JobEventsWithoutDataGetActionDataOrAnEmptyObject) {
  Event job = Accept(R"({"event": "job_started", "object_type": "extras.script"})");
  EXPECT_EQ(DumpJson(*BuildContext(job, Value()).get("data")), "{}");
  EXPECT_EQ(DumpJson(*BuildContext(job, Json(R"({"k": "v"})")).get("data")), R"({"k": "v"})");
  EXPECT_EQ(BuildContext(job, Value()).get("snapshots"), nullptr);
  EXPECT_EQ(BuildContext(job, Value()).get("request"), nullptr);
}

TEST(BuildContext, TimestampIsTheEventsAndStaysTheSameAcrossCalls) {
  Event e = Accept(kSiteEvent);
  EXPECT_EQ(BuildContext(e, Value()).get("timestamp")->as_str(),
            "2026-03-06T15:11:23.503186+00:00");
  // Without one, ingest stamps the time it received the event (SPEC 4.6 format).
  auto stamped = EventFromValue(Json(R"({"event": "created", "model": "site", "data": {}})"),
                                1772810483000000);  // 2026-03-06T15:21:23Z
  ASSERT_TRUE(stamped.ok());
  Value a = BuildContext(*stamped, Value());
  Value b = BuildContext(*stamped, Value());
  EXPECT_EQ(a.get("timestamp")->as_str(), "2026-03-06T15:21:23+00:00");
  EXPECT_EQ(DumpJson(a), DumpJson(b)) << "retries render the same context";
}

}  // namespace
}  // namespace herald
