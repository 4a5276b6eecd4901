#include "web/session.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>

#include "common/log.h"
#include "common/strings.h"

namespace herald::web {

namespace {

constexpr TimeUs Micros(std::chrono::microseconds d) { return d.count(); }

Session FromStored(std::string id, UiSession&& u) {
  Session s;
  s.id = std::move(id);
  s.id_hash = std::move(u.id_hash);
  s.csrf = std::move(u.csrf);
  s.token_id = u.token_id;
  s.token_name = std::move(u.token.name);
  s.token_prefix = std::move(u.token.key_prefix);
  s.scope = u.token.scope;
  s.flash = std::move(u.flash);
  return s;
}

}  // namespace

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

std::string HashSessionId(const std::string& id) { return HashTokenKey(id); }  // hex SHA-256

SessionStore::SessionStore(Store& store, size_t max_per_token, const Clock& clock)
    : store_(store),
      max_per_token_(static_cast<int64_t>(std::max<size_t>(1, max_per_token))),
      clock_(clock) {}

TimeUs SessionStore::ExpiresAt(TimeUs created, TimeUs last_seen) {
  // Live while unused for at most the idle timeout and at most the maximum age old.
  return std::min(last_seen + Micros(kSessionIdleTimeout), created + Micros(kSessionMaxAge)) + 1;
}

Result<Session> SessionStore::Create(const ApiToken& token) {
  const TimeUs now = clock_.NowUs();
  std::string id = RandomHex(32);
  UiSession u;
  u.id_hash = HashSessionId(id);
  u.csrf = RandomHex(32);
  u.token_id = token.id;
  u.created_at = u.last_seen_at = now;
  u.expires_at = ExpiresAt(now, now);
  auto ended = store_.CreateSession(u, max_per_token_, now);
  if (!ended.ok()) return ended.status();
  if (*ended > 0) {
    log::Info("ui sessions ended to make room", {{"token_id", static_cast<long long>(token.id)},
                                                 {"count", static_cast<long long>(*ended)}});
  }
  u.token = token;
  return FromStored(std::move(id), std::move(u));
}

Result<Session> SessionStore::Find(const std::string& id, bool touch) {
  if (id.empty()) return Status(Code::kNotFound, "no session");
  const TimeUs now = clock_.NowUs();
  std::string hash = HashSessionId(id);
  auto u = store_.FindSession(hash, now);
  if (!u.ok()) return u.status();
  if (touch && now - u->last_seen_at >= Micros(kSessionTouchInterval)) {
    Status st = store_.TouchSession(hash, now, ExpiresAt(u->created_at, now));
    // Ended or expired between the two calls: gone. A failed write only loses the touch.
    if (st.code() == Code::kNotFound) return st;
    if (!st.ok()) log::Warning("cannot record a ui session's use", {{"error", st.message()}});
  }
  return FromStored(id, std::move(*u));
}

Status SessionStore::Remove(const Session& session) {
  Status st = store_.DeleteSession(session.id_hash);
  return st.code() == Code::kNotFound ? Status::Ok() : st;
}

void SessionStore::SetFlash(Session& session, const std::string& message, bool error) {
  session.flash = SessionFlash{message, error};
  Status st = store_.SetSessionFlash(session.id_hash, session.flash);
  if (!st.ok() && st.code() != Code::kNotFound)
    log::Warning("cannot keep a ui message for the next page", {{"error", st.message()}});
}

SessionFlash SessionStore::TakeFlash(Session& session) {
  if (session.flash.message.empty()) return {};  // none was pending: no write
  session.flash = {};
  auto taken = store_.TakeSessionFlash(session.id_hash);
  if (!taken.ok()) {
    if (taken.status().code() != Code::kNotFound)
      log::Warning("cannot read a ui message", {{"error", taken.status().message()}});
    return {};
  }
  return *taken;
}

Result<int64_t> SessionStore::Count(int64_t token_id) {
  return store_.CountSessions(token_id, clock_.NowUs());
}

}  // namespace herald::web
