// SQLite store: the multi-row statements of the delivery path (store/sqlite/tasks.cc). Attempt
// records that land in one write batch are folded (RecordAttempts), and every record still gets
// its own answer: a Conflict goes to that caller only, and the others of the batch are recorded.
// A lease updates its tasks in chunks and returns them in due order.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "contract_helpers.h"
#include "sqlite_fixture.h"

namespace herald {
namespace {

using store_contract::MakeEvent;
using store_contract::NowUs;

using SqliteRecordBatchTest = SqliteFileTest;

AttemptOutcome Outcome(TaskStatus next, TimeUs now) {
  AttemptOutcome o;
  o.attempt.started_at = now;
  o.attempt.duration_us = 100;
  o.attempt.status_code = next == TaskStatus::kFinished ? 200 : 500;
  o.attempt.method = "POST";
  o.attempt.url = "http://127.0.0.1:9/hook";
  o.attempt.request_headers = R"({"A": "1"})";
  o.attempt.request_body = "{}";
  o.next_status = next;
  if (next == TaskStatus::kFinished) o.result = "200 OK";
  if (next != TaskStatus::kFinished) o.error = "HTTP 500";
  if (next == TaskStatus::kScheduled) o.due_at = now + 60'000'000;
  return o;
}

// Records queued behind a write lock held by another connection commit together (the store's
// writer waits for the lock with everything queued behind it); conflicts among them (another
// worker's record, an unknown task, a second record for one task, a task stopped meanwhile) are
// answered one by one and change nothing, and every other record is stored.
TEST_F(SqliteRecordBatchTest, ConflictsInAFoldedBatchGoToTheirCallersOnly) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  const TimeUs now = NowUs();
  std::vector<std::pair<int64_t, int64_t>> targets(7, {1, 1});
  auto c = s->CommitEventsSync({MakeEvent("dcim.device", 1, targets)});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::vector<std::string> ids = (*c)[0].task_ids;
  ASSERT_EQ(ids.size(), 7u);
  auto leased = s->LeaseTasks("w", 7, now, 60'000'000);
  ASSERT_TRUE(leased.ok());
  ASSERT_EQ(leased->size(), 7u);
  ASSERT_TRUE(s->Stop(ids[4], now).ok());

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  struct Record {
    std::string id, worker;
    TaskStatus next;
    Code want;
  };
  const std::vector<Record> records = {
      {ids[0], "w", TaskStatus::kFinished, Code::kOk},
      {ids[1], "w2", TaskStatus::kFinished, Code::kConflict},  // not the lease holder
      {"no-such-task", "w", TaskStatus::kFinished, Code::kConflict},
      {ids[2], "w", TaskStatus::kScheduled, Code::kOk},
      {ids[0], "w", TaskStatus::kFinished, Code::kConflict},  // recorded already
      {ids[3], "w", TaskStatus::kFailed, Code::kOk},
      {ids[4], "w", TaskStatus::kFinished, Code::kConflict},  // stopped by an operator
      {ids[1], "w", TaskStatus::kFinished, Code::kOk},
      {ids[5], "w", TaskStatus::kFinished, Code::kOk},
  };
  std::vector<std::future<Status>> answers;
  for (const Record& r : records) {
    auto done = std::make_shared<std::promise<Status>>();
    answers.push_back(done->get_future());
    s->RecordAttemptAsync(r.id, r.worker, Outcome(r.next, now),
                          [done](Status st) { done->set_value(std::move(st)); });
  }
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  for (size_t i = 0; i < records.size(); ++i) {
    Status st = answers[i].get();
    EXPECT_EQ(st.code(), records[i].want) << i << ": " << st.ToString();
  }

