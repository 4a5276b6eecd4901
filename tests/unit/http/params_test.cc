// http::Params (query strings and urlencoded forms), UrlDecode, Request::SetTarget and
// CookieValue: NetBox-style repeated filters, '+' as a space, invalid escapes kept, the field cap.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/http.h"

namespace herald::http {
namespace {

using Strings = std::vector<std::string>;

TEST(Params, RepeatedKeysKeepEveryValueInOrder) {
  Params p = Params::Parse("status=failed&limit=5&status=queued");
  EXPECT_EQ(p.Get("status"), "failed");
  EXPECT_EQ(p.GetAll("status"), (Strings{"failed", "queued"}));
  EXPECT_EQ(p.GetAll("limit"), (Strings{"5"}));
  EXPECT_EQ(p.GetAll("offset"), Strings{});
  ASSERT_EQ(p.fields().size(), 3u);
  EXPECT_EQ(p.fields()[1], (Params::Field{"limit", "5"}));
}

TEST(Params, ACommaSeparatedValueIsOneValue) {
  EXPECT_EQ(Params::Parse("id=1,2&id=3").GetAll("id"), (Strings{"1,2", "3"}));
}

TEST(Params, MissingEmptyAndBareNames) {
  Params p = Params::Parse("empty=&flag&=v&a==b");
  EXPECT_TRUE(p.Has("empty"));
  EXPECT_EQ(p.Get("empty"), "");
  EXPECT_TRUE(p.Has("flag"));
  EXPECT_EQ(p.Get("flag"), "");
  EXPECT_EQ(p.Get(""), "v");
  EXPECT_EQ(p.Get("a"), "=b");  // split at the first '=' only
  EXPECT_FALSE(p.Has("missing"));
  EXPECT_EQ(p.Get("missing"), std::nullopt);
  EXPECT_EQ(p.Str("missing"), "");
}

TEST(Params, EmptyPiecesAreSkipped) {
  Params p = Params::Parse("&&a=1&&b=2&");
  EXPECT_EQ(p.fields().size(), 2u);
  EXPECT_EQ(p.Str("a"), "1");
  EXPECT_EQ(p.Str("b"), "2");
  EXPECT_TRUE(Params::Parse("").empty());
  EXPECT_TRUE(Params::Parse("&").empty());
}

TEST(Params, NamesAndValuesArePercentDecodedWithPlusAsSpace) {
  Params p = Params::Parse("b=x+y%21&q%5B%5D=%E2%9C%93&plus=%2B");
  EXPECT_EQ(p.Str("b"), "x y!");
  EXPECT_EQ(p.Str("q[]"), "\xE2\x9C\x93");
  EXPECT_EQ(p.Str("plus"), "+");
  // An encoded '&' or '=' is data, not a separator.
  Params q = Params::Parse("next=%2Ftasks%2F%3Fstatus%3Dfailed%26page%3D2");
  EXPECT_EQ(q.Str("next"), "/tasks/?status=failed&page=2");
  EXPECT_EQ(q.fields().size(), 1u);
}

TEST(Params, InvalidEscapesAreKeptAsWritten) {
  Params p = Params::Parse("a=%zz&b=%4&c=100%&d=%%41&e=%4G");
  EXPECT_EQ(p.Str("a"), "%zz");
  EXPECT_EQ(p.Str("b"), "%4");
  EXPECT_EQ(p.Str("c"), "100%");
  EXPECT_EQ(p.Str("d"), "%A");
  EXPECT_EQ(p.Str("e"), "%4G");
}

TEST(Params, AtMostMaxFieldsAreKept) {
  std::string body;
  for (size_t i = 0; i < kMaxFormFields + 10; ++i) body += "f=" + std::to_string(i) + "&";
  Params capped = Params::Parse(body, kMaxFormFields);
  ASSERT_EQ(capped.fields().size(), kMaxFormFields);
  EXPECT_EQ(capped.GetAll("f").back(), std::to_string(kMaxFormFields - 1));
  EXPECT_EQ(Params::Parse(body).fields().size(), kMaxFormFields + 10);
  EXPECT_EQ(Params::Parse("a=1&b=2&c=3", 2).Has("c"), false);
}

TEST(UrlDecode, PlusIsASpaceOnlyInForms) {
  EXPECT_EQ(UrlDecode("/a+b%20c"), "/a+b c");
  EXPECT_EQ(UrlDecode("/a+b%20c", /*form=*/true), "/a b c");
  EXPECT_EQ(UrlDecode("%41%62%7e"), "Ab~");
  EXPECT_EQ(UrlDecode("%00", true), std::string(1, '\0'));
}

TEST(Request, SetTargetSplitsPathAndParsesTheQueryOnce) {
  Request r;
  r.SetTarget("/api/extras/webhooks%2F/?name=a+b&name=c&limit=10");
  EXPECT_EQ(r.target, "/api/extras/webhooks%2F/?name=a+b&name=c&limit=10");
  EXPECT_EQ(r.path, "/api/extras/webhooks//");  // '+' stays in a path; %2F is decoded
  EXPECT_EQ(r.query, "name=a+b&name=c&limit=10");
  EXPECT_EQ(r.query_params.GetAll("name"), (Strings{"a b", "c"}));
  EXPECT_EQ(r.query_params.Get("limit"), "10");

  r.SetTarget("/plain");
  EXPECT_EQ(r.path, "/plain");
  EXPECT_EQ(r.query, "");
  EXPECT_TRUE(r.query_params.empty());

  r.SetTarget("/x?");
  EXPECT_EQ(r.path, "/x");
  EXPECT_TRUE(r.query_params.empty());
}

TEST(CookieValue, FindsTheNamedCookieOnly) {
  EXPECT_EQ(CookieValue("a=1; herald_session=abc; b=2", "herald_session"), "abc");
  EXPECT_EQ(CookieValue("herald_session=abc", "herald_session"), "abc");
  EXPECT_EQ(CookieValue("xherald_session=abc", "herald_session"), "");
  EXPECT_EQ(CookieValue("a=1;b=2", "b"), "2");
  EXPECT_EQ(CookieValue("", "a"), "");
}

}  // namespace
}  // namespace herald::http
