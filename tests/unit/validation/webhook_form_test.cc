// The webhook form (validation/forms.h): request JSON -> Webhook with NetBox's validation
// (SPEC 1 and 8, docs/api.md): defaults, every field's checks with the field they are reported
// on, the payload URL rules, PUT and PATCH semantics, and the JSON shape returned by the API.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/time.h"
#include "form_checks.h"
#include "model/redact.h"
#include "validation/forms.h"

namespace herald {
namespace {

using namespace form_checks;  // NOLINT: test helpers

const char* kMinimal = R"({"name": "w", "payload_url": "http://127.0.0.1:9/hook"})";

const FormCalls<Webhook> kForm{WebhookFromJson, kMinimal};

// A stored webhook with every field away from its default.
Webhook Stored() {
  Webhook w = StoredRecord<Webhook>(42, "old description");
  w.payload_url = "https://receiver.example.com/hook";
  w.http_method = "PUT";
  w.http_content_type = "text/plain";
  w.additional_headers = "X-Trace: 1";
  w.body_template = "{{ data.name }}";
  w.secret = "s3cret";
  w.ssl_verification = true;
  w.ca_file_path = "/etc/ssl/ca.pem";
  w.timeout = 30;
  w.max_attempts = 5;
  w.retry_policy = "fixed";
  w.retry_interval = 120;
  w.signature_scheme = "both";
  w.previous_secret = "older";
  w.previous_secret_expires = 1'700'000'200'000'001;
  w.last_updated = 1'700'000'100'000'000;
  return w;
}

// Expects the request and delivery settings of `w` (all but name, description, payload URL,
// secret and SSL verification) to be the defaults a new webhook gets.
void ExpectDefaultSettings(const Webhook& w) {
  EXPECT_EQ(w.http_method, "POST");
  EXPECT_EQ(w.http_content_type, "application/json");
  EXPECT_EQ(w.additional_headers, "");
  EXPECT_EQ(w.body_template, "");
  EXPECT_FALSE(w.ca_file_path.has_value());
  EXPECT_FALSE(w.timeout.has_value());
  EXPECT_FALSE(w.max_attempts.has_value());
  EXPECT_FALSE(w.retry_policy.has_value());
  EXPECT_FALSE(w.retry_interval.has_value());
  EXPECT_EQ(w.signature_scheme, "netbox");
  EXPECT_EQ(w.previous_secret, "");
  EXPECT_FALSE(w.previous_secret_expires.has_value());
}

// Expects every field of `w` but those named in `sent` to hold its value in `base`: what PUT
// and PATCH keep of the stored webhook.
void ExpectKeptExcept(const Webhook& w, const Webhook& base, const std::set<std::string>& sent) {
  auto kept = [&](const char* field, auto member) {
    if (sent.count(field)) return;
    EXPECT_EQ(w.*member, base.*member) << field << " was not kept";
  };
  kept("id", &Webhook::id);
  kept("created", &Webhook::created);
  kept("last_updated", &Webhook::last_updated);
  kept("name", &Webhook::name);
  kept("description", &Webhook::description);
  kept("payload_url", &Webhook::payload_url);
  kept("http_method", &Webhook::http_method);
  kept("http_content_type", &Webhook::http_content_type);
  kept("additional_headers", &Webhook::additional_headers);
  kept("body_template", &Webhook::body_template);
  kept("secret", &Webhook::secret);
  kept("ssl_verification", &Webhook::ssl_verification);
  kept("ca_file_path", &Webhook::ca_file_path);
  kept("timeout", &Webhook::timeout);
  kept("max_attempts", &Webhook::max_attempts);
  kept("retry_policy", &Webhook::retry_policy);
  kept("retry_interval", &Webhook::retry_interval);
  kept("signature_scheme", &Webhook::signature_scheme);
  kept("previous_secret", &Webhook::previous_secret);
  kept("previous_secret_expires", &Webhook::previous_secret_expires);
}

TEST(WebhookForm, MinimalCreateTakesTheDefaults) {
  const Webhook w = ExpectCreated(kForm.Create(kMinimal), "w");
  EXPECT_EQ(w.payload_url, "http://127.0.0.1:9/hook");
  EXPECT_EQ(w.secret, "");
  EXPECT_TRUE(w.ssl_verification);
  ExpectDefaultSettings(w);
}

TEST(WebhookForm, EveryWritableFieldIsRead) {
  auto r =
      kForm.Create(R"({"name": "full", "description": "d", "payload_url": "https://a.example/x",
                      "http_method": "PATCH", "http_content_type": "application/xml",
                      "additional_headers": "X-A: {{ data.id }}", "body_template": "<x/>",
                      "secret": "k", "ssl_verification": true, "ca_file_path": "/ca",
                      "timeout": 10, "max_attempts": 3, "retry_policy": "exponential",
                      "retry_interval": 0})");
  ASSERT_TRUE(Ok(r)) << Describe(r);
  const Webhook& w = ValueOf(r);
  EXPECT_EQ(w.name, "full");
  EXPECT_EQ(w.description, "d");
  EXPECT_EQ(w.payload_url, "https://a.example/x");
  EXPECT_EQ(w.http_method, "PATCH");
  EXPECT_EQ(w.http_content_type, "application/xml");
  EXPECT_EQ(w.additional_headers, "X-A: {{ data.id }}");
  EXPECT_EQ(w.body_template, "<x/>");
  EXPECT_EQ(w.secret, "k");
  EXPECT_EQ(w.ca_file_path, "/ca");
  EXPECT_EQ(w.timeout, 10);
  EXPECT_EQ(w.max_attempts, 3);
  EXPECT_EQ(w.retry_policy, "exponential");
  EXPECT_EQ(w.retry_interval, 0);
}

TEST(WebhookForm, ReadOnlyAndUnknownKeysAreIgnored) {
  auto r = kForm.Create(R"({"name": "w", "payload_url": "http://a/", "id": 99, "url": "x",
                      "secret_set": true, "created": "2020-01-01T00:00:00Z", "tags": [],
                      "custom_fields": {}, "owner": null, "no_such_field": 1})");
  ASSERT_TRUE(Ok(r)) << Describe(r);
  EXPECT_EQ(ValueOf(r).id, 0);
  EXPECT_EQ(ValueOf(r).created, 0);
  EXPECT_EQ(ValueOf(r).secret, "");
}

