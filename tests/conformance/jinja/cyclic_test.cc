// Runs every case of tests/data/jinja2_cyclic_cases.json (generated from Python Jinja2 3.1.2 by
// gen_cyclic_cases.py), one test per case named after it: self-referencing and very deep
// structures walked by every operator, filter, test and method that recurses into values, plus
// very deep templates. Herald must give Jinja2's output or error, or, where a case names one,
// the error of Herald's own limit.
#include <gtest/gtest.h>

#include "corpus.h"

namespace herald::jinja {
namespace {

constexpr const char* kCorpus = "jinja2_cyclic_cases.json";

class JinjaCyclic : public ::testing::TestWithParam<CorpusCase> {};

TEST_P(JinjaCyclic, MatchesJinja2) {
  const ConformanceCase& c = GetParam().c;
  // Deep cases build 100,000-level structures: the deadline is raised so that a busy machine
  // (or a sanitizer build) cannot turn their expected RecursionError into a deadline error.
  Limits limits;
  limits.deadline = std::chrono::milliseconds(600000);
  CaseResult r = RunConformanceCase(c, &limits);
  EXPECT_TRUE(r.passed) << c.name << "\n  template: " << c.tmpl.substr(0, 300)
                        << "\n  expected: " << r.expected.substr(0, 300)
                        << "\n  got:      " << r.got.substr(0, 300);
}

INSTANTIATE_TEST_SUITE_P(Corpus, JinjaCyclic, ::testing::ValuesIn(CorpusCases(kCorpus)),
                         CaseName);

TEST(JinjaCyclicCorpus, Loads) { ExpectCorpusLoads(kCorpus); }

}  // namespace
}  // namespace herald::jinja
