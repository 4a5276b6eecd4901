// The idempotent-ingest part of the Store contract (NewEvent::dedupe_key, PurgeDedupeKeys): a
// typed suite every backend runs unchanged, with the same factory type as StoreContract (see
// store_contract.h). SQLite instantiates it in sqlite_store_test.cc; the PostgreSQL backend
// instantiates it the same way:
//   INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, DedupeContract, ::testing::Types<PostgresFactory>);
// A key is checked and recorded in the commit's own transaction, so concurrent commits of one
// key yield one event. Windows are given as times (dedupe_since), never waited for.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "store/store.h"
#include "store_contract.h"

namespace herald::store_contract {

template <typename F>
class DedupeContract : public StoreContract<F> {
 protected:
  // An event with two tasks and `key`, counting keys recorded since `since`.
  static NewEvent Keyed(const std::string& key, int n = 1, TimeUs since = 0) {
    NewEvent ne = MakeEvent("dcim.device", n, {{1, 1}, {2, 2}});
    ne.dedupe_key = key;
    ne.dedupe_since = since;
    return ne;
  }
  int64_t EventCount() {
    EventFilter f;
    f.limit = 1000;
    auto evs = this->store().ListEvents(f);
    EXPECT_TRUE(evs.ok()) << evs.status().ToString();
    return evs.ok() ? static_cast<int64_t>(evs->size()) : -1;
  }
  int64_t TaskCount() {
    auto n = this->store().CountTasks(TaskFilter{});
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }
};

TYPED_TEST_SUITE_P(DedupeContract);

TYPED_TEST_P(DedupeContract, SameKeyTwiceIsOneEventWithTheSameIds) {
  auto first = this->Commit({this->Keyed("k1")});
  auto again = this->Commit({this->Keyed("k1")});
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_FALSE(first[0].duplicate);
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].event_id, first[0].event_id);
  EXPECT_EQ(again[0].task_ids, first[0].task_ids);
  EXPECT_EQ(first[0].task_ids.size(), 2u);
  EXPECT_EQ(this->EventCount(), 1);
  EXPECT_EQ(this->TaskCount(), 2);
  // Kept across a reopen.
  this->Reopen();
  auto later = this->Commit({this->Keyed("k1")});
  ASSERT_EQ(later.size(), 1u);
  EXPECT_TRUE(later[0].duplicate);
  EXPECT_EQ(later[0].event_id, first[0].event_id);
  EXPECT_EQ(this->EventCount(), 1);
}

TYPED_TEST_P(DedupeContract, DifferentKeysAndNoKeyAreSeparateEvents) {
  auto r = this->Commit({this->Keyed("a"), this->Keyed("b"), this->Keyed(""), this->Keyed("")});
  ASSERT_EQ(r.size(), 4u);
  std::set<int64_t> ids;
  for (const auto& c : r) {
    EXPECT_FALSE(c.duplicate);
    ids.insert(c.event_id);
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(this->EventCount(), 4);
}

TYPED_TEST_P(DedupeContract, RepeatInOneBatchAndRetriedBatchWithOneNew) {
  auto first = this->Commit({this->Keyed("x"), this->Keyed("x")});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_FALSE(first[0].duplicate);
  EXPECT_TRUE(first[1].duplicate);
  EXPECT_EQ(first[1].event_id, first[0].event_id);
  auto retry = this->Commit({this->Keyed("x"), this->Keyed("y")});
  ASSERT_EQ(retry.size(), 2u);
  EXPECT_TRUE(retry[0].duplicate);
  EXPECT_FALSE(retry[1].duplicate);
  EXPECT_EQ(this->EventCount(), 2);
  EXPECT_EQ(this->TaskCount(), 4);
}

TYPED_TEST_P(DedupeContract, StaleKeyIsANewEventAndPurgeIsBounded) {
  auto first = this->Commit({this->Keyed("old")});
  ASSERT_EQ(first.size(), 1u);
  // A window that starts after the first acceptance: the key is stale, so a new event.
  const TimeUs later = NowUs() + 60'000'000;
  auto again = this->Commit({this->Keyed("old", 1, later)});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_FALSE(again[0].duplicate);
  EXPECT_NE(again[0].event_id, first[0].event_id);
  // The key now names the new event.
  auto third = this->Commit({this->Keyed("old")});
  ASSERT_EQ(third.size(), 1u);
  EXPECT_TRUE(third[0].duplicate);
  EXPECT_EQ(third[0].event_id, again[0].event_id);

  Store& s = this->store();
  this->Commit({this->Keyed("p1"), this->Keyed("p2"), this->Keyed("p3")});
  EXPECT_EQ(s.PurgeDedupeKeys(later, 0).status().code(), Code::kInvalidArgument);
  auto none = s.PurgeDedupeKeys(NowUs() - 60'000'000, 10);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, 0);
  auto two = s.PurgeDedupeKeys(later, 2);
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(*two, 2);
  auto rest = s.PurgeDedupeKeys(later, 10);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 2);  // four keys in all: old, p1, p2, p3
  auto after = this->Commit({this->Keyed("p1")});
  ASSERT_EQ(after.size(), 1u);
  EXPECT_FALSE(after[0].duplicate);
}

TYPED_TEST_P(DedupeContract, ConcurrentCommitsOfOneKeyYieldOneEvent) {
  constexpr int kThreads = 8, kPerThread = 10;
  std::vector<CommittedEvent> all =
      CommitConcurrently(this->store(), kThreads, kPerThread,
                         [](int, int) { return DedupeContract<TypeParam>::Keyed("same"); });
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  ExpectOneOriginal(all);
  EXPECT_EQ(this->EventCount(), 1);
  EXPECT_EQ(this->TaskCount(), 2);
}

REGISTER_TYPED_TEST_SUITE_P(DedupeContract, SameKeyTwiceIsOneEventWithTheSameIds,
                            DifferentKeysAndNoKeyAreSeparateEvents,
                            RepeatInOneBatchAndRetriedBatchWithOneNew,
                            StaleKeyIsANewEventAndPurgeIsBounded,
                            ConcurrentCommitsOfOneKeyYieldOneEvent);

}  // namespace herald::store_contract
