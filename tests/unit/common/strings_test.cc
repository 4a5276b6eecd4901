// Tests for the shared ASCII string helpers (common/strings.h).
#include "common/strings.h"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(AsciiLower, FoldsOnlyAsciiLetters) {
  EXPECT_EQ(AsciiLower("Content-TYPE: X"), "content-type: x");
  EXPECT_EQ(AsciiLower("\xC3\x84Z"), "\xC3\x84z");  // UTF-8 bytes untouched
  EXPECT_EQ(AsciiLower(""), "");
}

TEST(EqualsIgnoreCase, ComparesAsciiCaseInsensitively) {
  EXPECT_TRUE(EqualsIgnoreCase("Transfer-Encoding", "transfer-encoding"));
  EXPECT_FALSE(EqualsIgnoreCase("Host", "Hosts"));
  EXPECT_FALSE(EqualsIgnoreCase("\xC3\x84", "\xC3\xA4"));  // no Unicode folding
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
}

TEST(ContainsIgnoreCase, FindsALowerCaseNeedle) {
  EXPECT_TRUE(ContainsIgnoreCase("Slack Webhook", "webhook"));
  EXPECT_FALSE(ContainsIgnoreCase("Slack", "webhook"));
  EXPECT_TRUE(ContainsIgnoreCase("anything", ""));
}

TEST(TrimBlanks, StripsSpacesAndTabsOnly) {
  EXPECT_EQ(TrimBlanks(" \t a b \t"), "a b");
  EXPECT_EQ(TrimBlanks("\r\nx\r\n"), "\r\nx\r\n");
  EXPECT_EQ(TrimBlanks("   "), "");
}

TEST(HexEncode, LowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(HexEncode(std::string_view("\x00\x0f\xff\xa5", 4)), "000fffa5");
  EXPECT_EQ(HexEncode(std::string_view()), "");
}

TEST(AppendHex, PadsToTheWidthAndPicksTheCase) {
  std::string out;
  AppendHex(out, 0xe9, 4);
  AppendHex(out, 0xe9, 2, /*upper=*/true);
  AppendHex(out, 0x1f600, 8);
  AppendHex(out, 0xabc, 2);  // only the low digits
  EXPECT_EQ(out, "00e9E90001f600bc");
  EXPECT_EQ(HexDigit(10), 'a');
  EXPECT_EQ(HexDigit(0x1f, /*upper=*/true), 'F');
}

TEST(HexValue, DecodesEitherCaseAndRejectsTheRest) {
  EXPECT_EQ(HexValue('0'), 0);
  EXPECT_EQ(HexValue('9'), 9);
  EXPECT_EQ(HexValue('a'), 10);
  EXPECT_EQ(HexValue('F'), 15);
  EXPECT_EQ(HexValue('g'), -1);
  EXPECT_EQ(HexValue('%'), -1);
}

TEST(HtmlEscape, EscapesLikeMarkupsafe) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">Tom & 'Jerry'</a>"),
            "&lt;a href=&#34;x&#34;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("plain"), "plain");
}

TEST(PercentEncode, KeepsUnreservedAndOptionallySlashes) {
  EXPECT_EQ(PercentEncode("a b/c~d.e-f_g"), "a%20b%2Fc~d.e-f_g");
  EXPECT_EQ(PercentEncode("/api/x y/", true), "/api/x%20y/");
  EXPECT_EQ(PercentEncode("\xC3\xA9&="), "%C3%A9%26%3D");
  // Python's quote_plus(s, safe=""): spaces become '+', '/' and '+' are encoded.
  EXPECT_EQ(PercentEncode("a b/c+d", false, /*space_as_plus=*/true), "a+b%2Fc%2Bd");
}

}  // namespace
}  // namespace herald
