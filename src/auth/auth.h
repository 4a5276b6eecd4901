// API tokens: generation, hashing, and a small verified-token cache.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/status.h"
#include "model/model.h"
#include "store/store.h"

namespace herald {

// The source of random bytes for token keys: OpenSSL's RAND_bytes signature (1 = success).
using RandomBytesFn = int (*)(unsigned char* buf, int n);

// A new random token key: 40 lower-case hex characters (160 bits) from `random` (default: the
// OS CSPRNG through OpenSSL's RAND_bytes). Error "RandomError" when the source fails; there is
// no fallback to a weaker source.
Result<std::string> NewTokenKey(RandomBytesFn random = nullptr);
// NewTokenKey(), aborting the process with a message if the CSPRNG fails (a broken invariant:
// never hand out a guessable key). For tests and callers that cannot report an error.
std::string GenerateTokenKey();
// Hex SHA-256 of the key (what the store keeps).
std::string HashTokenKey(const std::string& key);

// A token and its key, as CreateApiToken returns them; the key is shown once and never stored.
struct NewApiToken {
  ApiToken token;   // as stored (id assigned)
  std::string key;  // 40 hex characters
};

// Creates a token of `scope` named `name`: a new key (NewTokenKey), its hash and prefix stored.
// Errors: NewTokenKey's "RandomError", or the store's error.
Result<NewApiToken> CreateApiToken(Store& store, TokenScope scope, std::string name);

// How long the API trusts a verified token before asking the store again.
inline constexpr std::chrono::seconds kTokenCacheTtl{10};

// Resolves "Authorization: Token <key>" / "Bearer <key>" headers to tokens. Verified tokens are
// cached for `ttl` (on `clock`'s steady time) so revocation from another process takes effect
// within that time; revocation through this process (Forget) is immediate. `store` and `clock`
// must outlive the cache. Thread-safe.
class TokenCache {
 public:
  TokenCache(Store& store, std::chrono::seconds ttl, const Clock& clock = SystemClock())
      : store_(store), ttl_(ttl), clock_(clock) {}
  // nullopt when the header is missing/malformed or the token unknown/revoked; *why says which.
  std::optional<ApiToken> Resolve(std::string_view authorization, std::string* why);
  void Forget(int64_t token_id);

 private:
  struct Entry {
    ApiToken token;
    Clock::SteadyTime expires;
  };
  Store& store_;
  std::chrono::seconds ttl_;
  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> by_hash_;
};

}  // namespace herald
