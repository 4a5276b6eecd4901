// The NetBox job fields of a background task (SPEC 4.6, 7.2): send_webhook's `kwargs` (each
// value Python str()-ed), `timeout` (the webhook's own, else delivery.default_timeout) and
// `result_ttl` (delivery.retention_days in seconds), from a task alone, with its event and
// webhook, and read from a real SQLite store (TaskJson).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/api.h"
#include "support/events.h"
#include "support/store_fixture.h"
#include "value/json.h"

namespace herald {
namespace {

Event SomeEvent() {
  Event e = testing::ChangeEvent(
      "dcim.device", *ParseJson(R"({"id": 1, "name": "web01", "tags": [], "rack": null})"),
      "updated");
  e.id = 7;
  e.username = Value("alice");
  return e;
}

Task SomeTask() { return testing::TaskFor(SomeEvent(), 3, 2, "devices", "hook"); }

std::vector<std::string> Keys(const Value& dict) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : dict.as_dict()) keys.push_back(k.as_str());
  return keys;
}

TEST(TaskJson, KwargsHoldSendWebhooksArgumentsAsPythonStrings) {
  Task t = SomeTask();
  Event e = SomeEvent();
  Webhook w;
  w.timeout = 30;
  TaskDefaults d{60, 7};
  Value v = TaskToJson(t, "http://h", &e, &w, &d);
  const Value& kw = *v.get("kwargs");
  EXPECT_EQ(Keys(kw), (std::vector<std::string>{"event_rule", "object_type", "event_type", "data",
                                                "snapshots", "timestamp", "username"}));
  EXPECT_EQ(kw.get("event_rule")->as_str(), "devices");
  EXPECT_EQ(kw.get("object_type")->as_str(), "dcim.device");
  EXPECT_EQ(kw.get("event_type")->as_str(), "object_updated");
  EXPECT_EQ(kw.get("data")->as_str(), "{'id': 1, 'name': 'web01', 'tags': [], 'rack': None}");
  EXPECT_EQ(kw.get("snapshots")->as_str(), "None");
  EXPECT_EQ(kw.get("timestamp")->as_str(), testing::kEventTimestamp);
  EXPECT_EQ(kw.get("username")->as_str(), "alice");
  EXPECT_EQ(v.get("func_name")->as_str(), "extras.webhooks.send_webhook");
  EXPECT_EQ(v.get("timeout")->as_int(), 30);
  EXPECT_EQ(v.get("result_ttl")->as_int(), 7 * 86400);
}

TEST(TaskJson, RequestAndSnapshotsAppearWhenTheEventHasThem) {
  Task t = SomeTask();
  Event e = SomeEvent();
  e.username = Value();
  e.snapshots = *ParseJson(R"({"prechange": {"name": "a"}, "postchange": {"name": "b"}})");
  e.request = *ParseJson(R"({"id": "r-1", "method": "PATCH"})");
  Value v = TaskToJson(t, "", &e);
  const Value& kw = *v.get("kwargs");
  EXPECT_EQ(Keys(kw).back(), "request");
  EXPECT_EQ(kw.get("request")->as_str(), "{'id': 'r-1', 'method': 'PATCH'}");
  EXPECT_EQ(kw.get("snapshots")->as_str(),
            "{'prechange': {'name': 'a'}, 'postchange': {'name': 'b'}}");
  EXPECT_EQ(kw.get("username")->as_str(), "None");
}

TEST(TaskJson, WithoutEventOrDefaultsTheUnknownFieldsAreNull) {
  Value v = TaskToJson(SomeTask(), "");
  const Value& kw = *v.get("kwargs");
  EXPECT_EQ(kw.get("event_rule")->as_str(), "devices");
  for (const char* k : {"data", "snapshots", "timestamp", "username"})
    EXPECT_TRUE(kw.get(k)->is_none()) << k;
  EXPECT_EQ(kw.get("request"), nullptr);
  EXPECT_TRUE(v.get("timeout")->is_none());
  EXPECT_TRUE(v.get("result_ttl")->is_none());
}

class TaskJsonStoreTest : public testing::TempStoreTest {};

TEST_F(TaskJsonStoreTest, TimeoutIsTheWebhooksOwnElseTheDefault) {
  Webhook w;
  w.name = "slow";
  w.payload_url = "http://127.0.0.1:9/";
  w.timeout = 15;
  auto slow = store_->CreateWebhook(w);
  ASSERT_TRUE(slow.ok()) << slow.status().message();
  w.name = "plain";
  w.timeout.reset();
  auto plain = store_->CreateWebhook(w);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  TaskDefaults d{45, 2};
  Task t = SomeTask();
  t.webhook_id = slow->id;
  EXPECT_EQ(TaskJson(*store_, t, "", d).get("timeout")->as_int(), 15);
  t.webhook_id = plain->id;
  EXPECT_EQ(TaskJson(*store_, t, "", d).get("timeout")->as_int(), 45);
  t.webhook_id = 999;  // deleted since
  Value v = TaskJson(*store_, t, "", d);
  EXPECT_EQ(v.get("timeout")->as_int(), 45);
  EXPECT_EQ(v.get("result_ttl")->as_int(), 2 * 86400);
  EXPECT_TRUE(v.get("kwargs")->get("data")->is_none());  // event 7 is not stored
}

}  // namespace
}  // namespace herald
