// Waiting for a state in tests: poll a predicate until it holds or a deadline passes. Tests never
// sleep for a fixed time to let something happen; they wait for the state itself, bounded.
#pragma once

#include <chrono>
#include <thread>

namespace herald::testing {

// How long a test waits for a state by default: generous, since it only bounds a failing run.
inline constexpr std::chrono::milliseconds kWaitDeadline{10000};
// How often WaitFor looks.
inline constexpr std::chrono::milliseconds kWaitInterval{10};

// Calls `pred` until it returns true or `deadline` has passed (then once more); returns its
// last answer. Returns at once when the state already holds.
template <typename Pred>
bool WaitFor(Pred&& pred, std::chrono::milliseconds deadline = kWaitDeadline,
             std::chrono::milliseconds interval = kWaitInterval) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(interval);
  }
  return pred();
}

}  // namespace herald::testing
