// Heartbeat: how a process that runs delivery workers (`herald worker`, and `herald serve` with
// delivery.workers) tells the store it is alive, so every API node lists the workers of the
// whole cluster (/api/core/background-workers/, herald_workers in /metrics).
//
// Start registers the worker under the dispatcher's lease holder name (host:pid:suffix, the
// name tasks record as worker_name) with its host, pid, queues and birth date. Every
// kHeartbeatInterval a thread records a heartbeat: idle or busy (requests in flight), the
// successful and failed attempt counts and the total working time, all from the dispatcher's
// counters. Each heartbeat also removes the workers (of any process) silent for longer than
// kWorkerStaleAfter, so a crashed worker disappears within a few heartbeats; a worker the store
// forgot (purged while this process was paused) registers again. A graceful Stop deregisters at
// once. Times come from the injected Clock: tests drive it with a FakeClock, never sleeping.
// Thread-safe; Start/Stop from one controlling thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "delivery/dispatcher.h"
#include "store/store.h"

namespace herald::delivery {

// How often a worker records a heartbeat.
inline constexpr std::chrono::seconds kHeartbeatInterval{5};
// A worker whose latest heartbeat is older than this (three missed beats) is no longer live: it
// is not listed, and the next heartbeat of any worker removes it.
inline constexpr std::chrono::seconds kWorkerStaleAfter = 3 * kHeartbeatInterval;

// The oldest last_heartbeat of a live worker at `now` (Store::ListWorkers' alive_since).
TimeUs WorkerAliveSince(TimeUs now);

// What a heartbeat records, from the dispatcher's counters: state "busy" while requests are in
// flight, else "idle"; successful = 2xx attempts; failed = every other attempt (an HTTP error,
// no response, or a request that could not be rendered); working time = the attempts' summed
// durations.
void SetActivity(const DispatcherStats& stats, WorkerInfo* worker);

struct HeartbeatOptions {
  std::string name;  // the dispatcher's worker_id (required)
  std::vector<std::string> queue_names = {"default"};
  std::chrono::milliseconds interval = kHeartbeatInterval;
  std::chrono::milliseconds stale_after = kWorkerStaleAfter;
};

class Heartbeat {
 public:
  // `stats` reads the dispatcher's counters (Dispatcher::Stats); it is called on the heartbeat
  // thread. `store` and `clock` must outlive the heartbeat.
  Heartbeat(Store& store, HeartbeatOptions options, std::function<DispatcherStats()> stats,
            const Clock& clock = SystemClock());
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  // Registers the worker (birth date: now) and starts the heartbeat thread. A failed
  // registration is logged and retried by the next heartbeat.
  void Start();
  // Stops the thread and deregisters the worker. Idempotent.
  void Stop();
  // One heartbeat now (the thread's step): records the counters (registering again when the
  // store no longer knows the worker), then removes stale workers. Returns the first error.
  Status Beat();

  // The worker as registered: name, host, pid, queues, birth date.
  const WorkerInfo& info() const { return info_; }

 private:
  Status Register();
  void Loop();

  Store& store_;
  const std::chrono::milliseconds interval_;
  const std::chrono::milliseconds stale_after_;
  std::function<DispatcherStats()> stats_;
  const Clock& clock_;
  WorkerInfo info_;  // identity fields; set before the thread starts, read-only afterwards

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  Clock::SteadyTime next_beat_;  // when the thread beats next
  bool started_ = false;         // Start ran and Stop has not run since
  std::thread thread_;
};

}  // namespace herald::delivery
