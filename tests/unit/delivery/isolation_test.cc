// Isolation between receivers, end to end through the dispatcher and the real transport over
// loopback: a receiver that holds every request, with a backlog queued before a healthy
// receiver's tasks, takes only its own per-host slots; every healthy delivery completes while the
// slow receiver still holds its requests. The checks are on order and completion (which tasks
// are finished, which are still leased), never on time. The in-memory store is the dispatcher
// tests' FakeStore.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "delivery/dispatcher.h"
#include "delivery/renderer.h"
#include "delivery/transport.h"
#include "delivery_fakes.h"
#include "support/test_server.h"
#include "support/wait.h"

namespace herald::delivery {
namespace {

using herald::testing::Answer;
using herald::testing::NeverAnswer;
using herald::testing::TestServer;
using herald::testing::WaitFor;
using testing::FakeStore;

constexpr int64_t kEventId = 7;
constexpr int64_t kSlowHook = 1;
constexpr int64_t kHealthyHook = 2;
constexpr size_t kPerHost = 2;
constexpr size_t kInFlight = 4;
constexpr int kSlowTasks = 12;
constexpr int kHealthyTasks = 6;

Webhook Hook(int64_t id, std::string url) {
  Webhook w;
  w.id = id;
  w.name = "hook " + std::to_string(id);
  w.payload_url = std::move(url);
  w.timeout = 600;  // the held requests never time out during the test
  w.last_updated = 1;
  return w;
}

Event SiteEvent() {
  Event e;
  e.id = kEventId;
  e.event = "created";
  e.event_type = "object_created";
  e.object_type = "dcim.site";
  e.model = "site";
  e.timestamp = "2026-03-06T15:11:23.503186+00:00";
  e.username = Value("admin");
  return e;
}

TEST(Isolation, HealthyReceiverIsServedWhileASlowOneHoldsItsBacklog) {
  TestServer slow(NeverAnswer());
  TestServer healthy(Answer(204));
  FakeStore store;
  store.PutEvent(SiteEvent());
  store.PutWebhook(Hook(kSlowHook, slow.url("/hook")));
  store.PutWebhook(Hook(kHealthyHook, healthy.url("/hook")));
  // The slow receiver's backlog is older: the store leases it first.
  std::vector<std::string> slow_ids, healthy_ids;
  for (int i = 0; i < kSlowTasks; ++i) slow_ids.push_back(store.AddTask(kEventId, kSlowHook));
  for (int i = 0; i < kHealthyTasks; ++i)
    healthy_ids.push_back(store.AddTask(kEventId, kHealthyHook));

  TransportOptions to;
  to.max_in_flight = kInFlight;
  to.max_in_flight_per_host = kPerHost;
  Transport transport(to);
  Renderer renderer;
  DispatcherOptions o;
  o.worker_id = "worker-1";
  o.max_in_flight = kInFlight;
  o.max_in_flight_per_host = kPerHost;
  o.max_waiting = 100;
  Dispatcher dispatcher(store, transport, renderer, o, SystemClock());
  dispatcher.Start();
  dispatcher.Wake();

  for (const auto& id : healthy_ids)
    EXPECT_TRUE(store.WaitForStatus(id, TaskStatus::kFinished)) << id;
  // Every slow task is still leased and unanswered: its receiver holds at most its slots.
  for (const auto& id : slow_ids) {
    EXPECT_EQ(store.task(id).status, TaskStatus::kStarted) << id;
    EXPECT_TRUE(store.attempts(id).empty()) << id;
  }
  EXPECT_TRUE(WaitFor([&] { return slow.max_concurrent() == static_cast<int>(kPerHost); }));
  EXPECT_LE(slow.connections(), static_cast<int>(kPerHost));
  EXPECT_EQ(healthy.requests().size(), static_cast<size_t>(kHealthyTasks));

  // Stopping hands the slow backlog back to the queue.
  dispatcher.Stop(std::chrono::milliseconds(0));
  for (const auto& id : slow_ids) EXPECT_EQ(store.task(id).status, TaskStatus::kQueued) << id;
  slow.Stop();
}

}  // namespace
}  // namespace herald::delivery
