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

TEST(PyRegex, AnchoredAtStartOnly) {
  EXPECT_TRUE(Matches("[a-z]+", "abc123"));  // end not anchored
  EXPECT_FALSE(Matches("b", "abc"));         // start anchored
  EXPECT_TRUE(Matches("a|b", "bz"));         // anchoring covers every alternative
  EXPECT_FALSE(Matches("x|b", "ab"));
  EXPECT_TRUE(Matches("x*", ""));
  EXPECT_TRUE(Matches(".*b", "aab"));
}

TEST(PyRegex, DollarAndBackslashZ) {
  EXPECT_TRUE(Matches("abc$", "abc\n"));     // $ also before a final newline
  EXPECT_FALSE(Matches("abc\\Z", "abc\n"));  // Python \Z is the very end
  EXPECT_TRUE(Matches("abc\\Z", "abc"));
}

TEST(PyRegex, UnicodeClassesByDefault) {
  EXPECT_TRUE(Matches("\\d+", "\xd9\xa1\xd9\xa2"));  // Arabic-Indic digits
  EXPECT_TRUE(Matches("\\w+$", "h\xc3\xa9llo"));
  EXPECT_TRUE(Matches("(?i)\xc3\x89T\xc3\x89", "\xc3\xa9t\xc3\xa9"));
  EXPECT_TRUE(Matches("^.$", "\xc3\xa9"));  // one code point
}

TEST(PyRegex, PythonOnlySyntaxIsTranslated) {
  EXPECT_TRUE(Matches("a{,2}b", "aab"));
  EXPECT_TRUE(Matches("\\u00e9", "\xc3\xa9"));
  EXPECT_TRUE(Matches("\\U0001F600", "\xf0\x9f\x98\x80"));
  EXPECT_TRUE(Matches("a\\v", "a\x0b"));
  EXPECT_FALSE(Matches("a\\v", "a\n"));  // PCRE2's \v would match any vertical space
  EXPECT_TRUE(Matches("\\101", "A"));    // octal
  EXPECT_TRUE(Matches("(a)\\1", "aa"));  // back-reference
  EXPECT_TRUE(Matches("(?P<x>a)(?P=x)", "aa"));
  EXPECT_TRUE(Matches("[\\b]", "\b"));
}

TEST(PyRegex, PosixClassSyntaxIsLiteralLikePython) {
  EXPECT_FALSE(Matches("[[:alpha:]]", "a"));
  EXPECT_TRUE(Matches("[[:alpha:]]", ":]"));
  EXPECT_TRUE(Matches("[]a]", "]"));
}

TEST(PyRegex, VerboseFlag) {
  EXPECT_TRUE(Matches("(?x) a b  # comment \\p\n c", "abc"));
}

TEST(PyRegex, RejectsWhatPythonRejects) {
  EXPECT_EQ(CompileError("\\p{L}"), "bad escape \\p at position 0");
  EXPECT_EQ(CompileError("\\K"), "bad escape \\K at position 0");
  EXPECT_EQ(CompileError("[\\A]"), "bad escape \\A at position 1");
  EXPECT_EQ(CompileError("(?<n>a)"), "unknown extension ?<n at position 1");
  EXPECT_EQ(CompileError("(*UTF)a"), "nothing to repeat at position 1");
  EXPECT_EQ(CompileError("a(?i)b"), "global flags not at the start of the expression at position 1");
  EXPECT_NE(CompileError("("), "compiled");
  EXPECT_NE(CompileError("[a"), "compiled");
  EXPECT_NE(CompileError("a**"), "compiled");
  EXPECT_NE(CompileError("\\x4"), "compiled");
}

TEST(PyRegex, GroupReferencesCheckedLikePython) {
  EXPECT_EQ(CompileError("(\\1)"), "cannot refer to an open group at position 1");
  EXPECT_EQ(CompileError("\\1(a)"), "invalid group reference 1 at position 1");
  EXPECT_EQ(CompileError("(?P=n)(?P<n>a)"), "unknown group name 'n' at position 4");
  EXPECT_EQ(CompileError("\\b*"), "nothing to repeat at position 2");
  EXPECT_TRUE(Matches("(?P<n>a)(?(n)b|c)", "ab"));
  EXPECT_TRUE(Matches("a(?#comment (with paren)b", "ab"));
}

TEST(PyRegex, NonWordBoundaryNeverMatchesEmptyString) {
  EXPECT_FALSE(Matches("\\B", ""));  // CPython < 3.14 quirk
  EXPECT_TRUE(Matches("a\\B", "ab"));
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
