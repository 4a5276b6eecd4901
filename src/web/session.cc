#include "web/session.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>

namespace herald::web {

std::string RandomHex(size_t n_bytes) {
  std::string raw(n_bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(n_bytes)) != 1)
    std::abort();  // no entropy: a broken invariant, never hand out guessable session ids
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(n_bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

bool SecureEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Session SessionStore::Create(const ApiToken& token) {
  Session s;
  s.id = RandomHex(32);
  s.csrf = RandomHex(32);
  s.token_id = token.id;
  s.token_name = token.name;
  s.token_prefix = token.key_prefix;
  s.token_hash = token.key_hash;
  s.scope = token.scope;
  s.created = s.last_used = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  if (sessions_.size() >= kMaxSessions) EvictLocked();
  sessions_[s.id] = s;
  return s;
}

void SessionStore::EvictLocked() {
  auto now = std::chrono::steady_clock::now();
  auto oldest = sessions_.end();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now - it->second.last_used > kSessionIdleTimeout ||
        now - it->second.created > kSessionMaxAge) {
      it = sessions_.erase(it);
      continue;
    }
    if (oldest == sessions_.end() || it->second.last_used < oldest->second.last_used) oldest = it;
    ++it;
  }
  if (sessions_.size() >= kMaxSessions && oldest != sessions_.end()) sessions_.erase(oldest);
}

std::optional<Session> SessionStore::Find(const std::string& id) {
  if (id.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  auto now = std::chrono::steady_clock::now();
  if (now - it->second.last_used > kSessionIdleTimeout ||
      now - it->second.created > kSessionMaxAge) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second;
}

void SessionStore::Remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(id);
}

void SessionStore::SetFlash(const std::string& id, std::string message, bool error) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  it->second.flash = std::move(message);
  it->second.flash_error = error;
}

std::pair<std::string, bool> SessionStore::TakeFlash(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return {"", false};
  std::pair<std::string, bool> out{std::move(it->second.flash), it->second.flash_error};
  it->second.flash.clear();
  return out;
}

size_t SessionStore::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

}  // namespace herald::web
