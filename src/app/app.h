// Composition root: configuration -> store -> API/server/workers, and the CLI commands'
// implementations. apps/herald/main.cc only parses the command line and calls these.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "app/config.h"

namespace herald {

extern const char* const kHeraldVersion;

// `herald serve`: runs until SIGINT/SIGTERM. Returns the process exit code.
int RunServe(const Config& config);

// `herald worker`: delivery workers only (no API), until SIGINT/SIGTERM.
int RunWorker(const Config& config);

// `herald token create|list|revoke`.
int RunTokenCreate(const Config& config, const std::string& scope, const std::string& name);
int RunTokenList(const Config& config);
int RunTokenRevoke(const Config& config, int64_t id);

// `herald tasks list|show|requeue|delete`.
int RunTasksList(const Config& config, const std::string& status, int64_t limit, bool json);
int RunTasksShow(const Config& config, const std::string& id);
int RunTasksRequeue(const Config& config, const std::string& id, bool all_failed);
int RunTasksDelete(const Config& config, const std::string& id);

}  // namespace herald
