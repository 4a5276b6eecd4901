// The PostgreSQL store's schema (everything in the schema `herald`) and its migrations, and
// what the `herald store` commands need: the version a database has, the version this binary
// needs, and migrating a database to it.
//
// The version is the one row of herald.schema_version. Migration i (1-based) takes a database
// from version i-1 to version i; ApplyPostgresMigrations runs every missing one, in order, in
// one transaction under an advisory lock, so two processes never migrate at once and a failure
// leaves the old version. Opening a store creates the schema in a database that has none, but
// never migrates an existing one (several nodes share it; an operator runs
// `herald store migrate`); a database newer than this binary is refused. Never edit a released
// migration; append a new one.
#pragma once

#include <span>
#include <string>

#include "common/status.h"

namespace herald {

namespace pg {
class Conn;
}

struct PgMigration {
  const char* description;
  const char* sql;  // one or more statements
};

// The migrations of this build, oldest first; their count is the version it needs.
std::span<const PgMigration> PostgresMigrations();
// The schema version this binary needs (PostgresMigrations().size()).
int PostgresSchemaVersionNeeded();

// The schema version of the database at `url`: 0 when it has no Herald schema.
// Errors: kUnavailable (unreachable, no permission).
Result<int> PostgresSchemaVersion(const std::string& url);
// Brings the database at `url` to PostgresSchemaVersionNeeded(). Errors: kUnavailable when it is
// unreachable, newer than this binary, or a migration fails (nothing is changed then).
Status MigratePostgres(const std::string& url);

namespace pg {
// The schema version on `c` (0 when the database has no Herald schema).
Result<int> SchemaVersion(Conn& c);
// Applies the missing `migrations` on `c` (see above). Errors as MigratePostgres.
Status ApplyMigrations(Conn& c, std::span<const PgMigration> migrations);
}  // namespace pg

}  // namespace herald
