// In-memory doubles for the dispatcher tests.
//
// FakeStore keeps webhooks, events, tasks and attempts in memory and implements the part of the
// Store contract the dispatcher uses (configuration revision and webhooks, events, Lease with
// the worker-stopped rule, ReleaseLeases, RecordAttempt, the task listener); every other method
// answers "Unsupported". FakeSender is a RequestSender whose requests wait until the test
// answers them, on the test's thread. Both are thread-safe, and every wait they offer is bounded
// by kDeadline of real time.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "delivery/transport.h"
#include "store/store.h"

namespace herald::delivery::testing {

// Longest a test waits for the dispatcher's threads to act (real time; only a failing test
// waits this long).
inline constexpr std::chrono::seconds kDeadline{10};

class FakeStore final : public Store {
 public:
  // ---- the test's side ----

  // Inserts or replaces a webhook (by id) and bumps the configuration revision.
  void PutWebhook(Webhook w) {
    std::lock_guard<std::mutex> lock(mu_);
    webhooks_[w.id] = std::move(w);
    ++revision_;
  }
  // Stores an event under e.id.
  void PutEvent(Event e) {
    std::lock_guard<std::mutex> lock(mu_);
    events_[e.id] = std::move(e);
  }
  // Adds a queued task and then calls the task listener, as a commit does. Returns its id
  // ("task-1", "task-2", ...).
  std::string AddTask(int64_t event_id, int64_t webhook_id, Value action_data = Value()) {
    std::string id;
    std::function<void()> listener;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Task t;
      t.id = id = "task-" + std::to_string(order_.size() + 1);
      t.event_id = event_id;
      t.webhook_id = webhook_id;
      t.action_data = std::move(action_data);
      tasks_[id] = t;
      order_.push_back(id);
      listener = listener_;
    }
    if (listener) listener();
    return id;
  }
  Task task(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    return tasks_.at(id);
  }
  std::vector<Attempt> attempts(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_[id];
  }
  // Every Lease request so far, oldest first.
  std::vector<LeaseRequest> leases() {
    std::lock_guard<std::mutex> lock(mu_);
    return leases_;
  }
  // Every task id handed back through ReleaseLeases.
  std::vector<std::string> released() {
    std::lock_guard<std::mutex> lock(mu_);
    return released_;
  }
  // The next n RecordAttempt calls fail as if the database were down (kUnavailable).
  void FailRecords(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    failing_records_ = n;
  }
  // How many times RecordAttempt has been called (failed calls included).
  size_t record_calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return record_calls_;
  }
  // Waits until Lease has been called at least n times.
  bool WaitForLeaseCalls(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return leases_.size() >= n; });
  }
  // Waits until task `id` has status `s`.
  bool WaitForStatus(const std::string& id, TaskStatus s) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return tasks_.at(id).status == s; });
  }

  // ---- the Store contract (the dispatcher's part) ----

  std::string Describe() const override { return "fake://"; }
  int64_t ConfigRevision() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return revision_;
  }
  Result<std::vector<Webhook>> ListWebhooks() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Webhook> out;
    for (const auto& [id, w] : webhooks_) out.push_back(w);
    std::sort(out.begin(), out.end(),
              [](const Webhook& a, const Webhook& b) { return a.name < b.name; });
    return out;
  }
  Result<Event> GetEvent(int64_t id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = events_.find(id);
    if (it == events_.end()) return Status::Error(Code::kNotFound, "Event not found.");
    return it->second;
  }
  Result<Task> GetTask(const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tasks_.find(id);
    if (it == tasks_.end()) return Status::Error(Code::kNotFound, "Task not found.");
    return it->second;
  }
  Result<std::vector<Attempt>> ListAttempts(const std::string& task_id) override {
    return attempts(task_id);
  }

  // Oldest task first (not fair across webhooks; req.max_per_webhook is honoured): queued,
  // scheduled and due, or started with an expired lease (counted towards the worker-stopped
  // rule).
  Result<LeaseResult> Lease(const LeaseRequest& req) override {
    LeaseResult out;
    {
      std::lock_guard<std::mutex> lock(mu_);
      leases_.push_back(req);
      std::map<int64_t, int> left = req.max_per_webhook;
      for (const std::string& id : order_) {
        if (static_cast<int>(out.leased.size() + out.failed.size()) >= req.max) break;
        Task& t = tasks_[id];
        bool expired = t.status == TaskStatus::kStarted && t.lease_expires <= req.now;
        bool due = t.status == TaskStatus::kQueued || expired ||
                   (t.status == TaskStatus::kScheduled && t.due_at <= req.now);
        if (!due) continue;
        if (auto it = left.find(t.webhook_id); it != left.end() && it->second-- <= 0) continue;
        if (expired && ++expiries_[id] >= std::max(1, req.max_lease_expiries)) {
          t.status = TaskStatus::kFailed;
          t.error = WorkerStoppedError(expiries_[id]);
          t.worker.clear();
          out.failed.push_back({t, expiries_[id]});
          continue;
        }
        t.status = TaskStatus::kStarted;
        t.worker = req.worker;
        t.started_at = req.now;
        t.lease_expires = req.now + req.lease_us;
        out.leased.push_back(t);
      }
    }
    cv_.notify_all();
    return out;
  }
  Result<int64_t> ReleaseLeases(const std::string& worker,
                                const std::vector<std::string>& task_ids) override {
    int64_t n = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const std::string& id : task_ids) {
        auto it = tasks_.find(id);
        if (it == tasks_.end() || it->second.status != TaskStatus::kStarted ||
            it->second.worker != worker)
          continue;
        it->second.status = it->second.attempts == 0 ? TaskStatus::kQueued : TaskStatus::kScheduled;
        it->second.worker.clear();
        released_.push_back(id);
        ++n;
      }
    }
    cv_.notify_all();
    return n;
  }
  Status RecordAttempt(const std::string& task_id, const std::string& worker,
                       AttemptOutcome o) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++record_calls_;
      if (failing_records_ > 0) {
        --failing_records_;
        cv_.notify_all();
        return Status::Error(Code::kUnavailable, "database down (test)");
      }
      auto it = tasks_.find(task_id);
      if (it == tasks_.end() || it->second.status != TaskStatus::kStarted ||
          it->second.worker != worker)
        return Status::Error(Code::kConflict,
                             "Task " + task_id + " is not leased by " + worker + ".");
      Task& t = it->second;
      expiries_[task_id] = 0;
      o.attempt.task_id = task_id;
      o.attempt.number = ++t.attempts;
      attempts_[task_id].push_back(o.attempt);
      t.status = o.next_status;
      t.worker.clear();
      t.lease_expires = 0;
      if (o.next_status == TaskStatus::kScheduled) t.due_at = o.due_at;
      t.result = o.result;
      t.error = o.error;
    }
    cv_.notify_all();
    return Status::Ok();
  }
  void SetTaskListener(std::function<void()> listener) override {
    std::lock_guard<std::mutex> lock(mu_);
    listener_ = std::move(listener);
  }
  void Close() override {}

  // ---- not used by the dispatcher ----

  Result<Webhook> GetWebhook(int64_t) override { return Unsupported(); }
  Result<Webhook> CreateWebhook(Webhook) override { return Unsupported(); }
  Result<Webhook> UpdateWebhook(Webhook) override { return Unsupported(); }
  Status DeleteWebhook(int64_t) override { return Unsupported(); }
  Result<std::vector<EventRule>> ListEventRules() override { return Unsupported(); }
  Result<EventRule> GetEventRule(int64_t) override { return Unsupported(); }
  Result<EventRule> CreateEventRule(EventRule) override { return Unsupported(); }
  Result<EventRule> UpdateEventRule(EventRule) override { return Unsupported(); }
  Status DeleteEventRule(int64_t) override { return Unsupported(); }
  Result<std::vector<ApiToken>> ListTokens() override { return Unsupported(); }
  Result<ApiToken> CreateToken(ApiToken) override { return Unsupported(); }
  Status RevokeToken(int64_t) override { return Unsupported(); }
  Result<ApiToken> FindTokenByHash(const std::string&) override { return Unsupported(); }
  void CommitEvents(std::vector<NewEvent>,
                    std::function<void(Result<std::vector<CommittedEvent>>)> done) override {
    done(Unsupported());
  }
  Result<std::vector<Event>> ListEvents(const EventFilter&) override { return Unsupported(); }
  Result<std::vector<Task>> ListTasks(const TaskFilter&) override { return Unsupported(); }
  Result<int64_t> CountTasks(const TaskFilter&) override { return Unsupported(); }
  Result<QueueCounts> CountByStatus() override { return Unsupported(); }
  Status Requeue(const std::string&, TimeUs) override { return Unsupported(); }
  Result<int64_t> RequeueAllFailed(TimeUs) override { return Unsupported(); }
  Status Enqueue(const std::string&, TimeUs) override { return Unsupported(); }
  Status Stop(const std::string&, TimeUs) override { return Unsupported(); }
  Status DeleteTask(const std::string&) override { return Unsupported(); }
  Result<int64_t> PurgeFinishedBatch(TimeUs) override { return Unsupported(); }
  Result<int64_t> PurgeDedupeKeys(TimeUs, int64_t) override { return Unsupported(); }
  Result<int64_t> CreateSession(const UiSession&, int64_t, TimeUs) override {
    return Unsupported();
  }
  Result<UiSession> FindSession(const std::string&, TimeUs) override { return Unsupported(); }
  Status TouchSession(const std::string&, TimeUs, TimeUs) override { return Unsupported(); }
  Status SetSessionFlash(const std::string&, const SessionFlash&) override { return Unsupported(); }
  Result<SessionFlash> TakeSessionFlash(const std::string&) override { return Unsupported(); }
  Status DeleteSession(const std::string&) override { return Unsupported(); }
  Result<int64_t> DeleteTokenSessions(int64_t) override { return Unsupported(); }
  Result<int64_t> PurgeExpiredSessions(TimeUs) override { return Unsupported(); }
  Result<int64_t> CountSessions(int64_t, TimeUs) override { return Unsupported(); }
  Status RegisterWorker(const WorkerInfo&) override { return Unsupported(); }
  Status HeartbeatWorker(const WorkerInfo&) override { return Unsupported(); }
  Status DeregisterWorker(const std::string&) override { return Unsupported(); }
  Result<std::vector<WorkerInfo>> ListWorkers(TimeUs) override { return Unsupported(); }
  Result<int64_t> PurgeStaleWorkers(TimeUs) override { return Unsupported(); }

 private:
  static Status Unsupported() {
    return Status::Error(Code::kUnsupported, "not part of the fake store");
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;  // any task, lease or attempt changed
  int64_t revision_ = 0;
  std::map<int64_t, Webhook> webhooks_;
  std::map<int64_t, Event> events_;
  std::map<std::string, Task> tasks_;
  std::vector<std::string> order_;  // task ids, oldest first
  std::map<std::string, int> expiries_;
  std::map<std::string, std::vector<Attempt>> attempts_;
  std::vector<LeaseRequest> leases_;
  std::vector<std::string> released_;
  int failing_records_ = 0;
  size_t record_calls_ = 0;
  std::function<void()> listener_;
};

