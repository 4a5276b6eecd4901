// Delivery end to end: herald serve with its workers, real receivers on loopback.
#include <gtest/gtest.h>

#include <set>

#include "server_fixture.h"
#include "support/test_server.h"  // raw loopback servers on any 127/8 address
#include "value/json.h"

namespace herald::testing {
namespace {

class DeliveryTest : public ServerFixture {
 protected:
  void Start(std::map<std::string, std::string> env = {}) {
    env.emplace("HERALD_DELIVERY_DEFAULT_TIMEOUT", "5");
    StartServer(std::move(env));
  }
  void SetUp() override { Start(); }

  int64_t Webhook(const std::string& json) {
    auto r = Post("/api/extras/webhooks/", json);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().get("id") ? r.json().get("id")->as_int() : 0;
  }
  void Rule(int64_t webhook, const std::string& extra = "") {
    static int n = 0;
    auto r = Post(
        "/api/extras/event-rules/",
        R"({"name": "rule)" + std::to_string(n++) +
            R"(", "object_types": ["dcim.site"], "event_types": ["object_created"], "action_object_id": )" +
            std::to_string(webhook) + extra + "}");
    EXPECT_EQ(r.status, 201) << r.body;
  }
  std::string PostEvent(const std::string& event) {
    auto r = Post("/api/events/", FreshEvent(event));
    EXPECT_EQ(r.status, 202) << r.body;
    auto tasks = Get("/api/core/background-tasks/?status=all&event_id=" +
                     std::to_string(r.json().get("events")->as_list()[0].get("id")->as_int()));
    const auto& results = tasks.json().get("results")->as_list();
    return results.empty() ? "" : results[0].get("id")->as_str();
  }
  // A webhook with `fields` (JSON members after the name) sending to `url`, a rule for it, and
  // one kSite event; returns the event's task id.
  std::string Deliver(const std::string& url, const std::string& fields = "");
  Value Task(const std::string& id) { return Get("/api/core/background-tasks/" + id + "/").json(); }
  std::string TaskStatus(const std::string& id) {
    Value t = Task(id);
    return t.get("status") ? t.get("status")->as_str() : "?";
  }
  bool WaitStatus(const std::string& id, const std::string& status,
                  std::chrono::milliseconds d = std::chrono::milliseconds(15000)) {
    return WaitFor([&] { return TaskStatus(id) == status; }, d);
  }
};

const char* kSite = R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00",
  "object_type": "dcim.site", "username": "admin", "request_id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6",
  "data": {"id": 4, "name": "Site \u00e9", "latitude": 40.7128, "region": null, "tags": []},
  "snapshots": {"prechange": null, "postchange": {"name": "Site \u00e9", "status": "active"}}})";

std::string DeliveryTest::Deliver(const std::string& url, const std::string& fields) {
  static int n = 0;
  Rule(Webhook(R"({"name": "hook )" + std::to_string(n++) + R"(", "payload_url": ")" + url + "\"" +
               fields + "}"));
  return PostEvent(kSite);
}

TEST_F(DeliveryTest, SendsNetBoxDefaultBodySignedWithHeaders) {
  Receiver rx;
  int64_t w = Webhook(
      R"({"name": "site hook", "payload_url": ")" + rx.url("/hook") +
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
  // delivery.record_bodies = "failed" (the default): a success's body is not kept, and says so.
  const Value& rq = *attempts[0].get("request");
  EXPECT_TRUE(rq.get("body")->is_none()) << rq.repr();
  EXPECT_FALSE(rq.get("body_recorded")->as_bool());
  EXPECT_EQ(rq.get("body_note")->as_str(), "not recorded (delivery.record_bodies = failed)");
  EXPECT_EQ(rq.get("method")->as_str(), "POST");
}

class RecordAllBodiesTest : public DeliveryTest {
 protected:
  void SetUp() override { Start({{"HERALD_DELIVERY_RECORD_BODIES", "all"}}); }
};

