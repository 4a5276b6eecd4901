// Header framing rules: a {{ }} value with a line break fails the render (literal line breaks
// still separate headers, as in NetBox), and additional_headers may not set Content-Length,
// Transfer-Encoding, Host or Connection — refused at save (the shared form validation used by
// the API and the UI) and again at render.
#include <gtest/gtest.h>

#include "delivery/renderer.h"
#include "validation/forms.h"
#include "value/json.h"

namespace herald::delivery {
namespace {

Webhook Hook(std::string headers) {
  static int64_t id = 1;
  Webhook w;
  w.id = id++;
  w.name = "hook";
  w.payload_url = "http://127.0.0.1:9/";
  w.additional_headers = std::move(headers);
  return w;
}

Value Ctx(const std::string& name) {
  Dict data;
  data.set("name", Value(name));
  Dict ctx;
  ctx.set("data", Value(std::move(data)));
  return Value(std::move(ctx));
}

std::string Header(const RenderedRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<absent>";
}

TEST(HeaderFraming, LiteralLineBreaksStillSeparateHeaders) {
  Renderer r;
  auto out = r.Render(Hook("X-Name: {{ data.name }}\nX-Other: 2\r\nX-Third: 3"), Ctx("web01"));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Header(*out, "X-Name"), "web01");
  EXPECT_EQ(Header(*out, "X-Other"), "2");
  EXPECT_EQ(Header(*out, "X-Third"), "3");
  // Loops that print a literal line break between {{ }} values are fine too.
  auto loop =
      r.Render(Hook("{% for k in ['A', 'B'] %}X-{{ k }}: {{ data.name }}\n{% endfor %}"), Ctx("v"));
  ASSERT_TRUE(loop.ok()) << loop.status().message();
  EXPECT_EQ(Header(*loop, "X-A"), "v");
  EXPECT_EQ(Header(*loop, "X-B"), "v");
}

TEST(HeaderFraming, ALineBreakFromDataFailsTheRender) {
  Renderer r;
  Webhook w = Hook("X-Trace: 1\nX-Name: {{ data.name }}");
  auto out = r.Render(w, Ctx("a\nContent-Length: 3"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "Error parsing HTTP headers for webhook hook: additional_headers: the value of "
            "{{ data.name }} on line 2 contains a line break (U+000A); a header value must stay "
            "on one line");
  // Every separator ParseAdditionalHeaders splits on counts.
  for (const char* brk :
       {"\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9"}) {
    auto o = r.Render(w, Ctx(std::string("a") + brk + "X-Evil: 1"));
    ASSERT_FALSE(o.ok()) << static_cast<int>(static_cast<unsigned char>(brk[0]));
    EXPECT_NE(o.status().message().find("contains a line break"), std::string::npos)
        << o.status().message();
  }
  // header_safe removes the C0 controls but not U+2028: still refused, never split.
  auto safe = r.Render(Hook("X-Name: {{ data.name|header_safe }}"), Ctx("a\xe2\x80\xa8X-Evil: 1"));
  ASSERT_FALSE(safe.ok());
  EXPECT_NE(safe.status().message().find("(U+2028)"), std::string::npos) << safe.status().message();
  auto cleaned = r.Render(Hook("X-Name: {{ data.name|header_safe }}"), Ctx("a\r\nb"));
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().message();
  EXPECT_EQ(Header(*cleaned, "X-Name"), "ab");
}

TEST(HeaderFraming, MessagePointsAtTheExpressionWhenItCan) {
  Renderer r;
  auto two = r.Render(Hook("X-A: {{ data.name }}-{{ data.name }}"), Ctx("x\ny"));
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("a {{ }} value on line 1 contains a line break"),
            std::string::npos)
      << two.status().message();
  // Only the headers are framed: the body may hold any line break.
  Webhook w = Hook("X-A: 1");
  w.body_template = "{{ data.name }}";
  auto body = r.Render(w, Ctx("x\ny"));
  ASSERT_TRUE(body.ok()) << body.status().message();
  EXPECT_EQ(body->body, "x\ny");
}

TEST(HeaderFraming, ForbiddenHeadersFailAtRender) {
  Renderer r;
  for (const char* h :
       {"Content-Length: 3", "transfer-encoding: chunked", "HOST: evil", "Connection: close"}) {
    auto out = r.Render(Hook(std::string("X-A: 1\n") + h), Ctx("n"));
    ASSERT_FALSE(out.ok()) << h;
    EXPECT_EQ(out.status().message().rfind(
                  "Error forming HTTP request: additional_headers may not set ", 0),
              0u)
        << out.status().message();
  }
  // A name that only exists once rendered is caught as well.
  auto rendered_name = r.Render(Hook("{{ data.name }}: 5"), Ctx("Content-length"));
  ASSERT_FALSE(rendered_name.ok());
  EXPECT_EQ(rendered_name.status().message(),
            "Error forming HTTP request: additional_headers may not set Content-Length: Herald "
            "sets Content-Length, Transfer-Encoding, Host and Connection itself.");
  // Similar names are fine.
  auto ok = r.Render(Hook("X-Content-Length: 1\nKeep-Alive: 5\nX-Host: a"), Ctx("n"));
  EXPECT_TRUE(ok.ok()) << ok.status().message();
}

TEST(HeaderRulesAtSave, ForbiddenNamesAreAFieldError) {
  EXPECT_EQ(ForbiddenHeaderName("content-LENGTH"), "Content-Length");
  EXPECT_EQ(ForbiddenHeaderName("Hosts"), "");
  Status host = CheckAdditionalHeaders("X-A: 1\n  Host : example.com");
  EXPECT_EQ(host.code(), Code::kInvalidArgument);
  EXPECT_EQ(host.field(), "additional_headers");
  EXPECT_EQ(host.message(),
            "Line 2: additional_headers may not set Host: Herald sets Content-Length, "
            "Transfer-Encoding, Host and Connection itself.");
  EXPECT_FALSE(CheckAdditionalHeaders("X-A: 1\xe2\x80\xa8"
                                      "Connection: close")
                   .ok());
  EXPECT_FALSE(CheckAdditionalHeaders("X-A: 1\r\nTransfer-Encoding: chunked\r\n").ok());
  EXPECT_TRUE(CheckAdditionalHeaders("X-A: {{ data.host }}\nX-Connection: 1\nno colon Host").ok());
  EXPECT_TRUE(CheckAdditionalHeaders("").ok());

  // The shared validation (API and UI both call WebhookFromJson).
  auto body = ParseJson(R"({"name": "w", "payload_url": "http://127.0.0.1:9/",
                           "additional_headers": "X-A: 1\nContent-Length: 3"})");
  ASSERT_TRUE(body.ok());
  auto v = WebhookFromJson(*body, nullptr, false);
  ASSERT_FALSE(v.ok());
  const FieldErrors& errors = v.status().field_errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].first, "additional_headers");
  EXPECT_NE(errors[0].second[0].find("may not set Content-Length"), std::string::npos);
  auto fine = ParseJson(R"({"name": "w", "payload_url": "http://127.0.0.1:9/",
                           "additional_headers": "X-A: {{ data.name }}"})");
  EXPECT_TRUE(WebhookFromJson(*fine, nullptr, false).ok());
}

}  // namespace
}  // namespace herald::delivery
