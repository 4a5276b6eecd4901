#include "auth/auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "common/log.h"
#include "common/strings.h"

namespace herald {

Result<std::string> NewTokenKey(RandomBytesFn random) {
  unsigned char buf[20];
  int rc = random ? random(buf, sizeof buf) : RAND_bytes(buf, sizeof buf);
  if (rc != 1) {
    return Status::Error(Code::kUnavailable,
                         "the system's secure random number generator failed (OpenSSL "
                         "RAND_bytes); no token was created");
  }
  return HexEncode(buf, sizeof buf);
}

Result<NewApiToken> CreateApiToken(Store& store, TokenScope scope, std::string name) {
  auto key = NewTokenKey();
  if (!key.ok()) return key.status();
  ApiToken t;
  t.name = std::move(name);
  t.key_hash = HashTokenKey(*key);
  t.key_prefix = key->substr(0, 8);
  t.scope = scope;
  auto created = store.CreateToken(std::move(t));
  if (!created.ok()) return created.status();
  return NewApiToken{std::move(*created), std::move(*key)};
}

std::string GenerateTokenKey() {
  auto key = NewTokenKey();
  if (!key.ok()) {
    std::fprintf(stderr, "herald: %s\n", key.status().message().c_str());
    std::abort();
  }
  return *key;
}

std::string HashTokenKey(const std::string& key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), md, &len, EVP_sha256(), nullptr);
  return HexEncode(md, len);
}

bool ScopeAllows(TokenScope scope, Access access) {
  switch (scope) {
    case TokenScope::kAdmin: return true;
    case TokenScope::kReadOnly: return access == Access::kRead;
    case TokenScope::kIngestOnly: return access == Access::kIngest;
  }
  return false;
}

std::optional<std::string_view> ParseAuthorization(std::string_view header, std::string* why) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  auto strip = [&](std::string_view s) {
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
  };
  header = strip(header);
  if (header.empty()) {
    *why = "Authentication credentials were not provided.";
    return std::nullopt;
  }
  // "<keyword> <key>": the keyword in any case, as NetBox matches it; the key one word.
  size_t sp = 0;
  while (sp < header.size() && !blank(header[sp])) ++sp;
  std::string_view keyword = header.substr(0, sp), key = strip(header.substr(sp));
  bool known = EqualsIgnoreCase(keyword, "Token") || EqualsIgnoreCase(keyword, "Bearer");
  if (known && !key.empty() && std::none_of(key.begin(), key.end(), blank)) return key;
  *why = "Invalid authorization header: expected \"Token <key>\" or \"Bearer <key>\".";
  return std::nullopt;
}

std::optional<ApiToken> TokenCache::Resolve(std::string_view authorization, std::string* why) {
  auto key = ParseAuthorization(authorization, why);
  if (!key) return std::nullopt;
  return ResolveKey(*key, why);
}

std::optional<ApiToken> TokenCache::ResolveKey(std::string_view key, std::string* why) {
  if (key.empty() || key.size() > kMaxTokenKeyBytes) {
    *why = "Invalid token.";
    return std::nullopt;
  }
  std::string hash = HashTokenKey(std::string(key));
  auto now = clock_.SteadyNow();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_hash_.find(hash);
    if (it != by_hash_.end() && it->second.expires > now) return it->second.token;
  }
  auto t = store_.FindTokenByHash(hash);
  if (!t.ok()) {
    if (t.status().code() != Code::kNotFound)
      log::Warning("token refused", {{"error", t.status().message()}});
    *why = "Invalid token.";
    return std::nullopt;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (by_hash_.size() > kMaxCachedTokens) by_hash_.clear();
  by_hash_[hash] = {*t, now + ttl_};
  return *t;
}

void TokenCache::Forget(int64_t token_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = by_hash_.begin(); it != by_hash_.end();) {
    if (it->second.token.id == token_id) it = by_hash_.erase(it);
    else ++it;
  }
}

}  // namespace herald
