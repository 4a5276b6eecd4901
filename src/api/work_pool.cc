#include "api/work_pool.h"

#include <algorithm>
#include <exception>

#include "common/log.h"

namespace herald {

WorkPool::WorkPool(std::string name, int threads, size_t max_queued)
    : name_(std::move(name)), max_queued_(std::max<size_t>(1, max_queued)) {
  int n = std::max(1, threads);
  thread_count_ = n;
  threads_.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
}

WorkPool::~WorkPool() { Stop(); }

bool WorkPool::TrySubmit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || jobs_.size() >= max_queued_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void WorkPool::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);  // one Stop joins; others wait for it
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

size_t WorkPool::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

void WorkPool::Run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      log::Error("unhandled error in a pool job", {{"pool", name_}, {"error", e.what()}});
    } catch (...) {
      log::Error("unhandled error in a pool job", {{"pool", name_}});
    }
  }
}

}  // namespace herald
