#include "delivery/dispatcher.h"

#include <unistd.h>

#include <algorithm>
#include <random>

#include "common/log.h"
#include "ingest/event_input.h"
#include "value/json.h"

namespace herald::delivery {

namespace {

// After the leases are handed back at Stop, how long to wait for the records still queued
// before them to be answered.
constexpr std::chrono::seconds kStopSettle{2};
// Most attempt outcomes kept while the store is unavailable.
constexpr size_t kMaxUnsaved = 100000;

std::string MakeWorkerId() {
  std::random_device rd;
  char suffix[16];
  snprintf(suffix, sizeof suffix, "%06x", rd() & 0xffffff);
  return LocalHostName() + ":" + std::to_string(getpid()) + ":" + suffix;
}

double Random01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::string HeadersJson(const HeaderList& headers) { return DumpJsonCompact(HeaderDict(headers)); }

}  // namespace

std::string LocalHostName() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

struct Dispatcher::Job {
  Task task;
  Webhook webhook;
  RenderedRequest request;
  int64_t started_us = 0;
  std::string dest;             // DestinationKey of the request sent; "" until it is handed over
  std::string headers_json;     // the request's headers for the attempt record (dispatch thread)
  HttpRequest waiting_request;  // the request while the job waits for a slot of `dest`
  int64_t waiting_since_us = 0;
};

Dispatcher::Dispatcher(Store& store, RequestSender& transport, Renderer& renderer,
                       DispatcherOptions options, const Clock& clock)
    : store_(store),
      transport_(transport),
      renderer_(renderer),
      options_(std::move(options)),
      clock_(clock) {
  if (options_.worker_id.empty()) options_.worker_id = MakeWorkerId();
}

Dispatcher::~Dispatcher() { Stop(std::chrono::milliseconds(0)); }

void Dispatcher::Start() {
  store_.SetTaskListener([this] { Wake(); });
  thread_ = std::thread([this] { Loop(); });
  log::Info("delivery workers started",
            {{"worker", options_.worker_id},
             {"max_in_flight", static_cast<long>(options_.max_in_flight)}});
}

void Dispatcher::Stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();  // no more leases from here on
  store_.SetTaskListener(nullptr);
  WaitForDrain(clock_.SteadyNow() + grace);
  DropWaiting();
  // Abandon what is still running: afterwards no response of this process can reach the store,
  // so the hand-back below cannot race with a late result from here.
  transport_.Stop();
  HandBackLeases();
  // The hand-back queued behind every pending record; wait (briefly) for their callbacks.
  WaitForDrain(clock_.SteadyNow() + kStopSettle);
  std::lock_guard<std::mutex> lock(unsaved_mu_);
  if (!unsaved_.empty())
    log::Error(
        "store unavailable at stop: delivery results not recorded; their tasks are "
        "delivered again when their leases expire",
        {{"results", static_cast<long>(unsaved_.size())}});
}

void Dispatcher::WaitForDrain(Clock::SteadyTime deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  clock_.WaitUntil(lock, drained_cv_, deadline, [this] { return in_flight_.load() == 0; });
}

size_t Dispatcher::JobDone() {
  size_t before = in_flight_.fetch_sub(1);
  if (before == 1) {
    std::lock_guard<std::mutex> lock(mu_);  // a waiter is either before its check or waiting
    drained_cv_.notify_all();
  }
  return before;
}

void Dispatcher::Send(std::shared_ptr<Job> job, HttpRequest req) {
  {
    std::lock_guard<std::mutex> lock(dest_mu_);
    webhook_dest_[job->task.webhook_id] = job->dest;
    Dest& d = dests_[job->dest];
    // Full: the next lease limits or skips its webhooks; wake the loop when it drains.
    if (d.running + 1 >= options_.max_in_flight_per_host) d.limited = true;
    if (d.running >= options_.max_in_flight_per_host) {
      job->waiting_request = std::move(req);
      job->waiting_since_us = clock_.NowUs();
      d.waiting.push_back(std::move(job));
      waiting_.fetch_add(1);
      return;
    }
    ++d.running;
  }
  Submit(std::move(job), std::move(req));
}

void Dispatcher::Submit(std::shared_ptr<Job> job, HttpRequest req) {
  transport_.Submit(std::move(req),
                    [this, job](HttpResponse resp) { Complete(job, std::move(resp)); });
}