TEST_F(RecordAllBodiesTest, SuccessfulAttemptKeepsItsBody) {
  Receiver rx;
  Rule(Webhook(R"({"name": "h", "payload_url": ")" + rx.url() + R"(", "body_template": "v1"})"));
  std::string task = PostEvent(kSite);
  ASSERT_TRUE(WaitStatus(task, "finished")) << Task(task).repr();
  Value t = Task(task);
  const Value& rq = *t.get("attempt_log")->as_list().at(0).get("request");
  EXPECT_EQ(rq.get("body")->as_str(), "v1") << rq.repr();
  EXPECT_TRUE(rq.get("body_recorded")->as_bool());
  EXPECT_EQ(rq.get("body_note"), nullptr);
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
  int64_t w =
      Webhook(R"({"name": "h", "payload_url": ")" + rx.url() + R"(", "body_template": "v1"})");
  Rule(w);
  std::string task = PostEvent(kSite);
  ASSERT_TRUE(WaitStatus(task, "failed")) << Task(task).repr();
  Value t = Task(task);
  EXPECT_EQ(t.get("error")->as_str(),
            "Status 404 returned with content 'b'Not Found'', webhook FAILED to process.");
  EXPECT_EQ(t.get("attempt_log")->as_list()[0].get("status_code")->as_int(), 404);
  EXPECT_EQ(t.get("attempt_log")->as_list()[0].get("response_excerpt")->as_str(), "Not Found");
  // A failed attempt keeps its body under the default delivery.record_bodies = "failed".
  const Value& sent = *t.get("attempt_log")->as_list()[0].get("request");
  EXPECT_EQ(sent.get("body")->as_str(), "v1") << sent.repr();
  EXPECT_TRUE(sent.get("body_recorded")->as_bool());

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
  auto r = Post("/api/events/", FreshEvent(kSite));
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
  std::string task =
      Deliver(rx.url(), R"(, "max_attempts": 3, "retry_policy": "fixed", "retry_interval": 0)");
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
  std::string task =
      Deliver(rx.url(), R"(, "max_attempts": 2, "retry_policy": "fixed", "retry_interval": 3600)");
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
  std::string task = Deliver(rx.url(), R"(, "timeout": 1)");
  ASSERT_TRUE(WaitStatus(task, "failed")) << Task(task).repr();
  std::string err = Task(task).get("error")->as_str();
  EXPECT_NE(err.find("timed out"), std::string::npos) << err;
}

TEST_F(DeliveryTest, MetricsReportTasksAndDeliveries) {
  Receiver rx;
  std::string task = Deliver(rx.url());
  ASSERT_TRUE(WaitStatus(task, "finished"));
  auto m = Http("GET", Url("/metrics"));
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("herald_tasks{status=\"finished\"} 1"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("herald_deliveries_total{outcome=\"success\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("herald_attempt_duration_seconds_count 1"), std::string::npos);
  EXPECT_NE(m.body.find("herald_queue_depth"), std::string::npos);
  EXPECT_NE(m.body.find("herald_oldest_queued_age_seconds"), std::string::npos);
  EXPECT_NE(m.body.find("herald_in_flight"), std::string::npos);
  EXPECT_NE(m.body.find("herald_waiting 0"), std::string::npos);
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
    ASSERT_GT(CreateWebhookAndRule(s.base(), token,
                                   R"({"name": "w", "payload_url": ")" + rx.url() + R"("})", "r"),
              0);
    std::string batch = "[";
    for (int i = 0; i < kEvents; ++i) batch += std::string(i ? "," : "") + FreshEvent(kSite);
    batch += "]";
    ASSERT_EQ(Api("POST", s.base() + "/api/events/", token, batch).status, 202);
    ASSERT_TRUE(WaitFor([&] { return rx.count() >= 5; }));
    s.Kill();
  }
  Server s2(dir.path(), {}, env);
  ASSERT_TRUE(s2.started()) << s2.Stderr();
  auto finished = [&] {
    auto r = Api("GET", s2.base() + "/api/core/background-tasks/?status=finished", token);
    return r.json().get("count") ? r.json().get("count")->as_int() : 0;
  };
  ASSERT_TRUE(WaitFor([&] { return finished() == kEvents; }, std::chrono::seconds(60)))
      << "finished " << finished();
  std::set<std::string> ids;
  for (const auto& req : rx.requests()) ids.insert(req.header("X-Herald-Task"));
  EXPECT_EQ(ids.size(), static_cast<size_t>(kEvents)) << "every task reached the receiver";
}

// ---- What Herald sends: the network guard and the header rules, end to end ----
// 127.0.0.1 plays "allowed" and 127.0.0.2 "denied" (loopback only).

class GuardTest : public DeliveryTest {
 protected:
  void SetUp() override {}  // each test starts the server with its own configuration
  std::string TaskOf(int64_t webhook) {
    auto tasks =
        Get("/api/core/background-tasks/?status=all&webhook_id=" + std::to_string(webhook));
    const Value* results = tasks.json().get("results");
    if (!results || results->as_list().empty()) return "";
    return results->as_list()[0].get("id")->as_str();
  }
  std::string ErrorOf(const std::string& task) {
    Value t = Task(task);
    return t.get("error") && t.get("error")->is_str() ? t.get("error")->as_str() : "";
  }
  void SendTest(bool workers);
  // Posts a UI form of `session` to `path`.
  HttpResult PostForm(const UiSession& session, const std::string& path, const std::string& form) {
    return Http("POST", Url(path), "csrf=" + session.csrf + "&" + form,
                {"Cookie: " + session.cookie, "Content-Type: application/x-www-form-urlencoded"});
  }
  int64_t HookTo(const std::string& url, const std::string& extra = "") {
    static int n = 0;
    return Webhook(R"({"name": "guarded )" + std::to_string(n++) + R"(", "payload_url": ")" + url +
                   "\"" + extra + "}");
  }
};

