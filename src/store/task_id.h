// Task ids: random (version 4) UUID strings, e.g. "3b241101-e2bb-4255-8caf-4136c566a962".
#pragma once

#include <string>

namespace herald {

// A new random UUID v4 in canonical lowercase form. Thread-safe (a per-thread generator seeded
// from std::random_device); not for secrets.
std::string NewTaskId();

}  // namespace herald
