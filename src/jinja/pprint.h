// Python's pprint.pformat (width 80, sorted dict keys) as the `pprint` filter prints values.
#pragma once

#include <string>

#include "value/value.h"

namespace herald::jinja {

// pprint.pformat(v). A container that contains itself prints "<Recursion on list with id=N>";
// nesting is bounded by the value depth (RecursionError) and the result by the string limit.
std::string PPrint(const Value& v);

}  // namespace herald::jinja
