#include "delivery/retry.h"

#include <gtest/gtest.h>

namespace herald::delivery {
namespace {

constexpr int64_t kNow = 1764000000LL * 1000000;  // a fixed wall-clock time (us)

TEST(Retry, FixedIntervalLikeNetBox) {
  RetryPolicy p{3, RetryKind::kFixed, 60};
  EXPECT_EQ(NextRetryDelayUs(p, 1, 500, "", kNow, 0.5), 60'000'000);
  EXPECT_EQ(NextRetryDelayUs(p, 2, 500, "", kNow, 0.9), 60'000'000);
  EXPECT_FALSE(NextRetryDelayUs(p, 3, 500, "", kNow, 0.5)) << "attempts exhausted";
  RetryPolicy immediate{2, RetryKind::kFixed, 0};
  EXPECT_EQ(NextRetryDelayUs(immediate, 1, 0, "", kNow, 0.5), 0);
}

TEST(Retry, ExponentialWithJitterAndCap) {
  RetryPolicy p{40, RetryKind::kExponential, 10};
  // Attempt n waits base * 2^(n-1), +-20 %.
  EXPECT_EQ(*NextRetryDelayUs(p, 1, 500, "", kNow, 0.5), 10'000'000);
  EXPECT_EQ(*NextRetryDelayUs(p, 3, 500, "", kNow, 0.5), 40'000'000);
  EXPECT_EQ(*NextRetryDelayUs(p, 3, 500, "", kNow, 0.0), 32'000'000);
  EXPECT_EQ(*NextRetryDelayUs(p, 30, 500, "", kNow, 0.5), kMaxBackoffSeconds * 1'000'000);
}

TEST(Retry, RetryAfterHonouredOn429And503Only) {
  RetryPolicy p{5, RetryKind::kFixed, 1};
  EXPECT_EQ(NextRetryDelayUs(p, 1, 429, "120", kNow, 0.5), 120'000'000);
  EXPECT_EQ(NextRetryDelayUs(p, 1, 503, "120", kNow, 0.5), 120'000'000);
  EXPECT_EQ(NextRetryDelayUs(p, 1, 500, "120", kNow, 0.5), 1'000'000) << "ignored on 500";
  EXPECT_EQ(NextRetryDelayUs(p, 1, 429, "999999", kNow, 0.5), kMaxRetryAfterSeconds * 1'000'000);
  EXPECT_EQ(NextRetryDelayUs(p, 1, 429, "soon", kNow, 0.5), 1'000'000) << "malformed: ignored";
  // HTTP date 30 s after kNow.
  EXPECT_EQ(ParseRetryAfter("Mon, 24 Nov 2025 16:00:30 GMT", 1764000000LL * 1000000), 30);
}

TEST(Retry, WebhookOverridesDefaults) {
  Webhook w;
  w.max_attempts = 7;
  w.retry_policy = "fixed";
  RetryPolicy d{1, RetryKind::kExponential, 60};
  RetryPolicy p = PolicyFor(w, d);
  EXPECT_EQ(p.max_attempts, 7);
  EXPECT_EQ(p.kind, RetryKind::kFixed);
  EXPECT_EQ(p.interval_seconds, 60);
}

}  // namespace
}  // namespace herald::delivery