std::shared_ptr<Dispatcher::Job> Dispatcher::DestinationFreed(const std::string& dest,
                                                              bool stopped) {
  std::shared_ptr<Job> next;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(dest_mu_);
    auto it = dests_.find(dest);
    if (it == dests_.end()) return nullptr;
    Dest& d = it->second;
    --d.running;
    if (stopped) dropping_ = true;  // a stopped transport would answer the next one inline
    if (!dropping_ && !d.waiting.empty()) {
      next = std::move(d.waiting.front());
      d.waiting.pop_front();
      waiting_.fetch_sub(1);
      ++d.running;
    }
    if (d.limited && d.running + d.waiting.size() <= Round() / 2) {
      d.limited = false;
      wake = true;
    }
    if (d.running == 0 && d.waiting.empty()) dests_.erase(it);
  }
  if (wake) Wake();
  return next;
}

std::map<int64_t, int> Dispatcher::LeaseLimits(int want) {
  std::map<int64_t, int> out;
  const size_t cap = options_.max_in_flight_per_host, round = Round();
  std::lock_guard<std::mutex> lock(dest_mu_);
  // What may still wait before leasing pauses for everyone (max_waiting): no destination's
  // webhooks are given that much, so a slow one never brings the pause on the others.
  const size_t waiting = waiting_.load();
  size_t headroom = options_.max_waiting > waiting + 1 ? options_.max_waiting - waiting - 1 : 0;
  for (const auto& [id, hook] : webhooks_) {
    Dest* d = nullptr;
    if (auto it = webhook_dest_.find(id); it != webhook_dest_.end()) {
      auto dit = dests_.find(it->second);
      if (dit != dests_.end()) d = &dit->second;
      else webhook_dest_.erase(it);  // nothing there any more
    }
    // What is left of a round at the webhook's last destination (a whole round when none is
    // known), and no more than it can send now plus what may still wait.
    const size_t used = d ? d->running + d->waiting.size() : 0;
    const size_t free_slots = d ? cap - std::min(cap, d->running) : cap;
    const size_t room = std::min(used >= round ? 0 : round - used, free_slots + headroom);
    if (room >= static_cast<size_t>(want)) {
      headroom -=
          std::min(headroom, static_cast<size_t>(want) - std::min<size_t>(want, free_slots));
      continue;
    }
    out[id] = static_cast<int>(room);
    headroom -= std::min(headroom, room - std::min(room, free_slots));
    if (d) d->limited = true;
  }
  return out;
}

void Dispatcher::HandBackStale() {
  const int64_t now = clock_.NowUs();
  const int64_t max_wait = static_cast<int64_t>(options_.lease_slack_seconds) * 1000000 / 2;
  std::vector<std::shared_ptr<Job>> stale;
  {
    std::lock_guard<std::mutex> lock(dest_mu_);
    for (auto& [dest, d] : dests_) {
      while (!d.waiting.empty() && now - d.waiting.front()->waiting_since_us >= max_wait) {
        stale.push_back(std::move(d.waiting.front()));
        d.waiting.pop_front();
        waiting_.fetch_sub(1);
      }
    }
    std::erase_if(dests_,
                  [](const auto& e) { return e.second.running == 0 && e.second.waiting.empty(); });
  }
  if (stale.empty()) return;
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(unrecorded_mu_);
    for (const auto& job : stale) {
      unrecorded_.erase(job->task.id);
      ids.push_back(job->task.id);
    }
  }
  auto n = store_.ReleaseLeases(options_.worker_id, ids);
  if (n.ok()) {
    log::Warning("tasks waited too long for a slot of their destination; leases handed back",
                 {{"worker", options_.worker_id}, {"tasks", static_cast<long long>(*n)}});
  } else {
    log::Error("cannot hand leases back; they are delivered again when they expire",
               {{"worker", options_.worker_id},
                {"tasks", static_cast<long>(ids.size())},
                {"error", n.status().message()}});
  }
  for (size_t i = 0; i < stale.size(); ++i) JobDone();
}

void Dispatcher::DropWaiting() {
  size_t n = 0;
  {
    std::lock_guard<std::mutex> lock(dest_mu_);
    dropping_ = true;
    for (auto& [dest, d] : dests_) {
      n += d.waiting.size();
      d.waiting.clear();
    }
    waiting_.fetch_sub(n);
  }
  for (size_t i = 0; i < n; ++i) JobDone();
}

size_t Dispatcher::Round() const {
  return std::max(2 * options_.max_in_flight_per_host, static_cast<size_t>(options_.lease_batch));
}

bool Dispatcher::AtCapacity() const {
  size_t waiting = waiting_.load();
  size_t busy = in_flight_.load();
  return busy - std::min(busy, waiting) >= options_.max_in_flight ||
         waiting >= options_.max_waiting;
}

