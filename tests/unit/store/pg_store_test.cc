// PostgreSQL store: what only this backend has: several stores (nodes) on one database sharing
// the queue without ever leasing one task twice, lease tokens, LISTEN/NOTIFY between nodes,
// the database clock, an unreachable server, reconnection, schema versions, URL redaction,
// bytes that are not text, and one dedupe key committed by two nodes at once.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "commit_concurrently.h"
#include "pg_fixture.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/schema.h"
#include "store_contract.h"
#include "support/loopback.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace herald {
namespace {

using store_contract::MakeEvent;
using store_contract::MakeWebhook;
using store_contract::NowUs;
using testing::PgServer;
using testing::WaitFor;

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PgServer::Get().ok()) << PgServer::Get().error();
    std::string error;
    url_ = PgDatabaseFor(dir_.path(), &error);
    ASSERT_FALSE(url_.empty()) << error;
  }
  // A store (a node) on this test's database; nullptr with a test failure when it does not open.
  std::unique_ptr<PostgresStore> Open(bool database_clock = false) {
    PgStoreOptions options;
    options.database_clock = database_clock;
    auto s = PostgresStore::Open(url_, options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // The test database's name (the last part of its URL).
  std::string DbName() const { return url_.substr(url_.rfind('/') + 1); }
  void Sql(const std::string& sql) {
    std::string error;
    ASSERT_TRUE(PgServer::Get().Exec(DbName(), sql, &error)) << error;
  }

  testing::TempDir dir_{"pg"};
  std::string url_;
};

TEST_F(PgStoreTest, TwoNodesLeasingAtOnceNeverGetTheSameTask) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  constexpr int kEvents = 100, kTasksPerEvent = 3;
  std::vector<NewEvent> events;
  for (int i = 0; i < kEvents; ++i)
    events.push_back(MakeEvent("dcim.site", i, {{1, 1}, {2, 2}, {3, 3}}));
  ASSERT_TRUE(a->CommitEventsSync(std::move(events)).ok());
  std::mutex mu;
  std::multiset<std::string> leased;
  auto drain = [&](Store* s, const std::string& worker) {
    for (int round = 0; round < 1000; ++round) {
      auto got = s->LeaseTasks(worker, 7, NowUs() + 1000, 600'000'000);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      if (got->empty()) return;
      std::lock_guard<std::mutex> lock(mu);
      for (const Task& t : *got) leased.insert(t.id);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back(drain, a.get(), "a" + std::to_string(i));
    threads.emplace_back(drain, b.get(), "b" + std::to_string(i));
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(leased.size(), static_cast<size_t>(kEvents * kTasksPerEvent));
  EXPECT_EQ(std::set<std::string>(leased.begin(), leased.end()).size(), leased.size())
      << "a task was leased twice";
  auto counts = b->CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->started, kEvents * kTasksPerEvent);
  EXPECT_EQ(counts->queued, 0);
}

TEST_F(PgStoreTest, TwoNodesCommittingOneDedupeKeyAtOnceMakeOneEvent) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  auto keyed = [](int, int) {
    NewEvent ne = MakeEvent("dcim.device", 1, {{1, 1}, {2, 2}});
    ne.dedupe_key = "both-nodes";
    return ne;
  };
  std::vector<CommittedEvent> from_a, from_b;
  std::thread ta([&] { from_a = store_contract::CommitConcurrently(*a, 4, 10, keyed); });
  std::thread tb([&] { from_b = store_contract::CommitConcurrently(*b, 4, 10, keyed); });
  ta.join();
  tb.join();
  ASSERT_EQ(from_a.size(), 40u);
  ASSERT_EQ(from_b.size(), 40u);
  from_a.insert(from_a.end(), from_b.begin(), from_b.end());
  store_contract::ExpectOneOriginal(from_a);
  EventFilter all;
  all.limit = 100;
  auto events = b->ListEvents(all);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  EXPECT_EQ(events->size(), 1u);
  auto tasks = a->CountTasks(TaskFilter{});
  ASSERT_TRUE(tasks.ok());
  EXPECT_EQ(*tasks, 2);
}

// EventFilter::after_id and oldest_first (what `herald store copy` pages the source with).
TEST_F(PgStoreTest, EventsPageOldestFirstAfterAnId) {
  auto s = Open();
  ASSERT_TRUE(s);
  std::vector<NewEvent> events;
  for (int i = 0; i < 4; ++i) events.push_back(MakeEvent("dcim.site", i, {}));
  auto committed = s->CommitEventsSync(std::move(events));
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EventFilter f;
  f.oldest_first = true;
  f.after_id = (*committed)[0].event_id;
  f.limit = 2;
  auto page = s->ListEvents(f);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ(page->front().id, (*committed)[1].event_id);
  EXPECT_EQ(page->back().id, (*committed)[2].event_id);
}

