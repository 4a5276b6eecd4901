// validation/save.h over a real SQLite store in a temp dir: what is saved, and that each failure
// names the right field (a taken name on "name", a rule's missing webhook on
// "action_object_id"), whatever its message says.
#include "validation/save.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "support/json.h"
#include "support/store_fixture.h"
#include "value/json.h"

namespace herald {
namespace {

using herald::testing::J;

// Every call goes to `inner`; tests override one to stage a race.
class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store& inner) : in_(inner) {}
  std::string Describe() const override { return in_.Describe(); }
  int64_t ConfigRevision() const override { return in_.ConfigRevision(); }
  Result<std::vector<Webhook>> ListWebhooks() override { return in_.ListWebhooks(); }
  Result<Webhook> GetWebhook(int64_t id) override { return in_.GetWebhook(id); }
  Result<Webhook> CreateWebhook(Webhook w) override { return in_.CreateWebhook(std::move(w)); }
  Result<Webhook> UpdateWebhook(Webhook w) override { return in_.UpdateWebhook(std::move(w)); }
  Status DeleteWebhook(int64_t id) override { return in_.DeleteWebhook(id); }
  Result<std::vector<EventRule>> ListEventRules() override { return in_.ListEventRules(); }
  Result<EventRule> GetEventRule(int64_t id) override { return in_.GetEventRule(id); }
  Result<EventRule> CreateEventRule(EventRule r) override {
    return in_.CreateEventRule(std::move(r));
  }
  Result<EventRule> UpdateEventRule(EventRule r) override {
    return in_.UpdateEventRule(std::move(r));
  }
  Status DeleteEventRule(int64_t id) override { return in_.DeleteEventRule(id); }
  Result<std::vector<ApiToken>> ListTokens() override { return in_.ListTokens(); }
  Result<ApiToken> CreateToken(ApiToken t) override { return in_.CreateToken(std::move(t)); }
  Status RevokeToken(int64_t id) override { return in_.RevokeToken(id); }
  Result<ApiToken> FindTokenByHash(const std::string& h) override { return in_.FindTokenByHash(h); }
  void CommitEvents(std::vector<NewEvent> events,
                    std::function<void(Result<std::vector<CommittedEvent>>)> done) override {
    in_.CommitEvents(std::move(events), std::move(done));
  }
  Result<Event> GetEvent(int64_t id) override { return in_.GetEvent(id); }
  Result<std::vector<Event>> ListEvents(const EventFilter& f) override { return in_.ListEvents(f); }
  Result<Task> GetTask(const std::string& id) override { return in_.GetTask(id); }
  Result<std::vector<Task>> ListTasks(const TaskFilter& f) override { return in_.ListTasks(f); }
  Result<int64_t> CountTasks(const TaskFilter& f) override { return in_.CountTasks(f); }
  Result<QueueCounts> CountByStatus() override { return in_.CountByStatus(); }
  Result<std::vector<Attempt>> ListAttempts(const std::string& id) override {
    return in_.ListAttempts(id);
  }
  Result<LeaseResult> Lease(const LeaseRequest& req) override { return in_.Lease(req); }
  Result<int64_t> ReleaseLeases(const std::string& worker,
                                const std::vector<std::string>& ids) override {
    return in_.ReleaseLeases(worker, ids);
  }
  Status RecordAttempt(const std::string& id, const std::string& worker,
                       AttemptOutcome outcome) override {
    return in_.RecordAttempt(id, worker, std::move(outcome));
  }
  Status Requeue(const std::string& id, TimeUs now) override { return in_.Requeue(id, now); }
  Result<int64_t> RequeueAllFailed(TimeUs now) override { return in_.RequeueAllFailed(now); }
  Status Enqueue(const std::string& id, TimeUs now) override { return in_.Enqueue(id, now); }
  Status Stop(const std::string& id, TimeUs now) override { return in_.Stop(id, now); }
  Status DeleteTask(const std::string& id) override { return in_.DeleteTask(id); }
  Result<int64_t> PurgeFinishedBatch(TimeUs before) override {
    return in_.PurgeFinishedBatch(before);
  }
  Result<int64_t> PurgeDedupeKeys(TimeUs before, int64_t max) override {
    return in_.PurgeDedupeKeys(before, max);
  }
  Result<int64_t> CreateSession(const UiSession& s, int64_t max, TimeUs now) override {
    return in_.CreateSession(s, max, now);
  }
  Result<UiSession> FindSession(const std::string& h, TimeUs now) override {
    return in_.FindSession(h, now);
  }
  Status TouchSession(const std::string& h, TimeUs now, TimeUs exp) override {
    return in_.TouchSession(h, now, exp);
  }
  Status SetSessionFlash(const std::string& h, const SessionFlash& f) override {
    return in_.SetSessionFlash(h, f);
  }
  Result<SessionFlash> TakeSessionFlash(const std::string& h) override {
    return in_.TakeSessionFlash(h);
  }
  Status DeleteSession(const std::string& h) override { return in_.DeleteSession(h); }
  Result<int64_t> DeleteTokenSessions(int64_t id) override { return in_.DeleteTokenSessions(id); }
  Result<int64_t> PurgeExpiredSessions(TimeUs now) override {
    return in_.PurgeExpiredSessions(now);
  }
  Result<int64_t> CountSessions(int64_t id, TimeUs now) override {
    return in_.CountSessions(id, now);
  }
  Status RegisterWorker(const WorkerInfo& w) override { return in_.RegisterWorker(w); }
  Status HeartbeatWorker(const WorkerInfo& w) override { return in_.HeartbeatWorker(w); }
  Status DeregisterWorker(const std::string& n) override { return in_.DeregisterWorker(n); }
  Result<std::vector<WorkerInfo>> ListWorkers(TimeUs since) override {
    return in_.ListWorkers(since);
  }
  Result<int64_t> PurgeStaleWorkers(TimeUs before) override {
    return in_.PurgeStaleWorkers(before);
  }
  void SetTaskListener(std::function<void()> l) override { in_.SetTaskListener(std::move(l)); }
  void Close() override { in_.Close(); }

