// The schema-version rule (store.h, SchemaPolicy) on the SQLite backend: a new store is created,
// an older schema is refused with the command that upgrades it unless opened to migrate, a newer
// one is always refused, and the versions seen are reported. Also the rule itself
// (CheckSchemaVersion), which every backend shares.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "sqlite_fixture.h"
#include "store/sqlite/schema.h"
#include "store/store.h"

namespace herald {
namespace {

using SqliteSchemaTest = SqliteFileTest;

int Latest() { return static_cast<int>(sqlite::SchemaMigrations().size()); }

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(SchemaRule, DecidesByVersionAndPolicy) {
  const auto require = SchemaPolicy::kCreateOrRequireCurrent;
  const auto migrate = SchemaPolicy::kMigrate;
  EXPECT_TRUE(*CheckSchemaVersion("sqlite://x.db", 0, 5, require)) << "empty: created";
  EXPECT_TRUE(*CheckSchemaVersion("sqlite://x.db", 0, 5, migrate));
  EXPECT_FALSE(*CheckSchemaVersion("sqlite://x.db", 5, 5, require)) << "current: nothing to do";
  EXPECT_FALSE(*CheckSchemaVersion("sqlite://x.db", 5, 5, migrate));
  EXPECT_TRUE(*CheckSchemaVersion("sqlite://x.db", 3, 5, migrate)) << "older: upgraded";
  EXPECT_EQ(
      CheckSchemaVersion("sqlite://x.db", 0, 5, SchemaPolicy::kRequireCurrent).status().code(),
      Code::kNotFound);
  auto older = CheckSchemaVersion("sqlite://x.db", 3, 5, require);
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.status().code(), Code::kUnavailable);
  EXPECT_TRUE(Contains(older.status().message(), "store schema version 3 is older"))
      << older.status().message();
  EXPECT_TRUE(Contains(older.status().message(), "herald store migrate --store sqlite://x.db"));
  for (auto policy : {require, migrate}) {
    auto newer = CheckSchemaVersion("sqlite://x.db", 7, 5, policy);
    ASSERT_FALSE(newer.ok());
    EXPECT_TRUE(Contains(newer.status().message(),
                         "store schema version 7 is newer than this herald knows (5)"))
        << newer.status().message();
  }
}

TEST_F(SqliteSchemaTest, FreshStoreIsCreatedAndReportsItsVersions) {
  auto s = OpenStore("sqlite://" + db());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->Schema().found, 0);
  EXPECT_EQ((*s)->Schema().current, Latest());
  (*s)->Close();
  EXPECT_EQ(RawVersion(), Latest());
  auto again = OpenStore("sqlite://" + db());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->Schema().found, Latest());
  EXPECT_EQ((*again)->Schema().current, Latest());
}

TEST_F(SqliteSchemaTest, OlderSchemaIsRefusedWithTheMigrateCommand) {
  ASSERT_NO_FATAL_FAILURE(CreateAtVersion(Latest() - 1));
  auto s = OpenStore("sqlite://" + db());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kUnavailable);
  const std::string& msg = s.status().message();
  EXPECT_TRUE(Contains(msg, "store schema version " + std::to_string(Latest() - 1) + " is older"))
      << msg;
  EXPECT_TRUE(Contains(msg, "herald store migrate --store sqlite://" + db())) << msg;
  EXPECT_EQ(RawVersion(), Latest() - 1) << "never migrated silently";
}

TEST_F(SqliteSchemaTest, NewerSchemaIsRefusedEvenToMigrate) {
  { ASSERT_TRUE(Open()); }
  RawExec("PRAGMA user_version = " + std::to_string(Latest() + 2));
  for (auto policy : {SchemaPolicy::kCreateOrRequireCurrent, SchemaPolicy::kMigrate}) {
    auto s = OpenStore("sqlite://" + db(), {policy});
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(Contains(s.status().message(),
                         "store schema version " + std::to_string(Latest() + 2) +
                             " is newer than this herald knows (" + std::to_string(Latest()) + ")"))
        << s.status().message();
  }
  EXPECT_EQ(RawVersion(), Latest() + 2) << "untouched";
}

TEST_F(SqliteSchemaTest, MigrateUpgradesKeepingTheData) {
  ASSERT_NO_FATAL_FAILURE(CreateAtVersion(1));
  RawExec(
      "INSERT INTO webhooks(id, name, description, payload_url, http_method, http_content_type, "
      "additional_headers, body_template, secret, ssl_verification, created, last_updated) "
      "VALUES (3, 'old', '', 'http://127.0.0.1:9/', 'POST', 'application/json', '', '', '', 1, "
      "1, 1)");
  auto s = OpenStore("sqlite://" + db(), {SchemaPolicy::kMigrate});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->Schema().found, 1);
  EXPECT_EQ((*s)->Schema().current, Latest());
  auto w = (*s)->GetWebhook(3);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->name, "old");
  EXPECT_EQ(w->signature_scheme, "netbox") << "v6: existing webhooks keep X-Hook-Signature";
  EXPECT_EQ(w->previous_secret, "");
  EXPECT_FALSE(w->previous_secret_expires.has_value());
  (*s)->Close();
  EXPECT_EQ(RawVersion(), Latest());
  // Idempotent: a second migrate finds it current.
  auto again = OpenStore("sqlite://" + db(), {SchemaPolicy::kMigrate});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->Schema().found, Latest());
}

TEST_F(SqliteSchemaTest, RequireCurrentNeverCreates) {
  auto missing = OpenStore("sqlite://" + db(), {SchemaPolicy::kRequireCurrent});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(db())) << "not created";
  RawExec("PRAGMA user_version = 0");  // an empty database file
  auto empty = OpenStore("sqlite://" + db(), {SchemaPolicy::kRequireCurrent});
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(Contains(empty.status().message(), "is empty")) << empty.status().message();
  EXPECT_EQ(RawVersion(), 0);
  { ASSERT_TRUE(Open()); }
  auto current = OpenStore("sqlite://" + db(), {SchemaPolicy::kRequireCurrent});
  EXPECT_TRUE(current.ok()) << current.status().ToString();
}

TEST_F(SqliteSchemaTest, DatabaseWithTablesButNoVersionIsNotAHeraldStore) {
  RawExec("CREATE TABLE other(a)");
  auto s = OpenStore("sqlite://" + db(), {SchemaPolicy::kMigrate});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status().message(), "not a Herald store")) << s.status().message();
  EXPECT_EQ(RawVersion(), 0);
}

}  // namespace
}  // namespace herald
