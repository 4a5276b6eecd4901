// Durability torture, end to end with the real binary: several clients post events (single and
// batches) concurrently, herald serve is killed with SIGKILL mid-stream and restarted. Every
// event the clients saw acknowledged (202) must be there with its tasks, and every task must be
// delivered. A task may be delivered twice only when its first request was in flight at the
// kill (sent by the killed process, its result never recorded).
//
// Each herald process renders its generation into an X-Gen header (the `env` filter reads
// TORTURE_GEN), so the receiver knows which process sent each request. Webhooks retry (fixed
// 1 s interval, 60 attempts), so tasks that failed while the receiver was down are delivered once
// it is up. Bounded: about 150 acknowledged events per run, deadlines of 20-40 s per phase.
#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "server_fixture.h"
#include "value/json.h"

namespace herald::testing {
namespace {

constexpr int kClients = 4;
constexpr size_t kAckedBeforeKill = 150;  // events acknowledged before the kill
constexpr int kBatch = 4;                 // events per batch request
constexpr int kMaxInFlight = 64;          // delivery.max_in_flight

struct Acked {
  int64_t event_id;
  int64_t tasks;
};

std::string EventJson(int client, int n) {
  return R"({"event": "created", "object_type": "dcim.site", "username": "torture", )"
         R"("data": {"id": )" +
         std::to_string(client * 1000000 + n) + R"(, "name": "site )" + std::to_string(n) +
         R"("}, "snapshots": {"prechange": null, "postchange": {"name": "x"}}})";
}

class TortureTest : public ServerFixture {
 protected:
  void Start(const std::string& gen) {
    std::map<std::string, std::string> env = {
        {"HERALD_DELIVERY_DEFAULT_TIMEOUT", "5"},  // lease 6 s; no attempt times out
        {"HERALD_DELIVERY_LEASE_SECONDS", "1"},
        {"HERALD_DELIVERY_MAX_IN_FLIGHT", std::to_string(kMaxInFlight)},
        {"HERALD_DELIVERY_MAX_IN_FLIGHT_PER_HOST", "32"},
        {"HERALD_TEMPLATES_ENV_PATTERNS", "TORTURE_GEN"},
        {"TORTURE_GEN", gen}};
    StartServer(std::move(env));
  }

  // Two webhooks (two tasks per event) at the receiver, retrying every second.
  void Configure(const RawReceiver& rx) {
    for (const std::string name : {"a", "b"}) {
      ASSERT_GT(CreateWebhookAndRule(
                    server_->base(), token_,
                    R"({"name": ")" + name + R"(", "payload_url": ")" + rx.url("/" + name) +
                        R"(", "additional_headers": "X-Gen: {{ 'TORTURE_GEN'|env }}", )"
                        R"("max_attempts": 60, "retry_policy": "fixed", "retry_interval": 1})",
                    "rule " + name),
                0);
    }
  }

  // Clients post until the server is killed; the kill comes once kAckedBeforeKill events were
  // acknowledged. Returns what was acknowledged.
  std::vector<Acked> PostUntilKilled() {
    std::mutex mu;
    std::vector<Acked> acked;
    std::atomic<bool> stop{false};
    const std::string url = Url("/api/events/");
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        for (int n = 0; !stop && n < 100000; n += kBatch) {
          std::string body;
          if ((n / kBatch) % 2 == 0) {
            body = EventJson(c, n);
          } else {
            body = "[";
            for (int i = 0; i < kBatch; ++i) body += (i ? "," : "") + EventJson(c, n + i);
            body += "]";
          }
          auto r = Api("POST", url, token_, body);
          if (r.status != 202) break;  // killed (or refused): stop this client
          std::lock_guard<std::mutex> lock(mu);
          for (const auto& e : r.json().get("events")->as_list())
            acked.push_back({e.get("id")->as_int(), e.get("tasks")->as_int()});
        }
      });
    }
    auto enough = [&] {
      std::lock_guard<std::mutex> lock(mu);
      return acked.size() >= kAckedBeforeKill;
    };
    bool reached = WaitFor(enough, std::chrono::seconds(30));
    server_->Kill();  // mid-stream: the clients are still posting
    stop = true;
    for (auto& t : clients) t.join();
    EXPECT_TRUE(reached) << "only " << acked.size() << " events acknowledged before the deadline";
    return acked;
  }

  // Checks every acknowledged event and its tasks after the restart; returns the task ids.
  std::set<std::string> CheckPresent(const std::vector<Acked>& acked) {
    std::set<std::string> tasks;
    for (const auto& a : acked) {
      auto r = Get("/api/events/" + std::to_string(a.event_id) + "/");
      EXPECT_EQ(r.status, 200) << "acknowledged event " << a.event_id << " is missing";
      const Value* list = r.json().get("tasks");
      if (!list || !list->is_list()) continue;
      EXPECT_EQ(static_cast<int64_t>(list->as_list().size()), a.tasks) << "event " << a.event_id;
      for (const auto& t : list->as_list()) tasks.insert(t.get("id")->as_str());
    }
    EXPECT_EQ(tasks.size(), 2 * acked.size());
    return tasks;
  }

  // Polls until every task is finished; returns each task's recorded attempts.
  std::map<std::string, int64_t> WaitAllFinished(const std::set<std::string>& tasks) {
    std::map<std::string, int64_t> done;
    auto all = [&] {
      for (const auto& id : tasks) {
        if (done.count(id)) continue;
        auto r = Get("/api/core/background-tasks/" + id + "/");
        const Value* st = r.json().get("status");
        if (!st || !st->is_str() || st->as_str() != "finished") return false;
        done[id] = r.json().get("attempts")->as_int();
      }
      return true;
    };
    EXPECT_TRUE(WaitFor(all, std::chrono::seconds(40)))
        << done.size() << " of " << tasks.size() << " tasks finished\n"
        << server_->Stderr();
    return done;
  }
};

