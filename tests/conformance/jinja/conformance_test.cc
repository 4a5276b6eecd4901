// Runs every case of tests/data/jinja2_cases.json (rendered by Python Jinja2 3.1.2), one test per
// case named after it, and requires byte-exact output, or the same error type, phase, message
// and line.
#include <gtest/gtest.h>

#include "corpus.h"

namespace herald::jinja {
namespace {

constexpr const char* kCorpus = "jinja2_cases.json";

class JinjaConformance : public ::testing::TestWithParam<CorpusCase> {};

TEST_P(JinjaConformance, MatchesJinja2) {
  const ConformanceCase& c = GetParam().c;
  CaseResult r = RunConformanceCase(c);
  EXPECT_TRUE(r.passed) << c.name << "\n  expected: " << r.expected << "\n  got:      " << r.got;
}

INSTANTIATE_TEST_SUITE_P(Corpus, JinjaConformance, ::testing::ValuesIn(CorpusCases(kCorpus)),
                         CaseName);

TEST(JinjaConformanceCorpus, Loads) { ExpectCorpusLoads(kCorpus); }

}  // namespace
}  // namespace herald::jinja