TEST_F(PgStoreTest, TakenOverLeaseCannotRecordEvenUnderTheSameWorkerName) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  auto c = a->CommitEventsSync({MakeEvent("dcim.site", 1, {{1, 1}})});
  ASSERT_TRUE(c.ok());
  const std::string id = (*c)[0].task_ids[0];
  const TimeUs now = NowUs() + 1000;
  auto first = a->LeaseTasks("w", 1, now, 1'000'000);
  ASSERT_TRUE(first.ok() && first->size() == 1);
  // a's lease expires; b takes the task over under the same worker name.
  auto second = b->LeaseTasks("w", 1, now + 1'000'000, 60'000'000);
  ASSERT_TRUE(second.ok() && second->size() == 1);
  AttemptOutcome ok;
  ok.attempt.status_code = 200;
  ok.next_status = TaskStatus::kFinished;
  ok.result = "from a";
  Status late = a->RecordAttempt(id, "w", ok);
  EXPECT_EQ(late.code(), Code::kConflict) << late.ToString();
  ok.result = "from b";
  ASSERT_TRUE(b->RecordAttempt(id, "w", ok).ok());
  auto t = a->GetTask(id);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->status, TaskStatus::kFinished);
  EXPECT_EQ(t->result, "from b");
  auto attempts = a->ListAttempts(id);
  ASSERT_TRUE(attempts.ok());
  EXPECT_EQ(attempts->size(), 1u);
}

TEST_F(PgStoreTest, NotifyWakesTheOtherNodeAndConfigRevisionFollows) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(WaitFor([&] { return b->Listening(); }));
  std::atomic<int> woken{0};
  b->SetTaskListener([&] { woken++; });
  const int64_t rev_b = b->ConfigRevision();
  ASSERT_TRUE(a->CreateWebhook(MakeWebhook("seen-by-b")).ok());
  EXPECT_TRUE(WaitFor([&] { return b->ConfigRevision() > rev_b; }))
      << "b never heard of a's configuration change";
  EXPECT_EQ(woken.load(), 0) << "a configuration change is not a task";
  ASSERT_TRUE(a->CommitEventsSync({MakeEvent("dcim.site", 1, {{1, 1}})}).ok());
  EXPECT_TRUE(WaitFor([&] { return woken.load() > 0; })) << "b was not woken by a's new task";
}

TEST_F(PgStoreTest, DatabaseClockDecidesNotTheRequest) {
  auto s = Open(/*database_clock=*/true);
  ASSERT_TRUE(s);
  auto c = s->CommitEventsSync({MakeEvent("dcim.site", 1, {{1, 1}})});
  ASSERT_TRUE(c.ok());
  const TimeUs before = NowUs();
  // A node whose clock says 1970: the lease is still stamped and timed by the database.
  auto leased = s->LeaseTasks("w", 1, 1, 60'000'000);
  ASSERT_TRUE(leased.ok());
  ASSERT_EQ(leased->size(), 1u);
  EXPECT_GT((*leased)[0].started_at, before - 60'000'000);
  EXPECT_EQ((*leased)[0].lease_expires, (*leased)[0].started_at + 60'000'000);
  // Nor does a far-future request time expire the lease early.
  auto again = s->LeaseTasks("w2", 1, before + 3'600'000'000LL, 60'000'000);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST_F(PgStoreTest, BytesThatAreNotTextRoundTrip) {
  auto s = Open();
  ASSERT_TRUE(s);
  auto c = s->CommitEventsSync({MakeEvent("dcim.site", 1, {{1, 1}})});
  ASSERT_TRUE(c.ok());
  const std::string id = (*c)[0].task_ids[0];
  ASSERT_EQ(s->LeaseTasks("w", 1, NowUs() + 1000, 60'000'000)->size(), 1u);
  const std::string raw("\xff\xfe\x00 not utf-8 \x80", 16);
  AttemptOutcome o;
  o.attempt.status_code = 500;
  o.attempt.response_excerpt = raw;
  o.attempt.error = "HTTP 500: " + raw;
  o.next_status = TaskStatus::kFailed;
  o.error = o.attempt.error;
  ASSERT_TRUE(s->RecordAttempt(id, "w", o).ok());
  auto attempts = s->ListAttempts(id);
  ASSERT_TRUE(attempts.ok());
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ((*attempts)[0].response_excerpt, raw);
  EXPECT_EQ(s->GetTask(id)->error, "HTTP 500: " + raw);
}

TEST_F(PgStoreTest, LostConnectionsAreReplacedOnTheNextCall) {
  auto s = Open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->CreateWebhook(MakeWebhook("before")).ok());
  ASSERT_TRUE(WaitFor([&] { return s->Listening(); }));
  // The server ends every session of the store (a restart, a failover, an idle cut).
  Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + DbName() +
      "' AND pid <> pg_backend_pid()");
  auto list = s->ListWebhooks();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->size(), 1u);
  ASSERT_TRUE(s->CreateWebhook(MakeWebhook("after")).ok());
  ASSERT_TRUE(s->CommitEventsSync({MakeEvent("dcim.site", 1, {{1, 1}})}).ok());
  // The listener reconnects by itself and hears other nodes again.
  auto other = Open();
  ASSERT_TRUE(other);
  const int64_t rev = s->ConfigRevision();
  ASSERT_TRUE(other->CreateWebhook(MakeWebhook("from-other")).ok());
  EXPECT_TRUE(WaitFor([&] { return s->ConfigRevision() > rev; }));
}

