// The SQLite backend in the store unit tests: the factory the typed contract suites
// (store_contract.h, lease_contract.h) open it with, and the fixture of the backend's own tests,
// one database file in a fresh temporary directory with raw access beside the store.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "support/temp_dir.h"

namespace herald {

// Opens the SQLite store kept in `dir` (its herald.db).
struct SqliteFactory {
  static Result<std::unique_ptr<Store>> Open(const std::string& dir) {
    return OpenStore("sqlite://" + dir + "/herald.db");
  }
  // Write transactions the store (opened by Open) committed so far.
  static int64_t WriteTransactions(Store& s) {
    return dynamic_cast<SqliteStore&>(s).TransactionCount();
  }
};

class SqliteFileTest : public ::testing::Test {
 protected:
  std::string db() const { return dir_.File("herald.db"); }
  // The store on db(); nullptr (and a test failure) when it does not open.
  std::unique_ptr<SqliteStore> Open(const StoreOpenOptions& options = {}) {
    auto s = SqliteStore::Open(db(), options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // Creates db() as an older Herald left it: the first `version` migrations of this build's
  // schema, which must have more than `version`.
  void CreateAtVersion(size_t version) {
    const auto all = sqlite::SchemaMigrations();
    ASSERT_GT(all.size(), version) << "no migration after v" << version;
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
    Status applied = sqlite::ApplyMigrations(h, all.first(version));
    const int at = sqlite::SchemaVersion(h);
    sqlite3_close(h);
    ASSERT_TRUE(applied.ok()) << applied.ToString();
    ASSERT_EQ(at, static_cast<int>(version));
  }
  // Runs `sql` on the file with a plain connection (the store must be closed).
  void RawExec(const std::string& sql) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(h);
    sqlite3_close(h);
  }
  // The file's schema version, read with a plain connection.
  int RawVersion() {
    sqlite3* h = nullptr;
    EXPECT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
    int v = sqlite::SchemaVersion(h);
    sqlite3_close(h);
    return v;
  }
  // The permission bits of `path`; -1 when it does not exist.
  static int Mode(const std::string& path) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return -1;
    return static_cast<int>(st.st_mode & 07777);
  }

  testing::TempDir dir_{"store"};
};

}  // namespace herald
