// Composition root: configuration -> store -> API/server/workers, and the CLI commands'
// implementations. apps/herald/main.cc only parses the command line, loads the Config and calls
// these with its settings. The version (kHeraldVersion) comes from herald_version.h, generated
// from CMake's project().
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "app/config.h"
#include "herald_version.h"

namespace herald {

// `herald serve`: runs until SIGINT/SIGTERM. Returns the process exit code.
int RunServe(const Settings& settings);

// `herald worker`: delivery workers only (no API), until SIGINT/SIGTERM.
int RunWorker(const Settings& settings);

// `herald token create|list|revoke`.
int RunTokenCreate(const Settings& settings, const std::string& scope, const std::string& name);
int RunTokenList(const Settings& settings);
int RunTokenRevoke(const Settings& settings, int64_t id);

// `herald tasks list|show|requeue|delete`.
int RunTasksList(const Settings& settings, const std::string& status, int64_t limit, bool json);
int RunTasksShow(const Settings& settings, const std::string& id);
int RunTasksRequeue(const Settings& settings, const std::string& id, bool all_failed);
int RunTasksDelete(const Settings& settings, const std::string& id);

// `herald store migrate`: creates the schema of the configured store, or upgrades it to this
// binary's version; prints "from -> to". Idempotent.
int RunStoreMigrate(const Settings& settings);

// `herald store backup --to FILE [--force]`: an online, consistent copy of an SQLite store.
// Exit 2 for a PostgreSQL store (use pg_dump) or another unsupported URL.
int RunStoreBackup(const Settings& settings, const std::string& to, bool force);

// `herald store copy --from URL --to URL [--into-non-empty]` (store/copy.h). `batch_events`
// and the hidden `stop_after_batches` (tests of resumption) are CopyOptions'.
struct StoreCopyArgs {
  std::string from, to;
  bool into_non_empty = false;
  int64_t batch_events = 0;        // 0: the default
  int64_t stop_after_batches = 0;  // 0: never
};
int RunStoreCopy(const StoreCopyArgs& args);

}  // namespace herald
