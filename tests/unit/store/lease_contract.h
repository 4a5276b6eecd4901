// The lease part of the Store contract: the worker-stopped rule (consecutive expired leases fail
// a task) and graceful hand-back (ReleaseLeases). A typed suite every backend runs unchanged,
// with the same factory type as StoreContract (see store_contract.h):
//   INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, LeaseContract, ::testing::Types<SqliteFactory>);
// Times are injected, so "the lease expired" is a later `now`, never a sleep.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/store.h"
#include "store_contract.h"

namespace herald::store_contract {

// The StoreContract fixture (the store in a fresh directory, OneTask) with an injected time.
template <typename F>
class LeaseContract : public StoreContract<F> {
 protected:
  static constexpr TimeUs kLease = 1'000'000;

  void SetUp() override {
    StoreContract<F>::SetUp();
    now_ = NowUs() + 1000;
  }
  Store& s() { return this->store(); }

  // Leases at the current injected time with limit `n`, then moves time past the lease.
  LeaseResult LeaseAndExpire(const std::string& worker, int n = kDefaultMaxLeaseExpiries) {
    LeaseRequest req;
    req.worker = worker;
    req.max = 10;
    req.now = now_;
    req.lease_us = kLease;
    req.max_lease_expiries = n;
    auto r = this->store_->Lease(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    now_ += kLease;
    return r.ok() ? std::move(*r) : LeaseResult();
  }

  // A lease of up to `max` tasks for worker "w" at the current injected time, for 60 s.
  LeaseRequest Request(int max) const {
    LeaseRequest req;
    req.worker = "w";
    req.max = max;
    req.now = now_;
    req.lease_us = 60'000'000;
    return req;
  }

  Task Get(const std::string& id) {
    auto t = this->store_->GetTask(id);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : Task();
  }

  TimeUs now_ = 0;
};

TYPED_TEST_SUITE_P(LeaseContract);

TYPED_TEST_P(LeaseContract, TaskFailsAfterNConsecutiveExpiredLeases) {
  Store& s = this->s();
  const std::string id = this->OneTask();
  // Leased three times; each lease expires without an attempt (the worker died each time).
  for (int i = 0; i < kDefaultMaxLeaseExpiries; ++i) {
    auto r = this->LeaseAndExpire("w" + std::to_string(i));
    ASSERT_EQ(r.leased.size(), 1u) << "lease " << i;
    EXPECT_TRUE(r.failed.empty());
    EXPECT_EQ(r.leased[0].id, id);
  }
  // The third expiry is found by the next lease: the task is failed, not leased.
  auto r = this->LeaseAndExpire("w9");
  EXPECT_TRUE(r.leased.empty());
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].expiries, 3);
  EXPECT_EQ(r.failed[0].task.id, id);
  EXPECT_EQ(r.failed[0].task.status, TaskStatus::kFailed);
  EXPECT_EQ(WorkerStoppedError(3), "worker stopped while delivering (3 times); see the logs");
  Task t = this->Get(id);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error, "worker stopped while delivering (3 times); see the logs");
  EXPECT_EQ(t.attempts, 0);
  EXPECT_TRUE(t.worker.empty());
  EXPECT_GT(t.ended_at, 0);
  auto attempts = s.ListAttempts(id);
  ASSERT_TRUE(attempts.ok());
  EXPECT_TRUE(attempts->empty());
  auto counts = s.CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->failed, 1);
  EXPECT_EQ(counts->started, 0);
  // Never leased again, however late.
  this->now_ += 3'600'000'000;
  r = this->LeaseAndExpire("w10");
  EXPECT_TRUE(r.leased.empty());
  EXPECT_TRUE(r.failed.empty());
  // The dead worker's late record is refused.
  AttemptOutcome ok;
  ok.next_status = TaskStatus::kFinished;
  EXPECT_EQ(s.RecordAttempt(id, "w2", ok).code(), Code::kConflict);

  // Requeue resets the count: three more expiries are needed to fail it again.
  ASSERT_TRUE(s.Requeue(id, this->now_).ok());
  for (int i = 0; i < kDefaultMaxLeaseExpiries; ++i) {
    auto again = this->LeaseAndExpire("v");
    ASSERT_EQ(again.leased.size(), 1u) << "lease " << i << " after requeue";
  }
  r = this->LeaseAndExpire("v");
  ASSERT_EQ(r.failed.size(), 1u);
  // RequeueAllFailed resets it too; a recorded attempt then finishes the task.
  auto n = s.RequeueAllFailed(this->now_);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  for (int i = 0; i < kDefaultMaxLeaseExpiries - 1; ++i) {
    ASSERT_EQ(this->LeaseAndExpire("u").leased.size(), 1u);
  }
  r = this->LeaseAndExpire("u");
  ASSERT_EQ(r.leased.size(), 1u);
  ASSERT_TRUE(s.RecordAttempt(id, "u", ok).ok());
  EXPECT_EQ(this->Get(id).status, TaskStatus::kFinished);
}

