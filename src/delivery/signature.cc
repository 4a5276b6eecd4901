#include "delivery/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "common/base64.h"
#include "common/strings.h"
#include "model/signing.h"

namespace herald::delivery {
namespace {

// The value of header `name` (ASCII case-insensitive; the first of several), or nullptr.
const std::string* FindHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers)
    if (EqualsIgnoreCase(n, name)) return &v;
  return nullptr;
}

void DropHeader(HeaderList& headers, std::string_view name) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto& h) { return EqualsIgnoreCase(h.first, name); }),
                headers.end());
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status Invalid(std::string message) {
  return Status::Error(Code::kInvalidArgument, std::move(message));
}

Result<std::string> VerifyStandard(std::string_view secret, const HeaderList& headers,
                                   std::string_view body, int64_t now, int64_t tolerance) {
  const std::string* id = FindHeader(headers, kWebhookIdHeader);
  const std::string* ts_text = FindHeader(headers, kWebhookTimestampHeader);
  const std::string* sigs = FindHeader(headers, kWebhookSignatureHeader);
  if (!id) return Invalid("missing header webhook-id");
  if (!ts_text) return Invalid("missing header webhook-timestamp");
  int64_t ts = 0;
  std::string_view t = TrimBlanks(*ts_text);
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), ts);
  if (ec != std::errc() || end != t.data() + t.size() || t.empty())
    return Invalid("webhook-timestamp is not an integer number of seconds: \"" + *ts_text + "\"");
  // 128-bit sums: neither a hostile timestamp nor a large tolerance can overflow.
  const __int128 age = static_cast<__int128>(now) - ts;
  if (age > tolerance || -age > tolerance)
    return Invalid("webhook-timestamp " + std::to_string(ts) + " is " +
                   (age > 0 ? "older" : "further in the future") + " than the tolerance of " +
                   std::to_string(tolerance) + " s allows (the time here is " +
                   std::to_string(now) + ")");
  auto key = SigningKey(secret);
  if (!key.ok()) return Invalid("secret: " + key.status().message());
  const std::string expected = StandardSignature(*key, *id, ts, body);
  int v1 = 0;
  for (const std::string& sig : SplitNonEmpty(*sigs, ' ')) {
    if (sig.rfind("v1,", 0) != 0) continue;
    ++v1;
    if (ConstantTimeEqual(sig, expected)) return std::string(kSchemeStandard);
  }
  if (v1 == 0) return Invalid("webhook-signature holds no v1 signature");
  return Invalid("no signature in webhook-signature matches (" + std::to_string(v1) +
                 " v1 signature" + (v1 == 1 ? "" : "s") +
                 " checked): wrong secret, or the body, webhook-id or webhook-timestamp "
                 "changed");
}

}  // namespace

std::string StandardSignature(std::string_view key, std::string_view id, int64_t timestamp,
                              std::string_view body) {
  std::string content;
  content.reserve(id.size() + body.size() + 24);
  content.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  static const unsigned char kEmpty = 0;
  HMAC(EVP_sha256(), key.empty() ? static_cast<const void*>(&kEmpty) : key.data(),
       static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), digest, &len);
  return "v1," + Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

Status AppendSignatureHeaders(const Webhook& w, std::string_view message_id, TimeUs now,
                              std::string_view body, HeaderList& headers) {
  if (SignsStandard(w)) {
    std::string signatures;
    if (!w.secret.empty()) {
      const int64_t ts = now / 1'000'000;
      std::vector<std::pair<const char*, const std::string*>> secrets = {{"secret", &w.secret}};
      if (PreviousSecretValid(w, now)) secrets.emplace_back("previous_secret", &w.previous_secret);
      for (const auto& [field, secret] : secrets) {
        auto key = SigningKey(*secret);
        if (!key.ok())
          return Invalid("Error forming HTTP request: " + std::string(field) + ": " +
                         key.status().message());
        if (!signatures.empty()) signatures += ' ';
        signatures += StandardSignature(*key, message_id, ts, body);
      }
    }
    for (std::string_view name :
         {kWebhookIdHeader, kWebhookTimestampHeader, kWebhookSignatureHeader})
      DropHeader(headers, name);
    headers.emplace_back(std::string(kWebhookIdHeader), std::string(message_id));
    headers.emplace_back(std::string(kWebhookTimestampHeader), std::to_string(now / 1'000'000));
    if (!signatures.empty())
      headers.emplace_back(std::string(kWebhookSignatureHeader), std::move(signatures));
  }
  if (SignsNetbox(w) && !w.secret.empty()) {
    DropHeader(headers, kSignatureHeader);
    headers.emplace_back(std::string(kSignatureHeader), SignBody(w.secret, body));
  }
  return Status::Ok();
}

Result<std::string> GenerateSecret() {
  unsigned char key[kGeneratedSecretKeyBytes];
  if (RAND_bytes(key, sizeof key) != 1)
    return Status::Error(Code::kInternal, "RandomError",
                         "the system gave no random bytes (OpenSSL RAND_bytes); no secret was "
                         "generated");
  return std::string(kSecretPrefix) +
         Base64Encode(std::string_view(reinterpret_cast<const char*>(key), sizeof key));
}

Result<std::string> VerifySignature(std::string_view secret, const HeaderList& headers,
                                    std::string_view body, int64_t now_seconds,
                                    int64_t tolerance_seconds) {
  if (FindHeader(headers, kWebhookSignatureHeader))
    return VerifyStandard(secret, headers, body, now_seconds, tolerance_seconds);
  const std::string* hook = FindHeader(headers, kSignatureHeader);
  if (!hook)
    return Invalid(
        "no signature header: expected webhook-signature (with webhook-id and "
        "webhook-timestamp) or X-Hook-Signature");
  if (!ConstantTimeEqual(AsciiLower(TrimBlanks(*hook)), SignBody(secret, body)))
    return Invalid("X-Hook-Signature does not match: wrong secret, or the body changed");
  return std::string(kSchemeNetbox);
}

}  // namespace herald::delivery
