// SQLite store: the v2 -> v3 migration that added the lease-expiry counter, and the owner-only
// file mode of the store's files. (The lease contract, lease_contract.h, runs for SQLite from
// sqlite_store_test.cc.)
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "sqlite_fixture.h"
#include "store/sqlite/file_mode.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_store.h"
#include "store_contract.h"  // MakeWebhook

namespace herald {
namespace {

using SqliteLeasesTest = SqliteFileTest;

// A database written by the previous Herald (schema v2), holding a task that a worker had leased
// when it was stopped, is migrated by this build: the column is added, data kept, and the task's
// expired lease is the first of its run.
TEST_F(SqliteLeasesTest, MigratesVersion2FileWithLeasedTask) {
  ASSERT_NO_FATAL_FAILURE(CreateAtVersion(2));
  RawExec(R"sql(
      INSERT INTO events(id, event, event_type, object_type, model, timestamp, data, received_at)
        VALUES (1, 'created', 'object_created', 'dcim.site', 'site', '2026-01-01T00:00:00+00:00',
                '{"id": 1}', 1);
      INSERT INTO tasks(seq, id, event_id, rule_id, webhook_id, rule_name, webhook_name,
                        object_type, event_type, status, created_at, enqueued_at, due_at,
                        started_at, worker, lease_expires)
        VALUES (65536, 'old-task', 1, 1, 1, 'r', 'w', 'dcim.site', 'object_created', 1,
                1, 1, 1, 5, 'old-worker:1', 10);
      UPDATE task_counts SET n = 1 WHERE status = 1;
    )sql");
  auto opened = SqliteStore::Open(db(), {SchemaPolicy::kMigrate});  // `herald store migrate`
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto& s = **opened;
  auto t = s.GetTask("old-task");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->status, TaskStatus::kStarted);
  EXPECT_EQ(t->worker, "old-worker:1");
  // Expired under the old build: the new one counts it (1 of 3) and leases the task again.
  for (int i = 0; i < kDefaultMaxLeaseExpiries - 1; ++i) {
    LeaseRequest req;
    req.worker = "new";
    req.max = 5;
    req.now = 100 + i * 1000;
    req.lease_us = 1000;
    auto r = s.Lease(req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->leased.size(), 1u) << i;
  }
  LeaseRequest req;
  req.worker = "new";
  req.max = 5;
  req.now = 10'000'000;
  req.lease_us = 1000;
  auto r = s.Lease(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].expiries, 3);
  auto counts = s.CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->failed, 1);
  EXPECT_EQ(counts->started, 0);
  s.Close();
  EXPECT_EQ(RawVersion(), static_cast<int>(sqlite::SchemaMigrations().size()));
}

TEST_F(SqliteLeasesTest, NewStoreFilesAreOwnerOnlyWhateverTheUmask) {
  const mode_t old_umask = umask(0);  // the widest: SQLite alone would create 0644
  auto opened = SqliteStore::Open(db());
  umask(old_umask);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto& s = **opened;
  // A write creates the WAL and the shared-memory index.
  ASSERT_TRUE(s.CreateWebhook(store_contract::MakeWebhook("mode")).ok());
  auto list = s.ListWebhooks();  // a reader connection maps -shm too
  ASSERT_TRUE(list.ok());
  ASSERT_TRUE(std::filesystem::exists(db() + "-wal"));
  ASSERT_TRUE(std::filesystem::exists(db() + "-shm"));
  EXPECT_EQ(Mode(db()), 0600);
  EXPECT_EQ(Mode(db() + "-wal"), 0600);
  EXPECT_EQ(Mode(db() + "-shm"), 0600);
  s.Close();
}

TEST_F(SqliteLeasesTest, ExistingWideFilesAreTightenedAtOpen) {
  {
    auto opened = SqliteStore::Open(db());
    ASSERT_TRUE(opened.ok());
    ASSERT_TRUE((*opened)->CreateWebhook(store_contract::MakeWebhook("kept")).ok());
    (*opened)->Close();
  }
  // As an older Herald (or a careless copy) left them.
  { std::ofstream(db() + "-wal", std::ios::app); }
  ASSERT_EQ(chmod(db().c_str(), 0644), 0);
  ASSERT_EQ(chmod((db() + "-wal").c_str(), 0666), 0);
  ASSERT_EQ(Mode(db()), 0644);
  auto opened = SqliteStore::Open(db());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(Mode(db()), 0600);
  EXPECT_EQ(Mode(db() + "-wal"), 0600);
  auto list = (*opened)->ListWebhooks();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u) << "data kept";
  (*opened)->Close();
}

TEST_F(SqliteLeasesTest, SecureStoreFilesReportsWhatItCannotDo) {
  // A path whose directory does not exist cannot be created: a StoreError naming the file.
  Status st = sqlite::SecureStoreFiles(dir_.File("missing/dir/herald.db"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_NE(st.message().find("missing/dir/herald.db"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace herald
