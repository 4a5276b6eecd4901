// PyRegex: Python re.match semantics on PCRE2. Expected values were checked with CPython 3.11.
#include "conditions/py_regex.h"

#include <gtest/gtest.h>

namespace herald::conditions {
namespace {

bool Matches(const std::string& pattern, const std::string& subject) {
  Result<PyRegex> re = PyRegex::Compile(pattern);
  EXPECT_TRUE(re.ok()) << pattern << ": " << re.status().ToString();
  if (!re.ok()) return false;
  Result<bool> m = re->Match(subject);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() && *m;
}

std::string CompileError(const std::string& pattern) {
  Result<PyRegex> re = PyRegex::Compile(pattern);
  if (re.ok()) return "compiled";
  EXPECT_EQ(re.status().label(), "re.error");
  return re.status().message();
}

// What Python's re.match answers for a pattern and a subject.
struct MatchCase {
  const char* topic;  // what the case is about (names the test)
  const char* pattern;
  std::string subject;
  bool matches;
};

const MatchCase kMatchCases[] = {
    // Anchored at the start only: the end is free; the anchor covers every alternative.
    {"anchored", "[a-z]+", "abc123", true},
    {"anchored", "b", "abc", false},
    {"anchored", "a|b", "bz", true},
    {"anchored", "x|b", "ab", false},
    {"anchored", "x*", "", true},
    {"anchored", ".*b", "aab", true},
    // $ also matches before a final newline; Python's \Z is the very end.
    {"dollar", "abc$", "abc\n", true},
    {"dollar", "abc\\Z", "abc\n", false},
    {"dollar", "abc\\Z", "abc", true},
    // Unicode classes by default.
    {"unicode", "\\d+", "\xd9\xa1\xd9\xa2", true},  // Arabic-Indic digits
    {"unicode", "\\w+$", "h\xc3\xa9llo", true},
    {"unicode", "(?i)\xc3\x89T\xc3\x89", "\xc3\xa9t\xc3\xa9", true},
    {"unicode", "^.$", "\xc3\xa9", true},  // one code point
    // Python-only syntax is translated.
    {"python_syntax", "a{,2}b", "aab", true},
    {"python_syntax", "\\u00e9", "\xc3\xa9", true},
    {"python_syntax", "\\U0001F600", "\xf0\x9f\x98\x80", true},
    {"python_syntax", "a\\v", "a\x0b", true},
    {"python_syntax", "a\\v", "a\n", false},  // PCRE2's \v would match any vertical space
    {"python_syntax", "\\101", "A", true},    // octal
    {"python_syntax", "(a)\\1", "aa", true},  // back-reference
    {"python_syntax", "(?P<x>a)(?P=x)", "aa", true},
    {"python_syntax", "[\\b]", "\b", true},
    {"python_syntax", "(?P<n>a)(?(n)b|c)", "ab", true},
    {"python_syntax", "a(?#comment (with paren)b", "ab", true},
    // POSIX class syntax is literal, as in Python.
    {"posix_class", "[[:alpha:]]", "a", false},
    {"posix_class", "[[:alpha:]]", ":]", true},
    {"posix_class", "[]a]", "]", true},
    {"verbose", "(?x) a b  # comment \\p\n c", "abc", true},
    // \B never matches the empty string (a CPython < 3.14 quirk).
    {"non_word_boundary", "\\B", "", false},
    {"non_word_boundary", "a\\B", "ab", true},
};

class PyRegexMatch : public ::testing::TestWithParam<MatchCase> {};

TEST_P(PyRegexMatch, AsPythonReMatch) {
  const MatchCase& c = GetParam();
  EXPECT_EQ(Matches(c.pattern, c.subject), c.matches) << c.pattern;
}

INSTANTIATE_TEST_SUITE_P(Python, PyRegexMatch, ::testing::ValuesIn(kMatchCases),
                         [](const ::testing::TestParamInfo<MatchCase>& i) {
                           return std::string(i.param.topic) + "_" + std::to_string(i.index);
                         });

// Patterns Python refuses, with re.error's message ("" where any message will do).
const std::pair<const char*, const char*> kRefused[] = {
    {"\\p{L}", "bad escape \\p at position 0"},
    {"\\K", "bad escape \\K at position 0"},
    {"[\\A]", "bad escape \\A at position 1"},
    {"(?<n>a)", "unknown extension ?<n at position 1"},
    {"(*UTF)a", "nothing to repeat at position 1"},
    {"a(?i)b", "global flags not at the start of the expression at position 1"},
    {"(\\1)", "cannot refer to an open group at position 1"},
    {"\\1(a)", "invalid group reference 1 at position 1"},
    {"(?P=n)(?P<n>a)", "unknown group name 'n' at position 4"},
    {"\\b*", "nothing to repeat at position 2"},
    {"(", ""},
    {"[a", ""},
    {"a**", ""},
    {"\\x4", ""},
};

TEST(PyRegex, RejectsWhatPythonRejects) {
  for (const auto& [pattern, message] : kRefused) {
    std::string got = CompileError(pattern);
    EXPECT_NE(got, "compiled") << pattern;
    if (*message) {
      EXPECT_EQ(got, message) << pattern;
    }
  }
}

TEST(PyRegex, StepLimitIsAnErrorNotAHang) {
  Result<PyRegex> re = PyRegex::Compile("(a+)+$");
  ASSERT_TRUE(re.ok());
  std::string subject(40, 'a');
  subject += '!';
  Result<bool> m = re->Match(subject);
  // JIT or interpreter: either it finishes (false) or reports the limit; never true.
  if (m.ok()) {
    EXPECT_FALSE(*m);
  } else {
    EXPECT_EQ(m.status().code(), Code::kResourceExhausted);
  }
}

TEST(PyRegex, CatastrophicBacktrackingHitsTheStepLimit) {
  Result<PyRegex> re = PyRegex::Compile("^(a+)+$");
  ASSERT_TRUE(re.ok());
  Result<bool> m = re->Match(std::string(30, 'a') + "!");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Code::kResourceExhausted);
  EXPECT_NE(m.status().message().find("match step limit"), std::string::npos)
      << m.status().message();
}

TEST(PyRegex, DeepBacktrackingIsBoundedNotACrash) {
  // Each repetition of a capturing alternation leaves a backtracking point: on a long subject
  // the JIT runs out of its stack, the interpreter takes over and stops at the depth/heap limit
  // (or the step limit) instead of growing without bound.
  Result<PyRegex> re = PyRegex::Compile("(a|b)*c");
  ASSERT_TRUE(re.ok());
  Result<bool> m = re->Match(std::string(2'000'000, 'a'));
  if (m.ok()) {
    EXPECT_FALSE(*m);
  } else {
    EXPECT_EQ(m.status().code(), Code::kResourceExhausted) << m.status().message();
  }
  // Ordinary subjects still match.
  EXPECT_TRUE(Matches("(a|b)*c", std::string(1000, 'a') + "c"));
}

}  // namespace
}  // namespace herald::conditions
