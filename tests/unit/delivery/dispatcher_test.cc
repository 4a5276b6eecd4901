// Dispatcher, driven through its public interface with a FakeStore, a FakeSender and a
// FakeClock (delivery_fakes.h): a leased task is rendered, sent with the webhook's options and
// its attempt recorded; 2xx finishes it; other answers and network errors schedule retries by
// the webhook's policy (Retry-After included) until the task fails; render failures and missing
// webhooks or events are recorded without sending; configuration changes reach the next lease;
// Stop waits for requests in flight within its grace and hands the other leases back; the
// in-flight limit and the lease batch bound what is leased, and a destination's tasks beyond its
// per-host cap wait in the dispatcher, at most a round ahead (then its webhook is skipped by the
// lease), handed back when they wait too long, without taking other receivers' capacity. Time moves
// only when a test advances the clock (the isolation test runs the real transport on the system
// clock); nothing sleeps.
#include "delivery/dispatcher.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>

#include "common/clock.h"
#include "delivery/request.h"
#include "delivery_fakes.h"
#include "support/json.h"
#include "support/test_server.h"
#include "support/wait.h"
#include "value/json.h"

namespace herald::delivery {
namespace {

using herald::testing::J;
using std::chrono::seconds;
using testing::FakeSender;
using testing::FakeStore;

constexpr int64_t kSecond = 1000000;
constexpr int64_t kHookId = 1;
constexpr int64_t kEventId = 7;
constexpr const char* kSecret = "s3cret";

Webhook Hook(std::string url) {
  Webhook w;
  w.id = kHookId;
  w.name = "site hook";
  w.payload_url = std::move(url);
  w.last_updated = 1;
  return w;
}

Webhook RetryingHook(int max_attempts, int interval_seconds) {
  Webhook w = Hook("http://receiver.test/hook");
  w.max_attempts = max_attempts;
  w.retry_policy = "fixed";
  w.retry_interval = interval_seconds;
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
  e.data = J(R"({"id": 4, "name": "Site 1"})");
  return e;
}

HttpResponse Answer(int status, std::string body = "") {
  HttpResponse r;
  r.status = status;
  r.body_excerpt = std::move(body);
  r.duration_us = 1500;
  return r;
}

HttpResponse NetworkError(std::string error) {
  HttpResponse r;
  r.error = std::move(error);
  r.duration_us = 700;
  return r;
}

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest() {
    options_.worker_id = "worker-1";
    options_.http_proxy = "http://proxy.test:3128";
    options_.https_proxy = "http://tls-proxy.test:3128";
    store_.PutEvent(SiteEvent());
  }
  void TearDown() override {
    if (dispatcher_) dispatcher_->Stop(std::chrono::milliseconds(0));
  }
  void Start() {
    dispatcher_ = std::make_unique<Dispatcher>(store_, sender_, renderer_, options_, clock_);
    dispatcher_->Start();
  }
  // Starts with webhook `w` and one task for it; returns the task's id once its request is out.
  std::string StartWithOneRequest(const Webhook& w) {
    store_.PutWebhook(w);
    Start();
    std::string id = store_.AddTask(kEventId, kHookId);
    EXPECT_TRUE(sender_.WaitForSubmitted(1));
    return id;
  }
  // Delivers one task in two attempts, answered `failure` then `success`; returns the attempts
  // and the rendered body in *body.
  std::vector<Attempt> FailThenSucceed(HttpResponse failure, int success, std::string* body) {
    std::string id = StartWithOneRequest(RetryingHook(2, 60));
    *body = sender_.submitted().at(0).body;
    sender_.AnswerOldest(std::move(failure));
    clock_.Advance(seconds(60));
    EXPECT_TRUE(sender_.WaitForSubmitted(2));
    sender_.AnswerOldest(Answer(success));
    return store_.attempts(id);
  }

