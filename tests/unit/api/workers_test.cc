// /api/core/background-workers/ in-process over a real SQLite store: NetBox's worker fields
// (plus hostname and last_heartbeat) for the workers whose heartbeats are recent, by name,
// paginated; one worker by name; stale workers are not listed; the queue counts the live
// workers; the same tokens as the other core endpoints. Time is the API's FakeClock.
#include <gtest/gtest.h>

#include "api/api.h"
#include "common/clock.h"
#include "common/strings.h"
#include "common/time.h"
#include "delivery/heartbeat.h"
#include "support/handler_call.h"
#include "support/store_fixture.h"
#include "value/json.h"

namespace herald {
namespace {

constexpr int64_t kSecond = 1000000;

class WorkersApiTest : public testing::StoreWithTokensTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreWithTokens());
    ApiOptions o;
    o.clock = &clock_;
    api_ = std::make_unique<Api>(*store_, o);
    api_->SetListenAddress("127.0.0.1", 8080);
  }
  void TearDown() override {
    api_.reset();
    CloseStore();
  }

  // GET `target` with `key`'s token; the status and the parsed body (None when not JSON).
  std::pair<int, Value> Get(const std::string& target, const std::string& key) {
    http::Request req = testing::MakeRequest("GET", target);
    if (!key.empty()) req.headers.emplace_back("Authorization", "Token " + key);
    http::Response r = testing::CallHandler(
        [this](http::Request&& q, http::Responder respond) {
          api_->Handle(std::move(q), std::move(respond));
        },
        std::move(req));
    auto v = ParseJson(r.body);
    return {r.status, v.ok() ? *v : Value()};
  }

  void Register(const std::string& name, TimeUs last_heartbeat, const std::string& state = "idle") {
    WorkerInfo w;
    w.name = name;
    w.host = "node-" + name.substr(0, 1);
    w.pid = 4242;
    w.queue_names = {"default"};
    w.birth_date = 1767225600LL * kSecond;  // 2026-01-01T00:00:00Z
    w.last_heartbeat = last_heartbeat;
    w.state = state;
    w.successful_job_count = 12;
    w.failed_job_count = 3;
    w.total_working_time = 90 * kSecond + 999999;
    ASSERT_TRUE(store_->RegisterWorker(w).ok());
  }

  FakeClock clock_;  // outlives api_
  std::unique_ptr<Api> api_;
};

TEST_F(WorkersApiTest, ListsLiveWorkersInNetBoxsShape) {
  const TimeUs now = clock_.NowUs();
  Register("b:2:two", now, "busy");
  Register("a:1:one", now - 5 * kSecond);
  Register("c:3:gone", now - delivery::kWorkerStaleAfter.count() * kSecond - 1);
  auto [status, page] = Get("/api/core/background-workers/", ro_key_);
  ASSERT_EQ(status, 200) << DumpJson(page);
  EXPECT_EQ(page.get("count")->as_int(), 2) << "the stale worker is not listed";
  EXPECT_TRUE(page.get("next")->is_none());
  const auto& results = page.get("results")->as_list();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].get("name")->as_str(), "a:1:one") << "ordered by name";
  const Value& w = results[1];
  EXPECT_EQ(w.get("name")->as_str(), "b:2:two");
  EXPECT_EQ(w.get("url")->as_str(),
            "http://127.0.0.1:8080/api/core/background-workers/" + PercentEncode("b:2:two") + "/");
  EXPECT_EQ(w.get("state")->as_str(), "busy");
  EXPECT_EQ(w.get("birth_date")->as_str(), "2026-01-01T00:00:00Z");
  ASSERT_EQ(w.get("queue_names")->as_list().size(), 1u);
  EXPECT_EQ(w.get("queue_names")->as_list()[0].as_str(), "default");
  EXPECT_EQ(w.get("pid")->as_str(), "4242") << "NetBox's serializer gives the pid as a string";
  EXPECT_EQ(w.get("successful_job_count")->as_int(), 12);
  EXPECT_EQ(w.get("failed_job_count")->as_int(), 3);
  EXPECT_EQ(w.get("total_working_time")->as_int(), 90) << "whole seconds";
  EXPECT_EQ(w.get("hostname")->as_str(), "node-b");
  EXPECT_EQ(w.get("last_heartbeat")->as_str(), FormatIsoUtc(now, 'Z'));

  // The queue counts the same live workers.
  auto [qs, queue] = Get("/api/core/background-queues/default/", ro_key_);
  ASSERT_EQ(qs, 200);
  EXPECT_EQ(queue.get("workers")->as_int(), 2);
}

