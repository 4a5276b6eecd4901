#include "delivery/retry.h"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace herald::delivery {

RetryPolicy PolicyFor(const Webhook& w, const RetryPolicy& defaults) {
  RetryPolicy p = defaults;
  if (w.max_attempts) p.max_attempts = *w.max_attempts;
  if (w.retry_policy)
    p.kind = *w.retry_policy == "fixed" ? RetryKind::kFixed : RetryKind::kExponential;
  if (w.retry_interval) p.interval_seconds = *w.retry_interval;
  return p;
}

std::optional<int64_t> ParseRetryAfter(std::string_view v, int64_t now_us) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) return kMaxRetryAfterSeconds;
    return std::stoll(std::string(v));
  }
  struct tm tm = {};
  std::string s(v);
  if (!strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  int64_t at = timegm(&tm);
  return std::max<int64_t>(0, at - now_us / 1000000);
}

std::optional<int64_t> NextRetryDelayUs(const RetryPolicy& p, int attempts_done, int status,
                                        std::string_view retry_after, int64_t now_us,
                                        double random01) {
  if (attempts_done >= p.max_attempts) return std::nullopt;
  int64_t base = std::max(0, p.interval_seconds);
  double seconds;
  if (p.kind == RetryKind::kFixed) {
    seconds = static_cast<double>(base);
  } else {
    double exp = static_cast<double>(base) * std::pow(2.0, std::min(attempts_done - 1, 30));
    exp = std::min<double>(exp, kMaxBackoffSeconds);
    seconds = exp * (1.0 - kJitterFraction + 2 * kJitterFraction * random01);
  }
  if ((status == 429 || status == 503) && !retry_after.empty()) {
    if (auto ra = ParseRetryAfter(retry_after, now_us)) {
      seconds = std::max<double>(seconds, std::min<int64_t>(*ra, kMaxRetryAfterSeconds));
    }
  }
  return static_cast<int64_t>(seconds * 1e6);
}

}  // namespace herald::delivery