 private:
  Store& in_;
};

// A store whose webhook `gone` still answers GetWebhook after it was deleted: the rule's target
// check passes and the store's own check, as it writes, refuses the rule.
class DeletedMeanwhile : public ForwardingStore {
 public:
  DeletedMeanwhile(Store& inner, Webhook gone) : ForwardingStore(inner), gone_(std::move(gone)) {}
  Result<Webhook> GetWebhook(int64_t id) override {
    if (id == gone_.id) return gone_;
    return ForwardingStore::GetWebhook(id);
  }

 private:
  Webhook gone_;
};

class SaveTest : public testing::TempStoreTest {
 protected:
  Webhook Hook(const std::string& name) {
    auto w = SaveWebhook(*store_,
                         J(R"({"name": ")" + name + R"(", "payload_url": "http://127.0.0.1:9/"})"),
                         nullptr, false);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? *w : Webhook();
  }
  // A rule body named `name` that targets webhook `target`.
  static Value RuleBody(const std::string& name, int64_t target) {
    return J(R"({"name": ")" + name +
             R"(", "object_types": ["dcim.device"], "event_types": ["object_created"],)"
             R"( "action_object_id": )" +
             std::to_string(target) + "}");
  }
};

TEST_F(SaveTest, CreatesAndUpdatesAWebhook) {
  Webhook w = Hook("alpha");
  EXPECT_GT(w.id, 0);
  auto got = store_->GetWebhook(w.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->payload_url, "http://127.0.0.1:9/");

  auto patched = SaveWebhook(*store_, J(R"({"description": "d"})"), &w, /*partial=*/true);
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ(patched->id, w.id);
  EXPECT_EQ(patched->name, "alpha");
  EXPECT_EQ(patched->description, "d");
}

TEST_F(SaveTest, InvalidBodyNamesEveryField) {
  auto r = SaveWebhook(*store_, J(R"({"payload_url": "ftp://x/", "http_method": "BREW"})"), nullptr,
                       false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& [field, msgs] : r.status().field_errors()) fields.push_back(field);
  EXPECT_EQ(fields, (std::vector<std::string>{"name", "payload_url", "http_method"}));
  auto list = store_->ListWebhooks();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty()) << "nothing saved";
}

TEST_F(SaveTest, ATakenWebhookNameLandsOnName) {
  Hook("alpha");
  Webhook beta = Hook("beta");
  auto again =
      SaveWebhook(*store_, J(R"({"name": "alpha", "payload_url": "http://a/"})"), nullptr, false);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kConflict);
  EXPECT_EQ(again.status().field(), "name");
  // The message speaks of a webhook; the field is still the name.
  EXPECT_EQ(again.status().message(), "webhook with this name already exists.");

  auto rename = SaveWebhook(*store_, J(R"({"name": "alpha"})"), &beta, /*partial=*/true);
  ASSERT_FALSE(rename.ok());
  EXPECT_EQ(rename.status().field(), "name");
}

TEST_F(SaveTest, ARuleWithAnUnknownWebhookLandsOnItsWebhookField) {
  Webhook w = Hook("target");
  int64_t unknown = w.id + 1000;
  auto r = SaveEventRule(*store_, RuleBody("my rule", unknown), nullptr, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "action_object_id");
  EXPECT_EQ(r.status().message(), "Webhook " + std::to_string(unknown) + " does not exist.");
  auto rules = store_->ListEventRules();
  ASSERT_TRUE(rules.ok());
  EXPECT_TRUE(rules->empty());
}

TEST_F(SaveTest, AWebhookDeletedBeforeTheWriteLandsOnTheWebhookFieldNotOnName) {
  // The store's message, "action_object_id N names no webhook.", holds both "webhook" and
  // "name"; a search over it once put this error on the name.
  Webhook w = Hook("short-lived");
  ASSERT_TRUE(store_->DeleteWebhook(w.id).ok());
  DeletedMeanwhile racing(*store_, w);
  auto r = SaveEventRule(racing, RuleBody("names no webhook", w.id), nullptr, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kConflict);
  EXPECT_EQ(r.status().field(), "action_object_id") << r.status().message();
  EXPECT_NE(r.status().message().find("name"), std::string::npos) << r.status().message();
}

TEST_F(SaveTest, ATakenRuleNameLandsOnNameEvenWhenTheNameSaysWebhook) {
  Webhook w = Hook("target");
  ASSERT_TRUE(SaveEventRule(*store_, RuleBody("webhook alerts", w.id), nullptr, false).ok());
  auto dup = SaveEventRule(*store_, RuleBody("webhook alerts", w.id), nullptr, false);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), Code::kConflict);
  EXPECT_EQ(dup.status().field(), "name");
}

TEST_F(SaveTest, UpdatesARuleInPlaceAndReportsOneThatIsGone) {
  Webhook w = Hook("target");
  auto created = SaveEventRule(*store_, RuleBody("r", w.id), nullptr, false);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto patched = SaveEventRule(*store_, J(R"({"enabled": false})"), &*created, true);
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ(patched->id, created->id);
  EXPECT_FALSE(patched->enabled);

  ASSERT_TRUE(store_->DeleteEventRule(created->id).ok());
  auto gone = SaveEventRule(*store_, J(R"({"enabled": true})"), &*created, true);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), Code::kNotFound);
  EXPECT_EQ(gone.status().field(), "");
}

}  // namespace
}  // namespace herald
