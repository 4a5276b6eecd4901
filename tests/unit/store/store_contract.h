// The Store contract suite: one typed test suite that every backend runs unchanged.
//
// A backend instantiates it with a factory type F providing
//   static Result<std::unique_ptr<Store>> Open(const std::string& dir);
//   static int64_t WriteTransactions(Store& s);  // write transactions committed so far
// which opens (or reopens) the backend's store kept under the empty temp directory `dir`
// (SQLite: a file in it). Opening twice with the same dir
// must reach the same data: the durability test reopens after killing a child process.
//   INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Types<SqliteFactory>);
// Times passed to LeaseTasks/Requeue/... are injected (based on the wall clock, since the
// store stamps created_at/enqueued_at itself).
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "commit_concurrently.h"
#include "contract_helpers.h"
#include "store/store.h"
#include "support/events.h"
#include "support/temp_dir.h"
#include "value/json.h"

namespace herald::store_contract {

template <typename F>
class StoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto s = F::Open(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  void TearDown() override {
    if (store_) store_->Close();
    store_.reset();
  }
  void Reopen() {
    store_->Close();
    store_.reset();
    auto s = F::Open(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  Store& store() { return *store_; }

  // A webhook + rule pair; returns {rule_id, webhook_id}.
  std::pair<int64_t, int64_t> MakePair(const std::string& suffix) {
    auto w = store_->CreateWebhook(MakeWebhook("hook-" + suffix));
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    auto r = store_->CreateEventRule(MakeRule("rule-" + suffix, w->id));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return {r->id, w->id};
  }

  std::vector<CommittedEvent> Commit(std::vector<NewEvent> events) {
    auto r = store_->CommitEventsSync(std::move(events));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<CommittedEvent>{};
  }

  // Commits one event with one task and returns the task id.
  std::string OneTask(const std::string& object_type = "dcim.device") {
    auto c = Commit({MakeEvent(object_type, 1, {{1, 1}})});
    return c.empty() || c[0].task_ids.empty() ? std::string() : c[0].task_ids[0];
  }

  // LeaseTasks for `worker` at `now`: the leased tasks; empty, with a test failure, when the
  // store refuses.
  std::vector<Task> Leased(const std::string& worker, int max, TimeUs now, TimeUs lease_us) {
    auto r = store_->LeaseTasks(worker, max, now, lease_us);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(*r) : std::vector<Task>{};
  }

  // Commits one task and leases it for `worker` at `now`; its id ("", with a test failure, when
  // it is not the one task leased).
  std::string OneLeasedTask(const std::string& worker, TimeUs now, TimeUs lease_us) {
    const std::string id = OneTask();
    auto leased = Leased(worker, 5, now, lease_us);
    EXPECT_TRUE(leased.size() == 1 && leased[0].id == id) << leased.size() << " leased";
    return leased.size() == 1 ? id : std::string();
  }

  TaskStatus StatusOf(const std::string& id) {
    auto t = store_->GetTask(id);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t->status : TaskStatus::kQueued;
  }

  testing::TempDir dir_{"store"};
  std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE_P(StoreContract);

TYPED_TEST_P(StoreContract, GroupCommitSharesTransactions) {
  Store& s = this->store();
  store_contract::ExpectGroupCommit(s, 16, 25, [&] { return TypeParam::WriteTransactions(s); });
}

// ---- configuration ----

TYPED_TEST_P(StoreContract, WebhookCrudOrderingAndRevision) {
  Store& s = this->store();
  const int64_t rev0 = s.ConfigRevision();
  for (const char* name : {"bravo", "alpha", "charlie"}) {
    auto w = s.CreateWebhook(MakeWebhook(name));
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_GT(w->id, 0);
    EXPECT_GT(w->created, 0);
    EXPECT_EQ(w->created, w->last_updated);
  }
  EXPECT_GE(s.ConfigRevision(), rev0 + 3);
  auto list = s.ListWebhooks();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].name, "alpha");
  EXPECT_EQ((*list)[1].name, "bravo");
  EXPECT_EQ((*list)[2].name, "charlie");

  Webhook a = (*list)[0];
  auto got = s.GetWebhook(a.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->payload_url, "http://127.0.0.1:9/alpha");
  EXPECT_EQ(got->secret, "s3cret");
  EXPECT_EQ(got->timeout, std::optional<int>(5));
  EXPECT_EQ(got->max_attempts, std::optional<int>(3));
  EXPECT_EQ(got->retry_policy, std::optional<std::string>("exponential"));
  EXPECT_FALSE(got->retry_interval.has_value());
  EXPECT_FALSE(got->ca_file_path.has_value());
  EXPECT_TRUE(got->ssl_verification);
  EXPECT_EQ(got->signature_scheme, "netbox");
  EXPECT_EQ(got->previous_secret, "");
  EXPECT_FALSE(got->previous_secret_expires.has_value());

  // Rename onto a taken name: Conflict with the NetBox-style message.
  Webhook clash = a;
  clash.name = "bravo";
  ExpectConflict(s.UpdateWebhook(clash), "webhook with this name already exists.");

  const int64_t rev1 = s.ConfigRevision();
  a.name = "zulu";
  a.ca_file_path = "/etc/ca.pem";
  a.timeout.reset();
  a.signature_scheme = "both";
  a.previous_secret = "whsec_old";
  a.previous_secret_expires = 1'900'000'000'123'456;
  auto up2 = s.UpdateWebhook(a);
  ASSERT_TRUE(up2.ok()) << up2.status().ToString();
  EXPECT_GT(s.ConfigRevision(), rev1);
  got = s.GetWebhook(a.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "zulu");
  EXPECT_EQ(got->ca_file_path, std::optional<std::string>("/etc/ca.pem"));
  EXPECT_FALSE(got->timeout.has_value());
  EXPECT_EQ(got->signature_scheme, "both");
  EXPECT_EQ(got->previous_secret, "whsec_old");
  EXPECT_EQ(got->previous_secret_expires, std::optional<TimeUs>(1'900'000'000'123'456));
  EXPECT_EQ(got->created, a.created);
  EXPECT_GE(got->last_updated, a.created);
  list = s.ListWebhooks();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->back().name, "zulu");

  Webhook missing = MakeWebhook("nobody");
  missing.id = 999999;
  auto up3 = s.UpdateWebhook(missing);
  ASSERT_FALSE(up3.ok());
  EXPECT_EQ(up3.status().code(), Code::kNotFound);

  ASSERT_TRUE(s.DeleteWebhook(a.id).ok());
  EXPECT_EQ(s.GetWebhook(a.id).status().code(), Code::kNotFound);
  EXPECT_EQ(s.DeleteWebhook(a.id).code(), Code::kNotFound);
}

TYPED_TEST_P(StoreContract, WebhookNameIsUnique) {
  Store& s = this->store();
  ASSERT_TRUE(s.CreateWebhook(MakeWebhook("dup")).ok());
  ExpectConflict(s.CreateWebhook(MakeWebhook("dup")), "webhook with this name already exists.");
  auto list = s.ListWebhooks();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
}

TYPED_TEST_P(StoreContract, DeleteReferencedWebhookIsRefused) {
  Store& s = this->store();
  auto w = s.CreateWebhook(MakeWebhook("target"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(s.CreateEventRule(MakeRule("uses-target", w->id)).ok());
  ASSERT_TRUE(s.CreateEventRule(MakeRule("also-uses", w->id)).ok());
  Status st = s.DeleteWebhook(w->id);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kConflict);
  EXPECT_NE(st.message().find("uses-target"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("also-uses"), std::string::npos) << st.message();
  EXPECT_TRUE(s.GetWebhook(w->id).ok());
}

TYPED_TEST_P(StoreContract, EventRuleCrud) {
  Store& s = this->store();
  auto w = s.CreateWebhook(MakeWebhook("w"));
  ASSERT_TRUE(w.ok());

  auto bad = s.CreateEventRule(MakeRule("orphan", w->id + 1000));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kConflict);
  EXPECT_EQ(bad.status().field(), "action_object_id");
  EXPECT_NE(bad.status().message().find("webhook"), std::string::npos);

  const int64_t rev = s.ConfigRevision();
  auto r2 = s.CreateEventRule(MakeRule("second", w->id));
  auto r1 = s.CreateEventRule(MakeRule("first", w->id));
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_GE(s.ConfigRevision(), rev + 2);

  ExpectConflict(s.CreateEventRule(MakeRule("first", w->id)),
                 "event rule with this name already exists.");

  auto list = s.ListEventRules();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "first");
  EXPECT_EQ((*list)[1].name, "second");

  auto got = s.GetEventRule(r1->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->object_types, (std::vector<std::string>{"dcim.device", "dcim.site"}));
  EXPECT_EQ(got->event_types, (std::vector<std::string>{"object_created", "object_updated"}));
  EXPECT_EQ(DumpJson(got->conditions), R"({"attr": "status.value", "value": "active"})");
  EXPECT_EQ(DumpJson(got->action_data), R"({"extra": [1, 2.5, "x", null, true]})");
  EXPECT_EQ(got->action_object_id, std::optional<int64_t>(w->id));
  EXPECT_TRUE(got->enabled);
  EXPECT_GT(got->created, 0);

  EventRule upd = *got;
  upd.enabled = false;
  upd.conditions = Value();
  upd.action_data = Value();
  upd.action_object_id = w->id + 1000;
  auto u = s.UpdateEventRule(upd);
  ASSERT_FALSE(u.ok());  // target webhook does not exist
  EXPECT_EQ(u.status().field(), "action_object_id");
  upd.action_object_id = w->id;
  upd.name = "second";
  u = s.UpdateEventRule(upd);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), Code::kConflict);
  EXPECT_EQ(u.status().field(), "name");
  upd.name = "renamed";
  u = s.UpdateEventRule(upd);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  got = s.GetEventRule(r1->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "renamed");
  EXPECT_FALSE(got->enabled);
  EXPECT_TRUE(got->conditions.is_none());
  EXPECT_TRUE(got->action_data.is_none());

  EventRule ghost = upd;
  ghost.id = 777777;
  ghost.name = "ghost";
  EXPECT_EQ(s.UpdateEventRule(ghost).status().code(), Code::kNotFound);

  ASSERT_TRUE(s.DeleteEventRule(r1->id).ok());
  EXPECT_EQ(s.GetEventRule(r1->id).status().code(), Code::kNotFound);
  EXPECT_EQ(s.DeleteEventRule(r1->id).code(), Code::kNotFound);
  ASSERT_TRUE(s.DeleteEventRule(r2->id).ok());
  EXPECT_TRUE(s.DeleteWebhook(w->id).ok());  // no longer referenced
}

TYPED_TEST_P(StoreContract, Tokens) {
  Store& s = this->store();
  ApiToken t;
  t.name = "ci";
  t.key_prefix = "hrld_ab";
  t.key_hash = std::string(64, 'a');
  t.scope = TokenScope::kIngestOnly;
  auto created = s.CreateToken(t);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_GT(created->id, 0);
  EXPECT_GT(created->created, 0);
  t.key_hash = std::string(64, 'b');
  t.scope = TokenScope::kReadOnly;
  ASSERT_TRUE(s.CreateToken(t).ok());

  auto found = s.FindTokenByHash(std::string(64, 'a'));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->name, "ci");
  EXPECT_EQ(found->scope, TokenScope::kIngestOnly);
  EXPECT_FALSE(found->revoked);
  EXPECT_EQ(s.FindTokenByHash("nope").status().code(), Code::kNotFound);

