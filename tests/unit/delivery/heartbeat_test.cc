// Heartbeat over a real SQLite store (support/store_fixture.h) and a FakeClock: Start registers
// the worker with its identity and the dispatcher's counters, the thread beats once per interval
// of (fake) time, Stop deregisters, stale workers are removed and never listed, a worker the
// store forgot registers again, and the counters map onto NetBox's worker fields. Nothing
// sleeps: tests advance the clock and wait (bounded) for the store to show the beat.
#include "delivery/heartbeat.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <mutex>

#include "common/clock.h"
#include "support/store_fixture.h"
#include "support/wait.h"

namespace herald::delivery {
namespace {

using herald::testing::WaitFor;

constexpr const char* kName = "node-a:4242:abc123";

class HeartbeatTest : public herald::testing::TempStoreTest {
 protected:
  // The counters the fake dispatcher reports (guarded: the heartbeat thread reads them).
  void SetStats(const DispatcherStats& s) {
    std::lock_guard<std::mutex> lock(mu_);
    stats_ = s;
  }
  std::unique_ptr<Heartbeat> Make(std::string name = kName) {
    HeartbeatOptions o;
    o.name = std::move(name);
    return std::make_unique<Heartbeat>(
        *store_, o,
        [this] {
          std::lock_guard<std::mutex> lock(mu_);
          return stats_;
        },
        clock_);
  }
  // The workers listed as live now.
  std::vector<WorkerInfo> Live() {
    auto w = store_->ListWorkers(WorkerAliveSince(clock_.NowUs()));
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? *w : std::vector<WorkerInfo>{};
  }
  // Registers another process's worker whose latest heartbeat was at `last`.
  void RegisterOther(const std::string& name, TimeUs last) {
    WorkerInfo w;
    w.name = name;
    w.host = "node-b";
    w.pid = 7;
    w.queue_names = {"default"};
    w.birth_date = last;
    w.last_heartbeat = last;
    w.state = "idle";
    ASSERT_TRUE(store_->RegisterWorker(w).ok());
  }

  FakeClock clock_;
  std::mutex mu_;
  DispatcherStats stats_;
};

TEST_F(HeartbeatTest, StartRegistersTheWorkerAndStopDeregistersIt) {
  DispatcherStats s;
  s.succeeded = 3;
  SetStats(s);
  auto hb = Make();
  hb->Start();
  auto live = Live();
  ASSERT_EQ(live.size(), 1u);
  const WorkerInfo& w = live[0];
  EXPECT_EQ(w.name, kName);
  EXPECT_EQ(w.host, LocalHostName());
  EXPECT_FALSE(w.host.empty());
  EXPECT_EQ(w.pid, getpid());
  EXPECT_EQ(w.queue_names, std::vector<std::string>{"default"});
  EXPECT_EQ(w.birth_date, clock_.NowUs());
  EXPECT_EQ(w.last_heartbeat, clock_.NowUs());
  EXPECT_EQ(w.state, "idle");
  EXPECT_EQ(w.successful_job_count, 3);
  hb->Stop();
  EXPECT_TRUE(Live().empty()) << "a graceful stop deregisters at once";
  EXPECT_TRUE(store_->ListWorkers(0)->empty());
  hb->Stop();  // idempotent
}

TEST_F(HeartbeatTest, TheThreadBeatsEveryIntervalWithTheDispatchersCounters) {
  auto hb = Make();
  hb->Start();
  const TimeUs born = clock_.NowUs();
  DispatcherStats s;
  s.in_flight = 2;
  s.succeeded = 5;
  s.failed_status = 1;
  s.failed_network = 2;
  s.failed_render = 3;
  s.working_time_us = 2'500'000;
  SetStats(s);
  clock_.Advance(kHeartbeatInterval);
  const TimeUs beat = clock_.NowUs();
  ASSERT_TRUE(WaitFor([&] {
    auto live = Live();
    return live.size() == 1 && live[0].last_heartbeat == beat;
  })) << "no heartbeat one interval after the start";
  WorkerInfo w = Live()[0];
  EXPECT_EQ(w.state, "busy");
  EXPECT_EQ(w.successful_job_count, 5);
  EXPECT_EQ(w.failed_job_count, 6);
  EXPECT_EQ(w.total_working_time, 2'500'000);
  EXPECT_EQ(w.birth_date, born) << "a heartbeat keeps the registration's birth date";
  s.in_flight = 0;
  SetStats(s);
  clock_.Advance(kHeartbeatInterval);
  ASSERT_TRUE(WaitFor([&] {
    auto live = Live();
    return live.size() == 1 && live[0].state == "idle";
  }));
  hb->Stop();
  EXPECT_TRUE(Live().empty());
}

TEST_F(HeartbeatTest, StaleWorkersAreNotListedAndTheNextBeatRemovesThem) {
  auto hb = Make();
  hb->Start();
  RegisterOther("node-b:7:crashed", clock_.NowUs());
  EXPECT_EQ(Live().size(), 2u);
  // node-b stops beating; ours goes on (by hand here: Beat is the thread's step).
  clock_.Advance(kWorkerStaleAfter);
  ASSERT_TRUE(hb->Beat().ok());
  EXPECT_EQ(Live().size(), 2u) << "silent for exactly kWorkerStaleAfter: still live";
  EXPECT_EQ(store_->ListWorkers(0)->size(), 2u);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Live().size(), 1u) << "silent for longer: not listed, even before the purge";
  ASSERT_TRUE(hb->Beat().ok());
  auto all = store_->ListWorkers(0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u) << "removed by the next heartbeat";
  EXPECT_EQ((*all)[0].name, kName);
  hb->Stop();
}

TEST_F(HeartbeatTest, AWorkerTheStoreForgotRegistersAgain) {
  auto hb = Make();
  hb->Start();
  const TimeUs born = clock_.NowUs();
  ASSERT_TRUE(store_->DeregisterWorker(kName).ok());  // purged while this process was paused
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(hb->Beat().ok());
  auto live = Live();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].birth_date, born);
  EXPECT_EQ(live[0].last_heartbeat, clock_.NowUs());
  hb->Stop();
}

TEST_F(HeartbeatTest, ABeatWithoutAStoreIsAnErrorNotACrash) {
  auto hb = Make();
  hb->Start();
  store_->Close();  // every later call fails with kUnavailable
  EXPECT_EQ(hb->Beat().code(), Code::kUnavailable);
  hb.reset();  // Stop cannot deregister: logged
  CloseStore();
  ASSERT_NO_FATAL_FAILURE(OpenTempStore());  // the same file again
  EXPECT_EQ(Live().size(), 1u) << "a deregistration that could not run leaves a stale entry";
  clock_.Advance(kWorkerStaleAfter + std::chrono::seconds(1));
  EXPECT_TRUE(Live().empty()) << "which is not listed once its heartbeats are stale";
}

TEST(HeartbeatActivity, MapsTheDispatchersCounters) {
  DispatcherStats s;
  WorkerInfo w;
  SetActivity(s, &w);
  EXPECT_EQ(w.state, "idle");
  EXPECT_EQ(w.successful_job_count, 0);
  EXPECT_EQ(w.failed_job_count, 0);
  s.in_flight = 1;
  s.succeeded = 10;
  s.failed_status = 4;
  s.working_time_us = 7;
  SetActivity(s, &w);
  EXPECT_EQ(w.state, "busy");
  EXPECT_EQ(w.successful_job_count, 10);
  EXPECT_EQ(w.failed_job_count, 4);
  EXPECT_EQ(w.total_working_time, 7);
}

}  // namespace
}  // namespace herald::delivery
