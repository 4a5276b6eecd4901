// EventDedupeKey and ParsedEvents::keys: an event's own "id" first, else the SHA-256 of its
// canonical JSON when it carries a timestamp, else no key.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/event_input.h"
#include "value/json.h"

namespace herald {
namespace {

std::string Key(const std::string& json) {
  auto v = ParseJson(json);
  EXPECT_TRUE(v.ok()) << json;
  auto k = EventDedupeKey(v.ok() ? *v : Value());
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return k.ok() ? *k : "(error)";
}

TEST(EventDedupeKey, CanonicalJsonHashIgnoresKeyOrderAndSpacing) {
  std::string a = Key(R"({"event": "created", "timestamp": "t1", "data": {"id": 1, "b": [1, 2]}})");
  std::string b = Key(R"({"data":{"b":[1,2],"id":1},"timestamp":"t1","event":"created"})");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.rfind("sha256:", 0), 0u) << a;
  EXPECT_EQ(a.size(), 7u + 64u);
  EXPECT_NE(a, Key(R"({"event": "created", "timestamp": "t2", "data": {"id": 1, "b": [1, 2]}})"));
  EXPECT_NE(a, Key(R"({"event": "created", "timestamp": "t1", "data": {"id": 1, "b": [2, 1]}})"));
}

TEST(EventDedupeKey, OwnIdWinsAndNoTimestampMeansNoKey) {
  EXPECT_EQ(Key(R"({"id": "e-1", "event": "created", "timestamp": "t1"})"), "id:e-1");
  EXPECT_EQ(Key(R"({"id": "e-1", "event": "updated"})"), "id:e-1");
  EXPECT_EQ(Key(R"({"event": "created", "data": {}})"), "");
  EXPECT_EQ(Key(R"({"event": "created", "timestamp": null, "data": {}})"), "");
  for (const char* bad : {R"({"id": 5})", R"({"id": ""})", R"({"id": ["x"]})"}) {
    auto v = ParseJson(bad);
    ASSERT_TRUE(v.ok());
    auto k = EventDedupeKey(*v);
    ASSERT_FALSE(k.ok()) << bad;
    EXPECT_EQ(k.status().code(), Code::kInvalidArgument);
  }
  auto long_id = ParseJson(R"({"id": ")" + std::string(kMaxDedupeKeyBytes + 1, 'x') + R"("})");
  ASSERT_TRUE(long_id.ok());
  EXPECT_FALSE(EventDedupeKey(*long_id).ok());
}

TEST(ParseEvents, KeysFollowTheValidEventsAndABadIdIsAnEventError) {
  auto p = ParseEvents(
      R"([{"event": "created", "object_type": "dcim.site", "timestamp": "2024-01-01T00:00:00+00:00", "data": {"id": 1}},
          {"id": "k", "event": "created", "object_type": "dcim.site", "data": {"id": 2}}])",
      false, 1);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->keys.size(), 2u);
  EXPECT_EQ(p->keys[0].rfind("sha256:", 0), 0u);
  EXPECT_EQ(p->keys[1], "id:k");
  auto bad = ParseEvents(R"({"id": 3, "event": "created", "object_type": "dcim.site", "data": {}})",
                         false, 1);
  ASSERT_TRUE(bad.ok());
  ASSERT_EQ(bad->errors.size(), 1u);
  EXPECT_NE(bad->errors[0].status.message().find("'id'"), std::string::npos);
}

TEST(ParseEvents, WithoutContentKeysOnlyOwnIdsAreKeysAndStillChecked) {
  const char* body =
      R"([{"event": "created", "object_type": "dcim.site", "timestamp": "2024-01-01T00:00:00+00:00", "data": {"id": 1}},
          {"id": "k", "event": "created", "object_type": "dcim.site", "data": {"id": 2}}])";
  auto p = ParseEvents(body, false, 1, /*content_keys=*/false);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->keys, (std::vector<std::string>{"", "id:k"}));
  auto bad = ParseEvents(R"({"id": 3, "event": "created", "object_type": "dcim.site", "data": {}})",
                         false, 1, /*content_keys=*/false);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->errors.size(), 1u);
}

}  // namespace
}  // namespace herald
