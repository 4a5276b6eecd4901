// What the builtin-method files share, private to them (methods.cc, methods_str.cc): Python's
// argument-count and int-argument checks with CPython 3.11's messages, and the str (and Markup)
// method dispatcher that methods.cc's CallMethod hands string receivers to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "jinja/render.h"

namespace herald::jinja::methods {

using Args = CallValues;

// TypeError unless `a` has no keywords and between lo and hi positional arguments, worded as
// CPython words it for `name`.
void ArgCount(const char* name, const Args& a, size_t lo, size_t hi);
// An index-sized int argument (int, bool or big int in range); TypeError or OverflowError as
// Python raises them otherwise.
int64_t IntArg(const Value& v);

// Calls str.<name> (or Markup.<name>) on recv, whose text is s; TypeError for a method templates
// may not call.
Value StrMethod(Interp& in, const Value& recv, const std::string& s, const std::string& name,
                Args& a);

}  // namespace herald::jinja::methods