testing::ServerResponse Ok200(const testing::ServerRequest&) { return {}; }

const std::string kDenied2 = "destination 127.0.0.2 is in a denied network (127.0.0.2/32)";

TEST_F(GuardTest, DeniedNetworkGetsNothingAndTheTaskFailsWithTheReason) {
  Start({{"HERALD_DELIVERY_DENY_NETWORKS", "169.254.0.0/16, 127.0.0.2/32"}});
  testing::TestServer denied(Ok200, "127.0.0.2");
  std::string port = std::to_string(denied.port());
  // The plain address and the numeric spellings that reach it.
  std::vector<int64_t> hooks;
  for (const std::string host : {"127.0.0.2", "2130706434", "0x7f000002", "127.2"}) {
    hooks.push_back(HookTo("http://" + host + ":" + port + "/"));
    Rule(hooks.back());
  }
  Receiver allowed;
  int64_t ok = HookTo(allowed.url());
  Rule(ok);
  ASSERT_EQ(Post("/api/events/", FreshEvent(kSite)).status, 202);
  for (int64_t h : hooks) {
    std::string task = TaskOf(h);
    ASSERT_TRUE(WaitStatus(task, "failed")) << Task(task).repr();
    EXPECT_EQ(ErrorOf(task), kDenied2) << Task(task).repr();
    // The task detail shows it like any other failure, in the attempt too.
    Value detail = Task(task);
    const Value* log = detail.get("attempt_log");
    ASSERT_TRUE(log && log->is_list() && !log->as_list().empty()) << Task(task).repr();
    EXPECT_EQ(log->as_list().back().get("error")->as_str(), kDenied2);
  }
  std::string ok_task = TaskOf(ok);
  ASSERT_TRUE(WaitStatus(ok_task, "finished")) << Task(ok_task).repr();
  EXPECT_EQ(denied.connections(), 0);
}

TEST_F(GuardTest, RedirectFromAnAllowedAddressToADeniedOne) {
  Start({{"HERALD_DELIVERY_DENY_NETWORKS", "127.0.0.2/32"}});
  testing::TestServer denied(Ok200, "127.0.0.2");
  testing::TestServer redirector(testing::Answer(302, "", {{"Location", denied.url("/metadata")}}));
  int64_t h = HookTo(redirector.url("/hop"));
  Rule(h);
  std::string task = PostEvent(kSite);
  ASSERT_TRUE(WaitStatus(task, "failed")) << Task(task).repr();
  EXPECT_EQ(ErrorOf(task), kDenied2);
  EXPECT_EQ(redirector.requests().size(), 1u);
  EXPECT_EQ(denied.connections(), 0);
}