void Dispatcher::HandBackLeases() {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(unrecorded_mu_);
    ids.assign(unrecorded_.begin(), unrecorded_.end());
    unrecorded_.clear();
  }
  if (ids.empty()) return;
  auto n = store_.ReleaseLeases(options_.worker_id, ids);
  if (!n.ok()) {
    log::Error("cannot hand leases back; they are delivered again when they expire",
               {{"worker", options_.worker_id},
                {"tasks", static_cast<long>(ids.size())},
                {"error", n.status().message()}});
    return;
  }
  log::Info("leases handed back",
            {{"worker", options_.worker_id}, {"tasks", static_cast<long long>(*n)}});
}

void Dispatcher::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_one();
}

DispatcherStats Dispatcher::Stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  DispatcherStats s = stats_;
  s.in_flight = in_flight_.load();
  s.waiting = waiting_.load();
  std::lock_guard<std::mutex> unsaved_lock(unsaved_mu_);
  s.kept_results = unsaved_.size();
  return s;
}

bool Dispatcher::RefreshWebhooks() {
  int64_t rev = store_.ConfigRevision();
  if (rev == webhooks_revision_) return true;
  auto hooks = store_.ListWebhooks();
  if (!hooks.ok()) {
    log::Error("cannot load webhooks", {{"error", hooks.status().message()}});
    return false;
  }
  webhooks_.clear();
  max_webhook_timeout_ = options_.default_timeout_seconds;
  for (auto& w : *hooks) {
    if (w.timeout) max_webhook_timeout_ = std::max(max_webhook_timeout_, *w.timeout);
    webhooks_[w.id] = std::move(w);
  }
  webhooks_revision_ = rev;
  return true;
}

int64_t Dispatcher::LeaseMicros() const {
  // Long enough for the slowest webhook (timeout covers every redirect hop) plus slack for
  // queueing in the transport and recording the result.
  return (static_cast<int64_t>(max_webhook_timeout_) + options_.lease_slack_seconds) * 1000000;
}

void Dispatcher::Loop() {
  pthread_setname_np(pthread_self(), "herald-dispatch");
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      int64_t now = clock_.NowUs();
      int64_t wait_us = std::clamp<int64_t>(next_due_us_.load() - now, 0, 1000000);
      clock_.WaitUntil(lock, cv_, clock_.SteadyNow() + std::chrono::microseconds(wait_us),
                       [this] { return wake_ || stopping_; });
      if (stopping_) return;
      wake_ = false;
      if (next_due_us_.load() <= clock_.NowUs()) next_due_us_ = INT64_MAX;
    }
    RetryUnsaved();
    HandBackStale();
    // Lease as long as there is capacity and work.
    while (true) {
      if (AtCapacity()) {
        // Announce it, then look again: a completion in between either sees the flag (and
        // wakes the loop) or has already freed what the second look finds.
        at_capacity_ = true;
        if (AtCapacity()) break;
      }
      at_capacity_ = false;
      if (!RefreshWebhooks()) break;
      size_t waiting = waiting_.load(), busy = in_flight_.load();
      size_t counted = busy - std::min(busy, waiting);
      if (counted >= options_.max_in_flight) continue;  // changed since AtCapacity
      int want = static_cast<int>(std::min<size_t>(options_.max_in_flight - counted,
                                                   static_cast<size_t>(options_.lease_batch)));
      LeaseRequest req;
      req.worker = options_.worker_id;
      req.max = want;
      req.now = clock_.NowUs();
      req.lease_us = LeaseMicros();
      req.max_lease_expiries = options_.max_lease_expiries;
      req.max_per_webhook = LeaseLimits(want);
      req.after_webhook = last_webhook_;
      auto lease = store_.Lease(req);
      if (!lease.ok()) {
        log::Error("cannot lease tasks", {{"error", lease.status().message()}});
        break;
      }
      if (!lease->failed.empty()) ReportWorkerStopped(lease->failed);
      size_t got = lease->leased.size();
      if (got > 0) last_webhook_ = lease->leased.back().webhook_id;  // the next lease rotates on
      size_t seen = got + lease->failed.size();
      if (got > 0) Dispatch(std::move(lease->leased));
      if (seen < static_cast<size_t>(want)) break;
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
  }
}

void Dispatcher::ReportWorkerStopped(const std::vector<ExpiredTask>& failed) {
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.tasks_failed += failed.size();
  }
  for (const auto& f : failed) {
    auto wit = webhooks_.find(f.task.webhook_id);
    log::Error("task failed: its worker stopped while delivering it too many times in a row",
               {{"task", f.task.id},
                {"webhook", wit != webhooks_.end() ? wit->second.name : f.task.webhook_name},
                {"webhook_id", static_cast<long long>(f.task.webhook_id)},
                {"lease_expiries", f.expiries},
                {"error", f.task.error}});
  }
}

