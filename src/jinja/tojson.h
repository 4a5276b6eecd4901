// Jinja2's tojson: json.dumps(value, sort_keys=True[, indent]) with <, >, &, ' escaped as
// \u003c..., ASCII only, written by the shared JSON writer (value/json.h). Throws TypeError for
// values JSON cannot represent (Undefined, ...) and keys that do not sort, ValueError for a
// container inside itself, and the render's size limit (CheckSize) as the output grows.
#pragma once

#include <string>

#include "value/value.h"

namespace herald::jinja {

std::string ToJson(const Value& v, int indent);
// The same, appended to out.
void ToJsonTo(const Value& v, int indent, std::string& out);

}  // namespace herald::jinja
