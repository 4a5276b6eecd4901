// Idempotent ingest through the real binary (issue 12, part 2): a NetBox body posted again is
// answered with the first ids and stores nothing; events that differ (another timestamp, a new
// event in a retried batch) are stored; the Idempotency-Key header keys a whole request; the
// keys live in the store, so all of it holds after a restart; ingest.dedupe_window=0 turns it
// off.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "server_fixture.h"
#include "value/json.h"

namespace herald::testing {
namespace {

// A NetBox webhook body (SPEC 4.2): its timestamp and request id make a retry identical.
std::string Device(int id, const std::string& timestamp) {
  return R"({"event": "created", "timestamp": ")" + timestamp +
         R"(", "object_type": "dcim.device", "username": "jdoe",
  "request_id": "3f8e2c1a-6b0d-4c55-9a77-0f6f1f3b2e91",
  "data": {"id": )" +
         std::to_string(id) + R"(, "name": "web01"},
  "snapshots": {"prechange": null, "postchange": {"name": "web01"}}})";
}
const char* kT1 = "2024-05-01T10:00:00.000001+00:00";
const char* kT2 = "2024-05-01T10:00:05.000001+00:00";

class IdempotencyTest : public ServerFixture {
 protected:
  void Start(std::map<std::string, std::string> env = {}) {
    // Tasks stay queued (counts are exact) unless a test asks for the workers (and so for the
    // sweeper that purges old keys).
    env.emplace("HERALD_DELIVERY_WORKERS", "false");
    ASSERT_NO_FATAL_FAILURE(StartServer(env));
    if (!hooked_) {
      ASSERT_GT(CreateWebhookAndRule(server_->base(), token_,
                                     R"({"name": "t", "payload_url": "http://127.0.0.1:9/"})", "r",
                                     "dcim.device"),
                0);
      hooked_ = true;
    }
  }
  void Restart(std::map<std::string, std::string> env = {}) {
    ASSERT_EQ(server_->Stop(), 0);
    server_.reset();
    ASSERT_NO_FATAL_FAILURE(Start(std::move(env)));
  }
  HttpResult Ingest(const std::string& body, const std::string& key = "") {
    std::vector<std::string> headers = {"Authorization: Token " + token_,
                                        "Content-Type: application/json"};
    if (!key.empty()) headers.push_back("Idempotency-Key: " + key);
    return Http("POST", Url("/api/events/"), body, headers);
  }
  int64_t Events() {
    auto r = Get("/api/events/?limit=1000");
    EXPECT_EQ(r.status, 200) << r.body;
    const Value* results = r.json().get("results");
    return results && results->is_list() ? static_cast<int64_t>(results->as_list().size()) : -1;
  }
  int64_t Tasks() {
    auto r = Get("/api/core/background-tasks/");
    EXPECT_EQ(r.status, 200) << r.body;
    const Value* count = r.json().get("count");
    return count && count->is_int() ? count->as_int() : -1;
  }
  // The event ids of a 202 answer, in order.
  static std::vector<int64_t> Ids(const HttpResult& r) {
    std::vector<int64_t> ids;
    if (const Value* evs = r.json().get("events"); evs && evs->is_list())
      for (const Value& e : evs->as_list()) ids.push_back(e.get("id")->as_int());
    return ids;
  }

  bool hooked_ = false;
};

TEST_F(IdempotencyTest, SameNetBoxBodyTwiceIsOneEventWithTheSameAnswer) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto first = Ingest(Device(1, kT1));
  ASSERT_EQ(first.status, 202) << first.body;
  auto again = Ingest(Device(1, kT1));
  ASSERT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(Events(), 1);
  EXPECT_EQ(Tasks(), 1);
  // Keys sorted and spacing aside, the same event is the same key.
  auto reordered = Ingest(
      R"({"snapshots": {"postchange": {"name": "web01"}, "prechange": null},
      "data": {"name": "web01", "id": 1}, "request_id": "3f8e2c1a-6b0d-4c55-9a77-0f6f1f3b2e91",
      "username": "jdoe", "object_type": "dcim.device", "timestamp": ")" +
      std::string(kT1) + R"(", "event": "created"})");
  ASSERT_EQ(reordered.status, 202) << reordered.body;
  EXPECT_EQ(reordered.body, first.body);
  // Kept in the store: the same after a restart.
  ASSERT_NO_FATAL_FAILURE(Restart());
  auto later = Ingest(Device(1, kT1));
  ASSERT_EQ(later.status, 202) << later.body;
  EXPECT_EQ(later.body, first.body);
  EXPECT_EQ(Events(), 1);
  EXPECT_EQ(Tasks(), 1);
}

TEST_F(IdempotencyTest, TwoChangesWithDifferentTimestampsAreTwoEvents) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto a = Ingest(Device(1, kT1));
  auto b = Ingest(Device(1, kT2));
  ASSERT_EQ(a.status, 202) << a.body;
  ASSERT_EQ(b.status, 202) << b.body;
  EXPECT_NE(Ids(a), Ids(b));
  EXPECT_EQ(Events(), 2);
  EXPECT_EQ(Tasks(), 2);
}

