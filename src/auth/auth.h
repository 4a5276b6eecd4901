// API tokens: generation, hashing, the Authorization header, what each scope may do, and a small
// verified-token cache. The REST API (a token in each request's header) and the UI (a key typed
// into the sign-in form) both resolve tokens and check scopes here.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
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

// What a request asks of its token.
enum class Access {
  kRead,         // read the configuration, events and tasks (API GET/HEAD, the UI's pages)
  kWrite,        // change anything (API writes, the UI's changing forms)
  kIngest,       // post events (POST /api/events/)
  kCredentials,  // see credential header values and signatures (model/redact.h)
};

// Whether a token of `scope` may do `access`: admin tokens everything, read-only tokens only
// kRead, ingest-only tokens only kIngest. The one statement of what the scopes mean.
bool ScopeAllows(TokenScope scope, Access access);

// The key of an "Authorization: Token <key>" or "Authorization: Bearer <key>" header: the
// keyword in any case ("token", "BEARER"), as NetBox matches it; spaces and tabs around the
// value and the key ignored. nullopt when the header is empty or has another form (another
// keyword, no key, a key with a space in it); *why then says which, as the API's 403 detail.
std::optional<std::string_view> ParseAuthorization(std::string_view header, std::string* why);

// How long the API trusts a verified token before asking the store again.
inline constexpr std::chrono::seconds kTokenCacheTtl{10};
// Most tokens cached; beyond it the cache is emptied and refills as tokens are used.
inline constexpr size_t kMaxCachedTokens = 10000;
// Longest key looked up; longer ones are invalid without a store read.
inline constexpr size_t kMaxTokenKeyBytes = 256;

// Resolves token keys to tokens. Verified tokens are cached for `ttl` (on `clock`'s steady time)
// so revocation from another process takes effect within that time; revocation through this
// process (Forget) is immediate. `store` and `clock` must outlive the cache. Thread-safe.
class TokenCache {
 public:
  TokenCache(Store& store, std::chrono::seconds ttl, const Clock& clock = SystemClock())
      : store_(store), ttl_(ttl), clock_(clock) {}
  // The token of an Authorization header (ParseAuthorization, then ResolveKey); nullopt when the
  // header is missing or malformed or the token unknown or revoked; *why says which.
  std::optional<ApiToken> Resolve(std::string_view authorization, std::string* why);
  // The live token whose key is `key` (as given, nothing trimmed); nullopt when the key is empty,
  // longer than kMaxTokenKeyBytes, unknown or revoked (*why: "Invalid token.").
  std::optional<ApiToken> ResolveKey(std::string_view key, std::string* why);
  // Drops `token_id` from the cache: its next use reads the store again.
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
