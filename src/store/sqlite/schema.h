// The SQLite store's schema and its migrations.
//
// The schema version lives in the database header (PRAGMA user_version). Migration i (1-based)
// takes a database from version i-1 to version i; ApplyMigrations runs every missing one, in
// order, inside one IMMEDIATE transaction, so a crash mid-migration leaves the old version.
// A database whose version is newer than the list is refused: this binary cannot know what
// a newer Herald stored. Never edit a released migration; append a new one.
#pragma once

#include <sqlite3.h>

#include <span>

#include "common/status.h"

namespace herald::sqlite {

struct Migration {
  const char* description;
  const char* sql;  // one or more statements
};

// The migrations of this build, oldest first; their count is the current schema version.
std::span<const Migration> SchemaMigrations();

// Brings `db` to version migrations.size(). Errors: kUnavailable when the database is newer than
// `migrations` ("... schema version N is newer than this Herald build supports (M) ...") or a
// migration fails (then nothing is changed). Not thread-safe; call before sharing `db`.
Status ApplyMigrations(sqlite3* db, std::span<const Migration> migrations);

// The schema version recorded in `db` (PRAGMA user_version); -1 on error.
int SchemaVersion(sqlite3* db);

}  // namespace herald::sqlite
