#include "api/auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <random>

namespace herald {

namespace {
std::string Hex(const unsigned char* p, size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 15];
  }
  return out;
}
}  // namespace

std::string GenerateTokenKey() {
  unsigned char buf[20];
  if (RAND_bytes(buf, sizeof buf) != 1) {
    std::random_device rd;
    for (auto& b : buf) b = static_cast<unsigned char>(rd());
  }
  return Hex(buf, sizeof buf);
}

std::string HashTokenKey(const std::string& key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), md, &len, EVP_sha256(), nullptr);
  return Hex(md, len);
}

std::optional<ApiToken> TokenCache::Resolve(std::string_view auth, std::string* why) {
  auto strip = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  auth = strip(auth);
  if (auth.empty()) {
    *why = "Authentication credentials were not provided.";
    return std::nullopt;
  }
  std::string_view key;
  if (auth.rfind("Token ", 0) == 0) key = strip(auth.substr(6));
  else if (auth.rfind("Bearer ", 0) == 0) key = strip(auth.substr(7));
  else {
    *why = "Invalid authorization header: expected \"Token <key>\" or \"Bearer <key>\".";
    return std::nullopt;
  }
  if (key.empty() || key.size() > 256) {
    *why = "Invalid token.";
    return std::nullopt;
  }
  std::string hash = HashTokenKey(std::string(key));
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_hash_.find(hash);
    if (it != by_hash_.end() && it->second.expires > now) return it->second.token;
  }
  auto t = store_.FindTokenByHash(hash);
  if (!t.ok()) {
    *why = "Invalid token.";
    return std::nullopt;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (by_hash_.size() > 10000) by_hash_.clear();
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
