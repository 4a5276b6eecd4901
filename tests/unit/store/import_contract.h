// The bulk-import part of the Store contract (Store::ImportBatch, EventFilter paging) and the
// store copy built on it (store/copy.h, `herald store copy`). A typed suite every backend runs
// unchanged, with the same factory type as StoreContract (see store_contract.h):
//   INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, ImportContract, ::testing::Types<SqliteFactory>);
// The copy tests open a second store of the same backend in a second directory.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/copy.h"
#include "store/store.h"
#include "store_contract.h"

namespace herald::store_contract {

// Task ids of the sample (UUIDs: a backend may keep task ids in a UUID column).
inline constexpr const char* kFinishedId = "01890000-0000-7000-8000-000000000001";
inline constexpr const char* kFailedId = "01890000-0000-7000-8000-000000000002";
inline constexpr const char* kQueuedId = "01890000-0000-7000-8000-000000000003";
inline constexpr const char* kScheduledId = "01890000-0000-7000-8000-000000000004";

inline Task SampleTask(const char* id, const Event& e, TaskStatus status, int attempts) {
  Task t = testing::TaskFor(e, 9, 7, "imp-rule", "imp-hook");
  t.id = id;
  t.event_id = e.id;
  t.status = status;
  t.attempts = attempts;
  t.created_at = t.enqueued_at = 1'000'000 + e.id;
  t.due_at = status == TaskStatus::kScheduled ? 4'000'000'000'000'000 : t.created_at;
  if (status == TaskStatus::kFinished || status == TaskStatus::kFailed) {
    t.started_at = t.created_at + 10;
    t.ended_at = t.created_at + 20;
  }
  if (status == TaskStatus::kFinished) t.result = "200 OK";
  if (status == TaskStatus::kFailed) t.error = "HTTP 500";
  return t;
}

inline Attempt SampleAttempt(const char* task, int number, int code) {
  Attempt a;
  a.task_id = task;
  a.number = number;
  a.started_at = 2'000'000 + number;
  a.duration_us = 1500;
  a.status_code = code;
  a.response_excerpt = "resp " + std::to_string(number);
  a.error = code >= 400 ? "HTTP " + std::to_string(code) : "";
  a.method = "POST";
  a.url = "http://127.0.0.1:9/imp";
  a.request_headers = R"({"X-A": "1"})";
  a.request_body = "{}";
  return a;
}

// A whole small installation as another store would hold it: a webhook (id 7), a rule (9), two
// tokens (4, and 5 revoked), events 42 and 50 with a finished, a failed, a queued and a
// scheduled task, and three attempts.
inline ImportData SampleImport() {
  ImportData d;
  Webhook w = MakeWebhook("imp-hook");
  w.id = 7;
  w.created = 111;
  w.last_updated = 222;
  w.signature_scheme = "standard";
  w.previous_secret = "before";
  w.previous_secret_expires = 555;
  d.webhooks.push_back(w);
  EventRule r = MakeRule("imp-rule", 7);
  r.id = 9;
  r.created = 333;
  r.last_updated = 444;
  d.rules.push_back(r);
  for (int64_t id : {4, 5}) {
    ApiToken t;
    t.id = id;
    t.name = "tok" + std::to_string(id);
    t.key_prefix = "abcd" + std::to_string(id);
    t.key_hash = std::string(63, 'a') + std::to_string(id);
    t.scope = id == 4 ? TokenScope::kReadOnly : TokenScope::kAdmin;
    t.created = 555;
    t.last_used = 666;
    t.revoked = id == 5;
    d.tokens.push_back(t);
  }
  for (int64_t id : {42, 50}) {
    Event e = MakeEvent("dcim.site", static_cast<int>(id), {}).event;
    e.id = id;
    e.received_at = 900 + id;
    d.events.push_back(e);
  }
  d.tasks.push_back(SampleTask(kFinishedId, d.events[0], TaskStatus::kFinished, 1));
  d.tasks.push_back(SampleTask(kFailedId, d.events[0], TaskStatus::kFailed, 2));
  d.tasks.push_back(SampleTask(kQueuedId, d.events[1], TaskStatus::kQueued, 0));
  d.tasks.push_back(SampleTask(kScheduledId, d.events[1], TaskStatus::kScheduled, 1));
  d.attempts = {SampleAttempt(kFinishedId, 1, 200), SampleAttempt(kFailedId, 1, 500),
                SampleAttempt(kFailedId, 2, 500)};
  return d;
}

inline constexpr int64_t kSampleRecords = 1 + 1 + 2 + 2 + 4 + 3;

// Every event (oldest first), task (oldest first) and attempt of `s`, for comparing stores.
inline ImportData ReadAll(Store& s) {
  ImportData d;
  auto webhooks = s.ListWebhooks();
  auto rules = s.ListEventRules();
  auto tokens = s.ListTokens();
  EventFilter ef;
  ef.oldest_first = true;
  ef.limit = 1000000;
  auto events = s.ListEvents(ef);
  TaskFilter tf;
  tf.oldest_first = true;
  tf.limit = 1000000;
  auto tasks = s.ListTasks(tf);
  EXPECT_TRUE(webhooks.ok() && rules.ok() && tokens.ok() && events.ok() && tasks.ok());
  if (!webhooks.ok() || !rules.ok() || !tokens.ok() || !events.ok() || !tasks.ok()) return d;
  d.webhooks = *webhooks;
  d.rules = *rules;
  d.tokens = *tokens;
  d.events = *events;
  d.tasks = *tasks;
  for (const Task& t : d.tasks) {
    auto attempts = s.ListAttempts(t.id);
    EXPECT_TRUE(attempts.ok()) << attempts.status().ToString();
    if (attempts.ok()) d.attempts.insert(d.attempts.end(), attempts->begin(), attempts->end());
  }
  return d;
}

// One line per record of `d` with the fields a copy must keep, for comparing stores.
inline std::vector<std::string> Lines(const ImportData& d) {
  auto n = [](int64_t v) { return std::to_string(v) + " "; };
  std::vector<std::string> out;
  for (const auto& w : d.webhooks) {
    out.push_back("webhook " + n(w.id) + w.name + " " + w.secret + " " + n(w.created) +
                  n(w.last_updated) + w.signature_scheme + " " + w.previous_secret + " " +
                  n(w.previous_secret_expires.value_or(-1)));
  }
  for (const auto& r : d.rules) {
    out.push_back("rule " + n(r.id) + n(r.action_object_id.value_or(0)) +
                  DumpJsonCompact(r.conditions));
  }
  for (const auto& t : d.tokens) {
    out.push_back("token " + n(t.id) + t.key_hash + (t.revoked ? " revoked" : ""));
  }
  for (const auto& e : d.events) {
    out.push_back("event " + n(e.id) + n(e.received_at) + DumpJsonCompact(e.data));
  }
  for (const auto& t : d.tasks) {
    out.push_back("task " + t.id + " " + n(t.event_id) + TaskStatusName(t.status) + " " +
                  n(t.attempts) + n(t.due_at) + n(t.ended_at) + t.error + " " +
                  DumpJsonCompact(t.action_data));
  }
  for (const auto& a : d.attempts) {
    out.push_back("attempt " + a.task_id + " " + n(a.number) + n(a.status_code) +
                  a.request_headers);
  }
  return out;
}

// Expects `b` to hold what `a` holds: the same records with the same ids, times and states.
inline void ExpectSameStores(const ImportData& a, const ImportData& b) {
  EXPECT_EQ(Lines(a), Lines(b));
}

template <typename F>
class ImportContract : public StoreContract<F> {
 protected:
  // A second, empty store of the same backend (the copy target).
  Store& other() {
    if (!other_) {
      auto s = F::Open(dir2_.path());
      EXPECT_TRUE(s.ok()) << s.status().ToString();
      if (s.ok()) other_ = std::move(*s);
    }
    return *other_;
  }
  // Fills the store with a history made through the ordinary methods: two webhooks and rules,
  // a token, `events` events with two tasks each, some delivered (finished and failed).
  void MakeHistory(int events) {
    Store& s = this->store();
    auto [rule_a, hook_a] = this->MakePair("a");
    auto [rule_b, hook_b] = this->MakePair("b");
    ApiToken t;
    t.name = "copied";
    t.key_prefix = "cp01";
    t.key_hash = std::string(64, 'c');
    ASSERT_TRUE(s.CreateToken(t).ok());
    for (int i = 0; i < events; ++i) {
      this->Commit({MakeEvent("dcim.device", i, {{rule_a, hook_a}, {rule_b, hook_b}})});
    }
    const TimeUs now = NowUs() + 1000;
    auto leased = this->Leased("w", 3, now, 60'000'000);
    ASSERT_EQ(leased.size(), 3u);
    for (size_t i = 0; i < leased.size(); ++i) {
      AttemptOutcome o;
      o.attempt.started_at = now;
      o.attempt.status_code = i == 0 ? 500 : 200;
      o.attempt.method = "POST";
      o.attempt.url = "http://127.0.0.1:9/";
      o.next_status = i == 0 ? TaskStatus::kFailed : TaskStatus::kFinished;
      o.error = i == 0 ? "HTTP 500" : "";
      ASSERT_TRUE(s.RecordAttempt(leased[i].id, "w", o).ok());
    }
  }

