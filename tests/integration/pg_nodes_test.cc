// Several Herald processes on one PostgreSQL database (issue 10): two `herald serve` without
// delivery workers take events alternately, two `herald worker` processes deliver them to a
// loopback receiver that answers slowly, and one worker is killed (-9) while deliveries are in
// flight. Every acknowledged task must reach the receiver, and only the requests the killed worker
// could have had in flight (its max_in_flight) may arrive twice. A webhook edited through one
// node is used for the next event, and a UI session signed in on one node works on the other.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "harness.h"
#include "support/pg_server.h"
#include "value/json.h"

namespace herald::testing {
namespace {

const char* const kEvent = kSiteCreatedEvent;

constexpr int kEvents = 200;
constexpr int kMaxInFlight = 8;  // per worker: the bound on what a killed worker had in flight

// Posts one fresh event to `base`; its task's id ("" with a test failure when not accepted).
std::string PostEventTask(const std::string& base, const std::string& token) {
  auto r = Api("POST", base + "/api/events/", token, FreshEvent(kEvent));
  EXPECT_EQ(r.status, 202) << r.body;
  if (r.status != 202) return "";
  const int64_t ev = r.json().get("events")->as_list()[0].get("id")->as_int();
  auto d = Api("GET", base + "/api/events/" + std::to_string(ev) + "/", token);
  const Value* tasks = d.json().get("tasks");
  EXPECT_TRUE(tasks && tasks->is_list() && !tasks->as_list().empty()) << d.body;
  if (!tasks || !tasks->is_list() || tasks->as_list().empty()) return "";
  return tasks->as_list()[0].get("id")->as_str();
}

std::string TaskStatus(const std::string& base, const std::string& token, const std::string& id) {
  auto r = Api("GET", base + "/api/core/background-tasks/" + id + "/", token);
  const Value* s = r.json().get("status");
  return s && s->is_str() ? s->as_str() : "";
}

class PgNodes : public NodesTest {
 protected:
  void SetUp() override {
    PgServer& pg = PgServer::Get();
    ASSERT_TRUE(pg.ok()) << pg.error();
    std::string error;
    url_ = pg.CreateDatabase("herald_pg_nodes", &error);
    ASSERT_FALSE(url_.empty()) << error;
    store_args_ = {"--store", url_};
  }
  std::unique_ptr<Worker> StartWorker() {
    auto w = std::make_unique<Worker>(
        dir_.path(), url_,
        std::map<std::string, std::string>{
            {"HERALD_DELIVERY_MAX_IN_FLIGHT", std::to_string(kMaxInFlight)},
            {"HERALD_DELIVERY_DEFAULT_TIMEOUT", "2"},
            {"HERALD_DELIVERY_LEASE_SECONDS", "1"}});
    EXPECT_TRUE(w->started()) << w->Stderr();
    return w;
  }

  std::string url_;
};

TEST_F(PgNodes, KilledWorkerLosesNoTaskAndEditsAndSessionsReachEveryNode) {
  auto a = StartNode();
  auto b = StartNode();
  ASSERT_TRUE(a->started() && b->started());
  ASSERT_EQ(token_.size(), 40u);
  RawReceiver rx(RawReceiver::Mode::kAnswer, 150);
  const int64_t hook = CreateWebhookAndRule(a->base(), token_,
                                            R"({"name": "hook", "payload_url": ")" + rx.url("/in") +
                                                R"(", "additional_headers": "X-Gen: 1"})");
  ASSERT_GT(hook, 0);
  auto w1 = StartWorker();
  auto w2 = StartWorker();
  ASSERT_TRUE(w1->started() && w2->started());

  std::vector<std::string> acked;
  for (int i = 0; i < kEvents; ++i) {
    std::string id = PostEventTask(i % 2 == 0 ? a->base() : b->base(), token_);
    if (!id.empty()) acked.push_back(id);
  }
  ASSERT_EQ(acked.size(), static_cast<size_t>(kEvents));

  // Kill one worker while deliveries are in flight (the receiver has seen some, not all).
  ASSERT_TRUE(WaitFor([&] { return rx.count() >= kEvents / 4; }, std::chrono::seconds(20)))
      << rx.count();
  std::map<std::string, size_t> before;
  w1->Kill();
  for (const auto& h : rx.hits()) ++before[h.task];
  EXPECT_LT(before.size(), static_cast<size_t>(kEvents)) << "all delivered before the kill";

  // Every acknowledged task is delivered (received, and finished in the store).
  const std::set<std::string> want(acked.begin(), acked.end());
  auto received = [&] {
    std::set<std::string> got;
    for (const auto& h : rx.hits()) got.insert(h.task);
    return got;
  };
  EXPECT_TRUE(WaitFor(
      [&] {
        auto got = received();
        return std::includes(got.begin(), got.end(), want.begin(), want.end());
      },
      std::chrono::seconds(30)))
      << received().size() << " of " << want.size() << " tasks received";
  for (const auto& id : acked) {
    EXPECT_TRUE(WaitFor([&] { return TaskStatus(a->base(), token_, id) == "finished"; },
                        std::chrono::seconds(10)))
        << id << ": " << TaskStatus(a->base(), token_, id);
  }
  std::map<std::string, size_t> counts;
  for (const auto& h : rx.hits()) ++counts[h.task];
  size_t duplicates = 0;
  for (const auto& [task, n] : counts) {
    EXPECT_TRUE(want.count(task)) << "an unknown task was delivered: " << task;
    if (n > 1) {
      ++duplicates;
      EXPECT_EQ(n, 2u) << task << " was delivered " << n << " times";
      EXPECT_TRUE(before.count(task)) << task << " was duplicated but not sent before the kill";
    }
  }
  EXPECT_LE(duplicates, static_cast<size_t>(kMaxInFlight))
      << "more duplicates than the killed worker could have had in flight";

  // The webhook edited through node A: the next event posted on node B is sent with it.
  auto patched = Api("PATCH", a->base() + "/api/extras/webhooks/" + std::to_string(hook) + "/",
                     token_, R"({"additional_headers": "X-Gen: 2"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  const std::string next = PostEventTask(b->base(), token_);
  ASSERT_FALSE(next.empty());
  std::string gen;
  EXPECT_TRUE(WaitFor(
      [&] {
        for (const auto& h : rx.hits()) {
          if (h.task == next) gen = h.gen;
        }
        return !gen.empty();
      },
      std::chrono::seconds(3)));
  EXPECT_EQ(gen, "2") << "the worker used the webhook as it was before the edit";

  // A UI session signed in on node A works on node B.
  UiSession ui = SignInToUi(a->base(), token_);
  ASSERT_FALSE(ui.cookie.empty());
  ExpectSignedIn(b->base(), ui);
}

}  // namespace
}  // namespace herald::testing
