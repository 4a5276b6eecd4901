// Renderer: a webhook and a context become NetBox's request (SPEC 5.2-5.5). URL, additional
// headers and body templates render with the context; headers go out in wire order (Content-Type,
// additional headers, extra headers, X-Hook-Signature last); an empty body template sends
// Python's json.dumps(context) (the SPEC 5.4 example byte for byte, with its 5.5 signature);
// header_safe exists only for headers; edited templates take effect at once; errors carry
// NetBox's wording and come in NetBox's order (headers, body, URL).
#include "delivery/renderer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "delivery/request.h"
#include "delivery/signature.h"
#include "model/signing.h"
#include "support/json.h"

namespace herald::delivery {
namespace {

using Header = std::pair<std::string, std::string>;
using herald::testing::J;

Webhook Hook() {
  Webhook w;
  w.id = 1;
  w.name = "hook";
  w.payload_url = "http://receiver.test/";
  w.last_updated = 100;
  return w;
}

// Hook() with these templates.
Webhook HookWith(std::string payload_url, std::string additional_headers,
                 std::string body_template) {
  Webhook w = Hook();
  w.payload_url = std::move(payload_url);
  w.additional_headers = std::move(additional_headers);
  w.body_template = std::move(body_template);
  return w;
}

const Value& Context() {
  static const Value ctx =
      J(R"({"event": "created", "object_type": "dcim.device", "username": "admin", )"
        R"("data": {"id": 4, "name": "web 01", "note": "a\nb", "snow": "\u2603", )"
        R"("ctl": "x\u0001y"}})");
  return ctx;
}

// Renders with a fresh Renderer; a failure fails the test and gives an empty request.
RenderedRequest RenderOk(const Webhook& w, const Value& ctx = Context()) {
  Renderer r;
  auto out = r.Render(w, ctx);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : RenderedRequest{};
}

// The last header of a rendered request (empty when there is none).
Header LastHeader(const RenderedRequest& r) {
  return r.headers.empty() ? Header{} : r.headers.back();
}

// The message of a failed render ("" when it succeeded).
std::string ErrorOf(const Webhook& w, const Value& ctx = Context()) {
  Renderer r;
  auto out = r.Render(w, ctx);
  return out.ok() ? "" : out.status().message();
}

TEST(Renderer, RendersUrlHeadersAndBodyInWireOrder) {
  Webhook w = HookWith("HTTP://Receiver.TEST/devices/{{ data.name }}?event={{ event }}",
                       "X-Object: {{ data.name }}\nX-Id: {{ data.id }}\nno colon here",
                       "{{ username }} {{ event }} {{ data.name }}\n");
  w.secret = "s3cret";
  w.http_method = "PATCH";
  w.http_content_type = "text/plain";
  Renderer r;
  auto out = r.Render(w, Context(), {{"X-Herald-Task", "task-1"}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->method, "PATCH");
  EXPECT_EQ(out->url, "http://receiver.test/devices/web%2001?event=created");
  EXPECT_EQ(out->body, "admin created web 01") << "Jinja drops one trailing newline";
  EXPECT_EQ(out->headers, (HeaderList{{"Content-Type", "text/plain"},
                                      {"X-Object", "web 01"},
                                      {"X-Id", "4"},
                                      {"X-Herald-Task", "task-1"},
                                      {"X-Hook-Signature", SignBody("s3cret", out->body)}}));
}

TEST(Renderer, StandardSchemeSignsWithTheMessageIdAndTime) {
  Webhook w = HookWith("http://receiver.test/", "webhook-timestamp: 1", "{{ data.id }}");
  w.signature_scheme = "both";
  w.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  Renderer r;
  auto out =
      r.Render(w, Context(), {{"X-Herald-Task", "task-1"}}, {"task-1", 1'614'265'330'500'000});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->headers,
            (HeaderList{{"Content-Type", "application/json"},
                        {"X-Herald-Task", "task-1"},
                        {"webhook-id", "task-1"},
                        {"webhook-timestamp", "1614265330"},
                        {"webhook-signature",
                         StandardSignature(*SigningKey(w.secret), "task-1", 1614265330, "4")},
                        {"X-Hook-Signature", SignBody(w.secret, "4")}}))
      << "the additional webhook-timestamp is replaced";
}

TEST(Renderer, NoSecretNoSignature) {
  RenderedRequest out = RenderOk(Hook());
  EXPECT_EQ(out.headers, (HeaderList{{"Content-Type", "application/json"}}));
}

TEST(Renderer, AdditionalContentTypeReplacesTheDefaultInPlace) {
  Webhook w = Hook();
  w.additional_headers = "X-First: 1\ncontent-type: application/cloudevents+json";
  RenderedRequest out = RenderOk(w);
  EXPECT_EQ(out.headers,
            (HeaderList{{"content-type", "application/cloudevents+json"}, {"X-First", "1"}}));
}

TEST(Renderer, HeaderValuesGoOutAsLatin1) {
  Webhook w = Hook();
  w.additional_headers = "X-Name: caf\xc3\xa9";
  RenderedRequest out = RenderOk(w);
  EXPECT_EQ(LastHeader(out), (Header{"X-Name", "caf\xe9"}));
}

TEST(Renderer, DefaultBodyIsTheSpecExampleByteForByteWithItsSignature) {
  // SPEC 5.4: the context NetBox builds for a site, and json.dumps of it (488 bytes).
  const std::string example =
      R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00", "object_type": "dcim.site", "username": "admin", "request_id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "data": {"foo": 1, "id": 4, "name": "Site \u00e9", "latitude": 40.7128, "region": null, "tags": []}, "request": {"id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "method": "POST", "path": "/api/dcim/sites/", "user": "admin"}, "snapshots": {"prechange": null, "postchange": {"name": "Site \u00e9", "status": "active"}}})";
  ASSERT_EQ(example.size(), 488u);
  Webhook w = Hook();
  w.secret = "LOOKATMEIMASECRETSTRING";
  RenderedRequest out = RenderOk(w, J(example));
  EXPECT_EQ(out.body, example);
  EXPECT_EQ(LastHeader(out),
            (Header{"X-Hook-Signature",
                    "e0e74fbcff67f0ca2b6be15d5313250241224ab063c58bfbc6350e787aa14e03"
                    "8fcc3cd0ee96d7a51074d0909e6772d4318694bca4714152d6d801a23d2a8f40"}));
}

TEST(Renderer, EmptyRenderedBodyIsSignedAsTheEmptyString) {
  Webhook w = Hook();
  w.body_template = "{% if false %}x{% endif %}";
  w.secret = "secret";
  RenderedRequest out = RenderOk(w);
  EXPECT_EQ(out.body, "");
  EXPECT_EQ(LastHeader(out).second,
            "b0e9650c5faf9cd8ae02276671545424104589b3656731ec193b25d01b07561c27637c2d4d68389d6cf5"
            "007a8632c26ec89ba80a01c77a6cdd389ec28db43901");
}

TEST(Renderer, HeaderSafeIsAHeaderOnlyFilter) {
  Webhook w = Hook();
  w.additional_headers =
      "X-Note: {{ data.note | header_safe }}\nX-Ctl: {{ data.ctl | header_safe }}";
  RenderedRequest out = RenderOk(w);
  EXPECT_EQ(out.headers,
            (HeaderList{{"Content-Type", "application/json"}, {"X-Note", "ab"}, {"X-Ctl", "xy"}}));
  w.additional_headers = "";
  w.body_template = "{{ data.note | header_safe }}";
  EXPECT_EQ(ErrorOf(w).rfind("Error rendering request body for webhook hook: ", 0), 0u)
      << ErrorOf(w);
}

TEST(Renderer, EditedTemplatesTakeEffectAtOnce) {
  Renderer r;
  Webhook one = Hook();
  one.body_template = "first";
  Webhook other = Hook();
  other.id = 2;
  other.body_template = "other";
  auto body = [&](const Webhook& w) {
    auto out = r.Render(w, Context());
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? out->body : "";
  };
  EXPECT_EQ(body(one), "first");
  EXPECT_EQ(body(other), "other") << "webhooks do not share cached templates";
  one.body_template = "second";  // same revision stamp, new text
  EXPECT_EQ(body(one), "second");
  one.last_updated = 200;
  one.payload_url = "http://receiver.test/{{ data.id }}";
  auto out = r.Render(one, Context());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->url, "http://receiver.test/4");
  EXPECT_EQ(body(other), "other");
}

TEST(Renderer, RendersConcurrentlyWithChangingRevisions) {
  Renderer r;
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        Webhook w = Hook();
        w.last_updated = (i + t) % 3;
        w.body_template = "rev " + std::to_string(w.last_updated) + " {{ data.id }}";
        auto out = r.Render(w, Context());
        if (!out.ok() || out->body != "rev " + std::to_string(w.last_updated) + " 4") ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Renderer, ErrorsCarryNetBoxWording) {
  struct Case {
    const char* payload_url;
    const char* additional_headers;
    const char* body_template;
    std::string error;  // the whole message, or its start when it ends with ": "
  };
  const std::vector<Case> cases = {
      {"http://receiver.test/{{ data.name", "", "",
       "Error rendering payload URL for webhook hook: "},
      {"http://receiver.test/", "", "{{ data.missing.deeper }}",
       "Error rendering request body for webhook hook: "},
      {"http://receiver.test/", "X-A: {% for %}", "",
       "Error parsing HTTP headers for webhook hook: "},
      {"receiver.test/{{ data.id }}", "", "",
       "Error forming HTTP request: Invalid URL 'receiver.test/4': No scheme supplied. Perhaps "
       "you meant https://receiver.test/4?"},
      {"ftp://receiver.test/", "", "",
       "Error forming HTTP request: No connection adapters were found for "
       "'ftp://receiver.test/'"},
      {"http://receiver.test/", "X-Snow: {{ data.snow }}", "",
       "Error forming HTTP request: 'latin-1' codec can't encode character '\\u2603' in header "
       "'X-Snow': ordinal not in range(256)"},
      {"http://receiver.test/", "Host: {{ data.name }}", "",
       "Error forming HTTP request: additional_headers may not set Host: Herald sets "
       "Content-Length, Transfer-Encoding, Host and Connection itself."},
  };
  for (const Case& c : cases) {
    std::string error = ErrorOf(HookWith(c.payload_url, c.additional_headers, c.body_template));
    if (c.error.size() >= 2 && c.error.substr(c.error.size() - 2) == ": ")
      EXPECT_EQ(error.rfind(c.error, 0), 0u) << error;
    else EXPECT_EQ(error, c.error);
  }
}

TEST(Renderer, DataCannotAddHeaders) {
  Webhook w = Hook();
  w.additional_headers = "X-Trace: 1\nX-Note: {{ data.note }}";
  EXPECT_EQ(ErrorOf(w),
            "Error parsing HTTP headers for webhook hook: additional_headers: the value of "
            "{{ data.note }} on line 2 contains a line break (U+000A); a header value must stay "
            "on one line");
}

TEST(Renderer, ErrorsComeInNetBoxOrder) {
  Webhook w = Hook();
  w.payload_url = "no-scheme";
  w.body_template = "{{ data.missing.deeper }}";
  w.additional_headers = "X-A: {{ data.missing.deeper }}";
  EXPECT_EQ(ErrorOf(w).rfind("Error parsing HTTP headers", 0), 0u) << ErrorOf(w);
  w.additional_headers = "";
  EXPECT_EQ(ErrorOf(w).rfind("Error rendering request body", 0), 0u) << ErrorOf(w);
  w.body_template = "";
  EXPECT_EQ(ErrorOf(w).rfind("Error forming HTTP request: Invalid URL", 0), 0u) << ErrorOf(w);
}

}  // namespace
}  // namespace herald::delivery