  testing::TempDir dir2_{"store-copy"};
  std::unique_ptr<Store> other_;  // closed by its destructor, before dir2_ goes
};

TYPED_TEST_SUITE_P(ImportContract);

TYPED_TEST_P(ImportContract, ImportKeepsIdsTimesAndStates) {
  Store& s = this->store();
  const int64_t rev = s.ConfigRevision();
  auto n = s.ImportBatch(SampleImport());
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->imported, kSampleRecords);
  EXPECT_EQ(n->skipped, 0);
  ExpectSameStores(SampleImport(), ReadAll(s));
  auto w = s.GetWebhook(7);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->last_updated, 222);
  EXPECT_GT(s.ConfigRevision(), rev) << "caches must reload the imported rules";
  auto token = s.FindTokenByHash(std::string(63, 'a') + "4");
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->scope, TokenScope::kReadOnly);
  EXPECT_EQ(s.FindTokenByHash(std::string(63, 'a') + "5").status().code(), Code::kNotFound)
      << "revoked stays revoked";
  ExpectCounts(s.CountByStatus(), {1, 0, 1, 1, 1});
  TaskFilter by_event;
  by_event.event_id = 42;
  auto of_event = s.ListTasks(by_event);
  ASSERT_TRUE(of_event.ok());
  EXPECT_EQ(of_event->size(), 2u);
  auto attempts = s.ListAttempts(kFailedId);
  ASSERT_TRUE(attempts.ok());
  ASSERT_EQ(attempts->size(), 2u);
  EXPECT_EQ((*attempts)[1].response_excerpt, "resp 2");
}

