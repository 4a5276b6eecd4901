// Signatures: the Standard Webhooks specification's published test vector; secrets (whsec_ keys,
// raw secrets, generated ones); which headers each scheme sends, rotation; and the verifier a
// receiver (or `herald signature verify`) runs: wrong secret, tampered body, id or timestamp,
// timestamp tolerance both ways, several signatures, X-Hook-Signature.
#include "delivery/signature.h"

#include <gtest/gtest.h>

#include <set>

#include "common/base64.h"
#include "model/signing.h"

namespace herald::delivery {
namespace {

// The vector of the Standard Webhooks reference libraries' tests (libraries/*/ in
// github.com/standard-webhooks/standard-webhooks, e.g. go/webhook_test.go TestWebhookSign).
constexpr const char* kVectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kVectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kVectorTimestamp = 1614265330;
constexpr const char* kVectorBody = R"({"test": 2432232314})";
constexpr const char* kVectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

HeaderList VectorHeaders(std::string signature = kVectorSignature) {
  return {{"webhook-id", kVectorId},
          {"webhook-timestamp", std::to_string(kVectorTimestamp)},
          {"webhook-signature", std::move(signature)}};
}

Result<std::string> VerifyVector(const HeaderList& headers, std::string_view body = kVectorBody,
                                 std::string_view secret = kVectorSecret,
                                 int64_t now = kVectorTimestamp) {
  return VerifySignature(secret, headers, body, now);
}

TEST(StandardSignature, ReproducesThePublishedTestVector) {
  auto key = SigningKey(kVectorSecret);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(*key, *Base64Decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  EXPECT_EQ(StandardSignature(*key, kVectorId, kVectorTimestamp, kVectorBody), kVectorSignature);
  auto ok = VerifyVector(VectorHeaders());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, "standard");
}

TEST(StandardSignature, SigningKeyOfSecrets) {
  // No prefix: the secret's own bytes (unlike the reference libraries, which decode base64).
  EXPECT_EQ(*SigningKey("s3cret"), "s3cret");
  EXPECT_EQ(*SigningKey(""), "");
  // whsec_ with something that is not base64, or a key of the wrong size.
  EXPECT_EQ(SigningKey("whsec_not base64!").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(SigningKey("whsec_" + Base64Encode(std::string(23, 'k'))).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(SigningKey("whsec_" + Base64Encode(std::string(65, 'k'))).status().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(SigningKey("whsec_" + Base64Encode(std::string(64, 'k'))).ok());
}

TEST(StandardSignature, GeneratedSecretsAreFreshWhsecKeysOf32Bytes) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto s = GenerateSecret();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_EQ(s->rfind("whsec_", 0), 0u) << *s;
    auto key = SigningKey(*s);
    ASSERT_TRUE(key.ok()) << *s;
    EXPECT_EQ(key->size(), kGeneratedSecretKeyBytes);
    seen.insert(*s);
  }
  EXPECT_EQ(seen.size(), 20u);
}

TEST(VerifySignature, WrongSecretTamperedBodyIdOrTimestampFail) {
  EXPECT_FALSE(
      VerifyVector(VectorHeaders(), kVectorBody, "whsec_" + Base64Encode(std::string(24, 'x')))
          .ok());
  EXPECT_FALSE(VerifyVector(VectorHeaders(), kVectorBody, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").ok())
      << "without whsec_ the text is the key itself";
  EXPECT_FALSE(VerifyVector(VectorHeaders(), R"({"test": 2432232315})").ok());
  EXPECT_FALSE(VerifyVector(VectorHeaders(), R"({"test":2432232314})").ok());
  HeaderList other_id = VectorHeaders();
  other_id[0].second = "msg_other";
  EXPECT_FALSE(VerifyVector(other_id).ok());
  HeaderList other_ts = VectorHeaders();
  other_ts[1].second = std::to_string(kVectorTimestamp + 1);
  auto r = VerifyVector(other_ts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no signature in webhook-signature matches"),
            std::string::npos)
      << r.status().message();
  // The reference libraries' own invalid signature.
  EXPECT_FALSE(VerifyVector(VectorHeaders("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=")).ok());
}

TEST(VerifySignature, TimestampToleranceBothWays) {
  const int64_t tol = kDefaultToleranceSeconds;
  EXPECT_TRUE(
      VerifyVector(VectorHeaders(), kVectorBody, kVectorSecret, kVectorTimestamp + tol).ok());
  EXPECT_TRUE(
      VerifyVector(VectorHeaders(), kVectorBody, kVectorSecret, kVectorTimestamp - tol).ok());
  auto old = VerifyVector(VectorHeaders(), kVectorBody, kVectorSecret, kVectorTimestamp + tol + 1);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("older than the tolerance of 300 s"), std::string::npos)
      << old.status().message();
  auto future =
      VerifyVector(VectorHeaders(), kVectorBody, kVectorSecret, kVectorTimestamp - tol - 1);
  ASSERT_FALSE(future.ok());
  EXPECT_NE(future.status().message().find("further in the future"), std::string::npos);
  // A wider tolerance accepts the vector years later.
  EXPECT_TRUE(VerifySignature(kVectorSecret, VectorHeaders(), kVectorBody,
                              kVectorTimestamp + 10 * 365 * 86400, 20 * 365 * 86400)
                  .ok());
  // Hostile timestamps are errors, never overflows.
  for (const char* ts : {"-9223372036854775808", "9223372036854775807", "99999999999999999999",
                         "1614265330.5", "", "abc"}) {
    HeaderList h = VectorHeaders();
    h[1].second = ts;
    EXPECT_FALSE(VerifyVector(h).ok()) << ts;
  }
}

TEST(VerifySignature, AnyOfSeveralSignaturesAndMissingHeaders) {
  auto several = VerifyVector(VectorHeaders(
      "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc " + std::string(kVectorSignature)));
  EXPECT_TRUE(several.ok()) << several.status().ToString();
  auto no_v1 = VerifyVector(VectorHeaders("v1a,abc v2,def"));
  ASSERT_FALSE(no_v1.ok());
  EXPECT_EQ(no_v1.status().message(), "webhook-signature holds no v1 signature");
  for (size_t drop : {0, 1}) {
    HeaderList h = VectorHeaders();
    h.erase(h.begin() + static_cast<long>(drop));
    auto r = VerifyVector(h);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message().rfind("missing header webhook-", 0), 0u) << r.status().message();
  }
  // Header names in any case.
  HeaderList upper = {{"Webhook-Id", kVectorId},
                      {"WEBHOOK-TIMESTAMP", std::to_string(kVectorTimestamp)},
                      {"Webhook-Signature", kVectorSignature}};
  EXPECT_TRUE(VerifyVector(upper).ok());
  auto none = VerifyVector({{"Content-Type", "application/json"}});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no signature header"), std::string::npos);
}

TEST(VerifySignature, XHookSignatureWithTheSecretText) {
  const std::string body = R"({"event": "created"})";
  HeaderList h = {{"X-Hook-Signature", SignBody("s3cret", body)}};
  auto ok = VerifySignature("s3cret", h, body, 0);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, "netbox");
  EXPECT_FALSE(VerifySignature("other", h, body, 0).ok());
  EXPECT_FALSE(VerifySignature("s3cret", h, body + " ", 0).ok());
}

Webhook Hook(std::string scheme, std::string secret) {
  Webhook w;
  w.signature_scheme = std::move(scheme);
  w.secret = std::move(secret);
  return w;
}

std::vector<std::string> Names(const HeaderList& h) {
  std::vector<std::string> out;
  for (const auto& [n, v] : h) out.push_back(n);
  return out;
}

TEST(AppendSignatureHeaders, EachSchemeSendsItsHeaders) {
  const TimeUs now = kVectorTimestamp * 1'000'000 + 999'999;  // whole seconds are sent
  using V = std::vector<std::string>;
  HeaderList h;
  ASSERT_TRUE(AppendSignatureHeaders(Hook("netbox", "s"), "id1", now, "b", h).ok());
  EXPECT_EQ(Names(h), V{"X-Hook-Signature"});
  h.clear();
  ASSERT_TRUE(
      AppendSignatureHeaders(Hook("standard", kVectorSecret), kVectorId, now, kVectorBody, h).ok());
  EXPECT_EQ(Names(h), (V{"webhook-id", "webhook-timestamp", "webhook-signature"}));
  EXPECT_EQ(h[0].second, kVectorId);
  EXPECT_EQ(h[1].second, std::to_string(kVectorTimestamp));
  EXPECT_EQ(h[2].second, kVectorSignature);
  h.clear();
  ASSERT_TRUE(
      AppendSignatureHeaders(Hook("both", kVectorSecret), kVectorId, now, kVectorBody, h).ok());
  EXPECT_EQ(Names(h),
            (V{"webhook-id", "webhook-timestamp", "webhook-signature", "X-Hook-Signature"}));
  EXPECT_EQ(h[3].second, SignBody(kVectorSecret, kVectorBody)) << "the secret's text keys it";
  // No secret: the id and the time still go (an idempotency key), no signature.
  h.clear();
  ASSERT_TRUE(AppendSignatureHeaders(Hook("both", ""), "id1", now, "b", h).ok());
  EXPECT_EQ(Names(h), (V{"webhook-id", "webhook-timestamp"}));
  // Same-named headers from additional_headers are replaced, whatever their case.
  h = {{"Webhook-Id", "forged"}, {"x-hook-signature", "forged"}, {"X-Other", "kept"}};
  ASSERT_TRUE(AppendSignatureHeaders(Hook("both", "s"), "id1", now, "b", h).ok());
  EXPECT_EQ(Names(h), (V{"X-Other", "webhook-id", "webhook-timestamp", "webhook-signature",
                         "X-Hook-Signature"}));
  // A whsec_ secret whose key is bad cannot sign.
  h.clear();
  Status bad = AppendSignatureHeaders(Hook("standard", "whsec_@@"), "id1", now, "b", h);
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.message().rfind("Error forming HTTP request: secret: ", 0), 0u) << bad.message();
}

TEST(AppendSignatureHeaders, PreviousSecretSignsSecondUntilItExpires) {
  const std::string old_secret = "whsec_" + Base64Encode(std::string(32, 'o'));
  Webhook w = Hook("both", kVectorSecret);
  w.previous_secret = old_secret;
  w.previous_secret_expires = (kVectorTimestamp + 60) * 1'000'000;
  const std::string body = kVectorBody;
  HeaderList h;
  ASSERT_TRUE(AppendSignatureHeaders(w, kVectorId, kVectorTimestamp * 1'000'000, body, h).ok());
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[2].second,
            std::string(kVectorSignature) + " " +
                StandardSignature(*SigningKey(old_secret), kVectorId, kVectorTimestamp, body));
  EXPECT_EQ(h[3].second, SignBody(kVectorSecret, body)) << "X-Hook-Signature: the current only";
  // A receiver holding either secret accepts it.
  EXPECT_TRUE(VerifyVector(h, body, kVectorSecret).ok());
  EXPECT_TRUE(VerifyVector(h, body, old_secret).ok());
  // At the expiry the previous secret stops signing.
  h.clear();
  ASSERT_TRUE(AppendSignatureHeaders(w, kVectorId, *w.previous_secret_expires, body, h).ok());
  EXPECT_EQ(h[2].second,
            StandardSignature(*SigningKey(kVectorSecret), kVectorId, kVectorTimestamp + 60, body));
  EXPECT_TRUE(VerifySignature(kVectorSecret, h, body, kVectorTimestamp + 60).ok());
  EXPECT_FALSE(VerifySignature(old_secret, h, body, kVectorTimestamp + 60).ok());
}

}  // namespace
}  // namespace herald::delivery
