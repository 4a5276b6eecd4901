// WriteQueue: the group-commit write queue of the store, apart from any database.
//
// Callers Submit operations from any thread. One writer thread takes everything pending (up to
// `max_batch` operations), hands the batch to the `commit` function given at construction (the
// backend runs the operations in one transaction and commits it), and only then calls each
// operation's Finish(status) with the commit's outcome, in submission order: concurrent writers
// share one commit (one fsync), and no caller hears of its write before it is durable. A failed
// commit is reported to every operation of its batch. Close stops taking new work, lets the
// writer drain everything already queued, and joins it.
//
// `Op` is the backend's operation type; it needs `void Finish(const Status&)`, which must hand
// the result to the caller (fulfil a promise, run a callback). An exception thrown by Finish is
// swallowed so the writer survives; `commit` must not throw. All methods are thread-safe.
//
// Two ready-made operations for backends whose op type `Base` has `virtual Status Run(Ctx&)`
// (the op's part of the transaction) and `virtual void Finish(const Status&)`: SyncWriteOp (the
// caller waits on a future for fn's Result<T>) and CallbackWriteOp (fn's Status or Result<T>
// goes to a callback). Both answer with the commit's error when the commit failed, else with
// fn's result. SubmitAndWait and SubmitWithCallback run a function through a queue as one of
// them: the one way both backends submit their writes.
#pragma once

#include <pthread.h>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"

namespace herald {

template <typename Op>
class WriteQueue {
 public:
  // Runs one batch (never empty, at most max_batch ops, in submission order) and returns the
  // commit's outcome. Called on the writer thread only, one batch at a time. Must not throw.
  using CommitFn = std::function<Status(std::span<const std::unique_ptr<Op>> batch)>;

  // Starts the writer thread, named `thread_name` (at most 15 characters) for tools like top.
  WriteQueue(size_t max_batch, CommitFn commit, std::string thread_name = "herald-store")
      : max_batch_(max_batch < 1 ? 1 : max_batch),
        commit_(std::move(commit)),
        thread_name_(std::move(thread_name)) {
    writer_ = std::thread([this] { Loop(); });
    writer_id_ = writer_.get_id();
  }
  ~WriteQueue() { Close(); }
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Queues `op` for the next batch and takes it from `op`. After Close, returns kUnavailable
  // ("the store is closed") and leaves `op` with the caller, who must then Finish it.
  Status Submit(std::unique_ptr<Op>& op) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return Status(Code::kUnavailable, "the store is closed");
      queue_.push_back(std::move(op));
    }
    cv_.notify_one();
    return Status::Ok();
  }

  // Whether the calling thread is the writer (a blocking write from there would deadlock).
  bool OnWriterThread() const { return std::this_thread::get_id() == writer_id_; }

  // Refuses new work, commits everything already queued, then joins the writer. Idempotent;
  // must not be called from the writer thread (from a Finish).
  void Close() {
    std::call_once(close_once_, [this] {
      {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
      }
      cv_.notify_all();
      if (writer_.joinable()) writer_.join();
    });
  }

 private:
  void Loop() {
    pthread_setname_np(pthread_self(), thread_name_.c_str());
    std::vector<std::unique_ptr<Op>> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything pending was written
        while (!queue_.empty() && batch.size() < max_batch_) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      const Status st = commit_(std::span<const std::unique_ptr<Op>>(batch));
      for (auto& op : batch) {
        try {
          op->Finish(st);
        } catch (...) {
          // A caller's callback threw; the writer must survive it.
        }
      }
      batch.clear();
    }
  }

  const size_t max_batch_;
  const CommitFn commit_;
  const std::string thread_name_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Op>> queue_;  // guarded by mu_
  bool stopping_ = false;                  // guarded by mu_
  std::thread writer_;
  std::thread::id writer_id_;
  std::once_flag close_once_;
};

// A backend's operation type: its part of the batch transaction (Run, given the backend's write
// context; an error return rolls back just this operation) and the answer to its caller
// (Finish, after the transaction ended, with the commit's outcome).
template <typename Ctx>
class WriteOpBase {
 public:
  virtual ~WriteOpBase() = default;
  virtual Status Run(Ctx& ctx) = 0;
  virtual void Finish(const Status& commit) = 0;
  // Whether Run may run again after its effects were rolled back: it consumes nothing of its
  // own state and does the same writes from the same input. A backend may then run it without
  // a savepoint of its own and, when the batch fails, roll back and run it again in one.
  virtual bool Rerunnable() const { return false; }
};