  ASSERT_TRUE(s.RevokeToken(created->id).ok());
  EXPECT_EQ(s.FindTokenByHash(std::string(64, 'a')).status().code(), Code::kNotFound);
  EXPECT_EQ(s.RevokeToken(987654).code(), Code::kNotFound);
  auto list = s.ListTokens();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_TRUE((*list)[0].revoked);
  EXPECT_EQ((*list)[1].scope, TokenScope::kReadOnly);
}

// ---- events and tasks ----

TYPED_TEST_P(StoreContract, CommitStoresEventAndTasks) {
  Store& s = this->store();
  std::atomic<int> wakeups{0};
  s.SetTaskListener([&] { wakeups++; });
  const TimeUs before = NowUs();
  auto committed = this->Commit(
      {MakeEvent("dcim.device", 7, {{1, 10}, {2, 20}, {3, 30}}), MakeEvent("dcim.site", 8, {})});
  ASSERT_EQ(committed.size(), 2u);
  ASSERT_EQ(committed[0].task_ids.size(), 3u);
  EXPECT_TRUE(committed[1].task_ids.empty());
  EXPECT_NE(committed[0].event_id, committed[1].event_id);
  EXPECT_GE(wakeups.load(), 1);

  auto e = s.GetEvent(committed[0].event_id);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(std::tie(e->event, e->event_type, e->object_type, e->model, e->timestamp),
            std::make_tuple("created", "object_created", "dcim.device", "device",
                            "2024-01-02T03:04:05.123456+00:00"));
  EXPECT_EQ(e->username.str(), "admin");
  EXPECT_TRUE(e->request_id.is_none());
  EXPECT_EQ(DumpJson(e->data), DumpJson(MakeEvent("dcim.device", 7, {}).event.data));
  EXPECT_EQ(DumpJson(e->snapshots), R"({"prechange": null, "postchange": {"id": 1}})");
  EXPECT_GE(e->received_at, before);
  EXPECT_TRUE(s.GetEvent(committed[1].event_id).ok());
  EXPECT_EQ(s.GetEvent(committed[1].event_id + 1000).status().code(), Code::kNotFound);

  std::set<std::string> ids;
  for (size_t i = 0; i < 3; ++i) {
    const std::string& id = committed[0].task_ids[i];
    EXPECT_TRUE(LooksLikeUuid(id)) << id;
    ids.insert(id);
    auto t = s.GetTask(id);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->id, id);
    EXPECT_EQ(t->event_id, committed[0].event_id);
    EXPECT_EQ(t->rule_id, static_cast<int64_t>(i + 1));
    EXPECT_EQ(t->webhook_id, static_cast<int64_t>((i + 1) * 10));
    EXPECT_EQ(t->rule_name, "rule" + std::to_string(i + 1));
    EXPECT_EQ(t->object_type, "dcim.device");
    EXPECT_EQ(t->event_type, "object_created");
    EXPECT_EQ(t->status, TaskStatus::kQueued);
    EXPECT_EQ(t->attempts, 0);
    EXPECT_GE(t->created_at, before);
    EXPECT_GE(t->enqueued_at, before);
    EXPECT_EQ(DumpJson(t->action_data), i == 1 ? R"({"k": "v"})" : "null");
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(s.GetTask("00000000-0000-4000-8000-000000000000").status().code(), Code::kNotFound);
}