TEST_F(GuardTest, HeraldsOwnListenAddressIsRefusedButOtherLocalPortsAreNot) {
  Start();  // default configuration
  int64_t self = HookTo(server_->base() + "/api/status/");
  Rule(self);
  Receiver local;  // the README's localhost receiver stays reachable
  int64_t rx = HookTo(local.url());
  Rule(rx);
  ASSERT_EQ(Post("/api/events/", FreshEvent(kSite)).status, 202);
  std::string task = TaskOf(self);
  ASSERT_TRUE(WaitStatus(task, "failed")) << Task(task).repr();
  EXPECT_EQ(ErrorOf(task), "destination 127.0.0.1:" + std::to_string(server_->port()) +
                               " is Herald's own listen address");
  ASSERT_TRUE(WaitStatus(TaskOf(rx), "finished"));
  EXPECT_EQ(local.count(), 1u);
}

TEST_F(GuardTest, ProxiedTargetIsCheckedAndTheProxyIsNotContacted) {
  testing::TestServer proxy(Ok200, "127.0.0.1");
  Start({{"HERALD_DELIVERY_DENY_NETWORKS", "127.0.0.2/32"},
         {"HERALD_DELIVERY_HTTP_PROXY", proxy.url("")}});
  int64_t denied = HookTo("http://127.0.0.2:9/x");
  Rule(denied);
  std::string task = PostEvent(kSite);
  ASSERT_TRUE(WaitStatus(task, "failed")) << Task(task).repr();
  EXPECT_EQ(ErrorOf(task), kDenied2);
  EXPECT_EQ(proxy.connections(), 0);
  // An allowed target still goes through the proxy (the check above can fail).
  int64_t allowed = HookTo("http://127.0.0.3:9/y");
  Rule(allowed);
  ASSERT_EQ(Post("/api/events/", FreshEvent(kSite)).status, 202);
  std::string ok = TaskOf(allowed);
  ASSERT_TRUE(WaitStatus(ok, "finished")) << Task(ok).repr();
  ASSERT_EQ(proxy.requests().size(), 1u);
  EXPECT_EQ(proxy.requests()[0].target, "http://127.0.0.3:9/y");
}

TEST_F(GuardTest, AllowNetworksOnly) {
  Start({{"HERALD_DELIVERY_ALLOW_NETWORKS", "127.0.0.1/32"}});
  testing::TestServer outside(Ok200, "127.0.0.2");
  int64_t h = HookTo(outside.url());
  Rule(h);
  std::string task = PostEvent(kSite);
  ASSERT_TRUE(WaitStatus(task, "failed")) << Task(task).repr();
  EXPECT_EQ(ErrorOf(task),
            "destination 127.0.0.2 is not in an allowed network (delivery.allow_networks)");
  EXPECT_EQ(outside.connections(), 0);
}

// "Send test" in the UI, with the delivery engine's transport or (workers off) the UI's own.
TEST_F(GuardTest, SendTestInTheUiObeysTheGuard) { SendTest(true); }
TEST_F(GuardTest, SendTestInTheUiObeysTheGuardWithoutWorkers) { SendTest(false); }

void GuardTest::SendTest(bool workers) {
  Start({{"HERALD_DELIVERY_DENY_NETWORKS", "127.0.0.2/32"},
         {"HERALD_DELIVERY_WORKERS", workers ? "true" : "false"}});
  testing::TestServer denied(Ok200, "127.0.0.2");
  int64_t h = HookTo(denied.url("/ui"));
  // Sign in, read the CSRF token, press "Send test".
  UiSession ui = SignInToUi(server_->base(), token_);
  ASSERT_FALSE(ui.csrf.empty());
  std::string send =
      "action=send&sample_json=%7B%22event%22%3A%22created%22%2C%22object_type%22"
      "%3A%22dcim.site%22%2C%22data%22%3A%7B%22id%22%3A1%7D%7D";
  auto sent = PostForm(ui, "/webhooks/" + std::to_string(h) + "/preview", send);
  EXPECT_NE(sent.body.find("destination 127.0.0.2 is in a denied network (127.0.0.2/32)"),
            std::string::npos)
      << sent.status << sent.body.substr(0, 2000);
  EXPECT_EQ(denied.connections(), 0);
  // The same page with an allowed destination does send (so the check above can fail).
  testing::TestServer allowed(Ok200, "127.0.0.1");
  int64_t ok = HookTo(allowed.url("/ui"));
  auto sent_ok = PostForm(ui, "/webhooks/" + std::to_string(ok) + "/preview", send);
  EXPECT_EQ(sent_ok.status, 200);
  EXPECT_EQ(allowed.requests().size(), 1u) << sent_ok.body.substr(0, 2000);
}

