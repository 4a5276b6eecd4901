// SQLite store: the shared contract suites (store, leases, UI sessions and workers), plus what
// only this backend has (group commit counter, URL parsing, schema migrations).
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "dedupe_contract.h"
#include "lease_contract.h"
#include "retention_contract.h"
#include "sqlite_fixture.h"
#include "store/sqlite/schema.h"
#include "store/task_id.h"
#include "store_contract.h"
#include "store_contract_sessions.h"
#include "support/wait.h"

namespace herald {
namespace {

using store_contract::MakeEvent;
using store_contract::MakeWebhook;

}  // namespace

namespace store_contract {
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Types<SqliteFactory>);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, LeaseContract, ::testing::Types<SqliteFactory>);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, SessionContract, ::testing::Types<SqliteFactory>);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, RetentionContract, ::testing::Types<SqliteFactory>);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, DedupeContract, ::testing::Types<SqliteFactory>);
}  // namespace store_contract

namespace {

using SqliteStoreTest = SqliteFileTest;

TEST_F(SqliteStoreTest, WalAndFullSync) {
  auto store = Open();
  ASSERT_TRUE(store);
  store->Close();
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(h);
}

TEST_F(SqliteStoreTest, OpeningTwiceIsIdempotent) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->CreateWebhook(MakeWebhook("kept")).ok());
  }
  const int v = RawVersion();
  EXPECT_EQ(v, static_cast<int>(sqlite::SchemaMigrations().size()));
  {
    auto store = Open();
    ASSERT_TRUE(store);
    auto list = store->ListWebhooks();
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->size(), 1u);
    EXPECT_EQ((*list)[0].name, "kept");
  }
  EXPECT_EQ(RawVersion(), v);
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefused) {
  { ASSERT_TRUE(Open()); }
  RawExec("PRAGMA user_version = 99");
  auto s = SqliteStore::Open(db());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kUnavailable);
  EXPECT_NE(s.status().message().find("schema version 99 is newer"), std::string::npos)
      << s.status().message();
  EXPECT_EQ(RawVersion(), 99);  // untouched
}

TEST_F(SqliteStoreTest, MigrationsApplyInOrderOnlyOnce) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
  const sqlite::Migration v1[] = {{"one", "CREATE TABLE t(a); INSERT INTO t VALUES (1);"}};
  const sqlite::Migration v2[] = {v1[0],
                                  {"two",
                                   "ALTER TABLE t ADD COLUMN b; "
                                   "UPDATE t SET b = 2;"}};
  const sqlite::Migration broken[] = {v2[0], v2[1], {"three", "THIS IS NOT SQL"}};
  ASSERT_TRUE(sqlite::ApplyMigrations(h, v1).ok());
  EXPECT_EQ(sqlite::SchemaVersion(h), 1);
  ASSERT_TRUE(sqlite::ApplyMigrations(h, v1).ok());  // nothing to do
  ASSERT_TRUE(sqlite::ApplyMigrations(h, v2).ok());
  EXPECT_EQ(sqlite::SchemaVersion(h), 2);
  Status st = sqlite::ApplyMigrations(h, broken);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("migration 3 (three) failed"), std::string::npos) << st.message();
  EXPECT_EQ(sqlite::SchemaVersion(h), 2);  // rolled back
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT count(*), sum(a), sum(b) FROM t", -1, &q, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(q, 0), 1);  // v1's insert ran once
  EXPECT_EQ(sqlite3_column_int(q, 2), 2);
  sqlite3_finalize(q);
  EXPECT_FALSE(sqlite::ApplyMigrations(h, v1).ok());  // database newer than the list
  sqlite3_close(h);
}

// Two stores on one file stand for two processes (herald serve + herald worker / the CLI).
TEST_F(SqliteStoreTest, CountsAndConfigChangesAreSharedBetweenProcesses) {
  FakeClock clock;
  auto a = Open();
  auto opened = SqliteStore::Open(db(), clock);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto b = std::move(*opened);
  ASSERT_TRUE(a && b);
  int64_t rev_b = b->ConfigRevision();
  Webhook w;
  w.name = "shared";
  w.payload_url = "http://x/";
  ASSERT_TRUE(a->CreateWebhook(w).ok());
  ASSERT_TRUE(a->CommitEventsSync({MakeEvent("dcim.site", 1, {{1, 1}, {1, 1}})}).ok());
  auto counts = b->CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->queued, 2) << "b sees a's tasks";
  auto leased = b->LeaseTasks("w", 1, 1, 1000000);
  ASSERT_TRUE(leased.ok());
  EXPECT_EQ(a->CountByStatus()->started, 1) << "a sees b's lease";
  EXPECT_EQ(a->CountByStatus()->queued, 1);
  // b notices a's configuration change once a second has passed since it last looked.
  clock.Advance(std::chrono::milliseconds(999));
  EXPECT_EQ(b->ConfigRevision(), rev_b) << "b looks at the database at most once a second";
  clock.Advance(std::chrono::milliseconds(1));
  EXPECT_GT(b->ConfigRevision(), rev_b);
}