class FakeSender final : public RequestSender {
 public:
  void Submit(HttpRequest request, std::function<void(HttpResponse)> done) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stopped_) {
        submitted_.push_back(request);
        pending_.push_back({std::move(request), std::move(done)});
        max_pending_ = std::max(max_pending_, pending_.size());
        cv_.notify_all();
        return;
      }
    }
    done(Stopped(request));
  }
  // Answers every waiting request with kTransportStopped, on this thread.
  void Stop() override {
    std::deque<Pending> pending;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = true;
      pending.swap(pending_);
    }
    for (auto& p : pending) p.done(Stopped(p.request));
  }

  // ---- the test's side ----

  // Waits until at least n requests were submitted.
  bool WaitForSubmitted(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return submitted_.size() >= n; });
  }
  // Answers the oldest waiting request with `response` on this thread and returns the request.
  HttpRequest AnswerOldest(HttpResponse response) {
    Pending p;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.empty()) {
        ADD_FAILURE() << "no request is waiting for an answer";
        return {};
      }
      p = std::move(pending_.front());
      pending_.pop_front();
    }
    response.tag = p.request.tag;
    p.done(std::move(response));
    return p.request;
  }
  std::vector<HttpRequest> submitted() {
    std::lock_guard<std::mutex> lock(mu_);
    return submitted_;
  }
  size_t pending() {
    std::lock_guard<std::mutex> lock(mu_);
    return pending_.size();
  }
  // The most requests that waited for an answer at once.
  size_t max_pending() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_pending_;
  }

 private:
  struct Pending {
    HttpRequest request;
    std::function<void(HttpResponse)> done;
  };
  static HttpResponse Stopped(const HttpRequest& request) {
    HttpResponse r;
    r.tag = request.tag;
    r.error = kTransportStopped;
    return r;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::vector<HttpRequest> submitted_;
  std::deque<Pending> pending_;
  size_t max_pending_ = 0;
};

}  // namespace herald::delivery::testing
