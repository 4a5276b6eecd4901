// PostgreSQL store: the shared contract suites (store, leases, sessions, idempotent ingest, bulk
// import and copy) on a throwaway server.
#include <gtest/gtest.h>

#include "dedupe_contract.h"
#include "import_contract.h"
#include "lease_contract.h"
#include "pg_fixture.h"
#include "retention_contract.h"
#include "store_contract.h"
#include "store_contract_sessions.h"

namespace herald::store_contract {
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, StoreContract, ::testing::Types<PgFactory>);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, LeaseContract, ::testing::Types<PgFactory>);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, SessionContract, ::testing::Types<PgFactory>);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, RetentionContract, ::testing::Types<PgFactory>);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, DedupeContract, ::testing::Types<PgFactory>);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, ImportContract, ::testing::Types<PgFactory>);
}  // namespace herald::store_contract
