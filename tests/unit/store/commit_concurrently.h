// CommitConcurrently: many one-event CommitEvents calls from several threads at once, for the
// store contract suites (store_contract.h, dedupe_contract.h) and the backends' own tests. Waits
// for every callback with a deadline (no sleep) and reports a refused commit as a test failure.
// With it, the check those tests share: one key committed concurrently yields one event
// (ExpectOneOriginal).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "store/store.h"

namespace herald::store_contract {

// Commits threads_n * per_thread one-event batches, `make(thread, i)`, from threads_n threads at
// once; returns every acknowledged CommittedEvent (a test failure for each refused commit, or
// when the callbacks do not all run within a minute).
inline std::vector<CommittedEvent> CommitConcurrently(Store& s, int threads_n, int per_thread,
                                                      std::function<NewEvent(int, int)> make) {
  std::mutex mu;
  std::condition_variable cv;
  int callbacks = 0;
  std::vector<CommittedEvent> all;
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_n; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        std::vector<NewEvent> batch;
        batch.push_back(make(t, i));
        s.CommitEvents(std::move(batch), [&](Result<std::vector<CommittedEvent>> r) {
          std::lock_guard<std::mutex> lock(mu);
          EXPECT_TRUE(r.ok()) << r.status().ToString();
          if (r.ok()) all.insert(all.end(), r->begin(), r->end());
          ++callbacks;
          cv.notify_all();
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(60),
                          [&] { return callbacks == threads_n * per_thread; }));
  return all;
}

// Expects the commits of one dedupe key `all` to name one event: each with the same event and
// task ids, exactly one of them not a duplicate.
inline void ExpectOneOriginal(const std::vector<CommittedEvent>& all) {
  ASSERT_FALSE(all.empty());
  int originals = 0;
  for (const CommittedEvent& c : all) {
    if (!c.duplicate) ++originals;
    EXPECT_EQ(c.event_id, all[0].event_id);
    EXPECT_EQ(c.task_ids, all[0].task_ids);
  }
  EXPECT_EQ(originals, 1);
}

}  // namespace herald::store_contract
