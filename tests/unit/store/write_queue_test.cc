// WriteQueue (store/write_queue.h) on its own, with a fake commit function: batching of
// concurrent submitters, one Finish per operation after its batch's commit, a failed commit
// reported to the whole batch, Close draining pending work, and a throwing Finish.
#include "store/write_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace herald {
namespace {

constexpr auto kDeadline = std::chrono::seconds(30);

// What the fake commit and the operations saw, in order.
struct Journal {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> events;  // "commit <n ops>" and "finish <id>"
  std::vector<size_t> batch_sizes;
  std::vector<int> finishes;    // per op id: how many times Finish ran
  std::vector<Status> results;  // per op id: the status Finish got
  int finished = 0;

  explicit Journal(int ops)
      : finishes(static_cast<size_t>(ops), 0), results(static_cast<size_t>(ops)) {}

  // Waits (with a deadline) until `n` Finish calls happened.
  bool WaitFinished(int n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, kDeadline, [&] { return finished >= n; });
  }
};

struct TestOp {
  Journal* journal;
  int id;
  bool committed = false;  // set by the fake commit
  bool throws = false;     // Finish throws after recording

  void Finish(const Status& st) {
    {
      std::lock_guard<std::mutex> lock(journal->mu);
      journal->events.push_back((committed ? "finish " : "finish-uncommitted ") +
                                std::to_string(id));
      ++journal->finishes[static_cast<size_t>(id)];
      journal->results[static_cast<size_t>(id)] = st;
      ++journal->finished;
    }
    journal->cv.notify_all();
    if (throws) throw std::runtime_error("callback failed");
  }
};

