// What both backends share to fold attempt records: the queued record (RecordOp), which runs of
// a write batch may fold (FoldableRecords), and the loop of a batch that folds them
// (RunFolding). A backend's operation type `Op` (WriteOpBase<Ctx>) declares
// `virtual RecordOp<Op, Ctx>* AsRecord() { return nullptr; }`; its RunBatch runs a run of
// records through one savepoint and one multi-record lookup or update, and each record alone
// (RecordOp::Run) when that fails.
#pragma once

#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/rows.h"
#include "store/store.h"
#include "store/write_queue.h"

namespace herald::sql {

// One RecordAttempt(Async) in a backend's write queue. Run records it alone with `alone` (the
// backend's single-record body); a backend's fold gives each record of a run its result with
// SetResult. Finish answers the caller as CallbackWriteOp does.
template <typename Op, typename Ctx>
class RecordOp final : public Op {
 public:
  using Alone = Status (*)(Ctx& ctx, const RecordOp& record);
  RecordOp(std::string task_id, std::string worker, int64_t token, AttemptOutcome outcome,
           Alone alone, std::function<void(Status)> done)
      : task_id(std::move(task_id)),
        worker(std::move(worker)),
        token(token),
        outcome(std::move(outcome)),
        alone_(alone),
        done_(std::move(done)) {}
  RecordOp* AsRecord() override { return this; }
  Status Run(Ctx& ctx) override {
    result_ = alone_(ctx, *this);
    return *result_;
  }
  void Finish(const Status& commit) override {
    auto done = std::move(done_);
    if (!done) return;
    if (!commit.ok()) {
      done(commit);
    } else if (!result_) {
      done(Status(Code::kUnavailable, "write was not executed"));
    } else {
      done(std::move(*result_));
    }
  }
  void SetResult(Status st) { result_ = std::move(st); }

  const std::string task_id;
  const std::string worker;
  const int64_t token;  // the lease token this store handed out (PostgreSQL; 0: unknown)
  const AttemptOutcome outcome;

 private:
  const Alone alone_;
  std::function<void(Status)> done_;
  std::optional<Status> result_;
};

// Queues a RecordOp for (task_id, worker, token, outcome) on `queue`; `done` hears its result
// after the commit, or at once when the outcome is invalid or the queue is closed.
template <typename Op, typename Ctx>
void SubmitRecord(WriteQueue<Op>& queue, const std::string& task_id, const std::string& worker,
                  int64_t token, AttemptOutcome outcome, typename RecordOp<Op, Ctx>::Alone alone,
                  std::function<void(Status)> done) {
  const Status st = CheckAttemptOutcome(outcome);
  if (!st.ok()) return done(st);
  std::unique_ptr<Op> op = std::make_unique<RecordOp<Op, Ctx>>(
      task_id, worker, token, std::move(outcome), alone, std::move(done));
  const Status queued = queue.Submit(op);
  if (!queued.ok() && op) op->Finish(queued);
}

// SubmitRecord, waiting for the result. kInternal on the writer thread (it would wait for
// itself).
template <typename Op, typename Ctx>
Status RecordAndWait(WriteQueue<Op>& queue, const std::string& task_id, const std::string& worker,
                     int64_t token, AttemptOutcome outcome,
                     typename RecordOp<Op, Ctx>::Alone alone) {
  if (queue.OnWriterThread()) {
    return Status(Code::kInternal, "blocking store call from a store callback (would deadlock)");
  }
  std::promise<Status> promise;
  auto result = promise.get_future();
  SubmitRecord<Op, Ctx>(queue, task_id, worker, token, std::move(outcome), alone,
                        [&promise](Status st) { promise.set_value(std::move(st)); });
  return result.get();
}

// Most records one fold takes.
inline constexpr size_t kMaxFoldedRecords = 1024;

// How many ops from batch[from] on may fold into one: the run of attempt records there, each
// for a different task, at most kMaxFoldedRecords (0 when batch[from] is not a record).
template <typename Op>
size_t FoldableRecords(std::span<const std::unique_ptr<Op>> batch, size_t from) {
  std::unordered_set<std::string_view> ids;
  size_t n = 0;
  for (size_t i = from; i < batch.size() && n < kMaxFoldedRecords; ++i, ++n) {
    const auto* r = batch[i]->AsRecord();
    if (r == nullptr || !ids.insert(r->task_id).second) break;
  }
  return n;
}

// The op loop of a RunBatch that folds records: runs the ops of `batch` in order, each as
// in_savepoint([&] { return op.Run(ctx); }, &failed), except that a run of records
// (FoldableRecords, at least 2) goes through in_savepoint([&] { return fold(records); }, &failed)
// first; when that fails (its savepoint was rolled back), the records of the run run one by
// one. in_savepoint returns the transaction's Status: one that is not Ok stops the loop and is
// returned.
template <typename Op, typename Record, typename Ctx, typename InSavepoint, typename Fold>
Status RunFolding(std::span<const std::unique_ptr<Op>> batch, Ctx& ctx, InSavepoint in_savepoint,
                  Fold fold) {
  Status st;
  std::vector<Record*> records;
  for (size_t i = 0, fold_end = 0; i < batch.size() && st.ok();) {
    bool failed = false;
    if (i >= fold_end) {
      const size_t n = FoldableRecords(batch, i);
      if (n >= 2) {
        records.clear();
        for (size_t k = i; k < i + n; ++k) records.push_back(batch[k]->AsRecord());
        st = in_savepoint([&] { return fold(std::span<Record* const>(records)); }, &failed);
        fold_end = i + n;
        if (!failed) i = fold_end;
        continue;
      }
    }
    Op& op = *batch[i++];
    st = in_savepoint([&] { return op.Run(ctx); }, &failed);
  }
  return st;
}

}  // namespace herald::sql