TEST(WebhookForm, CustomFieldsTagsAndOwnerAreRefusedNotDropped) {
  auto r = kForm.Create(R"({"name": "w", "payload_url": "http://a/", "tags": [{"name": "prod"}],
                      "custom_fields": {"a": 1}, "owner": 3})");
  ASSERT_FALSE(Ok(r));
  EXPECT_EQ(FieldsOf(r), (std::vector<std::string>{"custom_fields", "tags", "owner"}));
  ExpectError(kForm.Create(With(J(kMinimal), "tags", J(R"(["x"])"))), "tags",
              "Herald does not support tags; send [] or leave it out.", "tags");
}

TEST(WebhookForm, BodyMustBeAnObject) {
  for (const char* body : {"[]", "\"w\"", "null", "1", R"([{"name": "w"}])"}) {
    auto r = kForm.Create(body);
    ExpectError(r, "non_field_errors", "Invalid data. Expected a dictionary.", body);
  }
}

TEST(WebhookForm, RequiredFields) {
  ExpectError(kForm.Create(Without(J(kMinimal), "name")), "name", "This field is required.",
              "name");
  ExpectError(kForm.Create(Without(J(kMinimal), "payload_url")), "payload_url",
              "This field is required.", "payload_url");
  auto none = kForm.Create("{}");
  EXPECT_FALSE(Ok(none));
  EXPECT_EQ(FieldsOf(none), (std::vector<std::string>{"name", "payload_url"})) << Describe(none);
}

TEST(WebhookForm, BlankAndNullStrings) {
  for (const char* field : {"name", "payload_url", "http_method", "http_content_type"}) {
    ExpectError(kForm.CreateWith(field, Value("")), field, "This field may not be blank.", field);
    ExpectError(kForm.CreateWith(field, Value(" \t\n")), field, "This field may not be blank.",
                field);
    ExpectError(kForm.CreateWith(field, Value()), field, "This field may not be null.", field);
  }
  ExpectError(kForm.CreateWith("description", Value()), "description",
              "This field may not be null.", "description");
  // Blank is fine where NetBox allows it.
  for (const char* field : {"description", "additional_headers", "body_template", "secret"}) {
    auto r = kForm.CreateWith(field, Value(""));
    EXPECT_TRUE(Ok(r)) << field << " -> " << Describe(r);
  }
  // Null clears the text fields that are nullable in the API.
  for (const char* field : {"additional_headers", "body_template", "secret"}) {
    auto r = kForm.CreateWith(field, Value());
    ASSERT_TRUE(Ok(r)) << field << " -> " << Describe(r);
  }
}