void Dispatcher::Dispatch(std::vector<Task> tasks) {
  {
    std::lock_guard<std::mutex> lock(unrecorded_mu_);
    for (const auto& t : tasks) unrecorded_.insert(t.id);
  }
  // Tasks of one event are usually leased together: fetch each event once.
  std::unordered_map<int64_t, std::shared_ptr<Event>> events;
  for (auto& t : tasks) {
    auto job = std::make_shared<Job>();
    job->task = std::move(t);
    in_flight_.fetch_add(1);
    job->started_us = clock_.NowUs();
    auto wit = webhooks_.find(job->task.webhook_id);
    if (wit == webhooks_.end()) {
      AttemptOutcome o;
      o.attempt.started_at = job->started_us;
      o.attempt.error = "Webhook " + std::to_string(job->task.webhook_id) +
                        " no longer exists; the task cannot be delivered.";
      o.error = o.attempt.error;
      o.next_status = TaskStatus::kFailed;
      Finish(job, std::move(o), true);
      continue;
    }
    job->webhook = wit->second;
    std::shared_ptr<Event> ev;
    auto eit = events.find(job->task.event_id);
    if (eit != events.end()) {
      ev = eit->second;
    } else {
      auto got = store_.GetEvent(job->task.event_id);
      if (got.ok()) ev = std::make_shared<Event>(std::move(*got));
      events[job->task.event_id] = ev;
    }
    if (!ev) {
      AttemptOutcome o;
      o.attempt.started_at = job->started_us;
      o.attempt.error =
          "Event " + std::to_string(job->task.event_id) + " is missing from the store.";
      o.error = o.attempt.error;
      o.next_status = TaskStatus::kFailed;
      Finish(job, std::move(o), true);
      continue;
    }
    Value context = BuildContext(*ev, job->task.action_data);
    // Rendered (and signed: webhook-timestamp) right before Submit below.
    auto rendered = renderer_.Render(job->webhook, context, {{"X-Herald-Task", job->task.id}},
                                     {job->task.id, clock_.NowUs()});
    if (!rendered.ok()) {
      AttemptOutcome o;
      o.attempt.started_at = job->started_us;
      o.attempt.method = job->webhook.http_method;
      o.attempt.error = rendered.status().message();
      o.error = o.attempt.error;
      int done = job->task.attempts + 1;
      auto delay = NextRetryDelayUs(PolicyFor(job->webhook, options_.default_retry), done, 0, "",
                                    job->started_us, Random01());
      o.next_status = delay ? TaskStatus::kScheduled : TaskStatus::kFailed;
      o.due_at = delay ? job->started_us + *delay : 0;
      log::Error("webhook render failed",
                 {{"task", job->task.id}, {"webhook", job->webhook.name}, {"error", o.error}});
      Finish(job, std::move(o), true);
      continue;
    }
    job->request = std::move(*rendered);
    // Formed here, not on the transport thread that runs Complete.
    job->headers_json = HeadersJson(job->request.headers);
    // A copy: the job keeps the rendered request for the attempt record.
    HttpRequest req = MakeHttpRequest(
        job->webhook, job->request,
        {options_.default_timeout_seconds, options_.http_proxy, options_.https_proxy});
    log::Debug("sending webhook", {{"task", job->task.id},
                                   {"method", req.method},
                                   {"url", req.url},
                                   {"webhook", job->webhook.name}});
    job->dest = DestinationKey(req.url);
    Send(std::move(job), std::move(req));
  }
}

