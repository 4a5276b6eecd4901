// A small, bounded thread pool for CPU work that must not run on the HTTP I/O threads (event
// ingest: JSON parsing, validation, rule matching, conditions).
//
// A fixed number of threads take jobs from a queue of bounded length. Submission never blocks:
// when the queue is full TrySubmit refuses the job at once, so the caller can answer 503 with
// Retry-After instead of piling up memory or stalling the thread that accepted the request.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace herald {

class WorkPool {
 public:
  // Starts `threads` (at least 1) worker threads named after `name` in logs. `max_queued`
  // (at least 1) bounds the jobs waiting for a thread (running jobs are not counted).
  WorkPool(std::string name, int threads, size_t max_queued);
  // Stop().
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `job` to run on a pool thread. Returns false, without taking the job, when
  // max_queued jobs are already waiting or the pool is stopping. Thread-safe. A job that throws
  // is logged and otherwise ignored; jobs should report their own errors.
  bool TrySubmit(std::function<void()> job);

  // Stops taking new jobs, runs the jobs already queued, and joins the threads. Idempotent;
  // must not be called from a pool thread.
  void Stop();

  // Jobs waiting for a thread right now (for status and tests).
  size_t queued() const;
  int threads() const { return thread_count_; }
  size_t max_queued() const { return max_queued_; }

 private:
  void Run();

  std::string name_;
  size_t max_queued_;
  std::mutex stop_mu_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  int thread_count_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace herald
