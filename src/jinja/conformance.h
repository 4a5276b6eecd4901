// The conformance-case format (tests/data/jinja2_cases.json, see docs/templates.md) and a
// runner shared by the CLI, the GoogleTest conformance suite and the differential test.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "jinja/jinja.h"
#include "value/value.h"

namespace herald::jinja {

struct ConformanceCase {
  std::string name;
  std::string tmpl;
  Value context;  // dict
  bool strict = false;
  bool trim_blocks = false, lstrip_blocks = false, keep_trailing_newline = false;
  bool autoescape = false;
  std::map<std::string, std::string> templates;
  bool expect_error = false;
  std::string output;                        // when !expect_error
  std::string err_type, err_message, phase;  // when expect_error
  int lineno = 0;                            // syntax errors only
  // "ids": every "id=<digits>" is replaced by "id=N" in both the expected and the actual text
  // (pprint's recursion marker holds a Python object id).
  std::string normalize;
  // Where Herald deliberately differs from Jinja2 (a named limit ends the render before Python
  // would), the error type Herald must give instead; only the type is then compared.
  std::string herald_err_type;
};

struct CaseResult {
  bool passed = false;
  std::string expected, got;  // printable descriptions
};

// Parses a cases.json document ({"cases": [...]}).
Result<std::vector<ConformanceCase>> ParseConformanceCases(std::string_view json);
// Compiles and renders one case; compares output or error type, phase, message and line.
// `limits` replaces the default render limits when given (a test on a busy machine raises the
// deadline so that only the limit a case is about can end it).
CaseResult RunConformanceCase(const ConformanceCase& c, const Limits* limits = nullptr);

}  // namespace herald::jinja
