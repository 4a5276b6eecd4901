// Failed sign-in rate limit. See sign_in_limit.h.
#include "web/sign_in_limit.h"

#include <algorithm>

namespace herald::web {

SignInLimiter::SignInLimiter(int max_failures, std::chrono::seconds window, size_t max_addresses)
    : max_failures_(std::max(1, max_failures)),
      window_(std::max(std::chrono::seconds(1), window)),
      max_addresses_(std::max<size_t>(1, max_addresses)) {}

std::chrono::seconds SignInLimiter::RetryAfter(const std::string& address, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(address);
  if (it == entries_.end()) return std::chrono::seconds(0);
  auto end = it->second.window_start + window_;
  if (now >= end) {
    entries_.erase(it);
    return std::chrono::seconds(0);
  }
  if (it->second.failures < max_failures_) return std::chrono::seconds(0);
  auto left = std::chrono::ceil<std::chrono::seconds>(end - now);
  return std::max(std::chrono::seconds(1), left);
}

void SignInLimiter::RecordFailure(const std::string& address, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(address);
  if (it != entries_.end() && now >= it->second.window_start + window_) {
    entries_.erase(it);
    it = entries_.end();
  }
  if (it == entries_.end()) {
    if (entries_.size() >= max_addresses_) MakeRoomLocked(now);
    it = entries_.emplace(address, Entry{now, 0}).first;
  }
  ++it->second.failures;
}

void SignInLimiter::MakeRoomLocked(Clock::time_point now) {
  auto oldest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now >= it->second.window_start + window_) {
      it = entries_.erase(it);
      continue;
    }
    if (oldest == entries_.end() || it->second.window_start < oldest->second.window_start)
      oldest = it;
    ++it;
  }
  if (entries_.size() >= max_addresses_ && oldest != entries_.end()) entries_.erase(oldest);
}

size_t SignInLimiter::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace herald::web
