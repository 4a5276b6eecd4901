// SQLite store: the v3 -> v4 migration that added the UI-session and worker tables. (Their
// contract, store_contract_sessions.h, runs for SQLite from sqlite_store_test.cc.)
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "sqlite_fixture.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_store.h"

namespace herald {
namespace {

using SqliteSessionsTest = SqliteFileTest;

// A file written by the previous Herald (schema v3) with a token is migrated by this build: the
// tables are added, the token kept, and a session can be signed in with it.
TEST_F(SqliteSessionsTest, MigratesVersion3File) {
  ASSERT_NO_FATAL_FAILURE(CreateAtVersion(3));
  RawExec(
      "INSERT INTO api_tokens(id, name, key_prefix, key_hash, scope, created, last_used, "
      "revoked) VALUES (7, 'old', 'abcd', 'old-hash', 'admin', 1, 0, 0)");
  auto s = Open({SchemaPolicy::kMigrate});  // `herald store migrate`
  ASSERT_TRUE(s);
  UiSession u;
  u.id_hash = "h";
  u.csrf = "c";
  u.token_id = 7;
  u.created_at = u.last_seen_at = 10;
  u.expires_at = 100;
  auto created = s->CreateSession(u, 5, 10);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto found = s->FindSession("h", 20);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->token.name, "old");
  s->Close();
  EXPECT_EQ(RawVersion(), static_cast<int>(sqlite::SchemaMigrations().size()));
}

}  // namespace
}  // namespace herald
