// Linked into a copy of an integration test binary (integration_api_pg_test) to run its
// ServerFixture tests on PostgreSQL: sets g_fixture_store to give each test a fresh database on
// the binary's throwaway server (tests/support/pg_server.h), named after the test.
#include <gtest/gtest.h>

#include <cctype>

#include "server_fixture.h"
#include "support/pg_server.h"

namespace herald::testing {
namespace {

std::string FreshDatabase() {
  PgServer& pg = PgServer::Get();
  if (!pg.ok()) {
    ADD_FAILURE() << pg.error();
    return "";
  }
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = "t";
  for (char c : std::string(info->test_suite_name()) + "_" + info->name()) {
    name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  }
  name = name.substr(0, 60);  // PostgreSQL names are at most 63 bytes
  std::string error;
  std::string url = pg.CreateDatabase(name, &error);
  if (url.empty()) ADD_FAILURE() << error;
  return url;
}

const bool kInstalled = (g_fixture_store = &FreshDatabase, true);

}  // namespace
}  // namespace herald::testing