TEST_F(SqliteStoreTest, OpenStoreUrls) {
  // Absolute path, directories created.
  auto abs = OpenStore("sqlite://" + dir_.File("a/b/herald.db"));
  ASSERT_TRUE(abs.ok()) << abs.status().ToString();
  EXPECT_EQ((*abs)->Describe(), "sqlite://" + dir_.File("a/b/herald.db"));
  EXPECT_TRUE(std::filesystem::exists(dir_.File("a/b/herald.db")));
  (*abs)->Close();

  // Relative path, resolved against the working directory.
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_.path());
  auto rel = OpenStore("sqlite://var/rel.db");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(rel.ok()) << rel.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir_.File("var/rel.db")));
  EXPECT_EQ((*rel)->Describe(), "sqlite://" + dir_.File("var/rel.db"));
  (*rel)->Close();

  auto unknown = OpenStore("mysql://u:pw@db/herald");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kConfig);
  EXPECT_NE(unknown.status().message().find("'mysql'"), std::string::npos);
  EXPECT_EQ(unknown.status().message().find("pw"), std::string::npos) << "password shown";
  EXPECT_EQ(OpenStore("herald.db").status().code(), Code::kConfig);
  EXPECT_EQ(OpenStore("sqlite://").status().code(), Code::kConfig);
}

TEST_F(SqliteStoreTest, UnwritableLocationIsStoreError) {
  auto s = OpenStore("sqlite:///proc/herald-cannot-exist/x.db");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kUnavailable);
}

