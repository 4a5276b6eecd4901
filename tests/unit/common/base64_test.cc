// Base64: RFC 4648's test vectors both ways; decoding refuses what is not canonical base64.
#include "common/base64.h"

#include <gtest/gtest.h>

#include <string>

#include "support/cases.h"

namespace herald {
namespace {

TEST(Base64, Rfc4648VectorsRoundTrip) {
  const std::vector<testing::StringPair> cases = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [bytes, text] : cases) {
    EXPECT_EQ(Base64Encode(bytes), text) << bytes;
    EXPECT_EQ(Base64Decode(text), std::optional<std::string>(bytes)) << text;
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(Base64Decode(Base64Encode(all)), std::optional<std::string>(all));
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
}

TEST(Base64, UnpaddedInputDecodes) {
  EXPECT_EQ(Base64Decode("Zg"), std::optional<std::string>("f"));
  EXPECT_EQ(Base64Decode("Zm8"), std::optional<std::string>("fo"));
}

TEST(Base64, MalformedInputIsRefused) {
  for (const char* bad : {"Z", "Zm9vY", "Zg=", "Z===", "Zm 9v", "Zm9v\n", "Zm-v", "Zm_v", "=Zm9",
                          "Zm=v", "Zh==", "Zm9=", "é"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace herald
