// Dispatcher: the delivery workers. Leases due tasks from the store, renders each webhook with
// the task's context, hands the request to the transport, and records the attempt and the task's
// next state (finished, scheduled for a retry, or failed).
//
// One dispatch thread leases work when woken by the store (new or requeued tasks), when
// in-flight requests complete and free capacity, or once a second for retries that became due
// and leases that expired. A destination's (scheme://host:port) tasks count against max_in_flight
// only up to max_in_flight_per_host: the rest wait here, in the destination's queue, and are
// handed to the transport as its requests end, so a slow receiver's backlog never takes the
// capacity of a healthy one. Leasing keeps each destination at most one round ahead: a webhook
// whose destination has a round of tasks (twice its cap or a lease batch, whichever is more)
// running and waiting is skipped by the next lease (LeaseRequest::max_per_webhook) until half of
// it has drained, so a slow receiver's tasks do not pile up leases (nor reach max_waiting, which
// would pause leasing for everyone); a task that waits too long (half the lease slack) is handed
// back to the store instead of outliving its lease; the store's lease is fair across webhooks,
// so one webhook's burst delays another's tasks by at most one batch. Results are recorded
// asynchronously (group commit), so the transport thread never waits for the disk.
// Delivery is at-least-once: a task whose worker died is leased again after its lease expires;
// every request carries X-Herald-Task so receivers can de-duplicate. A task whose lease expired
// max_lease_expiries times in a row (its worker kept dying while delivering it) is failed by the
// store instead (the worker-stopped rule) and logged here. A graceful Stop hands unfinished leases
// back, so restarts never count against a task. Every time it reads (lease times, retry due times,
// the periodic sweep, the stop grace) comes from the injected Clock, so tests drive it with a
// FakeClock and a fake Store and sender. Thread-safe; Start/Stop from one controlling thread.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "delivery/renderer.h"
#include "delivery/retry.h"
#include "delivery/transport.h"
#include "store/store.h"

namespace herald::delivery {

struct DispatcherOptions {
  std::string worker_id;  // unique per process; generated when empty
  int default_timeout_seconds = 60;
  RetryPolicy default_retry;
  size_t max_in_flight = 10000;  // tasks between lease and recorded result
  // A destination's (scheme://host:port) tasks beyond this many do not count against
  // max_in_flight: they wait for one of its slots (delivery.max_in_flight_per_host). A webhook
  // whose destination has twice this many (or lease_batch) running and waiting is not leased
  // for.
  size_t max_in_flight_per_host = 256;
  // Most leased tasks waiting for a slot of their destination; leasing stops at this many.
  size_t max_waiting = 10000;
  int lease_batch = 512;         // most tasks leased per store call
  int lease_slack_seconds = 60;  // lease = slowest webhook timeout + this
  // Consecutive expired leases after which the store fails a task (delivery.max_lease_expiries).
  int max_lease_expiries = kDefaultMaxLeaseExpiries;
  std::string http_proxy;                    // NetBox HTTP_PROXIES['http']
  std::string https_proxy;                   // NetBox HTTP_PROXIES['https']
  size_t max_request_body_kept = 64 * 1024;  // bytes of the rendered body kept per attempt
  // delivery.record_bodies: false ("failed") stores kRequestBodyNotRecorded instead of the body
  // of a successful attempt; failed attempts always keep theirs. true ("all") keeps every body.
  bool record_all_bodies = false;
};

// Counters for /metrics. All monotonic except in_flight and waiting.
struct DispatcherStats {
  uint64_t succeeded = 0;       // attempts with a 2xx final status
  uint64_t failed_status = 0;   // attempts with another status
  uint64_t failed_network = 0;  // attempts without a response (refused, timeout, TLS...)
  uint64_t failed_render = 0;   // attempts that could not be rendered/formed
  uint64_t retries_scheduled = 0;
  uint64_t tasks_failed = 0;  // tasks that ended failed (attempts exhausted, worker-stopped rule)
  size_t kept_results = 0;  // attempts delivered while the store was unavailable, not recorded yet
  uint64_t in_flight = 0;
  uint64_t waiting = 0;  // of in_flight: leased, waiting here for a slot of their destination
  // Attempt latency histogram: cumulative counts for each bucket bound (seconds).
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5,   10.0};
  std::array<uint64_t, 12> latency_buckets{};
  uint64_t latency_count = 0;
  double latency_sum_seconds = 0;
  int64_t working_time_us = 0;  // the attempts' summed durations (microseconds)
};

// This machine's host name (gethostname; "localhost" when it fails): the first part of a
// generated worker id, and the host a worker registers with.
std::string LocalHostName();

class Dispatcher {
 public:
  // `store`, `transport`, `renderer` and `clock` must outlive the dispatcher.
  Dispatcher(Store& store, RequestSender& transport, Renderer& renderer, DispatcherOptions options,
             const Clock& clock = SystemClock());
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Starts the dispatch thread and registers the store's task listener.
  void Start();
  // Graceful stop: stops leasing, waits up to `grace` for in-flight requests to finish and be
  // recorded, stops the transport (requests still running are abandoned), then hands the leases
  // of every task leased and not recorded back to the store (ReleaseLeases), so they are
  // delivered again at once by the next worker and do not count as expired leases. A task
  // finished by the receiver but not yet recorded is therefore delivered again (at-least-once).
  // Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