  FakeClock clock_;
  FakeStore store_;
  FakeSender sender_;
  Renderer renderer_;
  DispatcherOptions options_;
  std::unique_ptr<Dispatcher> dispatcher_;  // last: stops before the rest goes
};

TEST_F(DispatcherTest, DeliversALeasedTaskAndRecordsItsAttempt) {
  Webhook w = Hook("http://receiver.test/hooks/{{ data.id }}");
  w.secret = kSecret;
  w.timeout = 90;
  store_.PutWebhook(w);
  const int64_t t0 = clock_.NowUs();
  Start();
  std::string id = store_.AddTask(kEventId, kHookId, J(R"({"foo": 1, "name": "rule"})"));
  ASSERT_TRUE(sender_.WaitForSubmitted(1));

  // Leased for the slowest webhook's timeout plus the slack, at the clock's time.
  ASSERT_FALSE(store_.leases().empty());
  LeaseRequest lease = store_.leases().front();
  EXPECT_EQ(lease.worker, "worker-1");
  EXPECT_EQ(lease.now, t0);
  EXPECT_EQ(lease.lease_us, (90 + options_.lease_slack_seconds) * kSecond);
  EXPECT_EQ(lease.max_lease_expiries, options_.max_lease_expiries);
  EXPECT_EQ(store_.task(id).status, TaskStatus::kStarted);

  // The request: the webhook rendered with the task's context (SPEC 5.1, action_data first).
  HttpRequest req = sender_.submitted().at(0);
  const std::string body =
      R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00", )"
      R"("object_type": "dcim.site", "model": "site", "username": "admin", "request_id": null, )"
      R"("data": {"foo": 1, "name": "Site 1", "id": 4}})";
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "http://receiver.test/hooks/4");
  EXPECT_EQ(req.body, body);
  EXPECT_EQ(req.headers, (HeaderList{{"Content-Type", "application/json"},
                                     {"X-Herald-Task", id},
                                     {"X-Hook-Signature", SignBody(kSecret, body)}}));
  EXPECT_EQ(req.timeout, std::chrono::milliseconds(90000));
  EXPECT_TRUE(req.verify_tls);
  EXPECT_EQ(req.proxy, "http://proxy.test:3128");
  EXPECT_EQ(dispatcher_->Stats().in_flight, 1u);

  sender_.AnswerOldest(Answer(204));
  Task t = store_.task(id);
  EXPECT_EQ(t.status, TaskStatus::kFinished);
  EXPECT_EQ(t.result, "Status 204 returned, webhook successfully processed.");
  auto attempts = store_.attempts(id);
  ASSERT_EQ(attempts.size(), 1u);
  const Attempt& a = attempts[0];
  EXPECT_EQ(a.number, 1);
  EXPECT_EQ(a.started_at, t0);
  EXPECT_EQ(a.duration_us, 1500);
  EXPECT_EQ(a.status_code, 204);
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.method, "POST");
  EXPECT_EQ(a.url, "http://receiver.test/hooks/4");
  // delivery.record_bodies = "failed" (the default): a success keeps everything but the body.
  EXPECT_EQ(a.request_body, kRequestBodyNotRecorded);
  EXPECT_FALSE(RequestBodyRecorded(a));
  auto headers = ParseJson(a.request_headers);
  ASSERT_TRUE(headers.ok()) << a.request_headers;
  ASSERT_NE(headers->get("X-Herald-Task"), nullptr) << a.request_headers;
  EXPECT_EQ(headers->get("X-Herald-Task")->as_str(), id);
  DispatcherStats s = dispatcher_->Stats();
  EXPECT_EQ(s.succeeded, 1u);
  EXPECT_EQ(s.latency_count, 1u);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_EQ(s.tasks_failed, 0u);
}

TEST_F(DispatcherTest, FailedAttemptsKeepTheirBodyAndSuccessesOnlyUnderRecordAll) {
  // Default ("failed"): the failed first attempt keeps the body, the successful retry does not.
  std::string body;
  auto attempts = FailThenSucceed(Answer(500, "boom"), 200, &body);
  ASSERT_FALSE(body.empty());
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].request_body, body);
  EXPECT_TRUE(RequestBodyRecorded(attempts[0]));
  EXPECT_FALSE(RequestBodyRecorded(attempts[1]));
  EXPECT_EQ(attempts[1].method, "POST");
  EXPECT_EQ(attempts[1].url, "http://receiver.test/hook");
  EXPECT_NE(attempts[1].request_headers.find("X-Herald-Task"), std::string::npos);
  EXPECT_EQ(attempts[1].status_code, 200);
}

