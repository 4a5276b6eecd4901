// Internal error signalling of the template engine. Inside src/jinja errors are C++ exceptions
// (PyError) carrying the Python exception class name, the message and, for syntax errors, the
// line; the public API (jinja.h) converts them to Error values. Nothing here crosses the module.
#pragma once

#include <string>
#include <utility>

#include "common/status.h"

namespace herald::jinja {

struct PyError {
  std::string type;
  std::string message;
  int lineno = 0;
};

[[noreturn]] inline void Throw(std::string type, std::string message, int lineno = 0) {
  throw PyError{std::move(type), std::move(message), lineno};
}
// Raises a failed Status from a custom filter or check as the exception class of its label (the
// code's name when it has none), with its message.
[[noreturn]] inline void Throw(const Status& st, int lineno = 0) {
  Throw(st.label().empty() ? std::string(CodeName(st.code())) : st.label(), st.message(), lineno);
}
[[noreturn]] inline void ThrowType(std::string message) { Throw("TypeError", std::move(message)); }
[[noreturn]] inline void ThrowValue(std::string message) {
  Throw("ValueError", std::move(message));
}

}  // namespace herald::jinja