TYPED_TEST_P(ImportContract, ImportedStoreGoesOnFromThere) {
  Store& s = this->store();
  ASSERT_TRUE(s.ImportBatch(SampleImport()).ok());
  auto w = s.CreateWebhook(MakeWebhook("new-hook"));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_GT(w->id, 7);
  auto c = this->Commit({MakeEvent("dcim.site", 1, {{9, 7}})});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_GT(c[0].event_id, 50);
  // The imported queued task is leased first (the oldest due), then the new one.
  auto leased = this->Leased("w", 1, NowUs() + 1000, 1'000'000);
  ASSERT_EQ(leased.size(), 1u);
  EXPECT_EQ(leased[0].id, kQueuedId);
  EXPECT_EQ(s.Requeue(kFailedId, NowUs()).code(), Code::kOk) << "a failed task can be requeued";
}

TYPED_TEST_P(ImportContract, ReimportingSkipsWhatTheStoreHas) {
  Store& s = this->store();
  ASSERT_TRUE(s.ImportBatch(SampleImport()).ok());
  ASSERT_TRUE(s.Requeue(kFailedId, NowUs()).ok());  // changed since: not overwritten
  auto again = s.ImportBatch(SampleImport());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->imported, 0);
  EXPECT_EQ(again->skipped, kSampleRecords);
  EXPECT_EQ(this->StatusOf(kFailedId), TaskStatus::kQueued);
  ExpectCounts(s.CountByStatus(), {2, 0, 1, 1, 0});
  auto attempts = s.ListAttempts(kFailedId);
  ASSERT_TRUE(attempts.ok());
  EXPECT_EQ(attempts->size(), 2u);
}