TYPED_TEST_P(StoreContract, ConcurrentCommitsAllAcknowledgedAndPresent) {
  Store& s = this->store();
  constexpr int kThreads = 16, kPerThread = 40;
  std::vector<CommittedEvent> all = CommitConcurrently(s, kThreads, kPerThread, [](int t, int i) {
    return MakeEvent("dcim.device", t * 1000 + i, {{1, 1}, {2, 2}});
  });
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  std::set<int64_t> event_ids;
  std::set<std::string> task_ids;
  for (const auto& c : all) {
    event_ids.insert(c.event_id);
    for (const auto& id : c.task_ids) task_ids.insert(id);
  }
  EXPECT_EQ(event_ids.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(task_ids.size(), static_cast<size_t>(2 * kThreads * kPerThread));
  TaskFilter f;
  auto n = s.CountTasks(f);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2 * kThreads * kPerThread);
  for (int64_t id : event_ids) ASSERT_TRUE(s.GetEvent(id).ok()) << id;
  for (const auto& id : task_ids) ASSERT_TRUE(s.GetTask(id).ok()) << id;
}

TYPED_TEST_P(StoreContract, LeaseRecordFinish) {
  Store& s = this->store();
  auto c = this->Commit({MakeEvent("dcim.device", 1, {{1, 1}, {2, 2}, {3, 3}})});
  ASSERT_EQ(c.size(), 1u);
  const TimeUs now = NowUs() + 1000;
  auto leased = this->Leased("w1", 2, now, 30'000'000);
  ASSERT_EQ(leased.size(), 2u);
  for (const Task& t : leased) {
    EXPECT_EQ(t.status, TaskStatus::kStarted);
    EXPECT_EQ(t.worker, "w1");
    EXPECT_EQ(t.started_at, now);
    EXPECT_EQ(t.lease_expires, now + 30'000'000);
  }
  auto rest = this->Leased("w2", 10, now, 30'000'000);
  ASSERT_EQ(rest.size(), 1u);
  auto none = this->Leased("w3", 10, now, 30'000'000);
  EXPECT_TRUE(none.empty());

  const std::string id = leased[0].id;
  AttemptOutcome ok;
  ok.attempt.started_at = now;
  ok.attempt.duration_us = 1234;
  ok.attempt.status_code = 200;
  ok.attempt.response_excerpt = "ok";
  ok.attempt.method = "POST";
  ok.attempt.url = "http://x/";
  ok.attempt.request_headers = R"({"A": "1"})";
  ok.attempt.request_body = "{}";
  ok.next_status = TaskStatus::kFinished;
  ok.result = "200 OK";
  // Not the lease holder.
  Status wrong = s.RecordAttempt(id, "w2", ok);
  EXPECT_EQ(wrong.code(), Code::kConflict);
  ASSERT_TRUE(s.RecordAttempt(id, "w1", ok).ok());
  auto t = s.GetTask(id);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->status, TaskStatus::kFinished);
  EXPECT_EQ(t->attempts, 1);
  EXPECT_EQ(t->result, "200 OK");
  EXPECT_GT(t->ended_at, 0);
  EXPECT_TRUE(t->worker.empty());
  // A second record for a finished task is refused and dropped.
  EXPECT_EQ(s.RecordAttempt(id, "w1", ok).code(), Code::kConflict);
  auto attempts = s.ListAttempts(id);
  ASSERT_TRUE(attempts.ok());
  ASSERT_EQ(attempts->size(), 1u);
  const Attempt& a = (*attempts)[0];
  EXPECT_EQ(a.task_id, id);
  EXPECT_EQ(a.number, 1);
  EXPECT_EQ(a.status_code, 200);
  EXPECT_EQ(a.duration_us, 1234);
  EXPECT_EQ(a.url, "http://x/");
  EXPECT_EQ(a.request_headers, R"({"A": "1"})");
  EXPECT_EQ(s.ListAttempts("no-such-task").status().code(), Code::kNotFound);
  EXPECT_EQ(s.RecordAttempt("no-such-task", "w1", ok).code(), Code::kConflict);
}

