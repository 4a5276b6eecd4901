// Runs every case of tests/data/jinja2_cases.json (rendered by Python Jinja2 3.1.2) and
// requires byte-exact output, or the same error type, phase, message and line.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "jinja/conformance.h"

namespace herald::jinja {
namespace {

std::vector<ConformanceCase> LoadCases() {
  std::ifstream f(std::string(HERALD_SOURCE_DIR) + "/tests/data/jinja2_cases.json", std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  auto cases = ParseConformanceCases(ss.str());
  if (!cases.ok()) return {};
  return *cases;
}

TEST(JinjaConformance, AllCasesMatchJinja2) {
  std::vector<ConformanceCase> cases = LoadCases();
  ASSERT_EQ(cases.size(), 640u);
  int failed = 0;
  for (const auto& c : cases) {
    CaseResult r = RunConformanceCase(c);
    if (!r.passed) {
      ++failed;
      ADD_FAILURE() << c.name << "\n  expected: " << r.expected << "\n  got:      " << r.got;
    }
  }
  std::cout << (cases.size() - failed) << " passed, " << failed << " failed\n";
  EXPECT_EQ(failed, 0);
}

}  // namespace
}  // namespace herald::jinja