void Dispatcher::Complete(std::shared_ptr<Job> job, HttpResponse resp) {
  const bool stopped = resp.error == kTransportStopped;
  if (auto next = DestinationFreed(job->dest, stopped)) {
    next->started_us = clock_.NowUs();  // its attempt starts now, not when it was leased
    Submit(next, std::move(next->waiting_request));
  }
  if (stopped) {
    // Shutting down: the task stays in unrecorded_, and Stop hands its lease back.
    JobDone();
    return;
  }
  AttemptOutcome o;
  Attempt& a = o.attempt;
  a.task_id = job->task.id;
  a.started_at = job->started_us;
  a.duration_us = resp.duration_us;
  a.status_code = resp.status;
  a.response_excerpt = resp.body_excerpt;
  a.method = job->request.method;
  a.url = job->request.url;
  a.request_headers = std::move(job->headers_json);
  bool ok = resp.error.empty() && resp.status >= 200 && resp.status <= 299;
  // A success is always a task's last attempt: under "failed" its body is not worth a copy.
  if (ok && !options_.record_all_bodies) {
    a.request_body = kRequestBodyNotRecorded;
  } else {
    a.request_body = std::move(job->request.body);  // the job is done with its request
    if (a.request_body.size() > options_.max_request_body_kept)
      a.request_body.resize(options_.max_request_body_kept);
  }
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    if (ok) ++stats_.succeeded;
    else if (resp.error.empty()) ++stats_.failed_status;
    else ++stats_.failed_network;
    double secs = static_cast<double>(resp.duration_us) / 1e6;
    for (size_t i = 0; i < DispatcherStats::kBuckets.size(); ++i)
      if (secs <= DispatcherStats::kBuckets[i]) ++stats_.latency_buckets[i];
    ++stats_.latency_count;
    stats_.latency_sum_seconds += secs;
    stats_.working_time_us += resp.duration_us;
  }
  if (ok) {
    o.next_status = TaskStatus::kFinished;
    o.result = SuccessMessage(resp.status);
  } else {
    a.error = resp.error.empty() ? FailureMessage(resp.status, resp.body_excerpt) : resp.error;
    o.error = a.error;
    int done = job->task.attempts + 1;
    int64_t now = clock_.NowUs();
    auto delay = NextRetryDelayUs(PolicyFor(job->webhook, options_.default_retry), done,
                                  resp.status, resp.retry_after, now, Random01());
    o.next_status = delay ? TaskStatus::kScheduled : TaskStatus::kFailed;
    o.due_at = delay ? now + *delay : 0;
  }
  Finish(job, std::move(o), false);
}

void Dispatcher::Finish(std::shared_ptr<Job> job, AttemptOutcome o, bool render_failure) {
  TaskStatus next = o.next_status;
  std::string error = o.error;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    if (render_failure) ++stats_.failed_render;
    if (next == TaskStatus::kScheduled) ++stats_.retries_scheduled;
    if (next == TaskStatus::kFailed) ++stats_.tasks_failed;
  }
  if (next == TaskStatus::kFailed) {
    log::Warning("task failed", {{"task", job->task.id},
                                 {"webhook", job->webhook.name.empty() ? job->task.webhook_name
                                                                       : job->webhook.name},
                                 {"attempts", job->task.attempts + 1},
                                 {"error", error}});
  } else if (next == TaskStatus::kScheduled) {
    log::Info("delivery failed; retry scheduled",
              {{"task", job->task.id}, {"attempt", job->task.attempts + 1}, {"error", error}});
  }
  if (next == TaskStatus::kScheduled) {
    int64_t due = o.due_at, cur = next_due_us_.load();
    while (due < cur && !next_due_us_.compare_exchange_weak(cur, due)) {
    }
  }
  std::string id = job->task.id;
  {
    std::lock_guard<std::mutex> lock(unrecorded_mu_);
    unrecorded_.erase(id);
  }
  Record(id, std::move(o));
}

void Dispatcher::Record(const std::string& id, AttemptOutcome o) {
  // The copy is kept only if the store turns out to be unavailable.
  auto kept = std::make_shared<AttemptOutcome>(o);
  store_.RecordAttemptAsync(id, options_.worker_id, std::move(o), [this, id, kept](Status st) {
    if (st.code() == Code::kUnavailable) {
      std::lock_guard<std::mutex> lock(unsaved_mu_);
      if (!store_unavailable_.exchange(true))
        log::Warning("store unavailable; delivery results are kept and recorded when it returns",
                     {{"task", id}, {"error", st.message()}});
      if (unsaved_.size() >= kMaxUnsaved) unsaved_.pop_front();
      unsaved_.emplace_back(id, std::move(*kept));
    } else {
      if (store_unavailable_.exchange(false)) log::Info("store available again; recording results");
      static log::Throttle throttle(std::chrono::seconds(10));
      if (long long held; !st.ok() && st.code() != Code::kConflict && throttle.Allow(&held))
        log::Error("cannot record attempt",
                   {{"task", id}, {"error", st.message()}, {"similar_lines_suppressed", held}});
    }
    JobDone();
    if (at_capacity_.load() || next_due_us_.load() <= clock_.NowUs()) Wake();
  });
}

void Dispatcher::RetryUnsaved() {
  std::deque<std::pair<std::string, AttemptOutcome>> batch;
  {
    std::lock_guard<std::mutex> lock(unsaved_mu_);
    batch.swap(unsaved_);
  }
  if (batch.empty()) return;
  for (auto& [id, outcome] : batch) {
    in_flight_.fetch_add(1);  // Record's callback counts it out again
    Record(id, std::move(outcome));
  }
}

}  // namespace herald::delivery