TYPED_TEST_P(StoreContract, RetryIsScheduledAndDueLater) {
  Store& s = this->store();
  const TimeUs now = NowUs() + 1000;
  const std::string id = this->OneLeasedTask("w", now, 60'000'000);
  ASSERT_FALSE(id.empty());
  AttemptOutcome retry;
  retry.attempt.started_at = now;
  retry.attempt.status_code = 503;
  retry.attempt.error = "HTTP 503";
  retry.next_status = TaskStatus::kScheduled;
  retry.due_at = now + 5'000'000;
  retry.error = "HTTP 503 Service Unavailable";
  ASSERT_TRUE(s.RecordAttempt(id, "w", retry).ok());
  auto t = s.GetTask(id);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->status, TaskStatus::kScheduled);
  EXPECT_EQ(t->due_at, now + 5'000'000);
  EXPECT_EQ(t->attempts, 1);
  EXPECT_EQ(t->error, "HTTP 503 Service Unavailable");

  auto early = this->Leased("w", 10, now + 4'999'999, 60'000'000);
  EXPECT_TRUE(early.empty());
  auto due = this->Leased("w", 10, now + 5'000'000, 60'000'000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, id);
  EXPECT_EQ(due[0].attempts, 1);

  AttemptOutcome fail;
  fail.attempt.started_at = now + 5'000'000;
  fail.next_status = TaskStatus::kFailed;
  fail.error = "gave up";
  ASSERT_TRUE(s.RecordAttempt(id, "w", fail).ok());
  t = s.GetTask(id);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->status, TaskStatus::kFailed);
  EXPECT_EQ(t->attempts, 2);
  auto attempts = s.ListAttempts(id);
  ASSERT_TRUE(attempts.ok());
  ASSERT_EQ(attempts->size(), 2u);
  EXPECT_EQ((*attempts)[0].number, 1);
  EXPECT_EQ((*attempts)[1].number, 2);
}

