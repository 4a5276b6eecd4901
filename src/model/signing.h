// Webhook signature schemes and signing secrets: which signatures a webhook's deliveries carry,
// and the HMAC key a secret stands for. No cryptography here (delivery/signature.h signs and
// verifies); validation/forms.cc and delivery both decide with these, so they agree.
//
//   * "netbox" (the default): X-Hook-Signature, NetBox's lowercase hex HMAC-SHA512 of the body
//     keyed with the secret's text as it is (SPEC §5.5), whatever the secret looks like.
//   * "standard": the Standard Webhooks headers webhook-id, webhook-timestamp and
//     webhook-signature (docs/signatures.md); the HMAC-SHA256 key is SigningKey(secret).
//   * "both": all four headers.
//
// A webhook may also hold a previous secret until a time (rotation): while PreviousSecretValid,
// webhook-signature carries a second signature made with it. X-Hook-Signature never does.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "model/model.h"

namespace herald {

inline constexpr std::string_view kSchemeNetbox = "netbox";
inline constexpr std::string_view kSchemeStandard = "standard";
inline constexpr std::string_view kSchemeBoth = "both";

// The prefix of a Standard Webhooks secret: "whsec_" then the key in base64.
inline constexpr std::string_view kSecretPrefix = "whsec_";
// The key sizes the Standard Webhooks specification allows for a whsec_ secret (bytes).
inline constexpr size_t kMinSecretKeyBytes = 24;
inline constexpr size_t kMaxSecretKeyBytes = 64;
// The size of the keys Herald generates (GenerateSecret in delivery/signature.h).
inline constexpr size_t kGeneratedSecretKeyBytes = 32;

// True for "netbox", "standard" and "both".
bool IsSignatureScheme(std::string_view scheme);

// Whether deliveries of `w` carry X-Hook-Signature (netbox, both; an unknown scheme counts as
// netbox) and the Standard Webhooks headers (standard, both).
bool SignsNetbox(const Webhook& w);
bool SignsStandard(const Webhook& w);

// The HMAC key of a secret for the standard scheme: the base64 decoding of what follows
// "whsec_", or the secret's own bytes when it has no such prefix. Errors (kInvalidArgument, no
// field): text after "whsec_" that is not base64, or a key outside kMinSecretKeyBytes ..
// kMaxSecretKeyBytes.
Result<std::string> SigningKey(std::string_view secret);

// True while `w`'s previous secret still signs: it is set and its expiry is after `now`.
bool PreviousSecretValid(const Webhook& w, TimeUs now);

}  // namespace herald
