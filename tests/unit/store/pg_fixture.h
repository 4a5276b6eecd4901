// The PostgreSQL backend in the store unit tests: the factory the typed contract suites
// (store_contract.h, lease_contract.h, store_contract_sessions.h) open it with, on the test
// binary's throwaway server (support/pg_server.h).
//
// Each `dir` (a fresh temporary directory of the suite) gets its own database, created the
// first time the dir is opened; opening the same dir again reaches the same database. The
// stores run with the request's times (database_clock off), since the suites inject times.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "store/postgres/pg_store.h"
#include "store/store.h"
#include "support/pg_server.h"

namespace herald {

// The database of `dir` on the test server (created on first use); "" with *error on failure.
inline std::string PgDatabaseFor(const std::string& dir, std::string* error) {
  static std::mutex mu;
  static std::map<std::string, std::string> urls;
  static int next = 0;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = urls.find(dir); it != urls.end()) return it->second;
  testing::PgServer& server = testing::PgServer::Get();
  if (!server.ok()) {
    *error = server.error();
    return "";
  }
  std::string url = server.CreateDatabase(
      "herald_t" + std::to_string(getpid()) + "_" + std::to_string(next++), error);
  if (!url.empty()) urls[dir] = url;
  return url;
}

// Opens the PostgreSQL store kept for `dir`.
struct PgFactory {
  static Result<std::unique_ptr<Store>> Open(const std::string& dir) {
    std::string error;
    const std::string url = PgDatabaseFor(dir, &error);
    if (url.empty()) return Status(Code::kUnavailable, "test PostgreSQL: " + error);
    PgStoreOptions options;
    options.database_clock = false;
    auto store = PostgresStore::Open(url, options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  // Group-commit transactions the store (opened by Open) committed so far.
  static int64_t WriteTransactions(Store& s) {
    return dynamic_cast<PostgresStore&>(s).BatchCount();
  }
};

}  // namespace herald
