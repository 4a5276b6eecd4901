// Which headers count as credentials, and how header lists, stored header objects and
// additional_headers template text are redacted for read-only readers.
#include "model/redact.h"

#include <gtest/gtest.h>

#include "value/json.h"

namespace herald {
namespace {

TEST(Redact, CredentialHeaderNames) {
  for (const char* n :
       {"Authorization", "proxy-authorization", "Cookie", "Set-Cookie", "X-Api-Key", "X-Auth-Token",
        "X-Access-Token", "Api_Key", "X-Client-Secret", "X-Password", "X-DB-Passwd",
        "X-Credentials", "X-Session-Id", "X-Custom-Signature", " AUTHORIZATION "})
    EXPECT_TRUE(IsCredentialHeader(n)) << n;
  for (const char* n : {"Content-Type", "X-Trace", "Accept", "User-Agent", "X-Herald-Task", ""})
    EXPECT_FALSE(IsCredentialHeader(n)) << n;
  EXPECT_TRUE(IsCredentialHeader("X-Hook-Signature-Version"));  // contains "signature"
  EXPECT_TRUE(IsSensitiveHeader("X-Hook-Signature"));
  EXPECT_TRUE(IsSensitiveHeader("x-hook-signature"));
  EXPECT_FALSE(IsSensitiveHeader("X-Trace"));
}

TEST(Redact, HeaderListsKeepNamesAndOrder) {
  auto out = RedactHeaders({{"Content-Type", "application/json"},
                            {"Authorization", "Bearer abc"},
                            {"X-Hook-Signature", "00ff"},
                            {"X-Trace", "t1"}});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].second, "application/json");
  EXPECT_EQ(out[1], (std::pair<std::string, std::string>{"Authorization", "********"}));
  EXPECT_EQ(out[2].second, "********");
  EXPECT_EQ(out[3].second, "t1");
}

TEST(Redact, StoredHeaderObjects) {
  auto v = ParseJson(R"({"Cookie": "a=b", "X-Trace": "t", "X-Api-Key": "k"})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(DumpJson(RedactHeaderDict(*v)),
            R"({"Cookie": "********", "X-Trace": "t", "X-Api-Key": "********"})");
  // Not an object (unparseable stored text): hidden whole, never shown raw.
  EXPECT_EQ(RedactHeaderDict(Value("Authorization: x")).as_str(), "********");
}

TEST(Redact, HeaderTemplateText) {
  EXPECT_EQ(RedactHeaderTemplate("Authorization: Bearer {{ env('T') }}\nX-Trace: {{ data.id }}\n"
                                 "X-Api-Key:k\n{{ name }}: v\n{% if x %}\nCookie:\nplain line"),
            "Authorization: ********\nX-Trace: {{ data.id }}\nX-Api-Key: ********\n"
            "{{ name }}: ********\n{% if x %}\nCookie:\nplain line");
  EXPECT_EQ(RedactHeaderTemplate("X-Token: a\r\nX-Trace: b\r\n"),
            "X-Token: ********\r\nX-Trace: b\r\n");
  EXPECT_EQ(RedactHeaderTemplate(""), "");
  EXPECT_EQ(RedactHeaderTemplate("X-Trace: b"), "X-Trace: b");
}

TEST(Redact, UrlCredentials) {
  const std::pair<const char*, const char*> cases[] = {
      {"https://hooks.example.com/x", "https://hooks.example.com/x"},
      {"https://user:pa55@h.example:8443/p?q=1", "https://user:********@h.example:8443/p?q=1"},
      {"https://ghp_token@h.example/p", "https://********@h.example/p"},
      {"http://h/p?api_key=abc&x=1&token=t&sig=s&code=c&page=2",
       "http://h/p?api_key=********&x=1&token=********&sig=********&code=********&page=2"},
      {"http://h/p?Authorization=Bearer%20x#frag?token=1",
       "http://h/p?Authorization=********#frag?token=1"},
      {"http://h/p#a?token=1", "http://h/p#a?token=1"},    // the '?' is in the fragment
      {"http://h/p?token=&key", "http://h/p?token=&key"},  // nothing to hide
      {"http://h/a@b/c", "http://h/a@b/c"},                // '@' in the path is not user info
      {"{{ base }}/hook?secret={{ data.s }}", "{{ base }}/hook?secret=********"},
      {"", ""},
      {"?", "?"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(RedactUrl(in), want) << in;
}

}  // namespace
}  // namespace herald