TEST(WebhookForm, StringFieldsRefuseOtherTypesButTakeNumbers) {
  for (const char* field : {"name", "description", "payload_url", "body_template", "secret"}) {
    for (const char* bad : {"true", "[]", "{}", R"(["x"])"}) {
      ExpectError(kForm.CreateWith(field, J(bad)), field, "Not a valid string.",
                  std::string(field) + "=" + bad);
    }
  }
  // DRF's CharField accepts numbers and stores their text.
  auto r = kForm.CreateWith("name", Value(12));
  ASSERT_TRUE(Ok(r)) << Describe(r);
  EXPECT_EQ(ValueOf(r).name, "12");
  r = kForm.CreateWith("description", J("1.5"));
  ASSERT_TRUE(Ok(r)) << Describe(r);
  EXPECT_EQ(ValueOf(r).description, "1.5");
}

TEST(WebhookForm, LengthLimitsCountCharacters) {
  struct Limit {
    const char* field;
    size_t max;
  };
  for (const Limit& l : {Limit{"name", 150}, Limit{"description", 200}, Limit{"secret", 255},
                         Limit{"http_content_type", 100}, Limit{"ca_file_path", 4096}}) {
    auto at = kForm.CreateWith(l.field, Value(std::string(l.max, 'a')));
    EXPECT_TRUE(Ok(at)) << l.field << " -> " << Describe(at);
    ExpectError(kForm.CreateWith(l.field, Value(std::string(l.max + 1, 'a'))), l.field,
                "Ensure this field has no more than " + std::to_string(l.max) + " characters.",
                l.field);
    // Characters, not bytes: "é" is two bytes.
    std::string accents;
    for (size_t i = 0; i < l.max; ++i) accents += "\xc3\xa9";
    auto wide = kForm.CreateWith(l.field, Value(accents));
    EXPECT_TRUE(Ok(wide)) << l.field << " -> " << Describe(wide);
  }
  std::string url = "http://a/" + std::string(491, 'p');
  ASSERT_EQ(url.size(), 500u);
  EXPECT_TRUE(Ok(kForm.CreateWith("payload_url", Value(url))));
  ExpectError(kForm.CreateWith("payload_url", Value(url + "p")), "payload_url",
              "Ensure this field has no more than 500 characters.", "payload_url 501");
  ExpectError(kForm.CreateWith("http_method", Value(std::string(31, 'G'))), "http_method",
              "Ensure this field has no more than 30 characters.", "http_method 31");
  // Templates have no length limit.
  EXPECT_TRUE(Ok(kForm.CreateWith("body_template", Value(std::string(100000, 'b')))));
}

TEST(WebhookForm, HttpMethodIsOneOfFiveExactly) {
  for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    auto r = kForm.CreateWith("http_method", Value(m));
    ASSERT_TRUE(Ok(r)) << m << " -> " << Describe(r);
    EXPECT_EQ(ValueOf(r).http_method, m);
  }
  for (const char* m : {"get", "Post", "TRACE", "HEAD", "OPTIONS", "CONNECT"}) {
    ExpectError(kForm.CreateWith("http_method", Value(m)), "http_method",
                std::string("\"") + m + "\" is not a valid choice.", m);
  }
}

TEST(WebhookForm, ContentTypeIsFreeText) {
  auto r = kForm.CreateWith("http_content_type", Value("application/x-www-form-urlencoded; a=b"));
  ASSERT_TRUE(Ok(r)) << Describe(r);
  EXPECT_EQ(ValueOf(r).http_content_type, "application/x-www-form-urlencoded; a=b");
}

