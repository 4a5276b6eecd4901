// Task ids: time-ordered (version 7) UUID strings, e.g. "019ac4f2-7d3a-7b41-8caf-4136c566a962".
// The first 48 bits are the Unix time in milliseconds, so new ids land at the end of the id index
// (cheap B-tree appends instead of random page splits when tens of thousands are written per
// second); the remaining 74 bits are random, so ids stay unguessable and unique.
#pragma once

#include <cstdint>
#include <string>

namespace herald {

// A new UUID v7 in canonical lowercase form, stamped with the current time. Thread-safe (a
// per-thread generator seeded from std::random_device); not for secrets.
std::string NewTaskId();
// The same, stamped with `unix_ms` (milliseconds since the Unix epoch; the low 48 bits are kept).
std::string NewTaskId(int64_t unix_ms);

}  // namespace herald
