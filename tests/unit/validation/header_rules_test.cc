// Save-time header rules (validation/header_rules.cc): the framing headers additional_headers may
// not set, how the template text is split into lines (as ParseAdditionalHeaders splits rendered
// text, Python str.splitlines) and which line the error names. The render-time side and the
// form wiring are in tests/unit/delivery/header_rules_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "validation/forms.h"

namespace herald {
namespace {

// CheckAdditionalHeaders' message ("" when the text is acceptable); a failure must be a
// validation error on additional_headers.
std::string HeadersError(std::string_view source) {
  Status st = CheckAdditionalHeaders(source);
  if (!st.ok()) {
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << source;
    EXPECT_EQ(st.field(), "additional_headers") << source;
  }
  return st.message();
}

std::string Forbidden(const std::string& canonical, int line) {
  return "Line " + std::to_string(line) + ": " + ForbiddenHeaderMessage(canonical);
}

TEST(ForbiddenHeaders, TheFourFramingHeadersInAnyCase) {
  for (const char* canonical : {"Content-Length", "Transfer-Encoding", "Host", "Connection"}) {
    std::string lower, upper;
    for (const char* c = canonical; *c; ++c) {
      lower += static_cast<char>(tolower(*c));
      upper += static_cast<char>(toupper(*c));
    }
    EXPECT_EQ(ForbiddenHeaderName(canonical), canonical);
    EXPECT_EQ(ForbiddenHeaderName(lower), canonical);
    EXPECT_EQ(ForbiddenHeaderName(upper), canonical);
  }
  for (const char* allowed : {"", "X-Host", "Hostname", "Content-Type", "Content-Length2",
                              "Keep-Alive", "Proxy-Connection", "TE", "Upgrade", " Host"})
    EXPECT_EQ(ForbiddenHeaderName(allowed), "") << allowed;
}

TEST(ForbiddenHeaders, MessageNamesTheHeaderAndWhy) {
  EXPECT_EQ(ForbiddenHeaderMessage("Transfer-Encoding"),
            "additional_headers may not set Transfer-Encoding: Herald sets Content-Length, "
            "Transfer-Encoding, Host and Connection itself.");
}

TEST(CheckAdditionalHeaders, AcceptableText) {
  for (const char* ok :
       {"", "\n\n\n", "X-A: 1", "X-A: 1\nX-B: 2\n", "Host", "no colon at all",
        "X-A: Host: example.com", "X-Forwarded-Host: a", "{{ 'Host' }}: x",
        "{% for h in data.h %}{{ h }}: 1\n{% endfor %}", "X-A: caf\xc3\xa9\nX-B: \xe2\x82\xac"})
    EXPECT_EQ(HeadersError(ok), "") << ok;
}

TEST(CheckAdditionalHeaders, NamesTheFirstOffendingLine) {
  EXPECT_EQ(HeadersError("Connection: close"), Forbidden("Connection", 1));
  EXPECT_EQ(HeadersError("Host: a\n"), Forbidden("Host", 1));
  EXPECT_EQ(HeadersError("X-A: 1\nX-B: 2\nHost: a\nConnection: b"), Forbidden("Host", 3));
  // The name is the text before the first colon, with spaces and tabs around it stripped.
  EXPECT_EQ(HeadersError(" \tcontent-length \t: 5"), Forbidden("Content-Length", 1));
  EXPECT_EQ(HeadersError("Host:"), Forbidden("Host", 1));
  // Blank lines count.
  EXPECT_EQ(HeadersError("\n\nHost: a"), Forbidden("Host", 3));
}

TEST(CheckAdditionalHeaders, EveryLineBreakOfSplitlinesSeparatesLines) {
  for (const char* brk : {"\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\xc2\x85",
                          "\xe2\x80\xa8", "\xe2\x80\xa9"}) {
    std::string b = brk;
    EXPECT_EQ(HeadersError("X-A: 1" + b + "Host: a"), Forbidden("Host", 2))
        << static_cast<int>(static_cast<unsigned char>(brk[0]));
    EXPECT_EQ(HeadersError("X-A: 1" + b + b + "Host: a"), Forbidden("Host", 3))
        << static_cast<int>(static_cast<unsigned char>(brk[0]));
  }
  // "\r\n" is one break; "\n\r" is two.
  EXPECT_EQ(HeadersError("X-A: 1\n\rHost: a"), Forbidden("Host", 3));
  // Other control characters and non-break code points do not split a line.
  EXPECT_EQ(HeadersError("X-A: 1\tHost: a"), "");
  EXPECT_EQ(HeadersError("X-A: 1\x1fHost: a"), "");
  EXPECT_EQ(HeadersError("X-A: 1\xc2\xa0Host: a"), "");  // U+00A0
}

}  // namespace
}  // namespace herald
