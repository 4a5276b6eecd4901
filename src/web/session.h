// UI sessions: who is signed in, with which API token, and the CSRF token of their forms.
//
// A session is created when a user signs in with an API token. The browser keeps only a random
// session id in the `herald_session` cookie (HttpOnly, SameSite=Strict, Path=/); the token key
// itself is never stored, only its hash (to notice revocation) and its scope. Sessions live in
// memory: a restart signs everyone out. Named limits bound their lifetime and their number per
// API token: signing in once more beyond the cap ends that token's least recently used session,
// never another token's (a global cap would let any token sign everyone else out by signing in
// often enough). The total is thus at most (tokens x cap); expired sessions are swept on
// every sign-in.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "auth/auth.h"
#include "common/clock.h"
#include "model/model.h"

namespace herald::web {

// A session unused for this long expires.
inline constexpr std::chrono::hours kSessionIdleTimeout{12};
// A session expires this long after sign-in, however active.
inline constexpr std::chrono::hours kSessionMaxAge{24 * 7};
// Default of ui.max_sessions_per_token: sessions kept per API token.
inline constexpr size_t kMaxSessionsPerToken = 20;

struct Session {
  std::string id;    // cookie value: 64 hex characters (256 random bits)
  std::string csrf;  // hidden form field value: 64 hex characters
  int64_t token_id = 0;
  std::string token_name;
  std::string token_prefix;
  std::string token_hash;  // to re-check the token (revocation) on every request
  TokenScope scope = TokenScope::kReadOnly;
  std::string flash;  // one-shot message shown on the next page
  bool flash_error = false;
  std::chrono::steady_clock::time_point created, last_used;

  bool can_write() const { return ScopeAllows(scope, Access::kWrite); }
};

// 2n random hex characters from the OS CSPRNG (OpenSSL RAND_bytes).
std::string RandomHex(size_t n_bytes);
// Constant-time string equality (for CSRF tokens).
bool SecureEquals(std::string_view a, std::string_view b);

// Thread-safe in-memory session table.
class SessionStore {
 public:
  // `max_per_token` >= 1 (0 is read as 1). Lifetimes are judged by `clock`'s steady time;
  // `clock` must outlive the store.
  explicit SessionStore(size_t max_per_token = kMaxSessionsPerToken,
                        const Clock& clock = SystemClock());
  // Creates a session for `token` and returns a copy of it. When the token already has
  // max_per_token live sessions, its least recently used one ends first.
  Session Create(const ApiToken& token);
  // The live session with this id (touching its last-use time), or nullopt when unknown/expired.
  std::optional<Session> Find(const std::string& id);
  void Remove(const std::string& id);
  // Sets / takes the one-shot message of a session (no-op when the session is gone).
  void SetFlash(const std::string& id, std::string message, bool error);
  std::pair<std::string, bool> TakeFlash(const std::string& id);
  size_t size();
  // Live sessions of one token.
  size_t CountForToken(int64_t token_id);

 private:
  // Drops expired sessions, then `token_id`'s least recently used ones until it has room.
  void MakeRoomLocked(int64_t token_id);
  const size_t max_per_token_;
  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Session> sessions_;
};

}  // namespace herald::web
