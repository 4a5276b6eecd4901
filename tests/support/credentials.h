// Credentials the redaction tests plant in webhooks (the signing secret, credential header
// values) and a check that none of them reached a caller who must not see them. Shared by the
// in-process UI tests and the end-to-end API test, so both look for the same values.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace herald::testing {

struct PlantedCredentials {
  static constexpr const char* kSecret = "S3CRET-never-shown-0f1e2d";
  static constexpr const char* kBearer = "bearer-tok-4711";
  static constexpr const char* kApiKey = "apikey-5812";
  static constexpr const char* kCookie = "sid=cookie-6923";
  static constexpr const char* kCustom = "custom-pw-7034";
  static constexpr const char* kTemplated = "templated-8145";
  // In a payload_url: the user info's password and a query parameter named like a credential.
  static constexpr const char* kUrlPassword = "urlpw-9367";
  static constexpr const char* kUrlToken = "urltok-0478";
  // A harmless header value: it must stay visible.
  static constexpr const char* kVisible = "visible-trace-9256";
};

// Fails the test for each planted credential (not kVisible) that `body` contains; `where` says
// which response it was.
inline void ExpectNoPlantedCredential(std::string_view body, const std::string& where) {
  using P = PlantedCredentials;
  for (const char* v : {P::kSecret, P::kBearer, P::kApiKey, P::kCookie, P::kCustom, P::kTemplated,
                        P::kUrlPassword, P::kUrlToken})
    EXPECT_EQ(body.find(v), std::string_view::npos) << where << " leaks " << v << ":\n" << body;
}

}  // namespace herald::testing