TYPED_TEST_P(StoreContract, ExpiredLeaseIsRedelivered) {
  Store& s = this->store();
  const TimeUs now = NowUs() + 1000;
  const std::string id = this->OneLeasedTask("dead-worker", now, 1'000'000);
  ASSERT_FALSE(id.empty());
  auto l2 = this->Leased("w2", 5, now + 999'999, 1'000'000);
  EXPECT_TRUE(l2.empty());
  auto l3 = this->Leased("w2", 5, now + 1'000'000, 1'000'000);
  ASSERT_EQ(l3.size(), 1u);
  EXPECT_EQ(l3[0].id, id);
  EXPECT_EQ(l3[0].worker, "w2");
  EXPECT_EQ(l3[0].lease_expires, now + 2'000'000);

  AttemptOutcome ok;
  ok.next_status = TaskStatus::kFinished;
  EXPECT_EQ(s.RecordAttempt(id, "dead-worker", ok).code(), Code::kConflict);
  ASSERT_TRUE(s.RecordAttempt(id, "w2", ok).ok());
  auto attempts = s.ListAttempts(id);
  ASSERT_TRUE(attempts.ok());
  EXPECT_EQ(attempts->size(), 1u);  // the stale worker's attempt was dropped
}

TYPED_TEST_P(StoreContract, LeaseOrderOldestDueFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(this->OneTask());
  const TimeUs now = NowUs() + 1000;
  std::vector<std::string> order;
  for (int i = 0; i < 5; ++i) {
    auto l = this->Leased("w", 1, now, 60'000'000);
    ASSERT_EQ(l.size(), 1u);
    order.push_back(l[0].id);
  }
  EXPECT_EQ(order, ids);
}

TYPED_TEST_P(StoreContract, OperatorActions) {
  Store& s = this->store();
  std::atomic<int> wakeups{0};
  const TimeUs now = NowUs() + 1000;
  const std::string a = this->OneTask();
  const std::string b = this->OneTask();
  const std::string c = this->OneTask();
  s.SetTaskListener([&] { wakeups++; });

  // queued: cannot requeue or enqueue; can stop.
  EXPECT_EQ(s.Requeue(a, now).code(), Code::kConflict);
  EXPECT_EQ(s.Enqueue(a, now).code(), Code::kConflict);
  ASSERT_TRUE(s.Stop(a, now).ok());
  EXPECT_EQ(this->StatusOf(a), TaskStatus::kFailed);
  EXPECT_EQ(s.Stop(a, now).code(), Code::kConflict);

  // failed -> queued by Requeue, wakes the dispatcher.
  int w0 = wakeups.load();
  ASSERT_TRUE(s.Requeue(a, now + 1).ok());
  EXPECT_GT(wakeups.load(), w0);
  auto t = s.GetTask(a);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->status, TaskStatus::kQueued);
  EXPECT_EQ(t->enqueued_at, now + 1);

  // scheduled -> queued by Enqueue.
  auto leased = this->Leased("w", 3, now, 60'000'000);
  ASSERT_EQ(leased.size(), 3u);
  AttemptOutcome later;
  later.next_status = TaskStatus::kScheduled;
  later.due_at = now + 3'600'000'000;
  ASSERT_TRUE(s.RecordAttempt(b, "w", later).ok());
  w0 = wakeups.load();
  ASSERT_TRUE(s.Enqueue(b, now + 2).ok());
  EXPECT_GT(wakeups.load(), w0);
  EXPECT_EQ(this->StatusOf(b), TaskStatus::kQueued);

  // started -> failed by Stop; the worker's late record is refused.
  ASSERT_TRUE(s.Stop(c, now).ok());
  AttemptOutcome ok;
  ok.next_status = TaskStatus::kFinished;
  EXPECT_EQ(s.RecordAttempt(c, "w", ok).code(), Code::kConflict);
  EXPECT_EQ(this->StatusOf(c), TaskStatus::kFailed);

  // finished -> queued by Requeue.
  ASSERT_TRUE(s.RecordAttempt(a, "w", ok).ok());  // a was re-leased above
  EXPECT_EQ(this->StatusOf(a), TaskStatus::kFinished);
  ASSERT_TRUE(s.Requeue(a, now).ok());
  EXPECT_EQ(this->StatusOf(a), TaskStatus::kQueued);

  // Unknown ids.
  for (const char* id : {"x", "00000000-0000-4000-8000-000000000000"}) {
    EXPECT_EQ(s.Requeue(id, now).code(), Code::kNotFound);
    EXPECT_EQ(s.Enqueue(id, now).code(), Code::kNotFound);
    EXPECT_EQ(s.Stop(id, now).code(), Code::kNotFound);
    EXPECT_EQ(s.DeleteTask(id).code(), Code::kNotFound);
  }

  // Delete removes the task and its attempts.
  ASSERT_TRUE(s.DeleteTask(c).ok());
  EXPECT_EQ(s.GetTask(c).status().code(), Code::kNotFound);
  EXPECT_EQ(s.DeleteTask(c).code(), Code::kNotFound);
}

