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

}  // namespace
}  // namespace herald