TYPED_TEST_P(LeaseContract, RecordedAttemptResetsTheCount) {
  Store& s = this->s();
  const std::string id = this->OneTask();
  for (int i = 0; i < kDefaultMaxLeaseExpiries - 1; ++i) {
    ASSERT_EQ(this->LeaseAndExpire("dead").leased.size(), 1u);
  }
  // The third lease's worker records a failed attempt with a retry: the run of expiries ends.
  auto r = this->LeaseAndExpire("alive");
  ASSERT_EQ(r.leased.size(), 1u);
  AttemptOutcome retry;
  retry.attempt.started_at = this->now_;
  retry.attempt.error = "connection refused";
  retry.error = retry.attempt.error;
  retry.next_status = TaskStatus::kScheduled;
  retry.due_at = this->now_;
  ASSERT_TRUE(s.RecordAttempt(id, "alive", retry).ok());
  // From scheduled: a fresh run of N expiries is allowed before the rule fails it.
  for (int i = 0; i < kDefaultMaxLeaseExpiries; ++i) {
    r = this->LeaseAndExpire("dead2");
    ASSERT_EQ(r.leased.size(), 1u) << "lease " << i << " after the attempt";
    EXPECT_EQ(r.leased[0].attempts, 1);
  }
  r = this->LeaseAndExpire("dead2");
  ASSERT_EQ(r.failed.size(), 1u);
  Task t = this->Get(id);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.attempts, 1);
  EXPECT_EQ(t.error, WorkerStoppedError(3));
}

TYPED_TEST_P(LeaseContract, LimitIsConfigurable) {
  Store& s = this->s();
  const std::string a = this->OneTask();
  // Limit 1: the first expired lease fails the task.
  ASSERT_EQ(this->LeaseAndExpire("w", 1).leased.size(), 1u);
  auto r = this->LeaseAndExpire("w", 1);
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].expiries, 1);
  EXPECT_EQ(this->Get(a).error, "worker stopped while delivering (1 times); see the logs");
  // Limit 5: five leases, the fifth expiry fails it.
  ASSERT_TRUE(s.Requeue(a, this->now_).ok());
  for (int i = 0; i < 5; ++i) ASSERT_EQ(this->LeaseAndExpire("w", 5).leased.size(), 1u) << i;
  r = this->LeaseAndExpire("w", 5);
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(this->Get(a).error, WorkerStoppedError(5));
  // Limits below 1 count as 1 (never "lease forever by accident").
  ASSERT_TRUE(s.Requeue(a, this->now_).ok());
  ASSERT_EQ(this->LeaseAndExpire("w", 0).leased.size(), 1u);
  EXPECT_EQ(this->LeaseAndExpire("w", 0).failed.size(), 1u);
}