TYPED_TEST_P(StoreContract, RequeueAllFailedAndCounts) {
  Store& s = this->store();
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(this->OneTask());
  const TimeUs now = NowUs() + 1000;
  auto counts = s.CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->queued, 6);
  EXPECT_GT(counts->oldest_queued_at, 0);
  EXPECT_LE(counts->oldest_queued_at, now);

  auto leased = this->Leased("w", 5, now, 60'000'000);
  ASSERT_EQ(leased.size(), 5u);
  AttemptOutcome fail, ok, later;
  fail.next_status = TaskStatus::kFailed;
  ok.next_status = TaskStatus::kFinished;
  later.next_status = TaskStatus::kScheduled;
  later.due_at = now + 1'000'000'000;
  ASSERT_TRUE(s.RecordAttempt(ids[0], "w", fail).ok());
  ASSERT_TRUE(s.RecordAttempt(ids[1], "w", fail).ok());
  ASSERT_TRUE(s.RecordAttempt(ids[2], "w", ok).ok());
  ASSERT_TRUE(s.RecordAttempt(ids[3], "w", later).ok());
  // ids[4] stays started, ids[5] queued.
  ExpectCounts(s.CountByStatus(), {1, 1, 1, 1, 2});
  TaskFilter f;
  f.status = TaskStatus::kFailed;
  EXPECT_EQ(*s.CountTasks(f), 2);

  std::atomic<int> wakeups{0};
  s.SetTaskListener([&] { wakeups++; });
  auto n = s.RequeueAllFailed(now + 5);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  EXPECT_GE(wakeups.load(), 1);
  EXPECT_EQ(this->StatusOf(ids[0]), TaskStatus::kQueued);
  EXPECT_EQ(this->StatusOf(ids[1]), TaskStatus::kQueued);
  counts = s.CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->queued, 3);
  EXPECT_EQ(counts->failed, 0);
  EXPECT_EQ(*s.CountTasks(f), 0);
  auto again = s.RequeueAllFailed(now + 6);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);

  // Counts survive a reopen.
  this->Reopen();
  ExpectCounts(this->store().CountByStatus(), {3, 1, 1, 1, 0});
}

