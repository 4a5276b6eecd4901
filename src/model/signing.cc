#include "model/signing.h"

#include "common/base64.h"

namespace herald {

bool IsSignatureScheme(std::string_view scheme) {
  return scheme == kSchemeNetbox || scheme == kSchemeStandard || scheme == kSchemeBoth;
}

bool SignsNetbox(const Webhook& w) { return w.signature_scheme != kSchemeStandard; }

bool SignsStandard(const Webhook& w) {
  return w.signature_scheme == kSchemeStandard || w.signature_scheme == kSchemeBoth;
}

Result<std::string> SigningKey(std::string_view secret) {
  if (secret.substr(0, kSecretPrefix.size()) != kSecretPrefix) return std::string(secret);
  auto key = Base64Decode(secret.substr(kSecretPrefix.size()));
  if (!key)
    return Status::Error(Code::kInvalidArgument,
                         "A secret starting with \"whsec_\" must continue in base64 (A-Z, a-z, "
                         "0-9, + and /, with = padding).");
  if (key->size() < kMinSecretKeyBytes || key->size() > kMaxSecretKeyBytes)
    return Status::Error(Code::kInvalidArgument, "The key of a \"whsec_\" secret must be " +
                                                     std::to_string(kMinSecretKeyBytes) + " to " +
                                                     std::to_string(kMaxSecretKeyBytes) +
                                                     " bytes; this one has " +
                                                     std::to_string(key->size()) + ".");
  return std::move(*key);
}

bool PreviousSecretValid(const Webhook& w, TimeUs now) {
  return !w.previous_secret.empty() && w.previous_secret_expires &&
         *w.previous_secret_expires > now;
}

}  // namespace herald