TEST(WebhookForm, PayloadUrlLiteralAndTemplated) {
  // SPEC 1, item 2: literal URLs need an http(s) scheme and a host; templates are compiled.
  for (const char* ok :
       {"http://a/", "https://example.com:8443/x?y=1#f", "HTTP://EXAMPLE.COM",
        "hTTpS://example.com", "http://webhook-receiver:8080/hook", "http://under_score.local/",
        "http://[2001:db8::1]:8080/x", "http://user:pw@host/", "http://10.0.0.1",
        "{{ data.custom_fields.callback_url }}", "https://x/{{ data.id }}/",
        "{% if data.x %}http://a/{% else %}http://b/{% endif %}", "http://x/{# note #}",
        "HTTPS://{{ data.host }}/", "{{ data.url | lower }}"}) {
    EXPECT_TRUE(ValidatePayloadUrl(ok).ok()) << ok;
    auto r = kForm.CreateWith("payload_url", Value(ok));
    EXPECT_TRUE(Ok(r)) << ok << " -> " << Describe(r);
  }
  const std::string bad_url = "Enter a valid URL, beginning with http:// or https://.";
  for (const char* bad :
       {"example.com/hook", "ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)",
        "http:/one-slash", "http://", "http:///path", "http://?q", "http://[2001:db8::1/x",
        "http://a]b/", "http://:8080/", "http://user@/", "mailto:{{ data.email }}",
        "ftp://{{ data.host }}/", "gopher://x/{% if 1 %}{% endif %}"}) {
    Status st = ValidatePayloadUrl(bad);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(st.field(), "payload_url") << bad;
    EXPECT_EQ(st.message(), bad_url) << bad;
    ExpectError(kForm.CreateWith("payload_url", Value(bad)), "payload_url", bad_url, bad);
  }
  // Stricter than Python's URL splitter: no spaces or control characters in a literal URL.
  for (const char* bad : {"http://a b/", "http://a/\x01"})
    EXPECT_EQ(ValidatePayloadUrl(bad).message(), bad_url) << bad;
  // Template errors: a syntax error or an unknown filter, found at save time.
  for (const char* bad :
       {"http://x/{{ data.name", "http://{{ data.name }.example.com/", "http://x/{% if %}",
        "{{ data.url | nosuchfilter }}", "http://x/{% for %}{% endfor %}"}) {
    std::string err = ValidatePayloadUrl(bad).message();
    EXPECT_EQ(err.rfind("Invalid template: ", 0), 0u) << bad << " -> " << err;
    EXPECT_GT(err.size(), std::string("Invalid template: ").size()) << bad;
    auto r = kForm.CreateWith("payload_url", Value(bad));
    EXPECT_EQ(FieldOf(r), "payload_url") << bad;
    EXPECT_EQ(MessageOf(r), err) << bad;
  }
  // NetBox's text: the Jinja2 message after "Invalid template: ", no exception class.
  EXPECT_EQ(ValidatePayloadUrl("{{ x | nosuchfilter }}").message(),
            "Invalid template: No filter named 'nosuchfilter'.");
  EXPECT_EQ(ValidatePayloadUrl("http://{{ data.name }.example.com/").message(),
            "Invalid template: unexpected '}'");
}

TEST(WebhookForm, AdditionalHeadersMayNotSetFramingHeaders) {
  for (const char* h :
       {"Content-Length: 1", "transfer-encoding: chunked", "HOST: x", "Connection: close"}) {
    auto r = kForm.CreateWith("additional_headers", Value(std::string("X-A: 1\n") + h));
    EXPECT_EQ(FieldOf(r), "additional_headers") << h;
    EXPECT_EQ(MessageOf(r).rfind("Line 2: additional_headers may not set ", 0), 0u) << MessageOf(r);
  }
  // Header values and body templates are not checked at save (SPEC 1).
  EXPECT_TRUE(Ok(kForm.CreateWith("additional_headers", Value("X-A: {{ data.name"))));
  EXPECT_TRUE(Ok(kForm.CreateWith("body_template", Value("{{ data.name"))));
}

