// Request building: header parsing (Python splitlines/strip/dict), signatures (SPEC §5.5
// vectors), URL normalisation, result messages (Python bytes repr), header validity, and the
// transport request made of a rendered one (MakeHttpRequest, shared by dispatcher and UI).
#include "delivery/request.h"

#include <gtest/gtest.h>

#include "delivery/renderer.h"

namespace herald::delivery {
namespace {

using HL = HeaderList;

TEST(ParseAdditionalHeaders, SplitsAtFirstColonAndStrips) {
  EXPECT_EQ(ParseAdditionalHeaders("X-A: 1\nX-B:  two : three  \n"),
            (HL{{"X-A", "1"}, {"X-B", "two : three"}}));
}

TEST(ParseAdditionalHeaders, SkipsLinesWithoutColon) {
  EXPECT_EQ(ParseAdditionalHeaders("junk\n\nX-A: 1\n   \nmore junk"), (HL{{"X-A", "1"}}));
}

TEST(ParseAdditionalHeaders, LaterNameOverwritesButKeepsPosition) {
  EXPECT_EQ(ParseAdditionalHeaders("A: 1\nB: 2\nA: 3"), (HL{{"A", "3"}, {"B", "2"}}));
  // Exact-name semantics: different case is a different key at this stage.
  EXPECT_EQ(ParseAdditionalHeaders("A: 1\na: 2"), (HL{{"A", "1"}, {"a", "2"}}));
}

TEST(ParseAdditionalHeaders, AllPythonLineBreaks) {
  std::string text =
      "A:1\r\nB:2\rC:3\vD:4\fE:5\x1c"
      "F:6\x1d"
      "G:7\x1e"
      "H:8\xc2\x85I:9"
      "\xe2\x80\xa8J:10\xe2\x80\xa9K:11";
  HL got = ParseAdditionalHeaders(text);
  ASSERT_EQ(got.size(), 11u);
  EXPECT_EQ(got[0], (std::pair<std::string, std::string>{"A", "1"}));
  EXPECT_EQ(got[7], (std::pair<std::string, std::string>{"H", "8"}));
  EXPECT_EQ(got[8], (std::pair<std::string, std::string>{"I", "9"}));
  EXPECT_EQ(got[10], (std::pair<std::string, std::string>{"K", "11"}));
}

TEST(ParseAdditionalHeaders, UnitSeparatorIsWhitespaceNotLineBreak) {
  // \x1f is stripped by str.strip() but does not split lines.
  EXPECT_EQ(ParseAdditionalHeaders("\x1f"
                                   "A:\x1f"
                                   "1\x1f"),
            (HL{{"A", "1"}}));
  // NBSP and U+3000 are Python whitespace.
  EXPECT_EQ(ParseAdditionalHeaders("\xc2\xa0"
                                   "A : \xe3\x80\x80x\xc2\xa0"),
            (HL{{"A", "x"}}));
}

TEST(ParseAdditionalHeaders, HeaderSafeStyleOutputs) {
  // header_safe removes controls; what is left may contain colons and spaces.
  EXPECT_EQ(ParseAdditionalHeaders("Authorization: Token abc:def"),
            (HL{{"Authorization", "Token abc:def"}}));
  EXPECT_EQ(ParseAdditionalHeaders(": novalue\nX:"), (HL{{"", "novalue"}, {"X", ""}}));
  EXPECT_TRUE(ParseAdditionalHeaders("").empty());
}

TEST(SignBody, SpecVectors) {
  EXPECT_EQ(SignBody("LOOKATMEIMASECRETSTRING", R"({"event": "created"})"),
            "4d280042c3101391195471840bb06b513742225dc4ef17b4e6a0a8208996d60435e0886e9a72ceee74b7"
            "587a99bc431d67038035f5b56587db65b4ca3e6171b1");
  EXPECT_EQ(SignBody("secret", ""),
            "b0e9650c5faf9cd8ae02276671545424104589b3656731ec193b25d01b07561c27637c2d4d68389d6cf5"
            "007a8632c26ec89ba80a01c77a6cdd389ec28db43901");
  EXPECT_EQ(SignBody("s\xc3\xa9"
                     "cret",
                     "h\xc3\xa9"),
            "c2d5afb46ed87a21cbfd890bcbd676bbd02e430109fb697ad1047e73fc0ac0e07eb91d1d787ee531b651"
            "89ac5bfc6dc95abc4297535dd113431fe2bed4d9baee");
  std::string body =
      R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00", "object_type": "dcim.site", "username": "admin", "request_id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "data": {"foo": 1, "id": 4, "name": "Site \u00e9", "latitude": 40.7128, "region": null, "tags": []}, "request": {"id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "method": "POST", "path": "/api/dcim/sites/", "user": "admin"}, "snapshots": {"prechange": null, "postchange": {"name": "Site \u00e9", "status": "active"}}})";
  ASSERT_EQ(body.size(), 488u);
  EXPECT_EQ(SignBody("LOOKATMEIMASECRETSTRING", body),
            "e0e74fbcff67f0ca2b6be15d5313250241224ab063c58bfbc6350e787aa14e038fcc3cd0ee96d7a51074"
            "d0909e6772d4318694bca4714152d6d801a23d2a8f40");
}

TEST(NormalizeUrl, SpecExample) {
  auto r = NormalizeUrl("http://x/a b?c=d e&f=\xc3\xa9");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "http://x/a%20b?c=d%20e&f=%C3%A9");
}

TEST(NormalizeUrl, LowercasesSchemeHostStripsLeadingSpace) {
  EXPECT_EQ(*NormalizeUrl("  \tHTTPS://Example.COM:8443/Path/X"),
            "https://example.com:8443/Path/X");
  EXPECT_EQ(*NormalizeUrl("http://example.com"), "http://example.com/");
  EXPECT_EQ(*NormalizeUrl("http://example.com?a=1"), "http://example.com/?a=1");
}

TEST(NormalizeUrl, KeepsPercentEncodingAndEncodesStrayPercent) {
  EXPECT_EQ(*NormalizeUrl("http://h/a%2fb%41?q=100%"), "http://h/a%2FbA?q=100%25");
  // A stray '%' makes urllib3 encode every '%' of that component.
  EXPECT_EQ(*NormalizeUrl("http://h/a%2fb%zz%41?q=%41"), "http://h/a%252Fb%25zz%2541?q=A");
  EXPECT_EQ(*NormalizeUrl("http://h/x?#"), "http://h/x");
  EXPECT_EQ(*NormalizeUrl("http://h/a/./b/../c"), "http://h/a/c");
  EXPECT_EQ(*NormalizeUrl("http://user:pw@h:80/"), "http://user:pw@h:80/");
  EXPECT_EQ(*NormalizeUrl("http://[::1]:9/x"), "http://[::1]:9/x");
}

TEST(NormalizeUrl, Errors) {
  auto missing = NormalizeUrl("example.com/hook");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().label(), "MissingSchema");
  EXPECT_EQ(missing.status().message(),
            "Invalid URL 'example.com/hook': No scheme supplied. Perhaps you meant "
            "https://example.com/hook?");
  auto ftp = NormalizeUrl("ftp://h/x");
  ASSERT_FALSE(ftp.ok());
  EXPECT_EQ(ftp.status().label(), "InvalidSchema");
  EXPECT_EQ(ftp.status().message(), "No connection adapters were found for 'ftp://h/x'");
  EXPECT_FALSE(NormalizeUrl("http://").ok());
  EXPECT_EQ(NormalizeUrl("http:///x").status().message(),
            "Invalid URL 'http:///x': No host supplied");
  EXPECT_FALSE(NormalizeUrl("http://h:99999/").ok());
  EXPECT_FALSE(NormalizeUrl("http://h:8x/").ok());
  EXPECT_FALSE(NormalizeUrl("").ok());
}

TEST(Messages, SuccessAndFailure) {
  EXPECT_EQ(SuccessMessage(200), "Status 200 returned, webhook successfully processed.");
  EXPECT_EQ(FailureMessage(404, "Not Found"),
            "Status 404 returned with content 'b'Not Found'', webhook FAILED to process.");
  EXPECT_EQ(FailureMessage(500, ""),
            "Status 500 returned with content 'b''', webhook FAILED to process.");
}

TEST(Messages, FailureContentIsBounded) {
  std::string big(10000, 'x');
  std::string msg = FailureMessage(500, big);
  EXPECT_EQ(msg.size(), std::string("Status 500 returned with content 'b''', webhook FAILED to "
                                    "process.")
                                .size() +
                            kFailureContentLimit);
}

TEST(Headers, Validity) {
  // requests' rules: a name has no leading blank, colon or line break; a value no leading blank
  // and no line break.
  for (auto [name, valid] :
       {std::pair{"X-Token", true}, {"", false}, {" X", false}, {"X\r\nY", false}, {"X:Y", false}})
    EXPECT_EQ(ValidHeaderName(name), valid) << name;
  for (auto [value, valid] :
       {std::pair{"", true}, {"a b", true}, {" a", false}, {"a\nb", false}, {"a\rb", false}})
    EXPECT_EQ(ValidHeaderValue(value), valid) << value;
}

TEST(Headers, FormRequestHeadersMergesCaseInsensitively) {
  auto r = FormRequestHeaders("application/json",
                              {{"X-A", "1"}, {"content-type", "text/plain"}, {"x-a", "2"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (HL{{"content-type", "text/plain"}, {"x-a", "2"}}));
}

TEST(Headers, FormRequestHeadersEncodesLatin1AndRejects) {
  auto ok = FormRequestHeaders("application/json", {{"X-Name", "caf\xc3\xa9"}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[1].second, "caf\xe9");
  auto empty = FormRequestHeaders("application/json", {{"", "x"}});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(),
            "Error forming HTTP request: Invalid leading whitespace, reserved character(s), or "
            "return character(s) in header name: ''");
  auto euro = FormRequestHeaders("application/json", {{"X", "\xe2\x82\xac"}});
  ASSERT_FALSE(euro.ok());
  EXPECT_NE(euro.status().message().find("latin-1"), std::string::npos);
}

// The messages quote names as Python's repr does (value/pystr.h), as NetBox's would.
TEST(Headers, MessagesShowNamesAsPythonRepr) {
  EXPECT_EQ(CheckHeader("X\xc2\xa0", "v").status().message(),
            "Header name 'X\\xa0' is not ASCII and cannot be sent");
  EXPECT_EQ(CheckHeader("X", "\xe2\x82\xac").status().message(),
            "'latin-1' codec can't encode character '\\u20ac' in header 'X': ordinal not in "
            "range(256)");
  EXPECT_EQ(CheckHeader("X", "\xf0\x9f\x98\x80").status().message(),
            "'latin-1' codec can't encode character '\\U0001f600' in header 'X': ordinal not in "
            "range(256)");
  EXPECT_EQ(CheckHeader("it's", " v").status().message(),
            "Invalid leading whitespace, reserved character(s), or return character(s) in header "
            "value: ' v'");
  EXPECT_EQ(CheckHeader("X", "ok\xff").status().message(),
            "Header value of 'X' is not valid UTF-8");
  auto wire = CheckHeader("X", "caf\xc3\xa9");
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(*wire, "caf\xe9");  // ISO-8859-1 on the wire
}

TEST(MakeHttpRequest, TakesTheRenderedRequestAndTheWebhooksTransportSettings) {
  Webhook w;
  w.ssl_verification = false;
  w.ca_file_path = "/etc/ca.pem";
  w.timeout = 7;
  RenderedRequest r{"PUT", "https://h/x", {{"Content-Type", "application/json"}}, "{}"};
  HttpRequest req = MakeHttpRequest(w, r, {60, "http://proxy:1", "http://sproxy:2"});
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(req.url, "https://h/x");
  EXPECT_EQ(req.headers, r.headers);
  EXPECT_EQ(req.body, "{}");
  EXPECT_EQ(req.timeout, std::chrono::seconds(7));
  EXPECT_FALSE(req.verify_tls);
  EXPECT_EQ(req.ca_file, "/etc/ca.pem");
  EXPECT_EQ(req.proxy, "http://sproxy:2");  // the https proxy for an https URL
}

TEST(MakeHttpRequest, FallsBackToTheDefaults) {
  Webhook w;
  RenderedRequest r{"POST", "http://h/", {}, ""};
  HttpRequest req = MakeHttpRequest(w, r, {60, "http://proxy:1", "http://sproxy:2"});
  EXPECT_EQ(req.timeout, std::chrono::seconds(60));
  EXPECT_TRUE(req.verify_tls);
  EXPECT_EQ(req.ca_file, "");
  EXPECT_EQ(req.proxy, "http://proxy:1");
  EXPECT_EQ(MakeHttpRequest(w, r, {}).proxy, "");
}

}  // namespace
}  // namespace herald::delivery