TYPED_TEST_P(LeaseContract, ReleaseHandsBackWithoutCounting) {
  Store& s = this->s();
  const std::string fresh = this->OneTask();
  const std::string retried = this->OneTask();
  const std::string other = this->OneTask();
  Task fresh_before = this->Get(fresh);
  // `retried` gets a failed attempt with a retry due at `due`.
  LeaseRequest one = this->Request(3);
  auto all = s.Lease(one);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->leased.size(), 3u);
  const TimeUs due = this->now_ + 5'000'000;
  AttemptOutcome retry;
  retry.next_status = TaskStatus::kScheduled;
  retry.due_at = due;
  retry.error = "HTTP 503";
  ASSERT_TRUE(s.RecordAttempt(retried, "w", retry).ok());
  one.now = due;
  one.max = 1;
  auto again = s.Lease(one);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->leased.size(), 1u);
  EXPECT_EQ(again->leased[0].id, retried);

  // Another worker's ids, unknown ids and empty lists change nothing.
  auto n = s.ReleaseLeases("intruder", {fresh, retried});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(*s.ReleaseLeases("w", {}), 0);
  // Hand back two of the three (and an unknown id).
  n = s.ReleaseLeases("w", {fresh, retried, "no-such-task"});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2);
  Task f = this->Get(fresh);
  EXPECT_EQ(f.status, TaskStatus::kQueued);
  EXPECT_EQ(f.enqueued_at, fresh_before.enqueued_at) << "keeps its place in line";
  EXPECT_TRUE(f.worker.empty());
  EXPECT_EQ(f.lease_expires, 0);
  Task r = this->Get(retried);
  EXPECT_EQ(r.status, TaskStatus::kScheduled);
  EXPECT_EQ(r.due_at, due);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(this->Get(other).status, TaskStatus::kStarted);
  auto counts = s.CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->queued, 1);
  EXPECT_EQ(counts->scheduled, 1);
  EXPECT_EQ(counts->started, 1);

  // A result that arrives after the hand-back is refused and dropped: nothing double-counted.
  AttemptOutcome ok;
  ok.next_status = TaskStatus::kFinished;
  ok.attempt.status_code = 200;
  EXPECT_EQ(s.RecordAttempt(fresh, "w", ok).code(), Code::kConflict);
  EXPECT_EQ(s.RecordAttempt(retried, "w", ok).code(), Code::kConflict);
  EXPECT_EQ(this->Get(fresh).attempts, 0);
  EXPECT_EQ(this->Get(retried).attempts, 1);
  EXPECT_TRUE(s.ListAttempts(fresh)->empty());
  EXPECT_EQ(s.ListAttempts(retried)->size(), 1u);

  // Handed back more often than the limit: never failed by the rule.
  for (int i = 0; i < 2 * kDefaultMaxLeaseExpiries; ++i) {
    LeaseRequest req;
    req.worker = "deploy" + std::to_string(i);
    req.max = 10;
    req.now = due + i;
    req.lease_us = 60'000'000;
    auto l = s.Lease(req);
    ASSERT_TRUE(l.ok());
    EXPECT_TRUE(l->failed.empty());
    ASSERT_EQ(l->leased.size(), 2u) << "round " << i;
    std::vector<std::string> ids;
    for (const auto& t : l->leased) ids.push_back(t.id);
    EXPECT_EQ(*s.ReleaseLeases(req.worker, ids), 2);
  }
  EXPECT_EQ(this->Get(fresh).status, TaskStatus::kQueued);
  EXPECT_EQ(this->Get(retried).status, TaskStatus::kScheduled);
}

TYPED_TEST_P(LeaseContract, ReleaseNeitherCountsNorResetsTheRun) {
  Store& s = this->s();
  const std::string id = this->OneTask();
  // Two expiries, then a graceful hand-back, then one more expiry: three in a row of expiries
  // (a hand-back is neither an expiry nor an attempt), so the task fails.
  ASSERT_EQ(this->LeaseAndExpire("dead").leased.size(), 1u);
  ASSERT_EQ(this->LeaseAndExpire("dead").leased.size(), 1u);
  auto r = this->LeaseAndExpire("graceful");
  ASSERT_EQ(r.leased.size(), 1u);
  ASSERT_EQ(*s.ReleaseLeases("graceful", {id}), 1);
  EXPECT_EQ(this->Get(id).status, TaskStatus::kQueued);
  ASSERT_EQ(this->LeaseAndExpire("dead").leased.size(), 1u);
  r = this->LeaseAndExpire("next");
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].expiries, 3);
}