TEST(WebhookForm, SslVerificationAndCaFile) {
  for (const char* t : {"true", "1", "\"true\"", "\"True\"", "\"1\""}) {
    auto r = kForm.CreateWith("ssl_verification", J(t));
    ASSERT_TRUE(Ok(r)) << t << " -> " << Describe(r);
    EXPECT_TRUE(ValueOf(r).ssl_verification) << t;
  }
  for (const char* f : {"false", "0", "\"false\"", "\"False\"", "\"0\""}) {
    auto r = kForm.CreateWith("ssl_verification", J(f));
    ASSERT_TRUE(Ok(r)) << f << " -> " << Describe(r);
    EXPECT_FALSE(ValueOf(r).ssl_verification) << f;
  }
  for (const char* bad : {"2", "-1", "\"maybe\"", "[]", "{}", "\"\""}) {
    ExpectError(kForm.CreateWith("ssl_verification", J(bad)), "ssl_verification",
                "Must be a valid boolean.", bad);
  }
  // A CA file with verification off is refused, on ca_file_path (SPEC 1, item 1).
  const std::string both = "Do not specify a CA certificate file if SSL verification is disabled.";
  Value off = With(J(kMinimal), "ssl_verification", Value(false));
  ExpectError(kForm.Create(With(off, "ca_file_path", Value("/etc/ssl/ca.pem"))), "ca_file_path",
              both, "ca with verification off");
  // An empty or null path is no path; "" reads back "", as in NetBox.
  for (const char* none : {"\"\"", "null"}) {
    auto r = kForm.Create(With(off, "ca_file_path", J(none)));
    ASSERT_TRUE(Ok(r)) << none << " -> " << Describe(r);
    EXPECT_EQ(ValueOf(r).ca_file_path.has_value(), std::string(none) == "\"\"") << none;
    EXPECT_EQ(ValueOf(r).ca_file_path.value_or(""), "") << none;
  }
  // PATCH judges the resulting record: turning verification off while a CA file is stored.
  ExpectError(kForm.Patch(Stored(), R"({"ssl_verification": false})"), "ca_file_path", both,
              "patch");
  auto cleared = kForm.Patch(Stored(), R"({"ssl_verification": false, "ca_file_path": null})");
  EXPECT_TRUE(Ok(cleared)) << Describe(cleared);
}

TEST(WebhookForm, IntegerFieldsAndTheirRanges) {
  struct Range {
    const char* field;
    int64_t min, max;
  };
  for (const Range& f : {Range{"timeout", 1, 3600}, Range{"max_attempts", 1, 100},
                         Range{"retry_interval", 0, 86400}}) {
    for (int64_t n : {f.min, f.max}) {
      auto r = kForm.CreateWith(f.field, Value(n));
      EXPECT_TRUE(Ok(r)) << f.field << "=" << n << " -> " << Describe(r);
    }
    ExpectError(kForm.CreateWith(f.field, Value(f.min - 1)), f.field,
                "Ensure this value is greater than or equal to " + std::to_string(f.min) + ".",
                f.field);
    ExpectError(kForm.CreateWith(f.field, Value(f.max + 1)), f.field,
                "Ensure this value is less than or equal to " + std::to_string(f.max) + ".",
                f.field);
    // Ints past 64 bits are ints out of range, as DRF says.
    ExpectError(kForm.CreateWith(f.field, J("99999999999999999999")), f.field,
                "Ensure this value is less than or equal to " + std::to_string(f.max) + ".",
                f.field);
    ExpectError(kForm.CreateWith(f.field, J("-99999999999999999999")), f.field,
                "Ensure this value is greater than or equal to " + std::to_string(f.min) + ".",
                f.field);
    auto null = kForm.CreateWith(f.field, Value());
    EXPECT_TRUE(Ok(null)) << f.field << " -> " << Describe(null);
    for (const char* bad : {"\"abc\"", "2.5", "true", "[]", "{}", "\"\"", "\"1-2\"", "\"--1\"",
                            "1e300", "-1e300", "\"99999999999999999999\""}) {
      ExpectError(kForm.CreateWith(f.field, J(bad)), f.field, "A valid integer is required.",
                  std::string(f.field) + "=" + bad);
    }
  }
  // Integral floats and digit strings are integers, as in DRF.
  auto r = kForm.Create(R"({"name": "w", "payload_url": "http://a/", "timeout": 30.0,
                      "max_attempts": "7", "retry_interval": "-0"})");
  ASSERT_TRUE(Ok(r)) << Describe(r);
  EXPECT_EQ(ValueOf(r).timeout, 30);
  EXPECT_EQ(ValueOf(r).max_attempts, 7);
  EXPECT_EQ(ValueOf(r).retry_interval, 0);
}

