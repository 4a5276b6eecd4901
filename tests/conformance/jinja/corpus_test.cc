// Runs every case of one Jinja2 corpus (tests/data/<HERALD_CORPUS>, the format of
// docs/templates.md), one test per case named after it, so that a failure names the case and the
// count follows the file. Herald must give Jinja2's output byte for byte, or the same error type,
// phase, message and line, or, where a case names one, the error of Herald's own limit.
// Built twice (tests/conformance/jinja/CMakeLists.txt):
//   jinja_conformance  jinja2_cases.json, rendered by Python Jinja2 3.1.2;
//   jinja_cyclic       jinja2_cyclic_cases.json (gen_cyclic_cases.py): self-referencing and
//                      very deep structures walked by every operator, filter, test and method
//                      that recurses into values, and very deep templates. Its deep cases build
//                      100,000-level structures, so the render deadline is raised
//                      (HERALD_CORPUS_DEADLINE_MS): a busy machine or a sanitizer build cannot
//                      turn their expected RecursionError into a deadline error.
#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "jinja/conformance.h"
#include "support/files.h"
#include "support/test_names.h"

namespace herald::jinja {
namespace {

constexpr const char* kCorpus = HERALD_CORPUS;

// One case of a corpus (a wrapper, so that GoogleTest prints its name, not its bytes).
struct CorpusCase {
  ConformanceCase c;
  friend void PrintTo(const CorpusCase& k, std::ostream* os) { *os << k.c.name; }
};

// The cases of tests/data/<file>; none, with *error saying why, when it does not load.
std::vector<ConformanceCase> ReadCorpus(const std::string& file, std::string* error) {
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
std::vector<CorpusCase> CorpusCases(const std::string& file) {
  std::string error;
  std::vector<CorpusCase> out;
  for (auto& c : ReadCorpus(file, &error)) out.push_back({std::move(c)});
  return out;
}

// Fails the test unless tests/data/<file> loads with at least one case.
void ExpectCorpusLoads(const std::string& file) {
  std::string error;
  EXPECT_FALSE(ReadCorpus(file, &error).empty()) << (error.empty() ? "no cases" : error);
}

// The test name of a case: its name with every character but letters and digits as '_'.
std::string CaseName(const ::testing::TestParamInfo<CorpusCase>& info) {
  return testing::TestNameOf(info.param.c.name);
}

class JinjaCorpus : public ::testing::TestWithParam<CorpusCase> {};

TEST_P(JinjaCorpus, MatchesJinja2) {
  const ConformanceCase& c = GetParam().c;
  Limits limits;
#ifdef HERALD_CORPUS_DEADLINE_MS
  limits.deadline = std::chrono::milliseconds(HERALD_CORPUS_DEADLINE_MS);
#endif
  CaseResult r = RunConformanceCase(c, &limits);
  EXPECT_TRUE(r.passed) << c.name << "\n  template: " << c.tmpl.substr(0, 300)
                        << "\n  expected: " << r.expected.substr(0, 2000)
                        << "\n  got:      " << r.got.substr(0, 2000);
}

INSTANTIATE_TEST_SUITE_P(Cases, JinjaCorpus, ::testing::ValuesIn(CorpusCases(kCorpus)), CaseName);

TEST(JinjaCorpusFile, Loads) { ExpectCorpusLoads(kCorpus); }

}  // namespace
}  // namespace herald::jinja
