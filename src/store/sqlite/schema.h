// The SQLite store's schema and its migrations.
//
// The schema version lives in the database header (PRAGMA user_version). Migration i (1-based)
// takes a database from version i-1 to version i; ApplyMigrations runs every missing one, in
// order, inside one IMMEDIATE transaction, so a crash mid-migration leaves the old version.
// Whether a version may be created, upgraded or must be refused is store.h's schema-version
// rule (SchemaPolicy). Never edit a released migration; append a new one.
#pragma once

#include <sqlite3.h>

#include <span>
#include <string>

#include "common/status.h"
#include "store/store.h"

namespace herald::sqlite {

struct Migration {
  const char* description;
  const char* sql;  // one or more statements
};

// The migrations of this build, oldest first; their count is the current schema version.
std::span<const Migration> SchemaMigrations();

// Opens the schema of `db` under `policy` (store.h's schema-version rule, CheckSchemaVersion;
// `url` names the store in its messages), inside one IMMEDIATE transaction that also judges the
// version, so two processes opening one new file agree: creates the schema in an empty database,
// runs the missing migrations of an older one under kMigrate. Returns the versions found and
// reached. Errors (kUnavailable): a version refused by the rule, a database with tables but no
// version (not a Herald store), a failed migration (then nothing is changed). Not thread-safe;
// call before sharing `db`.
Result<SchemaVersions> OpenSchema(sqlite3* db, std::span<const Migration> migrations,
                                  SchemaPolicy policy, const std::string& url);

// OpenSchema with kMigrate: brings `db` to version migrations.size().
Status ApplyMigrations(sqlite3* db, std::span<const Migration> migrations);

// The schema version recorded in `db` (PRAGMA user_version); -1 on error.
int SchemaVersion(sqlite3* db);

}  // namespace herald::sqlite
