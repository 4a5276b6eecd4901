// The real clock and the fake one. See clock.h.
#include "common/clock.h"

#include "common/time.h"

namespace herald {

namespace {

class RealClock final : public Clock {
 public:
  int64_t NowUs() const override { return herald::NowUs(); }
  SteadyTime SteadyNow() const override { return std::chrono::steady_clock::now(); }
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 SteadyTime deadline, const std::function<bool()>& done) const override {
    return cv.wait_until(lock, deadline, done);
  }
};

// Where a FakeClock's steady time starts: far from zero, so `now - interval` stays positive.
constexpr std::chrono::hours kFakeSteadyStart{1000};

}  // namespace

const Clock& SystemClock() {
  static const RealClock clock;
  return clock;
}

Clock::SteadyTime FakeClock::SteadyNow() const {
  return SteadyTime(kFakeSteadyStart) + std::chrono::nanoseconds(offset_ns_.load());
}

bool FakeClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          SteadyTime deadline, const std::function<bool()>& done) const {
  while (!done()) {
    if (SteadyNow() >= deadline) return false;
    cv.wait_for(lock, kWaitSlice);
  }
  return true;
}

void FakeClock::Advance(std::chrono::nanoseconds d) {
  if (d.count() > 0) offset_ns_.fetch_add(d.count());
}

}  // namespace herald
