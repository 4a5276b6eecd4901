// What the PostgreSQL store's task files (pg_tasks.cc, pg_leases.cc) share: finding a task in
// the queue or the history, locked for the transaction.
#pragma once

#include <optional>
#include <string>

#include "store/postgres/pg_internal.h"

namespace herald::pg_store {

// The task `id` (sql::TaskRef), looked for in the queue and then the history, locked (FOR
// UPDATE) until the transaction ends; nullopt when there is none.
sql::FoundTask FindTaskRef(Conn& c, const std::string& id);

}  // namespace herald::pg_store