TEST_F(SqliteStoreTest, TooManyTasksForOneEventIsRefused) {
  auto store = Open();
  ASSERT_TRUE(store);
  NewEvent e = MakeEvent("dcim.device", 1, {});
  e.tasks.resize(kMaxTasksPerEvent + 1);
  auto r = store->CommitEventsSync({std::move(e)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
}

TEST_F(SqliteStoreTest, BlockingCallFromCallbackIsRefusedNotDeadlocked) {
  auto store = Open();
  ASSERT_TRUE(store);
  Status inner;
  auto r = store->CommitEventsSync({MakeEvent("dcim.device", 1, {{1, 1}})});
  ASSERT_TRUE(r.ok());
  std::promise<void> done;
  store->CommitEvents({MakeEvent("dcim.device", 2, {})}, [&](Result<std::vector<CommittedEvent>>) {
    inner = store->Stop((*r)[0].task_ids[0], 1);
    done.set_value();
  });
  done.get_future().wait();
  EXPECT_EQ(inner.code(), Code::kInternal);
}

// Past a few thousand WAL pages, the checkpointer copies them into the database file while
// the store stays open (the writer does not checkpoint below four times that).
TEST_F(SqliteStoreTest, TheWalIsCheckpointedIntoTheDatabaseFile) {
  auto store = Open();
  ASSERT_TRUE(store);
  const auto start_size = std::filesystem::file_size(db());
  // About 24 MB of event rows: 6,000 pages and more.
  const std::string big(100'000, 'x');
  for (int i = 0; i < 240; ++i) {
    NewEvent e = MakeEvent("dcim.device", i, {});
    e.event.data.as_dict().set("blob", big);
    ASSERT_TRUE(store->CommitEventsSync({std::move(e)}).ok());
  }
  EXPECT_TRUE(testing::WaitFor([&] {
    return std::filesystem::file_size(db()) > start_size + 12'000'000;
  })) << std::filesystem::file_size(db());
}

// An event's tasks are inserted several rows per statement: every count around the statement
// size keeps each task, in order, with its rule and webhook.
TEST_F(SqliteStoreTest, EveryTaskOfAnEventIsInsertedInOrder) {
  auto store = Open();
  ASSERT_TRUE(store);
  for (int n : {1, 7, 8, 9, 19}) {
    std::vector<std::pair<int64_t, int64_t>> rule_webhooks;
    for (int k = 0; k < n; ++k) rule_webhooks.emplace_back(100 + k, 200 + k);
    auto r = store->CommitEventsSync({MakeEvent("dcim.device", n, rule_webhooks)});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const CommittedEvent& ce = (*r)[0];
    ASSERT_EQ(ce.task_ids.size(), static_cast<size_t>(n));
    TaskFilter f;
    f.event_id = ce.event_id;
    f.oldest_first = true;
    auto tasks = store->ListTasks(f);
    ASSERT_TRUE(tasks.ok());
    ASSERT_EQ(tasks->size(), static_cast<size_t>(n));
    for (int k = 0; k < n; ++k) {
      EXPECT_EQ((*tasks)[k].id, ce.task_ids[k]) << n << " tasks, #" << k;
      EXPECT_EQ((*tasks)[k].rule_id, 100 + k);
      EXPECT_EQ((*tasks)[k].webhook_id, 200 + k);
    }
  }
  auto counts = store->CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->queued, 1 + 7 + 8 + 9 + 19);
}

// Event commits run in one transaction without savepoints of their own; when one of them fails
// (here a trigger refuses its second task, after its event row was inserted), the others of its
// batch are still committed, and the failed one leaves nothing behind.
TEST_F(SqliteStoreTest, FailedEventCommitRollsBackAloneInItsBatch) {
  auto store = Open();
  ASSERT_TRUE(store);
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h,
                           "CREATE TRIGGER refuse BEFORE INSERT ON tasks WHEN NEW.rule_name = "
                           "'refused' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  // The writer waits in the first commit's callback until the other three are queued, so they
  // reach it as one batch.
  std::promise<void> queued;
  std::shared_future<void> all_queued = queued.get_future().share();
  std::mutex mu;
  std::vector<Result<std::vector<CommittedEvent>>> results;
  std::promise<void> done;
  auto collect = [&](Result<std::vector<CommittedEvent>> r) {
    std::lock_guard<std::mutex> lock(mu);
    results.push_back(std::move(r));
    if (results.size() == 4) done.set_value();
  };
  store->CommitEvents({MakeEvent("dcim.device", 1, {{1, 1}})},
                      [&](Result<std::vector<CommittedEvent>> r) {
                        all_queued.wait();
                        collect(std::move(r));
                      });
  NewEvent refused = MakeEvent("dcim.site", 3, {{1, 1}, {2, 2}});
  refused.tasks[1].rule_name = "refused";
  store->CommitEvents({MakeEvent("dcim.device", 2, {{1, 1}, {2, 2}})}, collect);
  store->CommitEvents({std::move(refused)}, collect);
  store->CommitEvents({MakeEvent("dcim.rack", 4, {{3, 3}})}, collect);
  queued.set_value();
  done.get_future().wait();
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].ok());
  ASSERT_FALSE(results[2].ok());
  EXPECT_NE(results[2].status().message().find("refused by the test"), std::string::npos)
      << results[2].status().ToString();
  EXPECT_TRUE(results[3].ok());
  auto events = store->ListEvents(EventFilter{});
  ASSERT_TRUE(events.ok());
  std::vector<std::string> types;
  for (const Event& e : *events) types.push_back(e.object_type);
  EXPECT_EQ(types, (std::vector<std::string>{"dcim.rack", "dcim.device", "dcim.device"}));
  auto counts = store->CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->queued, 4);
  auto tasks = store->CountTasks(TaskFilter{});
  ASSERT_TRUE(tasks.ok());
  EXPECT_EQ(*tasks, 4);
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {
TEST(TaskId, IsUuidV7AndTimeOrdered) {
  const int64_t ms = 0x019ac4f27d3a;
  std::string a = NewTaskId(ms);
  std::string b = NewTaskId(ms + 1);
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a.substr(0, 13), "019ac4f2-7d3a") << "the first 48 bits are the milliseconds";
  EXPECT_EQ(a[14], '7') << a;
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos) << "variant 10xx: " << a;
  EXPECT_LT(a.substr(0, 13), b.substr(0, 13)) << "millisecond prefix orders ids";
  EXPECT_NE(NewTaskId(ms), NewTaskId(ms)) << "74 random bits";
  EXPECT_NE(NewTaskId(), NewTaskId());
}
}  // namespace
}  // namespace herald
