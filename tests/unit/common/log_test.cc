// log::Throttle: one line per interval, with the count of the lines held back in between.
#include "common/log.h"

#include <gtest/gtest.h>

namespace herald::log {
namespace {

using std::chrono::seconds;

TEST(Throttle, LetsTheFirstLineThroughThenOnePerInterval) {
  Throttle t(seconds(10));
  const Throttle::Clock::time_point t0{};
  long long held = -1;
  ASSERT_TRUE(t.Allow(t0, &held));
  EXPECT_EQ(held, 0);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(t.Allow(t0 + seconds(i), &held));
  EXPECT_FALSE(t.Allow(t0 + seconds(9), &held));
  ASSERT_TRUE(t.Allow(t0 + seconds(10), &held));
  EXPECT_EQ(held, 6) << "the calls refused since the last line";
  ASSERT_TRUE(t.Allow(t0 + seconds(30), &held));
  EXPECT_EQ(held, 0);
}

TEST(Throttle, AClockBeforeTheFirstCallStillCounts) {
  // The steady clock's epoch is arbitrary: a first call at the epoch itself is let through.
  Throttle t(seconds(1));
  long long held = -1;
  EXPECT_TRUE(t.Allow(Throttle::Clock::time_point{}, &held));
  EXPECT_FALSE(t.Allow(Throttle::Clock::time_point{}, &held));
}

}  // namespace
}  // namespace herald::log