TEST_F(WorkersApiTest, OneWorkerByNameAndPages) {
  const TimeUs now = clock_.NowUs();
  for (const char* name : {"a:1:x", "b:2:y", "c:3:z"}) Register(name, now);
  // The url of a listed worker leads to it.
  auto [ls, list] = Get("/api/core/background-workers/?limit=1&offset=1", admin_key_);
  ASSERT_EQ(ls, 200);
  EXPECT_EQ(list.get("count")->as_int(), 3);
  ASSERT_EQ(list.get("results")->as_list().size(), 1u);
  const Value& w = list.get("results")->as_list()[0];
  EXPECT_EQ(w.get("name")->as_str(), "b:2:y");
  EXPECT_EQ(list.get("next")->as_str(),
            "http://127.0.0.1:8080/api/core/background-workers/?limit=1&offset=2");
  EXPECT_EQ(list.get("previous")->as_str(),
            "http://127.0.0.1:8080/api/core/background-workers/?limit=1");
  std::string path = w.get("url")->as_str().substr(std::string("http://127.0.0.1:8080").size());
  auto [ds, detail] = Get(path, ro_key_);
  ASSERT_EQ(ds, 200) << path;
  EXPECT_EQ(detail.get("name")->as_str(), "b:2:y");
  EXPECT_EQ(Get("/api/core/background-workers/b:2:y/", ro_key_).first, 200);
  auto [ns, missing] = Get("/api/core/background-workers/nope/", ro_key_);
  EXPECT_EQ(ns, 404);
  EXPECT_EQ(missing.get("detail")->as_str(), "Worker not found.");
  // A worker whose heartbeats went stale is gone from the detail too.
  clock_.Advance(delivery::kWorkerStaleAfter + std::chrono::seconds(1));
  EXPECT_EQ(Get("/api/core/background-workers/b:2:y/", ro_key_).first, 404);
  EXPECT_EQ(Get("/api/core/background-workers/", ro_key_).second.get("count")->as_int(), 0);
}

TEST_F(WorkersApiTest, SameTokensAsTheOtherCoreEndpoints) {
  EXPECT_EQ(Get("/api/core/background-workers/", "").first, 403);
  EXPECT_EQ(Get("/api/core/background-workers/", ingest_key_).first, 403);
  EXPECT_EQ(Get("/api/core/background-workers/", ro_key_).first, 200);
  EXPECT_EQ(Get("/api/core/background-workers/", admin_key_).first, 200);
  http::Request post = testing::MakeRequest("POST", "/api/core/background-workers/", "{}");
  post.headers = {{"Authorization", "Token " + admin_key_}, {"Content-Type", "application/json"}};
  http::Response r = testing::CallHandler(
      [this](http::Request&& q, http::Responder respond) {
        api_->Handle(std::move(q), std::move(respond));
      },
      std::move(post));
  EXPECT_EQ(r.status, 405);
  auto [cs, core] = Get("/api/core/", "");
  ASSERT_EQ(cs, 200);
  EXPECT_EQ(core.get("background-workers")->as_str(),
            "http://127.0.0.1:8080/api/core/background-workers/");
}

}  // namespace
}  // namespace herald