TEST_F(TortureTest, Kill9WithReceiverDownLosesNothingAndDeliversEachTaskOnce) {
  RawReceiver rx(RawReceiver::Mode::kDown);  // the URL refuses connections for now
  Start("1");
  Configure(rx);
  std::vector<Acked> acked = PostUntilKilled();
  Start("2");
  std::set<std::string> tasks = CheckPresent(acked);
  rx.SetMode(RawReceiver::Mode::kAnswer);
  auto attempts = WaitAllFinished(tasks);
  ASSERT_EQ(attempts.size(), tasks.size());
  std::map<std::string, std::vector<std::string>> gens;
  for (const auto& h : rx.hits()) gens[h.task].push_back(h.gen);
  for (const auto& id : tasks) {
    // Nothing reached the receiver before the kill: exactly one request, from the new process.
    EXPECT_EQ(gens[id], std::vector<std::string>{"2"}) << "task " << id;
  }
}

TEST_F(TortureTest, Kill9WhileDeliveringDuplicatesOnlyRequestsInFlightAtTheKill) {
  RawReceiver rx(RawReceiver::Mode::kAnswer, /*delay_ms=*/2);  // keeps requests in flight
  Start("1");
  Configure(rx);
  std::vector<Acked> acked = PostUntilKilled();
  Start("2");
  std::set<std::string> tasks = CheckPresent(acked);
  auto attempts = WaitAllFinished(tasks);
  ASSERT_EQ(attempts.size(), tasks.size());
  std::map<std::string, std::vector<std::string>> gens;
  for (const auto& h : rx.hits()) gens[h.task].push_back(h.gen);
  size_t duplicated = 0, before_kill = 0;
  for (const auto& id : tasks) {
    const auto& g = gens[id];
    size_t g1 = std::count(g.begin(), g.end(), "1"), g2 = std::count(g.begin(), g.end(), "2");
    EXPECT_EQ(g1 + g2, g.size()) << "task " << id;
    EXPECT_GE(g.size(), 1u) << "task " << id << " was never delivered";
    EXPECT_LE(g1, 1u) << "task " << id << " sent twice by the first process";
    EXPECT_LE(g2, 1u) << "task " << id << " sent twice by the second process";
    // Every task finished with exactly one recorded attempt: a second request only happens when
    // the first one's result was never recorded, i.e. it was in flight when herald was killed.
    EXPECT_EQ(attempts[id], 1) << "task " << id;
    before_kill += g1;
    if (g1 == 1 && g2 == 1) ++duplicated;
  }
  EXPECT_GT(before_kill, 0u) << "no delivery happened before the kill; the test proves nothing";
  EXPECT_LE(duplicated, static_cast<size_t>(kMaxInFlight))
      << "more duplicates than requests can be in flight at once";
  RecordProperty("duplicated", static_cast<int>(duplicated));
  RecordProperty("delivered_before_kill", static_cast<int>(before_kill));
}

}  // namespace
}  // namespace herald::testing
