// Jinja2's tojson: json.dumps(value, sort_keys=True[, indent]) with <, >, &, ' escaped as
// \u003c..., ASCII only. TypeError for values JSON cannot represent (Undefined, ...).
#pragma once

#include <string>

#include "value/value.h"

namespace herald::jinja {

void ToJson(const Value& v, int indent, std::string& out);

}  // namespace herald::jinja