TEST(WebhookForm, RetryPolicyChoices) {
  for (const char* p : {"fixed", "exponential"}) {
    auto r = kForm.CreateWith("retry_policy", Value(p));
    ASSERT_TRUE(Ok(r)) << Describe(r);
    EXPECT_EQ(ValueOf(r).retry_policy, p);
  }
  auto null = kForm.CreateWith("retry_policy", Value());
  ASSERT_TRUE(Ok(null));
  EXPECT_FALSE(ValueOf(null).retry_policy.has_value());
  ExpectError(kForm.CreateWith("retry_policy", Value("linear")), "retry_policy",
              "\"linear\" is not a valid choice (fixed, exponential).", "linear");
  ExpectError(kForm.CreateWith("retry_policy", Value("Fixed")), "retry_policy",
              "\"Fixed\" is not a valid choice (fixed, exponential).", "Fixed");
  ExpectError(kForm.CreateWith("retry_policy", Value(5)), "retry_policy",
              "\"5\" is not a valid choice (fixed, exponential).", "5");
}

TEST(WebhookForm, SignatureSchemeChoices) {
  for (const char* s : {"netbox", "standard", "both"}) {
    auto r = kForm.CreateWith("signature_scheme", Value(s));
    ASSERT_TRUE(Ok(r)) << Describe(r);
    EXPECT_EQ(ValueOf(r).signature_scheme, s);
  }
  ExpectError(kForm.CreateWith("signature_scheme", Value("svix")), "signature_scheme",
              "\"svix\" is not a valid choice (netbox, standard, both).", "svix");
  ExpectError(kForm.CreateWith("signature_scheme", Value()), "signature_scheme",
              "This field may not be null.", "null");
}

TEST(WebhookForm, StandardSecretsAreWhsecKeysOrRawText) {
  const std::string good = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  auto std_body = [](const std::string& secret) {
    return With(With(J(kMinimal), "signature_scheme", Value("standard")), "secret", Value(secret));
  };
  for (const std::string& ok : {good, std::string("raw secret text"), std::string("")}) {
    auto r = kForm.Create(std_body(ok));
    ASSERT_TRUE(Ok(r)) << ok << ": " << Describe(r);
    EXPECT_EQ(ValueOf(r).secret, ok);
  }
  ExpectError(kForm.Create(std_body("whsec_@@@")), "secret",
              "A secret starting with \"whsec_\" must continue in base64 (A-Z, a-z, 0-9, + and /, "
              "with = padding).",
              "not base64");
  ExpectError(kForm.Create(std_body("whsec_c2hvcnQ=")), "secret",
              "The key of a \"whsec_\" secret must be 24 to 64 bytes; this one has 5.", "short");
  // Under the netbox scheme the secret's text is the key, whatever it looks like.
  auto netbox = kForm.CreateWith("secret", Value("whsec_@@@"));
  ASSERT_TRUE(Ok(netbox)) << Describe(netbox);
  // A change of scheme checks the secrets already stored.
  Webhook base = Stored();
  base.secret = "whsec_@@@";
  base.signature_scheme = "netbox";
  ExpectError(kForm.Patch(base, R"({"signature_scheme": "both"})"), "secret",
              "A secret starting with \"whsec_\" must continue in base64 (A-Z, a-z, 0-9, + and /, "
              "with = padding).",
              "patch scheme");
}

TEST(WebhookForm, PreviousSecretIsWriteOnlyAndNeedsItsExpiry) {
  const Webhook base = Stored();
  auto rotated = kForm.Patch(base, R"({"secret": "new", "previous_secret": "s3cret",
                                       "previous_secret_expires": "2030-01-02T03:04:05+01:00"})");
  ASSERT_TRUE(Ok(rotated)) << Describe(rotated);
  EXPECT_EQ(ValueOf(rotated).secret, "new");
  EXPECT_EQ(ValueOf(rotated).previous_secret, "s3cret");
  EXPECT_EQ(ValueOf(rotated).previous_secret_expires, ParseIso("2030-01-02T02:04:05Z"));
  // null keeps it (what a read answers), "" clears it.
  auto kept = kForm.Patch(base, R"({"previous_secret": null})");
  ASSERT_TRUE(Ok(kept));
  EXPECT_EQ(ValueOf(kept).previous_secret, "older");
  auto cleared = kForm.Patch(base, R"({"previous_secret": "", "previous_secret_expires": null})");
  ASSERT_TRUE(Ok(cleared)) << Describe(cleared);
  EXPECT_EQ(ValueOf(cleared).previous_secret, "");
  EXPECT_FALSE(ValueOf(cleared).previous_secret_expires.has_value());
  ExpectError(kForm.Patch(base, R"({"previous_secret_expires": null})"), "previous_secret_expires",
              "A previous secret needs the time it stops signing.", "no expiry");
  ExpectError(kForm.Patch(base, R"({"previous_secret_expires": "tomorrow"})"),
              "previous_secret_expires",
              "Datetime has wrong format. Use one of these formats instead: "
              "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
              "bad time");
  ExpectError(kForm.CreateWith("previous_secret", Value("x")), "previous_secret_expires",
              "A previous secret needs the time it stops signing.", "create");
}

