// The store fixtures of the in-process tests: a real SQLite store in a fresh temporary
// directory, and the same with one API token per scope, made by CreateApiToken (as `herald
// serve` makes its first token). The API and UI fixtures (tests/unit/api, tests/ui) build on it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "model/model.h"
#include "store/store.h"
#include "temp_dir.h"

namespace herald::testing {

// A real SQLite store (sqlite://<dir>/h.db) in a fresh temporary directory.
class TempStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenTempStore(); }
  void TearDown() override { CloseStore(); }

  // Opens the store; a failure fails the test (ASSERT it with ASSERT_NO_FATAL_FAILURE where
  // later steps need the store).
  void OpenTempStore();
  // Closes and releases the store (the directory goes with the fixture).
  void CloseStore();
  // The store's database file.
  std::string db_path() const { return dir_.File("h.db"); }

  TempDir dir_{"store"};
  std::unique_ptr<Store> store_;
};

// TempStoreTest with one API token per scope.
class StoreWithTokensTest : public TempStoreTest {
 protected:
  void SetUp() override { OpenStoreWithTokens(); }

  // OpenTempStore, then the admin, read-only and ingest-only tokens.
  void OpenStoreWithTokens();
  // A new token of `scope`, named after the scope; its key ("" and a test failure when the
  // token cannot be made).
  std::string MakeToken(TokenScope scope);

  std::string admin_key_, ro_key_, ingest_key_;
};

}  // namespace herald::testing
