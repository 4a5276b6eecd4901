// The fixture most integration tests share: one `herald serve` (harness.h's Server) on a store
// in a fresh temporary directory. StartServer starts it, or starts it again on the same store
// (after a crash or a stop); token_ is the admin API token printed at its first start.
//
// The store is SQLite in that directory, unless the binary sets g_fixture_store: then each test
// gets the store that function names (pg_store.cc, linked into integration_api_pg_test, gives
// every test a fresh PostgreSQL database, so the same tests run on both backends).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"

namespace herald::testing {

// The store URL for the current test ("" or unset: SQLite in the fixture's directory).
inline std::string (*g_fixture_store)() = nullptr;

class ServerFixture : public ::testing::Test {
 protected:
  // Starts `herald serve` with `env` (fails the test when it does not start).
  void StartServer(std::map<std::string, std::string> env = {}) {
    if (store_.empty() && g_fixture_store) store_ = g_fixture_store();
    std::vector<std::string> extra;
    if (!store_.empty()) extra = {"--store", store_};
    server_ = std::make_unique<Server>(dir_.path(), std::move(extra), std::move(env));
    ASSERT_TRUE(server_->started()) << server_->Stderr();
    if (token_.empty()) token_ = server_->admin_token();
  }
  // The URL of `path` on the server.
  std::string Url(const std::string& path) const { return server_->base() + path; }
  // API calls with the admin token.
  HttpResult Get(const std::string& path) const { return Api("GET", Url(path), token_); }
  HttpResult Post(const std::string& path, const std::string& body,
                  const std::string& content_type = "application/json") const {
    return Api("POST", Url(path), token_, body, content_type);
  }

  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::string token_;
  std::string store_;  // g_fixture_store's URL for this test ("" for SQLite)
};

}  // namespace herald::testing