  auto task = [&](size_t i) {
    auto t = s->GetTask(ids[i]);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : Task();
  };
  for (size_t i : {0, 1, 5}) {
    Task t = task(i);
    EXPECT_EQ(t.status, TaskStatus::kFinished) << i;
    EXPECT_EQ(t.attempts, 1) << i;
    EXPECT_EQ(t.result, "200 OK") << i;
    EXPECT_EQ(t.ended_at, now + 100) << i;
    EXPECT_TRUE(t.worker.empty()) << i;
    auto attempts = s->ListAttempts(ids[i]);
    ASSERT_TRUE(attempts.ok());
    ASSERT_EQ(attempts->size(), 1u) << i;
    EXPECT_EQ((*attempts)[0].number, 1);
    EXPECT_EQ((*attempts)[0].status_code, 200);
    EXPECT_EQ((*attempts)[0].url, "http://127.0.0.1:9/hook");
  }
  Task retry = task(2);
  EXPECT_EQ(retry.status, TaskStatus::kScheduled);
  EXPECT_EQ(retry.due_at, now + 60'000'000);
  EXPECT_EQ(retry.ended_at, 0);
  EXPECT_EQ(retry.error, "HTTP 500");
  Task failed = task(3);
  EXPECT_EQ(failed.status, TaskStatus::kFailed);
  EXPECT_EQ(failed.attempts, 1);
  EXPECT_EQ(failed.error, "HTTP 500");
  Task stopped = task(4);
  EXPECT_EQ(stopped.status, TaskStatus::kFailed);
  EXPECT_EQ(stopped.attempts, 0);
  EXPECT_TRUE(s->ListAttempts(ids[4])->empty());
  Task untouched = task(6);
  EXPECT_EQ(untouched.status, TaskStatus::kStarted);
  EXPECT_EQ(untouched.worker, "w");

  auto counts = s->CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->finished, 3);
  EXPECT_EQ(counts->scheduled, 1);
  EXPECT_EQ(counts->failed, 2);
  EXPECT_EQ(counts->started, 1);
  EXPECT_EQ(counts->queued, 0);
}

// 100 tasks leased at once take several multi-row updates (64 + 32 + 4) and come back in the
// order they became due, not in the order they were created: the first event's 40 tasks wait for
// a retry that became due after the other two events were queued.
TEST_F(SqliteRecordBatchTest, LeaseInChunksKeepsDueOrder) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  std::vector<std::vector<std::string>> ids;
  auto commit = [&](int e) {
    std::vector<std::pair<int64_t, int64_t>> targets(40, {1, 1});
    auto c = s->CommitEventsSync({MakeEvent("dcim.device", e, targets)});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ids.push_back((*c)[0].task_ids);
  };
  ASSERT_NO_FATAL_FAILURE(commit(0));
  auto first = s->LeaseTasks("w0", 40, NowUs(), 60'000'000);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 40u);
  ASSERT_NO_FATAL_FAILURE(commit(1));
  ASSERT_NO_FATAL_FAILURE(commit(2));
  const TimeUs retry_at = NowUs() + 1;
  for (const std::string& id : ids[0]) {
    AttemptOutcome o = Outcome(TaskStatus::kScheduled, retry_at);
    o.due_at = retry_at;
    ASSERT_TRUE(s->RecordAttempt(id, "w0", o).ok());
  }
  std::vector<std::string> want = ids[1];
  want.insert(want.end(), ids[2].begin(), ids[2].end());
  want.insert(want.end(), ids[0].begin(), ids[0].begin() + 20);

  const TimeUs now = retry_at + 1'000'000;
  auto leased = s->LeaseTasks("w", 100, now, 60'000'000);
  ASSERT_TRUE(leased.ok()) << leased.status().ToString();
  ASSERT_EQ(leased->size(), 100u);
  for (size_t i = 0; i < leased->size(); ++i) {
    const Task& t = (*leased)[i];
    EXPECT_EQ(t.id, want[i]) << i;
    EXPECT_EQ(t.status, TaskStatus::kStarted) << i;
    EXPECT_EQ(t.worker, "w") << i;
    EXPECT_EQ(t.started_at, now) << i;
    EXPECT_EQ(t.lease_expires, now + 60'000'000) << i;
  }
  auto counts = s->CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->started, 100);
  EXPECT_EQ(counts->scheduled, 20);
}

}  // namespace
}  // namespace herald