TEST(WebhookForm, EveryInvalidFieldIsReported) {
  auto r = kForm.Create(R"({"name": "", "payload_url": "ftp://x", "http_method": "TRACE",
                      "timeout": 0, "retry_policy": "linear"})");
  EXPECT_FALSE(Ok(r));
  EXPECT_EQ(FieldsOf(r), (std::vector<std::string>{"name", "payload_url", "http_method", "timeout",
                                                   "retry_policy"}))
      << Describe(r);
}

TEST(WebhookForm, PatchChangesOnlyWhatIsSent) {
  const Webhook base = Stored();
  auto same = kForm.Patch(base, "{}");
  ASSERT_TRUE(Ok(same)) << Describe(same);
  EXPECT_EQ(DumpJson(WebhookToJson(ValueOf(same), "", false, true)),
            DumpJson(WebhookToJson(base, "", false, true)));
  EXPECT_EQ(ValueOf(same).secret, base.secret);

  auto r = kForm.Patch(base, R"({"description": "new", "timeout": null, "http_method": "GET"})");
  ASSERT_TRUE(Ok(r)) << Describe(r);
  const Webhook& w = ValueOf(r);
  EXPECT_EQ(w.description, "new");
  EXPECT_FALSE(w.timeout.has_value());
  EXPECT_EQ(w.http_method, "GET");
  ExpectKeptExcept(w, base, {"description", "timeout", "http_method"});

  // Fields sent are still validated.
  ExpectError(kForm.Patch(base, R"({"name": ""})"), "name", "This field may not be blank.",
              "patch");
  ExpectError(kForm.Patch(base, R"({"payload_url": "ftp://x/"})"), "payload_url",
              "Enter a valid URL, beginning with http:// or https://.", "patch");
  ExpectError(kForm.Patch(base, R"({"max_attempts": 0})"), "max_attempts",
              "Ensure this value is greater than or equal to 1.", "patch");
  ExpectError(kForm.Patch(base, "[]"), "non_field_errors", "Invalid data. Expected a dictionary.",
              "patch");
}

TEST(WebhookForm, PutKeepsTheStoredValuesOfFieldsLeftOut) {
  const Webhook base = Stored();
  auto r = kForm.Put(base, J(R"({"name": "new", "payload_url": "http://b/"})"));
  ASSERT_TRUE(Ok(r)) << Describe(r);
  const Webhook& w = ValueOf(r);
  EXPECT_EQ(w.name, "new");
  EXPECT_EQ(w.payload_url, "http://b/");
  // Everything left out keeps its stored value, as in DRF's full update; the secret is kept
  // unless sent.
  ExpectKeptExcept(w, base, {"name", "payload_url"});

  auto replaced =
      kForm.Put(base, J(R"({"name": "n", "payload_url": "http://b/", "secret": "new"})"));
  ASSERT_TRUE(Ok(replaced));
  EXPECT_EQ(ValueOf(replaced).secret, "new");
  // Reads answer `"secret": null`, so a record sent back as read keeps its secret; "" clears it.
  auto kept = kForm.Put(base, J(R"({"name": "n", "payload_url": "http://b/", "secret": null})"));
  ASSERT_TRUE(Ok(kept));
  EXPECT_EQ(ValueOf(kept).secret, base.secret);
  ASSERT_FALSE(base.secret.empty());
  auto cleared = kForm.Put(base, J(R"({"name": "n", "payload_url": "http://b/", "secret": ""})"));
  ASSERT_TRUE(Ok(cleared));
  EXPECT_EQ(ValueOf(cleared).secret, "");

  // PUT needs the required fields; the stored ones do not count.
  ExpectError(kForm.Put(base, J(R"({"name": "n"})")), "payload_url", "This field is required.",
              "put");
}

TEST(WebhookJson, FieldsInOrderWithTheSecretReadAsNull) {
  Webhook w = Stored();
  w.additional_headers = "Authorization: Bearer abc\nX-Trace: 1";
  Value v = WebhookToJson(w, "http://h:1");
  EXPECT_EQ(
      KeysOf(v),
      ObjectKeys({"payload_url", "http_method", "http_content_type", "additional_headers",
                  "body_template", "secret", "secret_set", "ssl_verification", "ca_file_path",
                  "timeout", "max_attempts", "retry_policy", "retry_interval", "signature_scheme",
                  "previous_secret", "previous_secret_set", "previous_secret_expires"}));
  ASSERT_FALSE(w.secret.empty());
  EXPECT_EQ(v.get("signature_scheme")->as_str(), "both");
  EXPECT_TRUE(v.get("previous_secret")->is_none());
  EXPECT_TRUE(v.get("previous_secret_set")->as_bool());
  EXPECT_EQ(v.get("previous_secret_expires")->as_str(), "2023-11-14T22:16:40.000001Z");
  EXPECT_EQ(DumpJson(v).find("older"), std::string::npos);
  EXPECT_TRUE(v.get("secret")->is_none());
  EXPECT_EQ(v.get("url")->as_str(), "http://h:1/api/extras/webhooks/42/");
  EXPECT_EQ(v.get("display_url")->as_str(), "http://h:1/webhooks/42/");
  EXPECT_EQ(v.get("display")->as_str(), "stored");
  EXPECT_TRUE(v.get("secret_set")->as_bool());
  EXPECT_EQ(v.get("timeout")->as_int(), 30);
  EXPECT_EQ(v.get("retry_policy")->as_str(), "fixed");
  EXPECT_EQ(v.get("created")->as_str(), "2023-11-14T22:13:20Z");
  EXPECT_EQ(v.get("last_updated")->as_str(), "2023-11-14T22:15:00Z");
  EXPECT_EQ(DumpJson(*v.get("custom_fields")), "{}");
  EXPECT_TRUE(v.get("owner")->is_none());
  EXPECT_EQ(DumpJson(*v.get("tags")), "[]");
  EXPECT_EQ(DumpJson(v).find("s3cret"), std::string::npos);
  // Credential header values are hidden unless asked for.
  EXPECT_EQ(v.get("additional_headers")->as_str(),
            "Authorization: " + std::string(kRedacted) + "\nX-Trace: 1");
  EXPECT_EQ(WebhookToJson(w, "", false, true).get("additional_headers")->as_str(),
            w.additional_headers);

  Webhook fresh;
  Value d = WebhookToJson(fresh, "");
  EXPECT_FALSE(d.get("secret_set")->as_bool());
  EXPECT_EQ(d.get("signature_scheme")->as_str(), "netbox");
  EXPECT_FALSE(d.get("previous_secret_set")->as_bool());
  for (const char* k : {"ca_file_path", "timeout", "max_attempts", "retry_policy", "retry_interval",
                        "previous_secret", "previous_secret_expires", "created", "last_updated"})
    EXPECT_TRUE(d.get(k)->is_none()) << k;
}

TEST(WebhookJson, BriefForm) {
  Value v = WebhookToJson(Stored(), "http://h", true);
  EXPECT_EQ(DumpJson(v),
            R"({"id": 42, "url": "http://h/api/extras/webhooks/42/", )"
            R"("display": "stored", "name": "stored", "description": "old description"})");
}

TEST(WebhookJson, WhatIsReadCanBeWrittenBack) {
  // An admin's GET body sent back as a PUT yields the same webhook (the secret is kept).
  // (last_updated is the store's to set.)
  Webhook base = Stored();
  base.last_updated = 0;
  auto r = kForm.Put(base, WebhookToJson(base, "http://h", false, true));
  ASSERT_TRUE(Ok(r)) << Describe(r);
  EXPECT_EQ(DumpJson(WebhookToJson(ValueOf(r), "", false, true)),
            DumpJson(WebhookToJson(base, "", false, true)));
  EXPECT_EQ(ValueOf(r).secret, base.secret);
}

}  // namespace
}  // namespace herald