// Holds the commit function at its start until Open(), so work piles up behind it.
class Gate {
 public:
  void WaitOpen() {
    std::unique_lock<std::mutex> lock(mu_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  bool WaitEntered() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return entered_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool open_ = false;
};

using Queue = WriteQueue<TestOp>;

// A commit function that records the batch, marks its ops committed, holds the first batch at
// `gate` (when given), and fails when `fail` says so.
Queue::CommitFn RecordingCommit(Journal& j, Gate* gate, std::function<Status()> fail = nullptr) {
  return [&j, gate, fail, first = true](std::span<const std::unique_ptr<TestOp>> batch) mutable {
    if (first && gate != nullptr) gate->WaitOpen();
    first = false;
    std::lock_guard<std::mutex> lock(j.mu);
    j.events.push_back("commit " + std::to_string(batch.size()));
    j.batch_sizes.push_back(batch.size());
    for (const auto& op : batch) op->committed = true;
    return fail ? fail() : Status::Ok();
  };
}

std::unique_ptr<TestOp> MakeOp(Journal& j, int id) {
  return std::make_unique<TestOp>(TestOp{&j, id});
}

// Submits ops 0..n-1; op 0 alone enters the commit and is held at `gate`, the rest queue.
void SubmitBehindGate(Queue& q, Journal& j, Gate& gate, int n) {
  for (int i = 0; i < n; ++i) {
    auto op = MakeOp(j, i);
    ASSERT_TRUE(q.Submit(op).ok());
    if (i == 0) {
      ASSERT_TRUE(gate.WaitEntered());
    }
  }
}

TEST(WriteQueue, ConcurrentSubmittersShareOneCommit) {
  constexpr int kThreads = 8, kPerThread = 25, kOps = 1 + kThreads * kPerThread;
  Journal j(kOps);
  Gate gate;
  Queue q(4096, RecordingCommit(j, &gate));
  auto first = MakeOp(j, 0);
  ASSERT_TRUE(q.Submit(first).ok());
  EXPECT_EQ(first, nullptr);  // the queue took it
  ASSERT_TRUE(gate.WaitEntered());
  // While the first commit runs, many threads submit: all of it is pending at once.
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kPerThread; ++k) {
        auto op = MakeOp(j, 1 + t * kPerThread + k);
        EXPECT_TRUE(q.Submit(op).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  gate.Open();
  ASSERT_TRUE(j.WaitFinished(kOps));
  std::lock_guard<std::mutex> lock(j.mu);
  EXPECT_EQ(j.batch_sizes, (std::vector<size_t>{1, kOps - 1}));
  for (int n : j.finishes) EXPECT_EQ(n, 1);
  for (const Status& st : j.results) EXPECT_TRUE(st.ok());
}

TEST(WriteQueue, EachCallbackRunsOnceAfterItsCommitInSubmissionOrder) {
  constexpr int kOps = 10;
  Journal j(kOps);
  Gate gate;
  Queue q(4, RecordingCommit(j, &gate));  // at most 4 ops per batch
  SubmitBehindGate(q, j, gate, kOps);
  gate.Open();
  ASSERT_TRUE(j.WaitFinished(kOps));
  std::lock_guard<std::mutex> lock(j.mu);
  EXPECT_EQ(j.events, (std::vector<std::string>{
                          "commit 1", "finish 0",                                      //
                          "commit 4", "finish 1", "finish 2", "finish 3", "finish 4",  //
                          "commit 4", "finish 5", "finish 6", "finish 7", "finish 8",  //
                          "commit 1", "finish 9"}));
}

TEST(WriteQueue, FailedCommitIsReportedToEveryCallerOfTheBatch) {
  constexpr int kOps = 6;
  Journal j(kOps);
  Gate gate;
  std::atomic<int> commits{0};
  // The first batch commits; the second (every other op) fails.
  Queue q(4096, RecordingCommit(j, &gate, [&] {
            return commits++ == 0 ? Status::Ok() : Status(Code::kUnavailable, "disk I/O error");
          }));
  SubmitBehindGate(q, j, gate, kOps);
  gate.Open();
  ASSERT_TRUE(j.WaitFinished(kOps));
  std::lock_guard<std::mutex> lock(j.mu);
  EXPECT_EQ(j.batch_sizes, (std::vector<size_t>{1, kOps - 1}));
  EXPECT_TRUE(j.results[0].ok());
  for (int i = 1; i < kOps; ++i) {
    EXPECT_EQ(j.results[static_cast<size_t>(i)].code(), Code::kUnavailable) << i;
    EXPECT_EQ(j.results[static_cast<size_t>(i)].message(), "disk I/O error") << i;
    EXPECT_EQ(j.finishes[static_cast<size_t>(i)], 1) << i;
  }
}

TEST(WriteQueue, CloseCommitsPendingWorkThenRefusesNewWork) {
  constexpr int kOps = 20;
  Journal j(kOps + 1);
  Gate gate;
  Queue q(4096, RecordingCommit(j, &gate));
  SubmitBehindGate(q, j, gate, kOps);
  std::thread closer([&] { q.Close(); });
  gate.Open();
  closer.join();  // Close returns once the writer drained the queue
  {
    std::lock_guard<std::mutex> lock(j.mu);
    EXPECT_EQ(j.finished, kOps);
    for (int i = 0; i < kOps; ++i) {
      EXPECT_EQ(j.finishes[static_cast<size_t>(i)], 1) << i;
      EXPECT_TRUE(j.results[static_cast<size_t>(i)].ok()) << i;
    }
  }
  auto late = MakeOp(j, kOps);
  Status st = q.Submit(late);
  EXPECT_EQ(st.code(), Code::kUnavailable);
  ASSERT_NE(late, nullptr);  // still the caller's, to finish itself
  q.Close();                 // idempotent
}

TEST(WriteQueue, ThrowingCallbackDoesNotStopTheWriter) {
  Journal j(3);
  Queue q(4096, RecordingCommit(j, nullptr));
  auto bad = MakeOp(j, 0);
  bad->throws = true;
  ASSERT_TRUE(q.Submit(bad).ok());
  ASSERT_TRUE(j.WaitFinished(1));
  for (int i = 1; i < 3; ++i) {
    auto op = MakeOp(j, i);
    ASSERT_TRUE(q.Submit(op).ok());
  }
  ASSERT_TRUE(j.WaitFinished(3));
  std::lock_guard<std::mutex> lock(j.mu);
  for (int n : j.finishes) EXPECT_EQ(n, 1);
}

TEST(WriteQueue, KnowsItsWriterThread) {
  Journal j(1);  // outlives the queue, whose writer touches it
  std::atomic<int> on_writer{-1};
  Queue* queue = nullptr;
  Queue q(4096, [&](std::span<const std::unique_ptr<TestOp>>) {
    on_writer = queue->OnWriterThread() ? 1 : 0;
    return Status::Ok();
  });
  queue = &q;
  EXPECT_FALSE(q.OnWriterThread());
  auto op = MakeOp(j, 0);
  ASSERT_TRUE(q.Submit(op).ok());
  ASSERT_TRUE(j.WaitFinished(1));
  EXPECT_EQ(on_writer.load(), 1);
}

}  // namespace
}  // namespace herald
