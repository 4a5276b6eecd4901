// Python string formatting: printf-style `str % args` and `str.format()` with the format-spec
// mini-language, as CPython 3.11 implements them (messages included). Attribute lookups inside
// replacement fields go through the caller's (sandboxed) getattr.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "jinja/objects.h"
#include "value/value.h"

namespace herald::jinja {

// fmt % args. With escape_args (Markup % ...), %s/%r arguments are HTML-escaped.
std::string PercentFormat(std::string_view fmt, const Value& args, bool escape_args);

using AttrFn = std::function<Value(const Value& obj, const std::string& attr)>;
// fmt.format(*args, **kwargs). With escape_fields (Markup.format), each field's text is escaped
// unless the value is Markup.
std::string StrFormat(std::string_view fmt, const CallValues& args, const AttrFn& getattr,
                      bool escape_fields);
// format(value, spec).
std::string FormatValue(const Value& v, std::string_view spec);

}  // namespace herald::jinja
