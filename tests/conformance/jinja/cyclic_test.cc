// Runs every case of tests/data/jinja2_cyclic_cases.json (generated from Python Jinja2 3.1.2 by
// gen_cyclic_cases.py): self-referencing and very deep structures walked by every operator,
// filter, test and method that recurses into values, plus very deep templates. Herald must give
// Jinja2's output or error, or, where a case names one, the error of Herald's own limit.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "jinja/conformance.h"

namespace herald::jinja {
namespace {

std::vector<ConformanceCase> LoadCases() {
  std::ifstream f(std::string(HERALD_SOURCE_DIR) + "/tests/data/jinja2_cyclic_cases.json", std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  auto cases = ParseConformanceCases(ss.str());
  if (!cases.ok()) return {};
  return *cases;
}

TEST(JinjaCyclic, AllCasesMatchJinja2) {
  std::vector<ConformanceCase> cases = LoadCases();
  ASSERT_GT(cases.size(), 700u);
  // Deep cases build 100,000-level structures: the deadline is raised so that a busy machine
  // (or a sanitizer build) cannot turn their expected RecursionError into a deadline error.
  Limits limits;
  limits.deadline = std::chrono::milliseconds(600000);
  int failed = 0;
  for (const auto& c : cases) {
    CaseResult r = RunConformanceCase(c, &limits);
    if (!r.passed) {
      ++failed;
      ADD_FAILURE() << c.name << "\n  template: " << c.tmpl.substr(0, 300) << "\n  expected: "
                    << r.expected.substr(0, 300) << "\n  got:      " << r.got.substr(0, 300);
    }
  }
  std::cout << (cases.size() - failed) << " passed, " << failed << " failed\n";
  EXPECT_EQ(failed, 0);
}

}  // namespace
}  // namespace herald::jinja
