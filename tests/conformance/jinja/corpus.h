// A Jinja2 conformance corpus (tests/data/<file>, the format of docs/templates.md) as
// GoogleTest parameters: one test per case, named after the case, so that a failure names it
// and the count follows the file.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "jinja/conformance.h"
#include "support/files.h"
#include "support/test_names.h"

namespace herald::jinja {

// One case of a corpus (a wrapper, so that GoogleTest prints its name, not its bytes).
struct CorpusCase {
  ConformanceCase c;
  friend void PrintTo(const CorpusCase& k, std::ostream* os) { *os << k.c.name; }
};

// The cases of tests/data/<file>; none, with *error saying why, when it does not load.
inline std::vector<ConformanceCase> ReadCorpus(const std::string& file, std::string* error) {
  std::string text = testing::ReadFile(testing::DataPath(file));
  if (text.empty()) {
    *error = "cannot read tests/data/" + file;
    return {};
  }
  auto cases = ParseConformanceCases(text);
  if (!cases.ok()) {
    *error = "tests/data/" + file + ": " + cases.status().ToString();
    return {};
  }
  return std::move(*cases);
}

// The cases as parameters; none when the file does not load (the suite's load test fails).
inline std::vector<CorpusCase> CorpusCases(const std::string& file) {
  std::string error;
  std::vector<CorpusCase> out;
  for (auto& c : ReadCorpus(file, &error)) out.push_back({std::move(c)});
  return out;
}

// Fails the test unless tests/data/<file> loads with at least one case.
inline void ExpectCorpusLoads(const std::string& file) {
  std::string error;
  EXPECT_FALSE(ReadCorpus(file, &error).empty()) << (error.empty() ? "no cases" : error);
}

// The test name of a case: its name with every character but letters and digits as '_'.
inline std::string CaseName(const ::testing::TestParamInfo<CorpusCase>& info) {
  return testing::TestNameOf(info.param.c.name);
}

}  // namespace herald::jinja
