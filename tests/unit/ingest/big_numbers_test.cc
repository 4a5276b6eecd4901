// Ingest of numbers past 64 bits (ParseEvents): ints of any size up to Python's 4300 digits are
// kept exactly through the stored form and the webhook context; more digits refuse the body with
// a message that says why; floats past the double range are infinite, as Python's json.loads
// has them.
#include <gtest/gtest.h>

#include <string>

#include "ingest/event_input.h"
#include "value/bigint.h"
#include "value/json.h"

namespace herald {
namespace {

constexpr int64_t kNow = 1'772'809'883'503'186;  // 2026-03-06T15:11:23.503186Z

std::string Body(const std::string& data) {
  return R"({"event": "created", "object_type": "dcim.site", )"
         R"("timestamp": "2026-03-06T15:11:23.503186+00:00", "data": )" +
         data + "}";
}

TEST(ParseEventsBigInts, KeptExactlyInStoredFormAndContext) {
  const std::string data =
      R"({"id": 4, "serial": 123456789012345678901234567890, "neg": -98765432109876543210987654321,)"
      R"( "u64": 18446744073709551615, "huge": 1e400})";
  auto p = ParseEvents(Body(data), false, kNow);
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->events.size(), 1u);
  const Event& e = p->events[0];
  EXPECT_TRUE(IsBigInt(*e.data.get("serial")));
  const std::string printed =
      R"({"id": 4, "serial": 123456789012345678901234567890, "neg": -98765432109876543210987654321,)"
      R"( "u64": 18446744073709551615, "huge": Infinity})";
  EXPECT_EQ(DumpJson(e.data), printed);
  EXPECT_EQ(DumpJson(*BuildContext(e, Value()).get("data")), printed);
  // The stored form parses back to the same values.
  Result<Value> stored = ParseJson(DumpJsonCompact(EventToValue(e)));
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  EXPECT_EQ(DumpJson(*stored->get("data")), printed);
  // The content key hashes the digits: another big int is another event.
  ASSERT_EQ(p->keys.size(), 1u);
  auto other =
      ParseEvents(Body(R"({"id": 4, "serial": 123456789012345678901234567891})"), false, kNow);
  auto same =
      ParseEvents(Body(R"({"id": 4, "serial": 123456789012345678901234567890})"), false, kNow);
  ASSERT_TRUE(other.ok() && same.ok());
  EXPECT_NE(other->keys[0], same->keys[0]);
}

TEST(ParseEventsBigInts, TooManyDigitsRefuseTheBody) {
  const std::string digits(kMaxIntStrDigits + 1, '9');
  auto p = ParseEvents(Body(R"({"x": )" + digits + "}"), false, kNow);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(p.status().message(),
            "the body holds an integer with too many digits: Exceeds the limit (4300 digits) for "
            "integer string conversion: value has 4301 digits");
  auto nd = ParseEvents(Body("{}") + "\n" + Body(R"({"x": -)" + digits + "}"), true, kNow);
  ASSERT_FALSE(nd.ok());
  EXPECT_EQ(nd.status().message(),
            "line 2 holds an integer with too many digits: Exceeds the limit (4300 digits) for "
            "integer string conversion: value has 4301 digits");
  // At the limit it is data like any other.
  auto ok = ParseEvents(Body(R"({"x": )" + digits.substr(1) + "}"), false, kNow);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(DumpJson(*ok->events[0].data.get("x")), digits.substr(1));
}

}  // namespace
}  // namespace herald