TEST_F(PgStoreTest, UnreachableServerIsUnavailableAndThePasswordIsNeverShown) {
  const std::string url =
      "postgresql://herald:sekrit@127.0.0.1:" + std::to_string(testing::UnusedLoopbackPort()) +
      "/herald";
  auto s = OpenStore(url);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kUnavailable);
  EXPECT_EQ(s.status().message().find("sekrit"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("herald:***@127.0.0.1"), std::string::npos)
      << s.status().message();
}

TEST_F(PgStoreTest, OpenStoreTakesBothSchemesAndDescribesWithoutPassword) {
  for (const std::string scheme : {"postgresql://", "postgres://"}) {
    std::string url = url_;
    url.replace(0, url.find("://") + 3, scheme);
    url += url.find('?') == std::string::npos ? "?" : "&";
    auto s = OpenStore(url + "application_name=herald-test&password=unused");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ((*s)->Describe().find("unused"), std::string::npos) << (*s)->Describe();
    EXPECT_NE((*s)->Describe().find("password=***"), std::string::npos) << (*s)->Describe();
    EXPECT_TRUE((*s)->ListWebhooks().ok());
    (*s)->Close();
  }
}

TEST(PgRedact, RemovesPasswordsInEveryForm) {
  EXPECT_EQ(RedactStoreUrl("postgresql://u:p%40ss@db:5432/herald"),
            "postgresql://u:***@db:5432/herald");
  EXPECT_EQ(RedactStoreUrl("postgres://u@db/herald"), "postgres://u@db/herald");
  EXPECT_EQ(RedactStoreUrl("postgresql://db/herald?sslmode=require&password=x&user=u"),
            "postgresql://db/herald?sslmode=require&password=***&user=u");
  EXPECT_EQ(RedactStoreUrl("host=db password='a b\\'c' user=u"), "host=db password=*** user=u");
  EXPECT_EQ(RedactStoreUrl("postgresql://:secret@db/x"), "postgresql://:***@db/x");
}

TEST_F(PgStoreTest, OlderSchemaIsRefusedUntilMigrated) {
  {
    auto c = pg::Conn::Connect(url_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE(pg::ApplyMigrations(**c, PostgresMigrations().first(1)).ok());
  }
  // A webhook written before the signature columns (version 4).
  Sql("INSERT INTO herald.webhooks(name, description, payload_url, http_method, "
      "http_content_type, additional_headers, body_template, secret, ssl_verification, created, "
      "last_updated) VALUES ('old', '', 'http://127.0.0.1:9/', 'POST', 'application/json', '', "
      "'', 's', 1, 1, 1)");
  auto v = PostgresSchemaVersion(url_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 1);
  auto refused = PostgresStore::Open(url_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable);
  EXPECT_NE(refused.status().message().find("herald store migrate --store"), std::string::npos)
      << refused.status().message();
  ASSERT_TRUE(MigratePostgres(url_).ok());
  EXPECT_EQ(*PostgresSchemaVersion(url_), PostgresSchemaVersionNeeded());
  ASSERT_TRUE(MigratePostgres(url_).ok()) << "migrating twice changes nothing";
  auto s = Open();
  ASSERT_TRUE(s);
  auto hooks = s->ListWebhooks();
  ASSERT_TRUE(hooks.ok() && hooks->size() == 1u);
  EXPECT_EQ((*hooks)[0].signature_scheme, "netbox") << "existing webhooks keep X-Hook-Signature";
  EXPECT_EQ((*hooks)[0].previous_secret, "");
  EXPECT_FALSE((*hooks)[0].previous_secret_expires.has_value());
}

TEST_F(PgStoreTest, NewerSchemaIsRefusedNamingTheVersionNeeded) {
  { ASSERT_TRUE(Open()); }
  Sql("UPDATE herald.schema_version SET version = 99");
  auto refused = PostgresStore::Open(url_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable);
  const std::string& msg = refused.status().message();
  EXPECT_NE(msg.find("version 99 is newer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("knows (" + std::to_string(PostgresSchemaVersionNeeded()) + ")"),
            std::string::npos)
      << msg;
  EXPECT_FALSE(MigratePostgres(url_).ok());
}

}  // namespace
}  // namespace herald