TEST_F(DispatcherTest, RecordAllKeepsTheBodyOfSuccessfulAndFailedAttempts) {
  options_.record_all_bodies = true;
  std::string body;
  auto attempts =
      FailThenSucceed(NetworkError("Failed to connect to receiver.test port 80"), 201, &body);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].request_body, body);
  EXPECT_EQ(attempts[1].request_body, body);
  EXPECT_TRUE(RequestBodyRecorded(attempts[1]));
}

TEST_F(DispatcherTest, ResultsAreKeptWhileTheStoreIsUnavailableAndRecordedWhenItReturns) {
  std::string id = StartWithOneRequest(Hook("http://receiver.test/x"));
  store_.FailRecords(2);
  sender_.AnswerOldest(Answer(200));
  ASSERT_TRUE(herald::testing::WaitFor([&] { return dispatcher_->Stats().kept_results == 1; }));
  EXPECT_EQ(store_.task(id).status, TaskStatus::kStarted);
  EXPECT_TRUE(store_.attempts(id).empty());
  // The dispatch loop records the kept result again on each turn (at least once a second): the
  // second try fails too, the third records it.
  ASSERT_TRUE(herald::testing::WaitFor([&] {
    clock_.Advance(std::chrono::seconds(1));
    return store_.task(id).status == TaskStatus::kFinished;
  }));
  EXPECT_GE(store_.record_calls(), 3u);
  ASSERT_EQ(store_.attempts(id).size(), 1u);
  EXPECT_EQ(store_.attempts(id)[0].status_code, 200);
  EXPECT_EQ(dispatcher_->Stats().kept_results, 0u);
  EXPECT_EQ(sender_.submitted().size(), 1u);  // recorded, not delivered again
  // The task is counted out of in_flight by the record's callback, just after the store write
  // that the wait above saw.
  EXPECT_TRUE(herald::testing::WaitFor([&] { return dispatcher_->Stats().in_flight == 0; }));
}

TEST_F(DispatcherTest, RequestOptionsFollowTheWebhookAndTheDefaults) {
  Webhook w = Hook("https://secure.test/x");
  w.ssl_verification = false;
  w.ca_file_path = "/etc/herald/ca.pem";
  w.http_method = "PUT";
  w.http_content_type = "text/plain";
  store_.PutWebhook(w);
  options_.default_timeout_seconds = 45;
  Start();
  store_.AddTask(kEventId, kHookId);
  ASSERT_TRUE(sender_.WaitForSubmitted(1));
  HttpRequest req = sender_.submitted().at(0);
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(req.headers.at(0), (std::pair<std::string, std::string>{"Content-Type", "text/plain"}));
  EXPECT_EQ(req.timeout, std::chrono::milliseconds(45000)) << "delivery.default_timeout";
  EXPECT_FALSE(req.verify_tls);
  EXPECT_EQ(req.ca_file, "/etc/herald/ca.pem");
  EXPECT_EQ(req.proxy, "http://tls-proxy.test:3128") << "https URLs use the https proxy";
  EXPECT_EQ(store_.leases().front().lease_us, (45 + options_.lease_slack_seconds) * kSecond);
}

