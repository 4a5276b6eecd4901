#include "web/session.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "common/strings.h"

namespace herald::web {

std::string RandomHex(size_t n_bytes) {
  std::string raw(n_bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(n_bytes)) != 1)
    std::abort();  // no entropy: a broken invariant, never hand out guessable session ids
  return HexEncode(raw);
}

bool SecureEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

SessionStore::SessionStore(size_t max_per_token, const Clock& clock)
    : max_per_token_(std::max<size_t>(1, max_per_token)), clock_(clock) {}

Session SessionStore::Create(const ApiToken& token) {
  Session s;
  s.id = RandomHex(32);
  s.csrf = RandomHex(32);
  s.token_id = token.id;
  s.token_name = token.name;
  s.token_prefix = token.key_prefix;
  s.token_hash = token.key_hash;
  s.scope = token.scope;
  s.created = s.last_used = clock_.SteadyNow();
  std::lock_guard<std::mutex> lock(mu_);
  MakeRoomLocked(token.id);
  sessions_[s.id] = s;
  return s;
}

void SessionStore::MakeRoomLocked(int64_t token_id) {
  auto now = clock_.SteadyNow();
  std::vector<std::unordered_map<std::string, Session>::iterator> mine;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now - it->second.last_used > kSessionIdleTimeout ||
        now - it->second.created > kSessionMaxAge) {
      it = sessions_.erase(it);
      continue;
    }
    if (it->second.token_id == token_id) mine.push_back(it);
    ++it;
  }
  if (mine.size() < max_per_token_) return;
  std::sort(mine.begin(), mine.end(),
            [](const auto& a, const auto& b) { return a->second.last_used < b->second.last_used; });
  size_t drop = mine.size() - max_per_token_ + 1;
  for (size_t i = 0; i < drop; ++i) sessions_.erase(mine[i]);
}

size_t SessionStore::CountForToken(int64_t token_id) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [id, s] : sessions_) n += s.token_id == token_id;
  return n;
}

std::optional<Session> SessionStore::Find(const std::string& id) {
  if (id.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  auto now = clock_.SteadyNow();
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
