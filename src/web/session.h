// UI sessions: who is signed in, with which API token, and the CSRF token of their forms.
//
// A session is created when a user signs in with an API token. The browser keeps only a random
// session id in the `herald_session` cookie (HttpOnly, SameSite=Strict, Path=/); the sessions
// live in the store (Store's UI session methods), which keeps only the id's SHA-256 hash, the
// CSRF token, the token's id and the one-shot flash message. Every process on the store thus
// shares the sessions: a session signed in through one `herald serve` is valid in every other,
// and a restart signs nobody out. The token key itself is never stored; the session's token is
// read back with it (a revoked token's sessions end at once, on every node: RevokeToken deletes
// them in the same transaction).
//
// Named limits bound a session's lifetime (idle and absolute) and their number per API token:
// signing in once more beyond the cap ends that token's least recently used session, never
// another token's (a global cap would let any token sign everyone else out by signing in often
// enough); expired sessions are swept on every sign-in. A use is recorded (and the idle expiry
// pushed back) at most once per kSessionTouchInterval, so page views do not each write to the
// store; least recently used is judged on those recorded uses.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "auth/auth.h"
#include "common/clock.h"
#include "common/status.h"
#include "model/model.h"
#include "store/store.h"

namespace herald::web {

// A session unused for this long expires.
inline constexpr std::chrono::hours kSessionIdleTimeout{12};
// A session expires this long after sign-in, however active.
inline constexpr std::chrono::hours kSessionMaxAge{24 * 7};
// Default of ui.max_sessions_per_token: sessions kept per API token.
inline constexpr size_t kMaxSessionsPerToken = 20;
// A session's use is written to the store at most this often.
inline constexpr std::chrono::minutes kSessionTouchInterval{1};

// A live session as a request sees it.
struct Session {
  std::string id;       // cookie value: 64 hex characters (256 random bits); never stored
  std::string id_hash;  // HashSessionId(id): the store's key
  std::string csrf;     // hidden form field value: 64 hex characters
  int64_t token_id = 0;
  std::string token_name;
  std::string token_prefix;
  TokenScope scope = TokenScope::kReadOnly;
  SessionFlash flash;  // the one-shot message pending when the session was read

  bool can_write() const { return ScopeAllows(scope, Access::kWrite); }
};

// 2n random hex characters from the OS CSPRNG (OpenSSL RAND_bytes).
std::string RandomHex(size_t n_bytes);
// Constant-time string equality (for CSRF tokens).
bool SecureEquals(std::string_view a, std::string_view b);
// Hex SHA-256 of a session id: what the store keeps instead of the id.
std::string HashSessionId(const std::string& id);

// The UI's view of the store's sessions: ids, hashing, lifetimes and the touch interval.
// Thread-safe (the store is); holds no session state of its own.
class SessionStore {
 public:
  // `max_per_token` >= 1 (0 is read as 1). Lifetimes are judged by `clock`'s wall time (stored
  // and compared across processes). `store` and `clock` must outlive this object.
  SessionStore(Store& store, size_t max_per_token = kMaxSessionsPerToken,
               const Clock& clock = SystemClock());

  // Creates a session for `token` (with a new id and CSRF token) and returns it. When the
  // token already has max_per_token live sessions, its least recently used one ends first.
  // NotFound when the token was revoked meanwhile; the store's error otherwise.
  Result<Session> Create(const ApiToken& token);
  // The live session with cookie value `id`. NotFound when the id is empty, unknown, ended,
  // expired, or its token is revoked; another code when the store fails. With `touch`, a use is
  // recorded (pushing the idle expiry back) when the last recorded one is at least
  // kSessionTouchInterval old.
  Result<Session> Find(const std::string& id, bool touch = true);
  // Ends the session (sign-out); an unknown session is not an error.
  Status Remove(const Session& session);
  // Leaves a one-shot message for the session's next page (logged, not fatal, on failure).
  void SetFlash(Session& session, const std::string& message, bool error);
  // Takes the session's pending message (empty when none); the store hands each message to one
  // page only, whichever process renders it.
  SessionFlash TakeFlash(Session& session);
  // Live sessions of one token, or of every token when `token_id` is 0.
  Result<int64_t> Count(int64_t token_id = 0);

 private:
  // When a session created at `created` and last used at `last_seen` expires: the store's
  // expires_at (live while now < expires_at).
  static TimeUs ExpiresAt(TimeUs created, TimeUs last_seen);

  Store& store_;
  const int64_t max_per_token_;
  const Clock& clock_;
};

}  // namespace herald::web