TEST_F(DispatcherTest, FailedAttemptsAreRetriedByThePolicyUntilTheTaskFails) {
  const int64_t t0 = clock_.NowUs();
  std::string id = StartWithOneRequest(RetryingHook(3, 60));
  sender_.AnswerOldest(Answer(500, "boom"));
  Task t = store_.task(id);
  EXPECT_EQ(t.status, TaskStatus::kScheduled);
  EXPECT_EQ(t.due_at, t0 + 60 * kSecond);
  EXPECT_EQ(t.error, "Status 500 returned with content 'b'boom'', webhook FAILED to process.");

  // Not due a second early: a lease at that time finds nothing to send.
  clock_.Advance(seconds(59));
  size_t calls = store_.leases().size();
  dispatcher_->Wake();
  ASSERT_TRUE(store_.WaitForLeaseCalls(calls + 1));
  EXPECT_EQ(store_.leases().back().now, t0 + 59 * kSecond);
  EXPECT_EQ(sender_.submitted().size(), 1u);

  // Due: the dispatcher wakes for it by itself (no Wake, no store notification).
  clock_.Advance(seconds(1));
  ASSERT_TRUE(sender_.WaitForSubmitted(2));
  sender_.AnswerOldest(NetworkError("Failed to connect to receiver.test port 80"));
  t = store_.task(id);
  EXPECT_EQ(t.status, TaskStatus::kScheduled);
  EXPECT_EQ(t.due_at, t0 + 120 * kSecond);
  EXPECT_EQ(t.error, "Failed to connect to receiver.test port 80");

  clock_.Advance(seconds(60));
  ASSERT_TRUE(sender_.WaitForSubmitted(3));
  sender_.AnswerOldest(Answer(503));
  t = store_.task(id);
  EXPECT_EQ(t.status, TaskStatus::kFailed) << "three attempts were allowed";
  EXPECT_EQ(t.error, "Status 503 returned with content 'b''', webhook FAILED to process.");

  auto attempts = store_.attempts(id);
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].started_at, t0);
  EXPECT_EQ(attempts[1].started_at, t0 + 60 * kSecond);
  EXPECT_EQ(attempts[2].started_at, t0 + 120 * kSecond);
  EXPECT_EQ(attempts[0].status_code, 500);
  EXPECT_EQ(attempts[1].status_code, 0);
  EXPECT_EQ(attempts[2].status_code, 503);
  DispatcherStats s = dispatcher_->Stats();
  EXPECT_EQ(s.failed_status, 2u);
  EXPECT_EQ(s.failed_network, 1u);
  EXPECT_EQ(s.retries_scheduled, 2u);
  EXPECT_EQ(s.tasks_failed, 1u);
  EXPECT_EQ(s.succeeded, 0u);
}

TEST_F(DispatcherTest, RetryAfterOnTooManyRequestsPushesTheRetryBack) {
  const int64_t t0 = clock_.NowUs();
  std::string id = StartWithOneRequest(RetryingHook(2, 60));
  HttpResponse r = Answer(429);
  r.retry_after = "300";
  sender_.AnswerOldest(r);
  EXPECT_EQ(store_.task(id).status, TaskStatus::kScheduled);
  EXPECT_EQ(store_.task(id).due_at, t0 + 300 * kSecond);
}

TEST_F(DispatcherTest, RenderFailuresAreRecordedAndRetriedWithoutSending) {
  Webhook w = RetryingHook(2, 30);
  w.payload_url = "receiver.test/{{ data.id }}";
  store_.PutWebhook(w);
  const int64_t t0 = clock_.NowUs();
  Start();
  std::string id = store_.AddTask(kEventId, kHookId);
  ASSERT_TRUE(store_.WaitForStatus(id, TaskStatus::kScheduled));
  const std::string error =
      "Error forming HTTP request: Invalid URL 'receiver.test/4': No scheme supplied. Perhaps you "
      "meant https://receiver.test/4?";
  Task t = store_.task(id);
  EXPECT_EQ(t.due_at, t0 + 30 * kSecond);
  EXPECT_EQ(t.error, error);
  auto attempts = store_.attempts(id);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].error, error);
  EXPECT_EQ(attempts[0].method, "POST");
  EXPECT_EQ(attempts[0].status_code, 0);
  EXPECT_EQ(attempts[0].started_at, t0);

  clock_.Advance(seconds(30));
  ASSERT_TRUE(store_.WaitForStatus(id, TaskStatus::kFailed));
  EXPECT_EQ(store_.attempts(id).size(), 2u);
  EXPECT_TRUE(sender_.submitted().empty());
  DispatcherStats s = dispatcher_->Stats();
  EXPECT_EQ(s.failed_render, 2u);
  EXPECT_EQ(s.retries_scheduled, 1u);
  EXPECT_EQ(s.tasks_failed, 1u);
}

