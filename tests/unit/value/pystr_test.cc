// Python str semantics (value/pystr.h): the one repr, whitespace and splitlines shared by the
// value printer, the template engine and delivery. Expected strings are what CPython prints.
#include "value/pystr.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

namespace herald {
namespace {

using Views = std::vector<std::string_view>;
using namespace std::string_view_literals;

// Each case: the input and what CPython's repr() prints for it.
struct Case {
  std::string_view in, want;
};

void ExpectRepr(std::string (*repr)(std::string_view), std::initializer_list<Case> cases) {
  for (const Case& c : cases) EXPECT_EQ(repr(c.in), c.want) << "for input " << BytesRepr(c.in);
}

TEST(StrRepr, PicksQuotesAsPython) {
  ExpectRepr(StrRepr, {{"abc", "'abc'"},
                       {"it's", "\"it's\""},
                       {"say \"hi\"", "'say \"hi\"'"},
                       {"both ' \"", "'both \\' \"'"},
                       {"", "''"}});
}

TEST(StrRepr, EscapesControlsAndBackslash) {
  ExpectRepr(StrRepr, {{"a\\b\n\r\t", "'a\\\\b\\n\\r\\t'"},
                       {"\0\x01\x1f\x7f"sv, "'\\x00\\x01\\x1f\\x7f'"},
                       {"\v\f", "'\\x0b\\x0c'"}});
}

TEST(StrRepr, KeepsPrintableUnicodeAndEscapesTheRest) {
  ExpectRepr(
      StrRepr,
      {{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'"},
       {"\xc2\x85\xc2\xa0\xc2\xad", "'\\x85\\xa0\\xad'"},  // C1 control, NBSP, soft hyphen
       {"\xe2\x80\x8b\xe2\x80\xa8\xe3\x80\x80", "'\\u200b\\u2028\\u3000'"},
       {"\xef\xbb\xbf", "'\\ufeff'"},
       {"\xf3\xa0\x80\x81", "'\\U000e0001'"},  // a language tag (Cf)
       {"\xef\xbf\xbd", "'\xef\xbf\xbd'"}});   // U+FFFD itself is printable
}

TEST(StrRepr, ShowsInvalidUtf8BytesAsHexEscapes) {
  ExpectRepr(StrRepr, {{"a\xff"
                        "b",
                        "'a\\xffb'"},
                       {"\xc3", "'\\xc3'"},                               // truncated sequence
                       {"\xe2\x28\xa1", "'\\xe2(\\xa1'"},                 // bad continuation byte
                       {"\xf8\x88\x80\x80", "'\\xf8\\x88\\x80\\x80'"}});  // no 5-byte forms
}

TEST(BytesRepr, EscapesEveryByteOutsidePrintableAscii) {
  ExpectRepr(BytesRepr, {{"it's", "b\"it's\""},
                         {"both ' \"", "b'both \\' \"'"},
                         {"a\\b\n\r\t\x01\x7f", "b'a\\\\b\\n\\r\\t\\x01\\x7f'"},
                         {"\xc3\xa9\xff", "b'\\xc3\\xa9\\xff'"},
                         {"\0"sv, "b'\\x00'"},
                         {"", "b''"}});
}

TEST(AppendCodePointEscape, UsesTheShortestPythonForm) {
  std::string out;
  AppendCodePointEscape(out, 0x7);
  AppendCodePointEscape(out, 0xe9);
  AppendCodePointEscape(out, 0x20ac);
  AppendCodePointEscape(out, 0x1f600);
  EXPECT_EQ(out, "\\x07\\xe9\\u20ac\\U0001f600");
}

TEST(IsPrintable, FollowsPythonOnSamples) {
  for (uint32_t cp : {0x20u, 0x41u, 0x7eu, 0xa1u, 0xe9u, 0x20acu, 0xfffdu, 0x1f600u})
    EXPECT_TRUE(IsPrintable(cp)) << cp;
  for (uint32_t cp : {0x0u, 0x1fu, 0x7fu, 0x9fu, 0xa0u, 0xadu, 0x200bu, 0x2028u, 0xd800u, 0xe000u,
                      0xfeffu, 0xffffu, 0x10ffffu})
    EXPECT_FALSE(IsPrintable(cp)) << cp;
}

TEST(IsPySpace, MatchesPythonsWhitespaceTable) {
  // Every code point CPython's str.isspace() accepts.
  std::vector<uint32_t> spaces = {0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000};
  for (uint32_t cp = 0x09; cp <= 0x0d; ++cp) spaces.push_back(cp);
  for (uint32_t cp = 0x1c; cp <= 0x20; ++cp) spaces.push_back(cp);
  for (uint32_t cp = 0x2000; cp <= 0x200a; ++cp) spaces.push_back(cp);
  size_t found = 0;
  for (uint32_t cp = 0; cp <= 0x10ffff; ++cp) {
    bool expected = std::find(spaces.begin(), spaces.end(), cp) != spaces.end();
    EXPECT_EQ(IsPySpace(cp), expected) << cp;
    found += IsPySpace(cp);
  }
  EXPECT_EQ(found, spaces.size());
}

TEST(PyStrip, StripsUnicodeWhitespaceOnly) {
  EXPECT_EQ(PyStrip(" \t\xc2\xa0x y\xe3\x80\x80\n"), "x y");
  EXPECT_EQ(PyStrip("\xe2\x80\x8bx"), "\xe2\x80\x8bx");  // zero-width space is not whitespace
  EXPECT_EQ(PyStrip(" \xff "), "\xff");                  // an invalid byte is not whitespace
  EXPECT_EQ(PyStrip("   "), "");
  EXPECT_EQ(PyLStrip("  a  "), "a  ");
  EXPECT_EQ(PyLStrip(""), "");
}

TEST(PySpaceAt, ReportsTheCodePointLength) {
  size_t len = 0;
  EXPECT_TRUE(PySpaceAt("a\xe3\x80\x80", 1, &len));
  EXPECT_EQ(len, 3u);
  EXPECT_FALSE(PySpaceAt("a\xe3\x80\x80", 0, &len));
  EXPECT_EQ(len, 1u);
}

TEST(SplitLines, SplitsAtEveryPythonLineBoundary) {
  EXPECT_EQ(SplitLines("a\nb\r\nc\rd\ve\ff\x1cg\x1dh\x1ei\xc2\x85j\xe2\x80\xa8k\xe2\x80\xa9l"),
            (Views{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}));
  EXPECT_EQ(SplitLines("a\n\nb\n"), (Views{"a", "", "b"}));
  EXPECT_EQ(SplitLines(""), Views{});
  EXPECT_EQ(SplitLines("\n"), (Views{""}));
  EXPECT_EQ(SplitLines("x\xc2\xa0y"), (Views{"x\xc2\xa0y"}));  // NBSP is not a break
}

TEST(SplitLines, KeepsEndsWhenAsked) {
  EXPECT_EQ(SplitLines("a\r\nb\rc\xe2\x80\xa8"
                       "d",
                       true),
            (Views{"a\r\n", "b\r", "c\xe2\x80\xa8", "d"}));
  EXPECT_EQ(SplitLines("a\n\n", true), (Views{"a\n", "\n"}));
}

TEST(IsLineBreak, IsTheSplitlinesSet) {
  size_t n = 0;
  for (uint32_t cp = 0; cp <= 0x10ffff; ++cp) n += IsLineBreak(cp);
  EXPECT_EQ(n, 10u);
  EXPECT_TRUE(IsLineBreak(0x2029));
  EXPECT_FALSE(IsLineBreak(0x1f));
}

}  // namespace
}  // namespace herald