TYPED_TEST_P(ImportContract, DanglingRecordsAreRefusedAndNothingIsWritten) {
  Store& s = this->store();
  ImportData d = SampleImport();
  d.events.pop_back();  // event 50's tasks now name an event that is nowhere
  auto r = s.ImportBatch(d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
  EXPECT_EQ(s.GetWebhook(7).status().code(), Code::kNotFound) << "one transaction";
  EXPECT_EQ(s.GetEvent(42).status().code(), Code::kNotFound);
  ExpectCounts(s.CountByStatus(), {0, 0, 0, 0, 0});

  ImportData orphan;
  orphan.attempts.push_back(SampleAttempt(kQueuedId, 1, 200));
  EXPECT_EQ(s.ImportBatch(orphan).status().code(), Code::kInvalidArgument);
  ImportData no_id;
  no_id.webhooks.push_back(MakeWebhook("no-id"));
  EXPECT_EQ(s.ImportBatch(no_id).status().code(), Code::kInvalidArgument);
}

TYPED_TEST_P(ImportContract, CollisionOnAnotherKeyIsAConflict) {
  Store& s = this->store();
  ASSERT_TRUE(s.CreateWebhook(MakeWebhook("imp-hook")).ok());  // same name, another id
  auto r = s.ImportBatch(SampleImport());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kConflict) << r.status().ToString();
  EXPECT_EQ(s.GetEvent(42).status().code(), Code::kNotFound) << "nothing written";
  EXPECT_EQ(s.GetEventRule(9).status().code(), Code::kNotFound);
}

// More rows than one statement of a backend may take (PostgreSQL splits them, at most 256 a
// statement), tasks queued, started and finished: every row written once, counted by status.
TYPED_TEST_P(ImportContract, LargeBatchIsImportedWhole) {
  Store& s = this->store();
  constexpr int kEvents = 700;
  ImportData d;
  for (int i = 1; i <= kEvents; ++i) {
    Event e = MakeEvent("dcim.site", i, {}).event;
    e.id = i;
    e.received_at = 900 + i;
    char id[40];
    snprintf(id, sizeof id, "01890000-0000-7000-8000-%012d", i);
    const TaskStatus status[] = {TaskStatus::kStarted, TaskStatus::kFinished, TaskStatus::kQueued};
    d.tasks.push_back(SampleTask(id, e, status[i % 3], 1));
    d.attempts.push_back(SampleAttempt(id, 1, 200));
    d.events.push_back(std::move(e));
  }
  auto n = s.ImportBatch(d);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->imported, 3 * kEvents);
  ExpectCounts(s.CountByStatus(), {233, 233, 0, 234, 0});
  ExpectSameStores(d, ReadAll(s));
  auto again = s.ImportBatch(d);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->imported, 0);
  EXPECT_EQ(again->skipped, 3 * kEvents);
  auto c = this->Commit({MakeEvent("dcim.site", 1, {})});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].event_id, kEvents + 1);
}