  // Wakes the dispatch thread (new work may be due).
  void Wake();

  DispatcherStats Stats() const;
  const std::string& worker_id() const { return options_.worker_id; }

 private:
  struct Job;
  void Loop();
  void Dispatch(std::vector<Task> tasks);
  void Complete(std::shared_ptr<Job> job, HttpResponse response);
  void Finish(std::shared_ptr<Job> job, AttemptOutcome outcome, bool count_render_failure);
  void ReportWorkerStopped(const std::vector<ExpiredTask>& failed);
  void HandBackLeases();
  // Hands one attempt to the store; when the store is unavailable (its database down or
  // unreachable) the outcome is kept in unsaved_ and recorded again by the dispatch loop.
  void Record(const std::string& task_id, AttemptOutcome outcome);
  // Records the kept outcomes again (dispatch thread, at most once a second while any are kept).
  void RetryUnsaved();
  // Counts one job out of in_flight_ (waking Stop when it was the last); returns the count
  // before.
  size_t JobDone();
  // Hands `req` to the transport now if its destination has a free slot, else queues the job
  // on the destination (waiting_ counts it).
  void Send(std::shared_ptr<Job> job, HttpRequest req);
  void Submit(std::shared_ptr<Job> job, HttpRequest req);
  // A request to `dest` has come back: frees its slot and returns the destination's next waiting
  // job, if any (its slot taken), unless `stopped` (the transport is stopping).
  std::shared_ptr<Job> DestinationFreed(const std::string& dest, bool stopped);
  // The per-webhook limits of the next lease of `want` tasks (LeaseRequest::max_per_webhook):
  // webhooks whose destination is busy get only what is left of its round, and all together no
  // more waiting tasks than keep the total below max_waiting.
  std::map<int64_t, int> LeaseLimits(int want);
  // Hands back to the store the waiting jobs that waited more than half the lease slack.
  void HandBackStale();
  // Takes every waiting job out (Stop): they stay unrecorded, so HandBackLeases returns them.
  void DropWaiting();
  // Most tasks a destination's webhooks are leased for at once, running and waiting: a round,
  // twice its cap or a lease batch, whichever is more.
  size_t Round() const;
  // Whether leasing must pause: max_in_flight counted tasks, or max_waiting waiting ones.
  bool AtCapacity() const;
  // Waits until nothing is in flight or the clock reaches `deadline`.
  void WaitForDrain(Clock::SteadyTime deadline);
  bool RefreshWebhooks();
  int64_t LeaseMicros() const;

  Store& store_;
  RequestSender& transport_;
  Renderer& renderer_;
  DispatcherOptions options_;
  const Clock& clock_;

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable drained_cv_;  // in_flight_ reached zero (with mu_)
  bool wake_ = false;
  bool stopping_ = false;
  std::atomic<size_t> in_flight_{0};
  // Per destination: requests with the transport (at most max_in_flight_per_host) and jobs
  // waiting for one of its slots (waiting_ counts them over all destinations; they do not count
  // against max_in_flight).
  struct Dest {
    size_t running = 0;
    std::deque<std::shared_ptr<Job>> waiting;
    // Jobs waited here, or a lease limited its webhooks: wake the loop once half a round is
    // left, for the next lease.
    bool limited = false;
  };
  std::mutex dest_mu_;
  std::unordered_map<std::string, Dest> dests_;
  std::unordered_map<int64_t, std::string> webhook_dest_;  // a webhook's last destination
  bool dropping_ = false;                                  // Stop: no more waiting jobs start
  std::atomic<size_t> waiting_{0};
  // The dispatch loop stopped leasing for lack of capacity: a completion wakes it.
  std::atomic<bool> at_capacity_{false};
  // Tasks leased by this dispatcher whose attempt has not been handed to the store yet.
  std::mutex unrecorded_mu_;
  std::unordered_set<std::string> unrecorded_;
  // Attempts delivered while the store was unavailable, recorded when it returns (bounded by
  // kMaxUnsaved; past it the oldest are dropped and their tasks delivered again after their
  // lease expires). A task whose lease was taken over meanwhile gets a Conflict and is dropped.
  mutable std::mutex unsaved_mu_;
  std::deque<std::pair<std::string, AttemptOutcome>> unsaved_;
  std::atomic<bool> store_unavailable_{false};  // the last record failed as unavailable
  // Earliest due time of a retry this process scheduled (us; INT64_MAX when none), so a short
  // retry wait wakes the loop on time instead of at the next periodic sweep.
  std::atomic<int64_t> next_due_us_{INT64_MAX};

  // Configuration snapshot (dispatch thread only).
  int64_t webhooks_revision_ = -1;
  std::unordered_map<int64_t, Webhook> webhooks_;
  int max_webhook_timeout_ = 0;
  int64_t last_webhook_ = 0;  // webhook of the last task leased (LeaseRequest::after_webhook)

  mutable std::mutex stats_mu_;
  DispatcherStats stats_;
};

}  // namespace herald::delivery
