// Delivery end to end: herald serve with its workers, real receivers on loopback.
#include <gtest/gtest.h>

#include <set>

#include "harness.h"
#include "value/json.h"

namespace herald::testing {
namespace {

class DeliveryTest : public ::testing::Test {
 protected:
  void Start(std::map<std::string, std::string> env = {}) {
    env.emplace("HERALD_DELIVERY_DEFAULT_TIMEOUT", "5");
    server_ = std::make_unique<Server>(dir_.path(), std::vector<std::string>{}, env);
    ASSERT_TRUE(server_->started()) << server_->Stderr();
    token_ = server_->admin_token();
  }
  void SetUp() override { Start(); }

  std::string Url(const std::string& p) { return server_->base() + p; }
  HttpResult Post(const std::string& p, const std::string& body) {
    return Api("POST", Url(p), token_, body);
  }
  HttpResult Get(const std::string& p) { return Api("GET", Url(p), token_); }

  int64_t Webhook(const std::string& json) {
    auto r = Post("/api/extras/webhooks/", json);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().get("id") ? r.json().get("id")->as_int() : 0;
  }
  void Rule(int64_t webhook, const std::string& extra = "") {
    static int n = 0;
    auto r = Post("/api/extras/event-rules/",
                  R"({"name": "rule)" + std::to_string(n++) +
                      R"(", "object_types": ["dcim.site"], "event_types": ["object_created"], "action_object_id": )" +
                      std::to_string(webhook) + extra + "}");
    EXPECT_EQ(r.status, 201) << r.body;
  }
  std::string PostEvent(const std::string& event) {
    auto r = Post("/api/events/", event);
    EXPECT_EQ(r.status, 202) << r.body;
    auto tasks = Get("/api/core/background-tasks/?status=all&event_id=" +
                     std::to_string(r.json().get("events")->as_list()[0].get("id")->as_int()));
    const auto& results = tasks.json().get("results")->as_list();
    return results.empty() ? "" : results[0].get("id")->as_str();
  }
  Value Task(const std::string& id) { return Get("/api/core/background-tasks/" + id + "/").json(); }
  std::string TaskStatus(const std::string& id) {
    Value t = Task(id);
    return t.get("status") ? t.get("status")->as_str() : "?";
  }
  bool WaitStatus(const std::string& id, const std::string& status,
                  std::chrono::milliseconds d = std::chrono::milliseconds(15000)) {
    return Eventually([&] { return TaskStatus(id) == status; }, d);
  }

  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::string token_;
};

const char* kSite = R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00",
  "object_type": "dcim.site", "username": "admin", "request_id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6",
  "data": {"id": 4, "name": "Site \u00e9", "latitude": 40.7128, "region": null, "tags": []},
  "snapshots": {"prechange": null, "postchange": {"name": "Site \u00e9", "status": "active"}}})";

TEST_F(DeliveryTest, SendsNetBoxDefaultBodySignedWithHeaders) {
  Receiver rx;
  int64_t w = Webhook(R"({"name": "site hook", "payload_url": ")" + rx.url("/hook") +
                      R"(", "secret": "LOOKATMEIMASECRETSTRING", "additional_headers": "X-Foo: Bar\nX-Object: {{ data.name }}"})");
  Rule(w, R"(, "action_data": {"foo": 1})");
  std::string task = PostEvent(kSite);
  ASSERT_FALSE(task.empty());
  ASSERT_TRUE(WaitStatus(task, "finished")) << Task(task).repr() << server_->Stderr();
  auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& r = reqs[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/hook");
  std::string expected =
      R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00", "object_type": "dcim.site", "model": "site", "username": "admin", "request_id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "data": {"foo": 1, "id": 4, "name": "Site \u00e9", "latitude": 40.7128, "region": null, "tags": []}, "snapshots": {"prechange": null, "postchange": {"name": "Site \u00e9", "status": "active"}}})";
  EXPECT_EQ(r.body, expected);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.header("X-Foo"), "Bar");
  // Header values go on the wire as ISO-8859-1, as Python's http.client sends them.
  EXPECT_EQ(r.header("X-Object"), "Site \xe9");
  EXPECT_EQ(r.header("X-Hook-Signature"), HmacSha512Hex("LOOKATMEIMASECRETSTRING", r.body));
  EXPECT_EQ(r.header("X-Herald-Task"), task);
  Value t = Task(task);
  EXPECT_EQ(t.get("result")->as_str(), "Status 200 returned, webhook successfully processed.");
  const auto& attempts = t.get("attempt_log")->as_list();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].get("status_code")->as_int(), 200);
  EXPECT_EQ(attempts[0].get("request")->get("body")->as_str(), expected);
}

