// The retention part of the Store contract: PurgeFinished deletes finished tasks (and events
// left without tasks) that ended before a time, in bounded transactions. A typed suite every
// backend runs unchanged, with the same factory type as StoreContract (see store_contract.h):
//   INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, RetentionContract, ::testing::Types<SqliteFactory>);
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "store/store.h"
#include "store_contract.h"

namespace herald::store_contract {

template <typename F>
class RetentionContract : public StoreContract<F> {};

TYPED_TEST_SUITE_P(RetentionContract);

TYPED_TEST_P(RetentionContract, PurgeFinished) {
  Store& s = this->store();
  const TimeUs now = NowUs() + 1000;
  auto c = this->Commit(
      {MakeEvent("dcim.device", 1, {{1, 1}, {2, 2}}), MakeEvent("dcim.device", 2, {{1, 1}})});
  ASSERT_EQ(c.size(), 2u);
  auto leased = this->Leased("w", 10, now, 60'000'000);
  ASSERT_EQ(leased.size(), 3u);
  AttemptOutcome ok;
  ok.attempt.started_at = now;
  ok.attempt.duration_us = 10;
  ok.next_status = TaskStatus::kFinished;
  AttemptOutcome fail = ok;
  fail.next_status = TaskStatus::kFailed;
  ASSERT_TRUE(s.RecordAttempt(c[0].task_ids[0], "w", ok).ok());
  ASSERT_TRUE(s.RecordAttempt(c[0].task_ids[1], "w", fail).ok());
  ASSERT_TRUE(s.RecordAttempt(c[1].task_ids[0], "w", ok).ok());

  auto none = s.PurgeFinished(now);  // ended at now + 10
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  auto n = s.PurgeFinished(now + 11);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(s.GetTask(c[0].task_ids[0]).status().code(), Code::kNotFound);
  EXPECT_EQ(s.GetTask(c[1].task_ids[0]).status().code(), Code::kNotFound);
  EXPECT_TRUE(s.GetTask(c[0].task_ids[1]).ok());  // failed tasks stay
  EXPECT_TRUE(s.GetEvent(c[0].event_id).ok());    // still has a task
  auto counts = s.CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->finished, 0);
  EXPECT_EQ(counts->failed, 1);
}

TYPED_TEST_P(RetentionContract, PurgeDeletesMoreThanOneBatch) {
  Store& s = this->store();
  const TimeUs now = NowUs() + 1000;
  const int kTasks = static_cast<int>(kPurgeBatchRows) + 5;
  std::vector<std::pair<int64_t, int64_t>> targets(kTasks, {1, 1});
  auto c = this->Commit({MakeEvent("dcim.device", 1, targets)});
  ASSERT_EQ(c.size(), 1u);
  ASSERT_EQ(c[0].task_ids.size(), static_cast<size_t>(kTasks));
  auto leased = this->Leased("w", kTasks, now, 60'000'000);
  ASSERT_EQ(leased.size(), static_cast<size_t>(kTasks));
  AttemptOutcome ok;
  ok.attempt.started_at = now;
  ok.attempt.duration_us = 10;
  ok.next_status = TaskStatus::kFinished;
  std::vector<std::future<Status>> recorded;
  for (const std::string& id : c[0].task_ids) {
    auto done = std::make_shared<std::promise<Status>>();
    recorded.push_back(done->get_future());
    s.RecordAttemptAsync(id, "w", ok, [done](Status st) { done->set_value(st); });
  }
  for (auto& f : recorded) ASSERT_TRUE(f.get().ok());

  auto n = s.PurgeFinished(now + 11);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, kTasks);
  auto counts = s.CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->finished, 0);
  EXPECT_EQ(s.GetTask(c[0].task_ids.back()).status().code(), Code::kNotFound);
  EXPECT_EQ(s.GetEvent(c[0].event_id).status().code(), Code::kNotFound);  // its last task went
}

REGISTER_TYPED_TEST_SUITE_P(RetentionContract, PurgeFinished, PurgeDeletesMoreThanOneBatch);

}  // namespace herald::store_contract