TYPED_TEST_P(ImportContract, EventsPageAfterAnIdOldestFirst) {
  Store& s = this->store();
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    auto c = this->Commit({MakeEvent("dcim.site", i, {})});
    ASSERT_EQ(c.size(), 1u);
    ids.push_back(c[0].event_id);
  }
  EventFilter f;
  f.oldest_first = true;
  f.after_id = ids[1];
  f.limit = 2;
  auto page = s.ListEvents(f);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, ids[2]);
  EXPECT_EQ((*page)[1].id, ids[3]);
  f.oldest_first = false;
  f.limit = 50;
  auto newest = s.ListEvents(f);
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 3u);
  EXPECT_EQ((*newest)[0].id, ids[4]);
}

TYPED_TEST_P(ImportContract, CopyMovesTheWholeInstallation) {
  this->MakeHistory(7);
  ASSERT_TRUE(this->store().ImportBatch(SampleImport()).ok());  // ids with gaps, every state
  CopyOptions o;
  o.batch_events = 3;
  int batches_seen = 0;
  o.on_batch = [&](const CopyReport&) { ++batches_seen; };
  auto r = CopyStore(this->store(), this->other(), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->resumed);
  EXPECT_EQ(r->events, 9);
  EXPECT_EQ(r->batches, 3);
  EXPECT_EQ(batches_seen, 3);
  EXPECT_EQ(r->history.skipped, 0);
  ExpectSameStores(ReadAll(this->store()), ReadAll(this->other()));
  auto counts = this->store().CountByStatus();
  ASSERT_TRUE(counts.ok());
  ExpectCounts(this->other().CountByStatus(), {counts->queued, counts->started, counts->scheduled,
                                               counts->finished, counts->failed});
}

TYPED_TEST_P(ImportContract, InterruptedCopyResumes) {
  this->MakeHistory(10);
  CopyOptions o;
  o.batch_events = 4;
  o.stop_after_batches = 1;
  auto first = CopyStore(this->store(), this->other(), o);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->stopped);
  EXPECT_EQ(first->events, 4);
  o.stop_after_batches = 0;
  auto second = CopyStore(this->store(), this->other(), o);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->resumed);
  EXPECT_EQ(second->events, 6) << "continues after the events already copied";
  EXPECT_EQ(second->history.skipped, 0);
  ExpectSameStores(ReadAll(this->store()), ReadAll(this->other()));
}

TYPED_TEST_P(ImportContract, CopyRefusesANonEmptyTargetUnlessAsked) {
  this->MakeHistory(2);
  ASSERT_TRUE(this->other().CreateWebhook(MakeWebhook("theirs")).ok());
  auto r = CopyStore(this->store(), this->other(), CopyOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kConflict);
  EXPECT_NE(r.status().message().find("--into-non-empty"), std::string::npos)
      << r.status().message();
  auto events = this->other().ListEvents(EventFilter{});
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty()) << "nothing copied";
  // "theirs" took id 1, which the source's first webhook has too: that one is skipped.
  CopyOptions into;
  into.into_non_empty = true;
  auto merged = CopyStore(this->store(), this->other(), into);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(merged->events, 2);
  EXPECT_EQ(merged->config.skipped, 1);
  EXPECT_EQ(this->other().GetWebhook(1)->name, "theirs");
  auto self = CopyStore(this->store(), this->store(), into);
  EXPECT_EQ(self.status().code(), Code::kInvalidArgument);
}

REGISTER_TYPED_TEST_SUITE_P(ImportContract, ImportKeepsIdsTimesAndStates,
                            ImportedStoreGoesOnFromThere, ReimportingSkipsWhatTheStoreHas,
                            DanglingRecordsAreRefusedAndNothingIsWritten,
                            CollisionOnAnotherKeyIsAConflict, LargeBatchIsImportedWhole,
                            EventsPageAfterAnIdOldestFirst, CopyMovesTheWholeInstallation,
                            InterruptedCopyResumes, CopyRefusesANonEmptyTargetUnlessAsked);

}  // namespace herald::store_contract
