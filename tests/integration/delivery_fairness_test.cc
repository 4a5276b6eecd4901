// Fairness and isolation end to end: herald serve with its workers, real receivers on loopback.
// A burst for one webhook must not keep another webhook's tasks waiting until it is over
// (fair leasing), and a receiver that holds its requests must not keep a healthy receiver's
// tasks from being delivered (a full destination's webhook is not leased for). Checked on the
// order of arrival and on completion, never on time.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>

#include "server_fixture.h"
#include "support/test_server.h"
#include "support/wait.h"

namespace herald::testing {
namespace {

// Both receivers' arrivals in order ('a' or 'b'), and a gate the held receiver waits on.
class Arrivals {
 public:
  // A receiver handler recording `who`; when `held`, it answers only once the gate is open.
  TestServer::Handler Handler(char who, bool held) {
    return [this, who, held](const ServerRequest&) {
      std::unique_lock<std::mutex> lock(mu_);
      order_.push_back(who);
      if (held) cv_.wait(lock, [this] { return open_; });
      ServerResponse r;
      r.status = 200;
      return r;
    };
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  std::string order() {
    std::lock_guard<std::mutex> lock(mu_);
    return order_;
  }
  size_t Count(char who) {
    std::string o = order();
    return static_cast<size_t>(std::count(o.begin(), o.end(), who));
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  std::string order_;
};

class DeliveryFairnessTest : public ServerFixture {
 protected:
  // The held handlers return before the receivers stop, even when a check failed first.
  void TearDown() override { arrivals_.Open(); }

  // Starts Herald with `env`, a receiver 'a' that holds its requests (webhook "a", device
  // events) and one 'b' answering at once (webhook "b", site events), posts `backlog` device
  // events, waits until 'a' holds two requests (its two slots), then posts `then` site events.
  void StartWithHeldBacklog(std::map<std::string, std::string> env, int backlog, int then) {
    StartServer(std::move(env));
    held_ = std::make_unique<TestServer>(arrivals_.Handler('a', true));
    other_ = std::make_unique<TestServer>(arrivals_.Handler('b', false));
    Hook("a", held_->url("/a"), "dcim.device");
    Hook("b", other_->url("/b"), "dcim.site");
    PostEvents("dcim.device", backlog);
    ASSERT_TRUE(WaitFor([&] { return arrivals_.Count('a') == 2; })) << arrivals_.order();
    PostEvents("dcim.site", then);
  }
  // A webhook to `url` and a rule sending `object_type`'s created events to it.
  void Hook(const std::string& name, const std::string& url, const std::string& object_type) {
    auto w = Post("/api/extras/webhooks/",
                  R"({"name": ")" + name + R"(", "payload_url": ")" + url + R"("})");
    ASSERT_EQ(w.status, 201) << w.body;
    auto r = Post("/api/extras/event-rules/",
                  R"({"name": ")" + name + R"(", "object_types": [")" + object_type +
                      R"("], "event_types": ["object_created"], "action_object_id": )" +
                      std::to_string(w.json().get("id")->as_int()) + "}");
    ASSERT_EQ(r.status, 201) << r.body;
  }
  // Posts `n` created events of `object_type` in one request (one task each).
  void PostEvents(const std::string& object_type, int n) {
    std::string body = "[";
    for (int i = 0; i < n; ++i) {
      body += (i ? "," : "") +
              FreshEvent(R"({"event": "created", "timestamp": "2026-03-06T15:11:23+00:00", )"
                         R"("object_type": ")" +
                         object_type + R"(", "username": "admin", "data": {"id": )" +
                         std::to_string(i + 1) + "}}");
    }
    auto r = Post("/api/events/", body + "]");
    ASSERT_EQ(r.status, 202) << r.body;
  }
  int64_t Finished() {
    auto r = Get("/api/core/background-tasks/?status=finished&limit=1");
    return r.json().get("count") ? r.json().get("count")->as_int() : -1;
  }
  // Waits (bounded) until `n` tasks have finished.
  ::testing::AssertionResult FinishedReach(int64_t n) {
    if (WaitFor([&] { return Finished() == n; }, std::chrono::seconds(60)))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << Finished() << " of " << n << " finished; arrivals "
                                         << arrivals_.order() << server_->Stderr();
  }

  Arrivals arrivals_;
  std::unique_ptr<TestServer> held_, other_;
};

// Two requests in flight at most, so leasing goes one or two tasks at a time: webhook A's burst
// is posted and holds both slots, then B's few tasks arrive; once A's receiver answers, the
// leases take turns between A and B instead of draining A's burst first.
TEST_F(DeliveryFairnessTest, BurstForOneWebhookDoesNotStarveAnother) {
  constexpr int kBurst = 100, kFew = 5;
  ASSERT_NO_FATAL_FAILURE(StartWithHeldBacklog(
      {{"HERALD_DELIVERY_MAX_IN_FLIGHT", "2"}, {"HERALD_DELIVERY_MAX_IN_FLIGHT_PER_HOST", "2"}},
      kBurst, kFew));
  arrivals_.Open();
  ASSERT_TRUE(FinishedReach(kBurst + kFew));
  const std::string order = arrivals_.order();
  EXPECT_EQ(std::count(order.begin(), order.end(), 'b'), kFew) << order;
  // Every B delivery arrived while most of A's burst was still to come.
  const size_t last_b = order.rfind('b');
  ASSERT_NE(last_b, std::string::npos);
  const auto a_before = std::count(order.begin(), order.begin() + last_b, 'a');
  EXPECT_LT(a_before, kBurst / 2) << order;
}

// A receiver that holds every request (answers only when the test releases it), with a backlog
// far beyond its slots and beyond max_waiting, then a healthy receiver's tasks: every healthy
// delivery completes while the held receiver still holds its first requests, and nothing of its
// backlog is lost once it answers.
TEST_F(DeliveryFairnessTest, HeldReceiverWithBacklogDoesNotDelayAHealthyOne) {
  constexpr int kBacklog = 40, kHealthy = 10;
  ASSERT_NO_FATAL_FAILURE(StartWithHeldBacklog(
      {{"HERALD_DELIVERY_MAX_IN_FLIGHT_PER_HOST", "2"}, {"HERALD_DELIVERY_MAX_WAITING", "4"}},
      kBacklog, kHealthy));
  ASSERT_TRUE(FinishedReach(kHealthy));
  // The slow receiver still holds its two requests, and has seen no others.
  EXPECT_EQ(arrivals_.Count('a'), 2u) << arrivals_.order();
  EXPECT_EQ(arrivals_.Count('b'), static_cast<size_t>(kHealthy));
  arrivals_.Open();
  EXPECT_TRUE(FinishedReach(kBacklog + kHealthy));
  EXPECT_EQ(arrivals_.Count('a'), static_cast<size_t>(kBacklog));
}

}  // namespace
}  // namespace herald::testing
