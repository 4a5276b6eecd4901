// Entry points for the `herald template ...` CLI commands (apps/herald/main.cc calls these).
#pragma once

#include <ostream>
#include <string>

namespace herald::jinja {

// `herald template render --template FILE --context FILE [--strict]`.
// Reads the template source and a JSON context (an object; its keys become variables), renders
// with the NetBox-style environment (sandboxed, autoescape off, StrictUndefined when `strict`).
// On success writes the output (exactly, no newline added) to `out` and returns 0. On failure
// writes "Type: message" (plus " (line N)" for syntax errors) and a newline to `err` and
// returns 1. File/JSON problems are reported the same way (types IOError / JSONDecodeError).
int RunTemplateRender(const std::string& template_path, const std::string& context_path,
                      bool strict, std::ostream& out, std::ostream& err);

// `herald template conformance FILE`.
// Runs every case of a cases.json-format file (see docs/templates.md): compiles and renders
// each with the case's options, undefined mode and named templates, and compares output or error
// type/phase/message (and line for syntax errors). Lists each failure with expected vs got, then
// ends with the line "N passed, M failed". Returns 0 when all passed, 1 otherwise (2 when the
// file cannot be read or parsed).
int RunTemplateConformance(const std::string& cases_path, std::ostream& out);

// Reads the whole file at `path` (binary) into `out`; false when it cannot be opened. The template
// commands' (and `herald template bench`'s) file reader.
bool ReadFile(const std::string& path, std::string* out);

}  // namespace herald::jinja
