// What the PostgreSQL store's task files (pg_tasks.cc, pg_leases.cc) share: finding a task in
// the queue or the history, locked for the transaction.
#pragma once

#include <optional>
#include <string>

#include "store/postgres/pg_internal.h"

namespace herald::pg_store {

struct TaskRef {
  int64_t seq = 0;
  int status = 0;
  std::string worker;
  int attempts = 0;
  TimeUs due_at = 0;
  int64_t lease_token = 0;
};

// The task `id`, looked for in the queue and then the history, locked (FOR UPDATE) until the
// transaction ends; nullopt when there is none.
Result<std::optional<TaskRef>> FindTaskRef(Conn& c, const std::string& id);

// "queued", "started", ...
std::string StatusWord(int status);

}  // namespace herald::pg_store