TEST_F(DispatcherTest, TasksWhoseWebhookOrEventIsGoneFail) {
  store_.PutWebhook(Hook("http://receiver.test/hook"));
  Start();
  std::string no_hook = store_.AddTask(kEventId, 99);
  std::string no_event = store_.AddTask(42, kHookId);
  ASSERT_TRUE(store_.WaitForStatus(no_hook, TaskStatus::kFailed));
  ASSERT_TRUE(store_.WaitForStatus(no_event, TaskStatus::kFailed));
  EXPECT_EQ(store_.task(no_hook).error,
            "Webhook 99 no longer exists; the task cannot be delivered.");
  EXPECT_EQ(store_.task(no_event).error, "Event 42 is missing from the store.");
  EXPECT_TRUE(sender_.submitted().empty());
}

TEST_F(DispatcherTest, ConfigurationChangesReachTheNextLease) {
  store_.PutWebhook(Hook("http://receiver.test/one"));
  Start();
  store_.AddTask(kEventId, kHookId);
  ASSERT_TRUE(sender_.WaitForSubmitted(1));
  sender_.AnswerOldest(Answer(200));
  Webhook changed = Hook("http://receiver.test/two");
  changed.last_updated = 2;
  store_.PutWebhook(changed);
  store_.AddTask(kEventId, kHookId);
  ASSERT_TRUE(sender_.WaitForSubmitted(2));
  EXPECT_EQ(sender_.submitted().at(0).url, "http://receiver.test/one");
  EXPECT_EQ(sender_.submitted().at(1).url, "http://receiver.test/two");
}

TEST_F(DispatcherTest, StopHandsUnfinishedLeasesBack) {
  store_.PutWebhook(Hook("http://receiver.test/hook"));
  Start();
  std::string done = store_.AddTask(kEventId, kHookId);
  std::string open = store_.AddTask(kEventId, kHookId);
  ASSERT_TRUE(sender_.WaitForSubmitted(2));
  sender_.AnswerOldest(Answer(200));
  dispatcher_->Stop(std::chrono::milliseconds(0));
  EXPECT_EQ(store_.released(), std::vector<std::string>{open});
  EXPECT_EQ(store_.task(open).status, TaskStatus::kQueued) << "delivered again at once";
  EXPECT_TRUE(store_.attempts(open).empty()) << "an abandoned request is no attempt";
  EXPECT_EQ(store_.task(done).status, TaskStatus::kFinished);
  EXPECT_EQ(dispatcher_->Stats().in_flight, 0u);
  dispatcher_->Stop();  // idempotent
  EXPECT_EQ(store_.released().size(), 1u);
}

TEST_F(DispatcherTest, StopLetsRequestsInFlightFinishWithinTheGrace) {
  std::string id = StartWithOneRequest(Hook("http://receiver.test/hook"));
  auto stopped = std::async(std::launch::async, [this] { dispatcher_->Stop(seconds(5)); });
  // The clock stands still, so only the answer can end the grace.
  sender_.AnswerOldest(Answer(200));
  ASSERT_EQ(stopped.wait_for(testing::kDeadline), std::future_status::ready);
  EXPECT_EQ(store_.task(id).status, TaskStatus::kFinished);
  EXPECT_TRUE(store_.released().empty());
}

