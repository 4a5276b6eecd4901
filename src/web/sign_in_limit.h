// Rate limit of failed UI sign-ins per client address.
//
// Each client address (web/client_address.h) may fail to sign in at most `max_failures` times
// in a window of `window`; the window starts at its first failure. Past that, every sign-in
// from the address (even with a valid token, so the limiter is no oracle) is refused with 429
// until the window ends, then the count starts again. A successful sign-in does not reset the
// count. The table of addresses is bounded (kMaxTrackedAddresses): when it is full, expired
// entries go first, then the entry whose window started earliest.
//
// Thread-safe. Time is passed in by the caller (steady clock), so tests control it.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace herald::web {

// Defaults of ui.max_failed_sign_ins and ui.failed_sign_in_window.
inline constexpr int kMaxFailedSignIns = 10;
inline constexpr std::chrono::seconds kFailedSignInWindow{300};
// Most client addresses whose failures are remembered at once (about 100 bytes each).
inline constexpr size_t kMaxTrackedAddresses = 10000;

class SignInLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // `max_failures` >= 1; `window` > 0.
  SignInLimiter(int max_failures, std::chrono::seconds window,
                size_t max_addresses = kMaxTrackedAddresses);

  // Zero when `address` may try to sign in now; else how long until it may (>= 1 s).
  std::chrono::seconds RetryAfter(const std::string& address, Clock::time_point now);
  // Records a failed sign-in from `address`.
  void RecordFailure(const std::string& address, Clock::time_point now);
  // Addresses currently remembered (for tests).
  size_t size();

 private:
  struct Entry {
    Clock::time_point window_start;
    int failures = 0;
  };
  void MakeRoomLocked(Clock::time_point now);

  const int max_failures_;
  const std::chrono::seconds window_;
  const size_t max_addresses_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace herald::web
