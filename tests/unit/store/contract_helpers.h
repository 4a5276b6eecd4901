// Helpers of the store contract suites (store_contract.h and the other *_contract.h): records to
// create, events to commit, and checks that several suites share.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <functional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "support/events.h"
#include "value/json.h"

namespace herald::store_contract {

inline TimeUs NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline Webhook MakeWebhook(const std::string& name) {
  Webhook w;
  w.name = name;
  w.payload_url = "http://127.0.0.1:9/" + name;
  w.additional_headers = "X-A: 1";
  w.body_template = "{{ data.name }}";
  w.secret = "s3cret";
  w.timeout = 5;
  w.max_attempts = 3;
  w.retry_policy = "exponential";
  return w;
}

inline EventRule MakeRule(const std::string& name, int64_t webhook_id) {
  EventRule r;
  r.name = name;
  r.object_types = {"dcim.device", "dcim.site"};
  r.event_types = {"object_created", "object_updated"};
  auto cond = ParseJson(R"({"attr": "status.value", "value": "active"})");
  r.conditions = cond.ok() ? *cond : Value();
  r.action_object_id = webhook_id;
  auto ad = ParseJson(R"({"extra": [1, 2.5, "x", null, true]})");
  r.action_data = ad.ok() ? *ad : Value();
  r.comments = "c";
  return r;
}

// An event of `object_type` with one task per (rule, webhook) pair.
inline NewEvent MakeEvent(const std::string& object_type, int n,
                          const std::vector<std::pair<int64_t, int64_t>>& rule_webhooks) {
  NewEvent ne;
  auto data = ParseJson(R"({"id": )" + std::to_string(n) +
                        R"(, "name": "dev-é", "status": {"value": "active"}, "tags": [], )"
                        R"("weight": 1.5, "custom_fields": {"a": null}})");
  Event& e = ne.event = testing::ChangeEvent(object_type, data.ok() ? *data : Value());
  e.timestamp = "2024-01-02T03:04:05.123456+00:00";
  e.username = "admin";
  e.request_id = Value();
  auto snaps = ParseJson(R"({"prechange": null, "postchange": {"id": 1}})");
  e.snapshots = snaps.ok() ? *snaps : Value();
  for (auto [rule, webhook] : rule_webhooks) {
    Task t = testing::TaskFor(e, rule, webhook);
    if (rule % 2 == 0) {
      auto ad = ParseJson(R"({"k": "v"})");
      t.action_data = ad.ok() ? *ad : Value();
    }
    ne.tasks.push_back(std::move(t));
  }
  return ne;
}

// Commits threads_n * per_thread one-task events (MakeEvent) from threads_n threads, each
// waiting for its commit (CommitEventsSync), and expects them to share transactions:
// `transactions()` (the backend's count of committed write transactions) rises, by less than one
// per commit; and every task is stored. Run by the contract for every backend.
inline void ExpectGroupCommit(Store& s, int threads_n, int per_thread,
                              const std::function<int64_t()>& transactions) {
  const int64_t before = transactions();
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_n; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto r = s.CommitEventsSync({MakeEvent("dcim.device", t * 100 + i, {{1, 1}})});
        EXPECT_TRUE(r.ok()) << r.status().ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  const int64_t txns = transactions() - before;
  EXPECT_GT(txns, 0);
  EXPECT_LT(txns, threads_n * per_thread) << "every commit had its own transaction";
  auto tasks = s.CountTasks(TaskFilter{});
  ASSERT_TRUE(tasks.ok()) << tasks.status().ToString();
  EXPECT_EQ(*tasks, threads_n * per_thread);
}

// Expects `r` to be refused as a Conflict on the field "name", saying `message`.
template <typename T>
void ExpectConflict(const Result<T>& r, const std::string& message) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kConflict);
  EXPECT_EQ(r.status().field(), "name");
  EXPECT_EQ(r.status().message(), message);
}

// Expects the task counts {queued, started, scheduled, finished, failed}.
inline void ExpectCounts(const Result<QueueCounts>& c, const std::array<int64_t, 5>& want) {
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((std::array<int64_t, 5>{c->queued, c->started, c->scheduled, c->finished, c->failed}),
            want);
}

// Canonical lower-case UUID (the SQLite store issues time-ordered version 7 ids).
inline bool LooksLikeUuid(const std::string& s) {
  static const std::regex re(
      "^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  return std::regex_match(s, re);
}

}  // namespace herald::store_contract
