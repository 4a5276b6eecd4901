// Retry policy: when (and whether) a failed delivery is tried again. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/model.h"

namespace herald::delivery {

enum class RetryKind { kFixed, kExponential };

struct RetryPolicy {
  // The defaults are those of delivery.max_attempts, retry_policy and retry_interval (herald
  // fills them from its settings; config_test checks they agree).
  int max_attempts = 1;  // total attempts including the first; 1 = no retry
  RetryKind kind = RetryKind::kExponential;
  int interval_seconds = 60;  // fixed: every wait (NetBox RQ_RETRY_INTERVAL); exponential: base
};

// Named bounds.
inline constexpr int64_t kMaxBackoffSeconds = 6 * 3600;  // exponential waits are capped here
inline constexpr int64_t kMaxRetryAfterSeconds = 3600;   // Retry-After is honoured up to this
inline constexpr double kJitterFraction = 0.2;           // exponential: uniform +-20 %

// The webhook's policy, its unset fields taken from `defaults`.
RetryPolicy PolicyFor(const Webhook& w, const RetryPolicy& defaults);

// Delay in microseconds before the next attempt after `attempts_done` failed attempts (>= 1), or
// nullopt when the policy is exhausted. `status` and `retry_after` come from the final response
// (Retry-After, seconds or an HTTP date, is honoured on 429 and 503 within kMaxRetryAfterSeconds).
// `random01` in [0, 1) drives the jitter.
std::optional<int64_t> NextRetryDelayUs(const RetryPolicy& p, int attempts_done, int status,
                                        std::string_view retry_after, int64_t now_us,
                                        double random01);

// Parses Retry-After (delta seconds or IMF-fixdate) into seconds from now; nullopt if malformed.
std::optional<int64_t> ParseRetryAfter(std::string_view value, int64_t now_us);

}  // namespace herald::delivery