TYPED_TEST_P(LeaseContract, EnqueueAndStopInteract) {
  Store& s = this->s();
  const std::string id = this->OneTask();
  ASSERT_EQ(this->LeaseAndExpire("dead").leased.size(), 1u);
  ASSERT_EQ(this->LeaseAndExpire("dead").leased.size(), 1u);
  // An operator stops the started task, then requeues it: a fresh run.
  ASSERT_TRUE(s.Stop(id, this->now_).ok());
  ASSERT_TRUE(s.Requeue(id, this->now_).ok());
  for (int i = 0; i < kDefaultMaxLeaseExpiries; ++i) {
    ASSERT_EQ(this->LeaseAndExpire("dead").leased.size(), 1u) << i;
  }
  EXPECT_EQ(this->LeaseAndExpire("dead").failed.size(), 1u);
}

// Fair leasing: a backlog for webhook 1 committed first, then a few tasks for webhooks 2 and 3.
TYPED_TEST_P(LeaseContract, LeaseIsFairAcrossWebhooksAndInDueOrderWithinOne) {
  Store& s = this->s();
  std::vector<std::string> a, b, c;
  for (int i = 0; i < 30; ++i)
    a.push_back(this->Commit({MakeEvent("dcim.device", i, {{1, 1}})}).at(0).task_ids.at(0));
  for (int i = 0; i < 3; ++i) {
    b.push_back(this->Commit({MakeEvent("dcim.site", i, {{2, 2}})}).at(0).task_ids.at(0));
    c.push_back(this->Commit({MakeEvent("dcim.site", i, {{3, 3}})}).at(0).task_ids.at(0));
  }
  LeaseRequest req = this->Request(9);
  auto r = s.Lease(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // An equal share each (3); round-robin by webhook id; each webhook's oldest first.
  std::vector<std::string> got;
  for (const Task& t : r->leased) got.push_back(t.id);
  EXPECT_EQ(got, (std::vector<std::string>{a[0], b[0], c[0], a[1], b[1], c[1], a[2], b[2], c[2]}));

  // What B and C cannot use goes to A, in A's due order.
  req.max = 5;
  r = s.Lease(req);
  ASSERT_TRUE(r.ok());
  got.clear();
  for (const Task& t : r->leased) got.push_back(t.id);
  EXPECT_EQ(got, (std::vector<std::string>(a.begin() + 3, a.begin() + 8)));

  // More webhooks with due tasks than the batch: one task, rotating after after_webhook.
  b.push_back(this->Commit({MakeEvent("dcim.site", 9, {{2, 2}})}).at(0).task_ids.at(0));
  c.push_back(this->Commit({MakeEvent("dcim.site", 9, {{3, 3}})}).at(0).task_ids.at(0));
  req.max = 1;
  req.after_webhook = 1;
  r = s.Lease(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->leased.size(), 1u);
  EXPECT_EQ(r->leased[0].id, b[3]);
  req.after_webhook = 3;  // wraps around to webhook 1
  r = s.Lease(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->leased.size(), 1u);
  EXPECT_EQ(r->leased[0].id, a[8]);

  // max_per_webhook: webhooks 1 and 2 skipped leaves C's task; then A capped at 2.
  req.max = 10;
  req.after_webhook = 0;
  req.max_per_webhook = {{1, 0}, {2, 0}};
  r = s.Lease(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->leased.size(), 1u);
  EXPECT_EQ(r->leased[0].id, c[3]);
  req.max_per_webhook = {{1, 2}};
  r = s.Lease(req);
  ASSERT_TRUE(r.ok());
  got.clear();
  for (const Task& t : r->leased) got.push_back(t.id);
  EXPECT_EQ(got, (std::vector<std::string>{a[9], a[10]}));
  auto counts = s.CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->queued, 30 - 11);
}

REGISTER_TYPED_TEST_SUITE_P(LeaseContract, TaskFailsAfterNConsecutiveExpiredLeases,
                            RecordedAttemptResetsTheCount, LimitIsConfigurable,
                            ReleaseHandsBackWithoutCounting, ReleaseNeitherCountsNorResetsTheRun,
                            EnqueueAndStopInteract,
                            LeaseIsFairAcrossWebhooksAndInDueOrderWithinOne);

}  // namespace herald::store_contract
