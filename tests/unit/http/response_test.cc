// http::Response builders, the header checks and the raw wire form (Serialize).
#include <gtest/gtest.h>

#include <string>

#include "http/http.h"
#include "value/json.h"

namespace herald::http {
namespace {

std::string HeaderOf(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

TEST(Response, BuildersSetStatusTypeAndBody) {
  Response j = Response::Json(201, "{\"a\":1}");
  EXPECT_EQ(j.status, 201);
  EXPECT_EQ(j.content_type, "application/json");
  EXPECT_EQ(j.body, "{\"a\":1}");

  Dict d;
  d.set("name", Value("é \"x\""));
  d.set("n", Value(int64_t{2}));
  EXPECT_EQ(Response::Json(200, Value(std::move(d))).body, "{\"name\":\"é \\\"x\\\"\",\"n\":2}");

  EXPECT_EQ(Response::Text(404, "Not found.\n").content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(Response::Text(200, "x", "text/css").content_type, "text/css");
  EXPECT_EQ(Response::Html(500, "<p>").content_type, "text/html; charset=utf-8");

  Response e = Response::Empty(204);
  EXPECT_EQ(e.status, 204);
  EXPECT_TRUE(e.content_type.empty());
  EXPECT_TRUE(e.body.empty());

  Response r = Response::Redirect(303, "/login?next=%2F").With("Set-Cookie", "a=b");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(HeaderOf(r, "Location"), "/login?next=%2F");
  EXPECT_EQ(HeaderOf(r, "Set-Cookie"), "a=b");
  EXPECT_TRUE(r.body.empty());
}

TEST(Response, DetailIsCompactJsonThatRoundTrips) {
  std::string message = "Bad \"thing\"\n\x01 ünïcode \\ end";
  Response r = Response::Detail(403, message);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(DetailJson("no"), "{\"detail\":\"no\"}");
  auto parsed = ParseJson(r.body);
  ASSERT_TRUE(parsed.ok()) << r.body;
  ASSERT_TRUE(parsed->get("detail"));
  EXPECT_EQ(parsed->get("detail")->as_str(), message);
}

TEST(Response, HeaderChecks) {
  EXPECT_TRUE(IsHeaderName("X-Hook-Signature"));
  EXPECT_TRUE(IsHeaderName("a!#$%&'*+-.^_`|~9"));
  for (const char* bad : {"", "a b", "a:b", "a\"", "(x)", "x/y", "\x7f", "é"})
    EXPECT_FALSE(IsHeaderName(bad)) << bad;
  EXPECT_TRUE(IsHeaderValue("text/plain; charset=utf-8"));
  EXPECT_TRUE(IsHeaderValue(""));
  EXPECT_FALSE(IsHeaderValue("a\r\nSet-Cookie: x"));
  EXPECT_FALSE(IsHeaderValue("a\nb"));
  EXPECT_FALSE(IsHeaderValue(std::string("a\0b", 3)));
}

TEST(Response, SerializeWritesAClosingAnswer) {
  Response r = Response::Text(503, "busy", "text/plain").With("Retry-After", "1");
  r.With("Bad Name", "x").With("X-Split", "a\r\nb");  // both left out
  EXPECT_EQ(Serialize(r, 11, "herald"),
            "HTTP/1.1 503 Service Unavailable\r\nServer: herald\r\nRetry-After: 1\r\n"
            "Content-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy");
  EXPECT_EQ(Serialize(Response::Empty(299), 10, ""),
            "HTTP/1.0 299 Unknown\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace herald::http