TEST_F(IdempotencyTest, RetriedBatchWithOneNewEventStoresOnlyTheNewOne) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto first = Ingest("[" + Device(1, kT1) + "," + Device(2, kT1) + "]");
  ASSERT_EQ(first.status, 202) << first.body;
  ASSERT_NO_FATAL_FAILURE(Restart());
  auto retry = Ingest("[" + Device(1, kT1) + "," + Device(2, kT1) + "," + Device(3, kT1) + "]");
  ASSERT_EQ(retry.status, 202) << retry.body;
  auto ids = Ids(retry), old = Ids(first);
  ASSERT_EQ(ids.size(), 3u);
  ASSERT_EQ(old.size(), 2u);
  EXPECT_EQ(ids[0], old[0]);
  EXPECT_EQ(ids[1], old[1]);
  EXPECT_NE(ids[2], old[0]);
  EXPECT_NE(ids[2], old[1]);
  EXPECT_EQ(Events(), 3);
  EXPECT_EQ(Tasks(), 3);
}

TEST_F(IdempotencyTest, RequestKeyAndEventIdKeyEvents) {
  ASSERT_NO_FATAL_FAILURE(Start());
  // The header keys the request's events by place: a resend with new timestamps is the same.
  auto first = Ingest("[" + Device(1, kT1) + "," + Device(2, kT1) + "]", "batch-1");
  auto resent = Ingest("[" + Device(1, kT2) + "," + Device(2, kT2) + "]", "batch-1");
  ASSERT_EQ(first.status, 202) << first.body;
  EXPECT_EQ(resent.body, first.body);
  EXPECT_EQ(Events(), 2);
  auto other = Ingest(Device(1, kT1), "batch-2");
  ASSERT_EQ(other.status, 202) << other.body;
  EXPECT_EQ(Events(), 3);
  // An event's own "id" keys it, whatever else changes.
  auto with_id = [](const std::string& body, const std::string& id) {
    return R"({"id": ")" + id + R"(",)" + body.substr(1);
  };
  auto x = Ingest(with_id(Device(5, kT1), "evt-5"));
  auto y = Ingest(with_id(Device(6, kT2), "evt-5"));
  ASSERT_EQ(x.status, 202) << x.body;
  EXPECT_EQ(y.body, x.body);
  EXPECT_EQ(Events(), 4);
  // A bad id or header is refused with a clear error.
  auto bad = Ingest(R"({"id": 5,)" + Device(7, kT1).substr(1));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("'id'"), std::string::npos) << bad.body;
  auto long_key = Ingest(Device(7, kT1), std::string(201, 'k'));
  EXPECT_EQ(long_key.status, 400);
  EXPECT_NE(long_key.body.find("Idempotency-Key"), std::string::npos) << long_key.body;
  EXPECT_EQ(Events(), 4);
}

TEST_F(IdempotencyTest, ConcurrentPostsOfOneEventStoreItOnce) {
  ASSERT_NO_FATAL_FAILURE(Start());
  constexpr int kPosts = 8;
  std::vector<HttpResult> answers(kPosts);
  std::vector<std::thread> posts;
  for (int i = 0; i < kPosts; ++i)
    posts.emplace_back([&, i] { answers[i] = Ingest(Device(9, kT1)); });
  for (auto& t : posts) t.join();
  for (const auto& a : answers) {
    EXPECT_EQ(a.status, 202) << a.body;
    EXPECT_EQ(a.body, answers[0].body);
  }
  EXPECT_EQ(Events(), 1);
  EXPECT_EQ(Tasks(), 1);
}

TEST_F(IdempotencyTest, RetentionPurgesKeysOutsideTheWindow) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_EQ(Ingest(Device(1, kT1)).status, 202);
  // With a zero window every key is outside it: the sweeper purges them at its first pass.
  ASSERT_NO_FATAL_FAILURE(
      Restart({{"HERALD_INGEST_DEDUPE_WINDOW", "0"}, {"HERALD_DELIVERY_WORKERS", "true"}}));
  ASSERT_TRUE(server_->WaitForLog("purged ingest keys", std::chrono::seconds(30)))
      << server_->Stderr();
  ASSERT_NO_FATAL_FAILURE(Restart());
  auto again = Ingest(Device(1, kT1));
  ASSERT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(Events(), 2);
}

TEST_F(IdempotencyTest, ZeroWindowStoresEveryPost) {
  ASSERT_NO_FATAL_FAILURE(Start({{"HERALD_INGEST_DEDUPE_WINDOW", "0"}}));
  ASSERT_EQ(Ingest(Device(1, kT1)).status, 202);
  ASSERT_EQ(Ingest(Device(1, kT1)).status, 202);
  EXPECT_EQ(Events(), 2);
}

}  // namespace
}  // namespace herald::testing