// A blocking write: Run computes fn(ctx) -> Result<T>; the caller waits on future().
template <typename Base, typename Ctx, typename T, typename Fn>
class SyncWriteOp final : public Base {
 public:
  explicit SyncWriteOp(Fn fn) : fn_(std::move(fn)) {}
  Status Run(Ctx& ctx) override {
    result_.emplace(fn_(ctx));
    return result_->ok() ? Status::Ok() : result_->status();
  }
  void Finish(const Status& commit) override {
    if (!commit.ok()) {
      promise_.set_value(Result<T>(commit));
    } else if (!result_) {
      promise_.set_value(Result<T>(Status(Code::kUnavailable, "write was not executed")));
    } else {
      promise_.set_value(std::move(*result_));
    }
  }
  std::future<Result<T>> future() { return promise_.get_future(); }

 private:
  Fn fn_;
  std::optional<Result<T>> result_;
  std::promise<Result<T>> promise_;
};

// The Status of a write's result: itself, or a Result's status (Ok when it holds a value).
inline Status StatusOf(const Status& st) { return st; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.ok() ? Status::Ok() : r.status();
}

// An asynchronous write: Run computes fn(ctx) -> R (a Status or a Result<T>); `done` hears it
// after the commit. A backend may derive from it to tell its batch runner more about the write
// (PostgreSQL's commits list their dedupe keys).
template <typename Base, typename Ctx, typename Fn, typename R = Status>
class CallbackWriteOp : public Base {
 public:
  // `rerunnable`: fn may run again after a rollback (see WriteOpBase::Rerunnable).
  CallbackWriteOp(Fn fn, std::function<void(R)> done, bool rerunnable = false)
      : fn_(std::move(fn)), done_(std::move(done)), rerunnable_(rerunnable) {}
  Status Run(Ctx& ctx) override {
    result_.emplace(fn_(ctx));
    return StatusOf(*result_);
  }
  bool Rerunnable() const override { return rerunnable_; }
  void Finish(const Status& commit) override {
    auto done = std::move(done_);
    if (!done) return;
    if (!commit.ok()) {
      done(R(commit));
    } else if (!result_) {
      done(R(Status(Code::kUnavailable, "write was not executed")));
    } else {
      done(std::move(*result_));
    }
  }

 private:
  Fn fn_;
  std::function<void(R)> done_;
  const bool rerunnable_;
  std::optional<R> result_;
};

// fn(ctx) -> Status as a function of the same argument returning Result<bool> (true when fn
// succeeded), for running a Status operation where a Result<T> is expected.
template <typename Fn>
auto StatusAsResult(Fn fn) {
  return [fn = std::move(fn)](auto& ctx) mutable -> Result<bool> {
    HERALD_RETURN_IF_ERROR(fn(ctx));
    return true;
  };
}

// Runs fn(Ctx&) -> Result<T> through `queue` (a SyncWriteOp) and waits for its result, or the
// commit's error. kInternal when called on the writer thread (from a Finish: it would wait for
// itself); kUnavailable when the queue is closed.
template <typename Op, typename Ctx, typename T, typename Fn>
Result<T> SubmitAndWait(WriteQueue<Op>& queue, Fn fn) {
  if (queue.OnWriterThread()) {
    return Status(Code::kInternal, "blocking store call from a store callback (would deadlock)");
  }
  auto op = std::make_unique<SyncWriteOp<Op, Ctx, T, Fn>>(std::move(fn));
  auto fut = op->future();
  std::unique_ptr<Op> base = std::move(op);
  HERALD_RETURN_IF_ERROR(queue.Submit(base));
  return fut.get();
}

// Runs fn(Ctx&) -> R (a Status or a Result<T>) through `queue` (a CallbackWriteOp); `done`
// hears fn's result or the commit's error once the commit ended, and also when the queue is
// closed (then at once, on the calling thread).
template <typename Op, typename Ctx, typename R = Status, typename Fn>
void SubmitWithCallback(WriteQueue<Op>& queue, Fn fn, std::function<void(R)> done) {
  std::unique_ptr<Op> op =
      std::make_unique<CallbackWriteOp<Op, Ctx, Fn, R>>(std::move(fn), std::move(done));
  const Status st = queue.Submit(op);
  if (!st.ok() && op) op->Finish(st);
}

}  // namespace herald
