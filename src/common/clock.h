// Clock: the one seam for time. Code that reads the time, or waits for time to pass, takes a
// `const Clock&` (SystemClock() in production), so a test can hand it a FakeClock and move time
// by hand instead of sleeping: session expiry, sign-in windows, token cache lifetimes, retry due
// times and delivery leases are then tested in microseconds of real time, deterministically.
//
// A clock has two faces: wall time (microseconds since the Unix epoch, for times that are
// stored, shown or compared between processes: timestamps, due times, leases) and steady time
// (monotonic, for intervals and deadlines inside the process). A FakeClock moves both together.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace herald {

class Clock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;

  // Wall-clock time: microseconds since the Unix epoch (UTC). Thread-safe.
  virtual int64_t NowUs() const = 0;
  // Monotonic time, for intervals and deadlines. Thread-safe.
  virtual SteadyTime SteadyNow() const = 0;
  // condition_variable::wait_until on this clock: with `lock` holding `cv`'s mutex, waits until
  // `done()` holds (checked under the lock, after each wake-up) or SteadyNow() reaches
  // `deadline`. Returns done(). Whoever makes done() true must notify `cv` after changing the
  // state under the same mutex.
  virtual bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                         SteadyTime deadline, const std::function<bool()>& done) const = 0;
};

// The real clock (std::chrono::system_clock and steady_clock). Lives for the whole process.
const Clock& SystemClock();

// A clock that moves only when Advance() is called: a test double for every user of Clock.
// Wall time starts at `start_us` (default 2026-01-01T00:00:00Z) and steady time at an arbitrary
// point; Advance moves both by the same amount. Thread-safe.
class FakeClock final : public Clock {
 public:
  static constexpr int64_t kDefaultStartUs = 1767225600LL * 1000000;  // 2026-01-01T00:00:00Z

  explicit FakeClock(int64_t start_us = kDefaultStartUs) : start_us_(start_us) {}

  int64_t NowUs() const override { return start_us_ + offset_ns_.load() / 1000; }
  SteadyTime SteadyNow() const override;
  // Returns when done() holds or Advance() has moved the clock to `deadline`, never on real time
  // alone. Advance() does not know the waiters' condition variables, so a waiter re-checks the
  // clock every kWaitSlice of real time (this bounds how late it sees an Advance).
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 SteadyTime deadline, const std::function<bool()>& done) const override;

  // Moves wall and steady time forward by `d` (negative values are ignored).
  void Advance(std::chrono::nanoseconds d);

  static constexpr std::chrono::milliseconds kWaitSlice{2};

 private:
  const int64_t start_us_;
  std::atomic<int64_t> offset_ns_{0};
};

}  // namespace herald