TEST(GuardConfig, InvalidNetworksStopTheStart) {
  TempDir dir;
  struct Case {
    std::string env, value, option, bad;
  };
  for (const Case& c :
       std::vector<Case>{{"HERALD_DELIVERY_DENY_NETWORKS", "169.254.0.0/16,10.0.0.0/33",
                          "delivery.deny_networks", "'10.0.0.0/33'"},
                         {"HERALD_DELIVERY_ALLOW_NETWORKS", "example.com",
                          "delivery.allow_networks", "'example.com'"}}) {
    const std::string& env = c.env;
    const std::string& value = c.value;
    RunResult r = RunHerald(
        {"serve", "--listen", "127.0.0.1:0", "--store", "sqlite://" + dir.path() + "/h.db"},
        {{env, value}}, std::chrono::seconds(30));
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.err.find(env + ": " + c.option + ": " + c.bad), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("listening"), std::string::npos) << r.out;
  }
}

TEST_F(GuardTest, HeaderLineBreaksFromDataAndForbiddenHeaders) {
  Start();
  Receiver rx;
  // Refused at save, with the error on the field.
  auto saved =
      Post("/api/extras/webhooks/", R"({"name": "cl", "payload_url": ")" + rx.url() +
                                        R"(", "additional_headers": "X-A: 1\nContent-Length: 3"})");
  EXPECT_EQ(saved.status, 400);
  ASSERT_TRUE(saved.json().get("additional_headers")) << saved.body;
  EXPECT_NE(saved.body.find("may not set Content-Length"), std::string::npos) << saved.body;
  // A name made by the template is caught at render.
  int64_t rendered = Webhook(R"({"name": "rendered name", "payload_url": ")" + rx.url() +
                             R"(", "additional_headers": "{{ data.header }}: 3"})");
  Rule(rendered);
  // A line break from event data never becomes a second header.
  int64_t inject = Webhook(R"({"name": "inject", "payload_url": ")" + rx.url() +
                           R"(", "additional_headers": "X-Name: {{ data.name }}"})");
  Rule(inject);
  std::string event = R"({"event": "created", "object_type": "dcim.site", "username": "u",
    "data": {"id": 1, "name": "a\nContent-Length: 3", "header": "Transfer-Encoding"}})";
  ASSERT_EQ(Post("/api/events/", event).status, 202);
  std::string t1 = TaskOf(inject), t2 = TaskOf(rendered);
  ASSERT_TRUE(WaitStatus(t1, "failed")) << Task(t1).repr();
  EXPECT_EQ(ErrorOf(t1),
            "Error parsing HTTP headers for webhook inject: additional_headers: the "
            "value of {{ data.name }} on line 1 contains a line break (U+000A); a "
            "header value must stay on one line");
  ASSERT_TRUE(WaitStatus(t2, "failed")) << Task(t2).repr();
  EXPECT_NE(ErrorOf(t2).find("additional_headers may not set Transfer-Encoding"), std::string::npos)
      << ErrorOf(t2);
  EXPECT_EQ(rx.count(), 0u);
}

TEST_F(GuardTest, UiWebhookFormRefusesForbiddenHeaders) {
  Start();
  UiSession ui = SignInToUi(server_->base(), token_);
  ASSERT_FALSE(ui.csrf.empty());
  auto form = [&](const std::string& headers) {
    return PostForm(ui, "/webhooks/new",
                    "name=ui-hook&payload_url=http%3A%2F%2F127.0.0.1%3A9%2F&http_method=POST"
                    "&http_content_type=application%2Fjson&additional_headers=" +
                        headers);
  };
  auto refused = form("X-A%3A+1%0D%0Aconnection%3A+close");  // "X-A: 1\r\nconnection: close"
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("may not set Connection"), std::string::npos)
      << refused.body.substr(0, 3000);
  auto hooks = Get("/api/extras/webhooks/?name=ui-hook");
  EXPECT_EQ(hooks.json().get("count")->as_int(), 0) << hooks.body;
  auto saved = form("X-A%3A+1");
  EXPECT_EQ(saved.status, 303) << saved.body.substr(0, 3000);
  EXPECT_EQ(Get("/api/extras/webhooks/?name=ui-hook").json().get("count")->as_int(), 1);
}

}  // namespace
}  // namespace herald::testing
