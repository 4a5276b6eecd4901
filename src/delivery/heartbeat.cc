#include "delivery/heartbeat.h"

#include <pthread.h>
#include <unistd.h>

#include "common/log.h"

namespace herald::delivery {

namespace {

TimeUs Micros(std::chrono::microseconds d) { return d.count(); }

}  // namespace

TimeUs WorkerAliveSince(TimeUs now) { return now - Micros(kWorkerStaleAfter); }

void SetActivity(const DispatcherStats& stats, WorkerInfo* worker) {
  worker->state = stats.in_flight > 0 ? "busy" : "idle";
  worker->successful_job_count = static_cast<int64_t>(stats.succeeded);
  worker->failed_job_count =
      static_cast<int64_t>(stats.failed_status + stats.failed_network + stats.failed_render);
  worker->total_working_time = stats.working_time_us;
}

Heartbeat::Heartbeat(Store& store, HeartbeatOptions options, std::function<DispatcherStats()> stats,
                     const Clock& clock)
    : store_(store),
      interval_(options.interval),
      stale_after_(options.stale_after),
      stats_(std::move(stats)),
      clock_(clock) {
  info_.name = std::move(options.name);
  info_.host = LocalHostName();
  info_.pid = getpid();
  info_.queue_names = std::move(options.queue_names);
}

Heartbeat::~Heartbeat() { Stop(); }

void Heartbeat::Start() {
  info_.birth_date = clock_.NowUs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
    started_ = true;
    next_beat_ = clock_.SteadyNow() + interval_;
  }
  Status st = Register();
  if (!st.ok()) {
    log::Error("cannot register the worker; the next heartbeat tries again",
               {{"worker", info_.name}, {"error", st.message()}});
  }
  thread_ = std::thread([this] { Loop(); });
}

void Heartbeat::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (!started_) return;
    started_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Status st = store_.DeregisterWorker(info_.name);
  if (!st.ok() && st.code() != Code::kNotFound) {
    log::Warning("cannot deregister the worker; it is dropped once its heartbeats are stale",
                 {{"worker", info_.name}, {"error", st.message()}});
  }
}

Status Heartbeat::Register() {
  WorkerInfo w = info_;
  SetActivity(stats_(), &w);
  w.last_heartbeat = clock_.NowUs();
  return store_.RegisterWorker(w);
}

Status Heartbeat::Beat() {
  const TimeUs now = clock_.NowUs();
  WorkerInfo beat;
  beat.name = info_.name;
  SetActivity(stats_(), &beat);
  beat.last_heartbeat = now;
  Status st = store_.HeartbeatWorker(beat);
  if (st.code() == Code::kNotFound) {
    // Removed as stale (this process was paused or cut off from the store): back again.
    log::Warning("worker was no longer registered; registering again", {{"worker", info_.name}});
    st = Register();
  }
  auto purged = store_.PurgeStaleWorkers(now - Micros(stale_after_));
  if (purged.ok() && *purged > 0) {
    log::Info("removed workers that stopped sending heartbeats",
              {{"count", static_cast<long long>(*purged)}});
  }
  if (!st.ok()) return st;
  return purged.ok() ? Status::Ok() : purged.status();
}

void Heartbeat::Loop() {
  pthread_setname_np(pthread_self(), "herald-heartbeat");
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (clock_.WaitUntil(lock, cv_, next_beat_, [this] { return stopping_; })) return;
    lock.unlock();
    Status st = Beat();
    if (!st.ok())
      log::Warning("worker heartbeat failed", {{"worker", info_.name}, {"error", st.message()}});
    lock.lock();
    // On a fixed schedule from Start (however late this thread runs); beats missed during a
    // stall longer than an interval are skipped, not caught up.
    next_beat_ += interval_;
    auto behind = clock_.SteadyNow() - next_beat_;
    if (behind >= interval_) next_beat_ += (behind / interval_) * interval_;
  }
}

}  // namespace herald::delivery