TYPED_TEST_P(StoreContract, FiltersAndPagination) {
  Store& s = this->store();
  // 10 events: even ones dcim.device, odd ones dcim.site; each with tasks for rules 1 and 2
  // (webhooks 11 and 12); event 0 also rule 3 / webhook 11.
  std::vector<CommittedEvent> events;
  for (int i = 0; i < 10; ++i) {
    std::vector<std::pair<int64_t, int64_t>> rw = {{1, 11}, {2, 12}};
    if (i == 0) rw.push_back({3, 11});
    auto c = this->Commit({MakeEvent(i % 2 ? "dcim.site" : "dcim.device", i, rw)});
    ASSERT_EQ(c.size(), 1u);
    events.push_back(c[0]);
  }
  auto list = [&](TaskFilter f) {
    auto r = s.ListTasks(f);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Task>{};
  };
  auto count = [&](TaskFilter f) {
    auto r = s.CountTasks(f);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : -1;
  };
  TaskFilter all;
  all.limit = 100;
  auto everything = list(all);
  ASSERT_EQ(everything.size(), 21u);
  EXPECT_EQ(count(all), 21);
  // Newest first: the last event's tasks lead.
  EXPECT_EQ(everything.front().event_id, events.back().event_id);
  EXPECT_EQ(everything.back().event_id, events.front().event_id);
  all.oldest_first = true;
  auto oldest = list(all);
  ASSERT_EQ(oldest.size(), 21u);
  EXPECT_EQ(oldest.front().id, events.front().task_ids.front());
  EXPECT_EQ(oldest.back().id, events.back().task_ids.back());

  // Pagination walks the same order without overlap.
  std::vector<std::string> paged;
  for (int64_t off = 0; off < 21; off += 4) {
    TaskFilter p;
    p.limit = 4;
    p.offset = off;
    for (const auto& t : list(p)) paged.push_back(t.id);
  }
  ASSERT_EQ(paged.size(), 21u);
  for (size_t i = 0; i < 21; ++i) EXPECT_EQ(paged[i], everything[i].id);

  TaskFilter by_webhook;
  by_webhook.webhook_id = 11;
  by_webhook.limit = 100;
  EXPECT_EQ(list(by_webhook).size(), 11u);
  EXPECT_EQ(count(by_webhook), 11);
  TaskFilter by_rule;
  by_rule.rule_id = 2;
  by_rule.limit = 3;
  auto r2 = list(by_rule);
  ASSERT_EQ(r2.size(), 3u);
  for (const auto& t : r2) EXPECT_EQ(t.rule_id, 2);
  EXPECT_EQ(count(by_rule), 10);
  TaskFilter by_type;
  by_type.object_type = "dcim.site";
  by_type.limit = 100;
  for (const auto& t : list(by_type)) EXPECT_EQ(t.object_type, "dcim.site");
  EXPECT_EQ(count(by_type), 10);
  TaskFilter by_event;
  by_event.event_id = events[0].event_id;
  auto ev0 = list(by_event);
  ASSERT_EQ(ev0.size(), 3u);
  EXPECT_EQ(count(by_event), 3);
  TaskFilter combined;
  combined.webhook_id = 11;
  combined.object_type = "dcim.device";
  combined.limit = 100;
  EXPECT_EQ(count(combined), 6);
  EXPECT_EQ(list(combined).size(), 6u);

  // Status filter after leasing some.
  auto leased = this->Leased("w", 4, NowUs() + 1000, 60'000'000);
  TaskFilter started;
  started.status = TaskStatus::kStarted;
  started.limit = 100;
  EXPECT_EQ(list(started).size(), 4u);
  EXPECT_EQ(count(started), 4);
  started.webhook_id = 12;
  for (const auto& t : list(started)) EXPECT_EQ(t.webhook_id, 12);

  // Events: newest first, filter by object type, pagination.
  EventFilter ef;
  ef.limit = 100;
  auto evs = s.ListEvents(ef);
  ASSERT_TRUE(evs.ok());
  ASSERT_EQ(evs->size(), 10u);
  EXPECT_EQ(evs->front().id, events.back().event_id);
  ef.object_type = "dcim.device";
  ef.limit = 2;
  ef.offset = 1;
  evs = s.ListEvents(ef);
  ASSERT_TRUE(evs.ok());
  ASSERT_EQ(evs->size(), 2u);
  EXPECT_EQ((*evs)[0].id, events[6].event_id);
  EXPECT_EQ((*evs)[1].id, events[4].event_id);
}

TYPED_TEST_P(StoreContract, ReopenKeepsConfigAndRevision) {
  auto [rule, webhook] = this->MakePair("keep");
  const std::string task = this->OneTask();
  const int64_t rev = this->store().ConfigRevision();
  EXPECT_GT(rev, 0);
  this->Reopen();
  Store& s = this->store();
  EXPECT_EQ(s.ConfigRevision(), rev);
  EXPECT_TRUE(s.GetWebhook(webhook).ok());
  EXPECT_TRUE(s.GetEventRule(rule).ok());
  EXPECT_TRUE(s.GetTask(task).ok());
  // Ids are not reused after a delete.
  ASSERT_TRUE(s.DeleteEventRule(rule).ok());
  ASSERT_TRUE(s.DeleteWebhook(webhook).ok());
  auto w = s.CreateWebhook(MakeWebhook("next"));
  ASSERT_TRUE(w.ok());
  EXPECT_NE(w->id, webhook);
  EXPECT_FALSE(s.Describe().empty());
}

TYPED_TEST_P(StoreContract, CloseFlushesAndRefusesLaterWrites) {
  Store& s = this->store();
  std::atomic<int> acked{0};
  for (int i = 0; i < 50; ++i) {
    s.CommitEvents({MakeEvent("dcim.device", i, {{1, 1}})},
                   [&](Result<std::vector<CommittedEvent>> r) {
                     if (r.ok()) acked++;
                   });
  }
  s.Close();
  EXPECT_EQ(acked.load(), 50);  // every pending commit was written before Close returned
  s.Close();                    // idempotent
  Status late;
  s.CommitEvents({MakeEvent("dcim.device", 1, {})}, [&](Result<std::vector<CommittedEvent>> r) {
    late = r.ok() ? Status() : r.status();
  });
  EXPECT_FALSE(late.ok());
  EXPECT_FALSE(s.CreateWebhook(MakeWebhook("late")).ok());
  this->Reopen();
  TaskFilter f;
  EXPECT_EQ(*this->store().CountTasks(f), 50);
}