TEST_F(DeliveryTest, BodyTemplateAndMethodAndContentType) {
  Receiver rx;
  int64_t w = Webhook(R"({"name": "slack", "payload_url": ")" + rx.url("/s/{{ data.id }}") +
                      R"(", "http_method": "PUT", "http_content_type": "text/plain",
                          "body_template": "{{ username }} made {{ data.name }}"})");
  Rule(w);
  std::string task = PostEvent(kSite);
  ASSERT_TRUE(WaitStatus(task, "finished")) << Task(task).repr();
  auto r = rx.requests().at(0);
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.path, "/s/4");
  EXPECT_EQ(r.body, "admin made Site \xc3\xa9");
  EXPECT_EQ(r.header("Content-Type"), "text/plain");
  EXPECT_EQ(r.header("X-Hook-Signature"), "") << "no secret, no signature";
}

TEST_F(DeliveryTest, Non2xxFailsWithNetBoxMessageAndRequeueRerenders) {
  Receiver rx;
  rx.Respond(404, "Not Found");
  int64_t w = Webhook(R"({"name": "h", "payload_url": ")" + rx.url() +
                      R"(", "body_template": "v1"})");
  Rule(w);
  std::string task = PostEvent(kSite);
  ASSERT_TRUE(WaitStatus(task, "failed")) << Task(task).repr();
  Value t = Task(task);
  EXPECT_EQ(t.get("error")->as_str(),
            "Status 404 returned with content 'b'Not Found'', webhook FAILED to process.");
  EXPECT_EQ(t.get("attempt_log")->as_list()[0].get("status_code")->as_int(), 404);
  EXPECT_EQ(t.get("attempt_log")->as_list()[0].get("response_excerpt")->as_str(), "Not Found");

  auto cli = RunHerald({"tasks", "list", "--status", "failed", "--store", server_->store_url()});
  EXPECT_NE(cli.out.find(task), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("Status 404 returned"), std::string::npos) << cli.out;

  // Fix the template, make the receiver healthy, requeue: the new template is used.
  auto patch = Api("PATCH", Url("/api/extras/webhooks/" + std::to_string(w) + "/"), token_,
                   R"({"body_template": "v2"})");
  ASSERT_EQ(patch.status, 200);
  rx.Respond(200, "ok");
  auto rq = RunHerald({"tasks", "requeue", task, "--store", server_->store_url()});
  ASSERT_EQ(rq.exit_code, 0) << rq.err;
  ASSERT_TRUE(WaitStatus(task, "finished")) << Task(task).repr();
  auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].body, "v1");
  EXPECT_EQ(reqs[1].body, "v2");
  EXPECT_EQ(Task(task).get("attempt_log")->as_list().size(), 2u);
}

TEST_F(DeliveryTest, ConnectionRefusedAndRenderErrorsAreClearFailures) {
  int64_t dead = Webhook(R"({"name": "dead", "payload_url": "http://127.0.0.1:1/x"})");
  Rule(dead);
  std::string task = PostEvent(kSite);
  ASSERT_TRUE(WaitStatus(task, "failed")) << Task(task).repr();
  std::string err = Task(task).get("error")->as_str();
  EXPECT_NE(err.find("onnect"), std::string::npos) << err;

  Receiver rx;
  int64_t bad = Webhook(R"({"name": "bad template", "payload_url": ")" + rx.url() +
                        R"(", "body_template": "{{ data.nope.deeper }}"})");
  Rule(bad);
  auto r = Post("/api/events/", kSite);
  ASSERT_EQ(r.status, 202);
  auto tasks = Get("/api/core/background-tasks/?status=all&webhook_id=" + std::to_string(bad));
  std::string id = tasks.json().get("results")->as_list().at(0).get("id")->as_str();
  ASSERT_TRUE(WaitStatus(id, "failed")) << Task(id).repr();
  err = Task(id).get("error")->as_str();
  EXPECT_NE(err.find("Error rendering request body for webhook bad template: UndefinedError"),
            std::string::npos)
      << err;
  EXPECT_EQ(rx.count(), 0u);
}

TEST_F(DeliveryTest, RetriesWithFixedIntervalUntilSuccess) {
  Receiver rx;
  rx.FailNext(2, 503);
  int64_t w = Webhook(R"({"name": "flaky", "payload_url": ")" + rx.url() +
                      R"(", "max_attempts": 3, "retry_policy": "fixed", "retry_interval": 0})");
  Rule(w);
  std::string task = PostEvent(kSite);
  ASSERT_TRUE(WaitStatus(task, "finished")) << Task(task).repr();
  Value t = Task(task);
  EXPECT_EQ(t.get("attempts")->as_int(), 3);
  const auto& log = t.get("attempt_log")->as_list();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].get("status_code")->as_int(), 503);
  EXPECT_EQ(log[2].get("status_code")->as_int(), 200);
}