TEST_F(DispatcherTest, StopAbandonsRequestsStillRunningWhenTheGraceEnds) {
  std::string id = StartWithOneRequest(Hook("http://receiver.test/hook"));
  auto stopped = std::async(std::launch::async, [this] { dispatcher_->Stop(seconds(5)); });
  // Move time on until the grace is over (Stop reads the clock when it starts waiting).
  for (int i = 0;
       i < 1000 && stopped.wait_for(FakeClock::kWaitSlice * 5) != std::future_status::ready; ++i)
    clock_.Advance(seconds(1));
  ASSERT_EQ(stopped.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(store_.released(), std::vector<std::string>{id});
  EXPECT_EQ(store_.task(id).status, TaskStatus::kQueued);
  EXPECT_EQ(sender_.pending(), 0u) << "the sender was stopped";
}

TEST_F(DispatcherTest, InFlightLimitIsHonoured) {
  store_.PutWebhook(Hook("http://receiver.test/hook"));
  options_.max_in_flight = 2;
  Start();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(store_.AddTask(kEventId, kHookId));
  ASSERT_TRUE(sender_.WaitForSubmitted(2));
  for (size_t answered = 0; answered < ids.size(); ++answered) {
    // Two are out at any time until fewer than two remain.
    EXPECT_EQ(sender_.pending(), std::min<size_t>(2, ids.size() - answered));
    sender_.AnswerOldest(Answer(200));
    if (answered + 2 < ids.size()) {
      ASSERT_TRUE(sender_.WaitForSubmitted(answered + 3));
    }
  }
  for (const auto& id : ids) {
    EXPECT_EQ(store_.task(id).status, TaskStatus::kFinished) << id;
  }
  EXPECT_EQ(sender_.max_pending(), 2u);
  for (const auto& l : store_.leases()) {
    EXPECT_GE(l.max, 1);
    EXPECT_LE(l.max, 2);
  }
}

TEST_F(DispatcherTest, LeaseBatchBoundsEachLease) {
  store_.PutWebhook(Hook("http://receiver.test/hook"));
  options_.lease_batch = 2;
  for (int i = 0; i < 5; ++i) store_.AddTask(kEventId, kHookId);  // before Start: no listener
  Start();
  dispatcher_->Wake();
  ASSERT_TRUE(sender_.WaitForSubmitted(5));
  auto leases = store_.leases();
  ASSERT_GE(leases.size(), 3u);
  for (const auto& l : leases) EXPECT_EQ(l.max, 2);
}

TEST_F(DispatcherTest, TasksWaitingForTheirDestinationStayWithTheDispatcherOneRoundAhead) {
  // One destination, 2 slots, a round of 4 (the lease batch): 2 requests go out, and leasing for
  // its webhook stops once 2 more wait here: the sender never holds more than the cap, and the
  // store is asked for none of the webhook's tasks while 4 are leased.
  store_.PutWebhook(Hook("http://receiver.test/hook"));
  options_.max_in_flight = 4;
  options_.max_in_flight_per_host = 2;
  options_.lease_batch = 4;
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(store_.AddTask(kEventId, kHookId));
  Start();
  dispatcher_->Wake();
  ASSERT_TRUE(sender_.WaitForSubmitted(2));
  for (size_t answered = 0; answered < ids.size(); ++answered) {
    ASSERT_TRUE(herald::testing::WaitFor([&] { return sender_.pending() > 0; }));
    size_t leased = 0;
    for (const auto& id : ids) leased += store_.task(id).status == TaskStatus::kStarted ? 1 : 0;
    EXPECT_LE(leased, 4u);
    sender_.AnswerOldest(Answer(200));
  }
  for (const auto& id : ids) {
    EXPECT_TRUE(store_.WaitForStatus(id, TaskStatus::kFinished)) << id;
  }
  EXPECT_EQ(sender_.max_pending(), 2u);
  bool skipped = false;
  for (const auto& l : store_.leases()) {
    auto it = l.max_per_webhook.find(kHookId);
    skipped = skipped || (it != l.max_per_webhook.end() && it->second == 0);
  }
  EXPECT_TRUE(skipped) << "a lease while the destination was a round ahead skips the webhook";
}

TEST_F(DispatcherTest, TasksWaitingTooLongForTheirDestinationAreHandedBack) {
  // One slot: the first task goes out and is never answered; the second waits here. Once it has
  // waited half the lease slack its lease goes back to the store, long before it could expire.
  store_.PutWebhook(Hook("http://receiver.test/hook"));
  options_.max_in_flight_per_host = 1;
  options_.lease_slack_seconds = 60;
  const std::string out = store_.AddTask(kEventId, kHookId);
  const std::string waiting = store_.AddTask(kEventId, kHookId);
  Start();
  dispatcher_->Wake();
  ASSERT_TRUE(sender_.WaitForSubmitted(1));
  ASSERT_TRUE(herald::testing::WaitFor([&] { return dispatcher_->Stats().waiting == 1; }));
  EXPECT_EQ(store_.task(waiting).status, TaskStatus::kStarted);
  EXPECT_TRUE(store_.released().empty());
  clock_.Advance(seconds(30));
  ASSERT_TRUE(herald::testing::WaitFor([&] { return !store_.released().empty(); }));
  EXPECT_EQ(store_.released(), std::vector<std::string>{waiting});
  EXPECT_EQ(sender_.submitted().size(), 1u) << "the waiting task was never sent";
  EXPECT_TRUE(store_.attempts(waiting).empty());
  // The slot frees: the task is leased again and delivered.
  sender_.AnswerOldest(Answer(200));
  EXPECT_TRUE(store_.WaitForStatus(out, TaskStatus::kFinished));
  dispatcher_->Wake();
  ASSERT_TRUE(sender_.WaitForSubmitted(2));
  sender_.AnswerOldest(Answer(200));
  EXPECT_TRUE(store_.WaitForStatus(waiting, TaskStatus::kFinished));
}

// Isolation end to end through the real transport over loopback: a receiver that holds every
// request, with a backlog queued before a healthy receiver's tasks, takes only its own per-host
// slots; every healthy delivery completes while the slow receiver still holds its requests.
// The checks are on order and completion, never on time.
TEST(DispatcherIsolation, HealthyReceiverIsServedWhileASlowOneHoldsItsBacklog) {
  constexpr size_t kPerHost = 2;
  constexpr size_t kInFlight = 4;
  herald::testing::TestServer slow(herald::testing::NeverAnswer());
  herald::testing::TestServer healthy(herald::testing::Answer(204));
  FakeStore store;
  store.PutEvent(SiteEvent());
  Webhook slow_hook = Hook(slow.url("/hook")), healthy_hook = Hook(healthy.url("/hook"));
  healthy_hook.id = kHookId + 1;
  slow_hook.timeout = healthy_hook.timeout = 600;  // the held requests never time out here
  store.PutWebhook(slow_hook);
  store.PutWebhook(healthy_hook);
  // The slow receiver's backlog is older: the store leases it first.
  std::vector<std::string> slow_ids, healthy_ids;
  for (int i = 0; i < 12; ++i) slow_ids.push_back(store.AddTask(kEventId, slow_hook.id));
  for (int i = 0; i < 6; ++i) healthy_ids.push_back(store.AddTask(kEventId, healthy_hook.id));

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
  o.lease_batch = 2 * kPerHost;
  Dispatcher dispatcher(store, transport, renderer, o, SystemClock());
  dispatcher.Start();
  dispatcher.Wake();

  for (const auto& id : healthy_ids)
    EXPECT_TRUE(store.WaitForStatus(id, TaskStatus::kFinished)) << id;
  // No slow task is answered; at most a round ahead of its slots is leased (the rest were
  // skipped by the leases); its receiver holds only its slots.
  size_t leased = 0;
  for (const auto& id : slow_ids) {
    EXPECT_NE(store.task(id).status, TaskStatus::kFinished) << id;
    EXPECT_TRUE(store.attempts(id).empty()) << id;
    leased += store.task(id).status == TaskStatus::kStarted ? 1 : 0;
  }
  EXPECT_LE(leased, 2 * kPerHost);
  EXPECT_TRUE(herald::testing::WaitFor(
      [&] { return slow.max_concurrent() == static_cast<int>(kPerHost); }));
  EXPECT_LE(slow.connections(), static_cast<int>(kPerHost));
  EXPECT_EQ(healthy.requests().size(), healthy_ids.size());

  // Stopping hands the slow backlog back to the queue.
  dispatcher.Stop(std::chrono::milliseconds(0));
  for (const auto& id : slow_ids) EXPECT_EQ(store.task(id).status, TaskStatus::kQueued) << id;
  slow.Stop();
}

}  // namespace
}  // namespace herald::delivery
