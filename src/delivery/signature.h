// Signing and verifying webhook deliveries: NetBox's X-Hook-Signature (SignBody in request.h) and
// the Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature). Which a
// webhook sends, and the key a secret stands for, are model/signing.h's; docs/signatures.md says
// what a receiver checks. Thread-safe; GenerateSecret reads the OS CSPRNG, the rest is pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "delivery/request.h"
#include "model/model.h"

namespace herald::delivery {

// The Standard Webhooks header names (lower-case, as the specification writes them).
inline constexpr std::string_view kWebhookIdHeader = "webhook-id";
inline constexpr std::string_view kWebhookTimestampHeader = "webhook-timestamp";
inline constexpr std::string_view kWebhookSignatureHeader = "webhook-signature";

// How far a webhook-timestamp may be from the verifier's clock, by default (either way).
inline constexpr int64_t kDefaultToleranceSeconds = 300;

// "v1," + base64 of HMAC-SHA256 keyed with `key` (bytes, see SigningKey) over
// "{id}.{timestamp}.{body}".
std::string StandardSignature(std::string_view key, std::string_view id, int64_t timestamp,
                              std::string_view body);

// Appends the signature headers `w`'s scheme asks for to `headers`, for a request with `body`:
//   * standard, both: webhook-id (`message_id`), webhook-timestamp (`now` in whole seconds) and,
//     when a secret is set, webhook-signature: the current secret's signature, then the previous
//     secret's while PreviousSecretValid(w, now), space-separated;
//   * netbox, both: X-Hook-Signature (SignBody with the secret's text), when a secret is set;
//     the previous secret never signs it.
// Any header of the same name (ASCII case-insensitive) already in `headers` is dropped first, so
// additional_headers cannot send a second, conflicting value. Error (kInvalidArgument): a
// "whsec_" secret whose key is not valid (SigningKey), as "Error forming HTTP request: secret:
// ..." (or "previous_secret: ..."); validation refuses such secrets, so only a store written by
// other means holds one.
Status AppendSignatureHeaders(const Webhook& w, std::string_view message_id, TimeUs now,
                              std::string_view body, HeaderList& headers);

// A new secret: "whsec_" + base64 of kGeneratedSecretKeyBytes random bytes (OpenSSL RAND_bytes).
// Error "RandomError" when the OS gives no randomness.
Result<std::string> GenerateSecret();

// Checks a delivery's signature as a receiver would, with `secret` as configured in Herald
// (a "whsec_" secret or a raw one). `headers` are the request's (names in any case).
//   * With a webhook-signature header: webhook-id and webhook-timestamp must be present, the
//     timestamp an integer within `tolerance_seconds` of `now_seconds`, and one of the
//     space-separated "v1,<base64>" values must equal StandardSignature (constant-time compare);
//     other versions are skipped.
//   * Else with X-Hook-Signature: it must equal SignBody(secret, body) (lower-case hex).
// OK with the scheme that matched in the message ("standard" or "netbox"); otherwise
// kInvalidArgument with a message saying what failed (missing header, bad timestamp, too old,
// no signature matches).
Result<std::string> VerifySignature(std::string_view secret, const HeaderList& headers,
                                    std::string_view body, int64_t now_seconds,
                                    int64_t tolerance_seconds = kDefaultToleranceSeconds);

}  // namespace herald::delivery
