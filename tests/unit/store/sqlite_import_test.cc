// The bulk-import contract suite (import_contract.h) on the SQLite backend.
#include "import_contract.h"
#include "sqlite_fixture.h"

namespace herald::store_contract {
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, ImportContract, ::testing::Types<SqliteFactory>);
}  // namespace herald::store_contract