// A child process commits events from several threads and reports each acknowledged commit
// through a pipe; it is killed with SIGKILL mid-stream. Every acknowledged event and task must
// be there after reopening.
TYPED_TEST_P(StoreContract, AcknowledgedCommitsSurviveKill9) {
  this->store_->Close();
  this->store_.reset();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string dir = this->dir_.path();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto opened = TypeParam::Open(dir);
    if (!opened.ok()) _exit(2);
    std::unique_ptr<Store> store = std::move(*opened);
    const int out = fds[1];
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&store, out, t] {
        for (int i = 0;; ++i) {
          std::promise<void> acked;
          store->CommitEvents({MakeEvent("dcim.device", t * 1000000 + i, {{1, 1}, {2, 2}})},
                              [out, &acked](Result<std::vector<CommittedEvent>> r) {
                                if (r.ok()) {
                                  for (const auto& c : *r) {
                                    std::string line = std::to_string(c.event_id);
                                    for (const auto& id : c.task_ids) line += " " + id;
                                    line += "\n";
                                    if (write(out, line.data(), line.size()) < 0) _exit(3);
                                  }
                                }
                                acked.set_value();
                              });
          acked.get_future().wait();
        }
      });
    }
    for (auto& th : threads) th.join();
    _exit(0);
  }
  close(fds[1]);
  std::string received;
  char buf[4096];
  auto lines = [&] { return std::count(received.begin(), received.end(), '\n'); };
  while (lines() < 300) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    received.append(buf, static_cast<size_t>(n));
  }
  kill(pid, SIGKILL);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  EXPECT_TRUE(WIFSIGNALED(wstatus)) << "child exited early with " << WEXITSTATUS(wstatus);
  for (;;) {  // acknowledgements written before the kill
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    received.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  ASSERT_GE(lines(), 300);

  auto reopened = TypeParam::Open(dir);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  this->store_ = std::move(*reopened);
  std::istringstream in(received);
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    int64_t event_id = 0;
    fields >> event_id;
    ASSERT_TRUE(this->store().GetEvent(event_id).ok()) << "lost acknowledged event " << event_id;
    std::string task_id;
    int tasks = 0;
    while (fields >> task_id) {
      ASSERT_TRUE(this->store().GetTask(task_id).ok()) << "lost acknowledged task " << task_id;
      ++tasks;
    }
    EXPECT_EQ(tasks, 2);
    ++checked;
  }
  EXPECT_GE(checked, 300);
}

TYPED_TEST_P(StoreContract, AttemptsPerMinuteBuckets) {
  Store& s = this->store();
  this->Commit({MakeEvent("dcim.device", 1, {{1, 1}, {2, 2}, {3, 3}, {4, 4}})});
  const TimeUs now = NowUs() + 1000;
  auto leased = this->Leased("w", 4, now, 60'000'000);
  ASSERT_EQ(leased.size(), 4u);
  const TimeUs since = now - 10LL * 60 * 1000000;
  auto record = [&](const Task& t, TimeUs at, int code, const std::string& error) {
    AttemptOutcome o;
    o.attempt.started_at = at;
    o.attempt.status_code = code;
    o.attempt.error = error;
    o.next_status = code == 200 ? TaskStatus::kFinished : TaskStatus::kFailed;
    ASSERT_TRUE(s.RecordAttempt(t.id, "w", o).ok());
  };
  record(leased[0], since + 30'000'000, 200, "");       // minute 0, ok
  record(leased[1], since + 90'000'000, 500, "");       // minute 1, failed
  record(leased[2], since + 95'000'000, 0, "refused");  // minute 1, failed
  record(leased[3], since - 5'000'000, 200, "");        // before the window
  auto h = s.AttemptsPerMinute(since, 10);
  if (!h.ok() && h.status().code() == Code::kUnsupported)
    GTEST_SKIP() << "backend has no histogram";
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->since, since);
  ASSERT_EQ(h->succeeded.size(), 10u);
  ASSERT_EQ(h->failed.size(), 10u);
  EXPECT_EQ(h->succeeded[0], 1);
  EXPECT_EQ(h->failed[0], 0);
  EXPECT_EQ(h->succeeded[1], 0);
  EXPECT_EQ(h->failed[1], 2);
  int64_t total = 0;
  for (size_t i = 0; i < 10; ++i) total += h->succeeded[i] + h->failed[i];
  EXPECT_EQ(total, 3);
  EXPECT_FALSE(h->truncated);
  EXPECT_EQ(s.AttemptsPerMinute(since, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(s.AttemptsPerMinute(since, 1441).status().code(), Code::kInvalidArgument);
}

REGISTER_TYPED_TEST_SUITE_P(StoreContract, GroupCommitSharesTransactions,
                            WebhookCrudOrderingAndRevision, WebhookNameIsUnique,
                            DeleteReferencedWebhookIsRefused, EventRuleCrud, Tokens,
                            CommitStoresEventAndTasks, ConcurrentCommitsAllAcknowledgedAndPresent,
                            LeaseRecordFinish, RetryIsScheduledAndDueLater,
                            ExpiredLeaseIsRedelivered, LeaseOrderOldestDueFirst, OperatorActions,
                            RequeueAllFailedAndCounts, FiltersAndPagination,
                            ReopenKeepsConfigAndRevision, CloseFlushesAndRefusesLaterWrites,
                            AcknowledgedCommitsSurviveKill9, AttemptsPerMinuteBuckets);

}  // namespace herald::store_contract
