// Clock: the real clock agrees with common/time.h; a FakeClock moves only when told, moves wall
// and steady time together, and its waits end on the condition or on an Advance past the
// deadline, never on real time.
#include "common/clock.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "common/time.h"

namespace herald {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::seconds;

TEST(SystemClock, ReadsTheSystemTime) {
  int64_t before = NowUs();
  int64_t now = SystemClock().NowUs();
  int64_t after = NowUs();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
  auto s0 = std::chrono::steady_clock::now();
  auto s1 = SystemClock().SteadyNow();
  EXPECT_LE(s0, s1);
  EXPECT_LE(s1, std::chrono::steady_clock::now());
}

TEST(SystemClock, WaitUntilReturnsAtOnceWhenDone) {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_TRUE(
      SystemClock().WaitUntil(lock, cv, SystemClock().SteadyNow() + hours(1), [] { return true; }));
  EXPECT_FALSE(SystemClock().WaitUntil(lock, cv, SystemClock().SteadyNow() - seconds(1),
                                       [] { return false; }));
}

TEST(FakeClock, StandsStillUntilAdvanced) {
  FakeClock clock;
  EXPECT_EQ(clock.NowUs(), FakeClock::kDefaultStartUs);
  EXPECT_EQ(FormatIsoUtc(clock.NowUs(), 'Z'), "2026-01-01T00:00:00Z");
  auto steady = clock.SteadyNow();
  EXPECT_EQ(clock.SteadyNow(), steady);
  clock.Advance(seconds(90));
  EXPECT_EQ(clock.NowUs(), FakeClock::kDefaultStartUs + 90'000'000);
  EXPECT_EQ(clock.SteadyNow() - steady, seconds(90));
  clock.Advance(microseconds(-5));
  EXPECT_EQ(clock.SteadyNow() - steady, seconds(90)) << "time never runs backwards";
  FakeClock other(1'000'000);
  EXPECT_EQ(other.NowUs(), 1'000'000);
}

TEST(FakeClock, WaitEndsWhenTheConditionHolds) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  std::thread setter([&] {
    std::lock_guard<std::mutex> lock(mu);
    ready = true;
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_TRUE(clock.WaitUntil(lock, cv, clock.SteadyNow() + hours(1), [&] { return ready; }));
  lock.unlock();
  setter.join();
}

TEST(FakeClock, WaitEndsOnlyWhenAdvancedToTheDeadline) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  const auto deadline = clock.SteadyNow() + seconds(10);
  auto waited = std::async(std::launch::async, [&] {
    std::unique_lock<std::mutex> lock(mu);
    return clock.WaitUntil(lock, cv, deadline, [] { return false; });
  });
  clock.Advance(seconds(9));
  EXPECT_EQ(waited.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "a second short of the deadline";
  clock.Advance(seconds(1));
  EXPECT_FALSE(waited.get()) << "the deadline passed without the condition";
}

}  // namespace
}  // namespace herald