TEST_F(DeliveryTest, ExhaustedRetriesFailAndRetryWaitsAreScheduled) {
  Receiver rx;
  rx.Respond(500, "boom");
  int64_t w = Webhook(R"({"name": "down", "payload_url": ")" + rx.url() +
                      R"(", "max_attempts": 2, "retry_policy": "fixed", "retry_interval": 3600})");
  Rule(w);
  std::string task = PostEvent(kSite);
  ASSERT_TRUE(WaitStatus(task, "scheduled")) << Task(task).repr();
  Value t = Task(task);
  EXPECT_TRUE(t.get("scheduled_for")->is_str());
  // Enqueue runs it now; the second attempt exhausts the policy.
  auto enq = Post("/api/core/background-tasks/" + task + "/enqueue/", "");
  EXPECT_EQ(enq.status, 200) << enq.body;
  ASSERT_TRUE(WaitStatus(task, "failed")) << Task(task).repr();
  EXPECT_EQ(Task(task).get("attempts")->as_int(), 2);
}

TEST_F(DeliveryTest, TimeoutIsAFailureWithItsOwnMessage) {
  Receiver rx;
  rx.Respond(200, "late", 3000);
  int64_t w = Webhook(R"({"name": "slow", "payload_url": ")" + rx.url() + R"(", "timeout": 1})");
  Rule(w);
  std::string task = PostEvent(kSite);
  ASSERT_TRUE(WaitStatus(task, "failed")) << Task(task).repr();
  std::string err = Task(task).get("error")->as_str();
  EXPECT_NE(err.find("timed out"), std::string::npos) << err;
}

TEST_F(DeliveryTest, MetricsReportTasksAndDeliveries) {
  Receiver rx;
  int64_t w = Webhook(R"({"name": "m", "payload_url": ")" + rx.url() + R"("})");
  Rule(w);
  std::string task = PostEvent(kSite);
  ASSERT_TRUE(WaitStatus(task, "finished"));
  auto m = Http("GET", Url("/metrics"));
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("herald_tasks{status=\"finished\"} 1"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("herald_deliveries_total{outcome=\"success\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("herald_attempt_duration_seconds_count 1"), std::string::npos);
  EXPECT_NE(m.body.find("herald_queue_depth"), std::string::npos);
  EXPECT_NE(m.body.find("herald_oldest_queued_age_seconds"), std::string::npos);
  EXPECT_NE(m.body.find("herald_in_flight"), std::string::npos);
}

TEST(DeliveryDurability, TasksInFlightAtKill9AreDeliveredAfterRestart) {
  TempDir dir;
  Receiver rx;
  rx.Respond(200, "ok", 800);  // slow receiver: requests are in flight when the server dies
  std::map<std::string, std::string> env = {{"HERALD_DELIVERY_DEFAULT_TIMEOUT", "2"},
                                            {"HERALD_DELIVERY_LEASE_SECONDS", "1"}};
  std::string token;
  const int kEvents = 40;
  {
    Server s(dir.path(), {}, env);
    ASSERT_TRUE(s.started()) << s.Stderr();
    token = s.admin_token();
    auto w = Api("POST", s.base() + "/api/extras/webhooks/", token,
                 R"({"name": "w", "payload_url": ")" + rx.url() + R"("})");
    ASSERT_EQ(w.status, 201);
    auto r = Api("POST", s.base() + "/api/extras/event-rules/", token,
                 R"({"name": "r", "object_types": ["dcim.site"], "event_types": ["object_created"], "action_object_id": )" +
                     std::to_string(w.json().get("id")->as_int()) + "}");
    ASSERT_EQ(r.status, 201);
    std::string batch = "[";
    for (int i = 0; i < kEvents; ++i) batch += std::string(i ? "," : "") + kSite;
    batch += "]";
    ASSERT_EQ(Api("POST", s.base() + "/api/events/", token, batch).status, 202);
    ASSERT_TRUE(Eventually([&] { return rx.count() >= 5; }));
    s.Kill();
  }
  Server s2(dir.path(), {}, env);
  ASSERT_TRUE(s2.started()) << s2.Stderr();
  auto finished = [&] {
    auto r = Api("GET", s2.base() + "/api/core/background-tasks/?status=finished", token);
    return r.json().get("count") ? r.json().get("count")->as_int() : 0;
  };
  ASSERT_TRUE(Eventually([&] { return finished() == kEvents; }, std::chrono::seconds(60)))
      << "finished " << finished();
  std::set<std::string> ids;
  for (const auto& req : rx.requests()) ids.insert(req.header("X-Herald-Task"));
  EXPECT_EQ(ids.size(), static_cast<size_t>(kEvents)) << "every task reached the receiver";
}

}  // namespace
}  // namespace herald::testing
