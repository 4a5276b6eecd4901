// The foundation, end to end: the real binary, real HTTP on loopback, a real SQLite store.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "server_fixture.h"
#include "support/files.h"
#include "value/json.h"

namespace herald::testing {
namespace {

std::string J(const Value& v) { return DumpJson(v); }

class ApiTest : public ServerFixture {
 protected:
  void SetUp() override {
    // Workers off: these tests look at queued tasks (delivery has its own tests).
    ASSERT_NO_FATAL_FAILURE(StartServer({{"HERALD_DELIVERY_WORKERS", "false"}}));
    ASSERT_EQ(token_.size(), 40u) << server_->Stdout();
  }

  int64_t CreateWebhook(const std::string& name, const std::string& extra = "") {
    auto r = Post(
        "/api/extras/webhooks/",
        R"({"name": ")" + name + R"(", "payload_url": "http://127.0.0.1:9/hook")" + extra + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().get("id") ? r.json().get("id")->as_int() : 0;
  }

  int64_t CreateRule(const std::string& name, int64_t webhook, const std::string& object_types,
                     const std::string& event_types, const std::string& extra = "") {
    auto r = Post(
        "/api/extras/event-rules/",
        R"({"name": ")" + name + R"(", "object_types": )" + object_types + R"(, "event_types": )" +
            event_types +
            R"(, "action_type": "webhook", "action_object_type": "extras.webhook", "action_object_id": )" +
            std::to_string(webhook) + extra + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().get("id") ? r.json().get("id")->as_int() : 0;
  }

  int64_t CountTasks(const std::string& status = "all") {
    auto r = Get("/api/core/background-tasks/?status=" + status);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().get("count") ? r.json().get("count")->as_int() : -1;
  }
};

const char* kDevice = R"({"event": "created", "object_type": "dcim.device", "username": "jdoe",
  "request_id": "3f8e2c1a-6b0d-4c55-9a77-0f6f1f3b2e91",
  "data": {"id": 7, "name": "web01", "status": {"value": "active", "label": "Active"}},
  "snapshots": {"prechange": null, "postchange": {"name": "web01", "status": "active"}}})";

TEST_F(ApiTest, StatusNeedsNoTokenAndReportsVersionStoreAndQueue) {
  auto r = Http("GET", Url("/api/status/"));
  ASSERT_EQ(r.status, 200) << r.body;
  Value v = r.json();
  EXPECT_EQ(v.get("herald-version")->as_str(), "0.1.0");
  // The backend kind only, never where the store lives.
  EXPECT_EQ(v.get("store")->as_str(), g_fixture_store ? "postgresql" : "sqlite");
  EXPECT_EQ(r.body.find(dir_.path()), std::string::npos) << r.body;
  ASSERT_TRUE(v.get("tasks") && v.get("tasks")->is_dict());
  EXPECT_EQ(v.get("tasks")->get("queued")->as_int(), 0);
}

TEST_F(ApiTest, ApiRootAnswersWithOrWithoutATokenAndTheServerStaysUp) {
  // Regression: GET /api/ with a valid token used to crash the server (a missing path part).
  for (const char* path : {"/api", "/api/"}) {
    for (const std::string& token : {std::string(), token_}) {
      auto r = token.empty() ? Http("GET", Url(path)) : Get(path);
      ASSERT_EQ(r.status, 200) << path << ": " << r.error << r.body;
      EXPECT_EQ(r.headers["api-version"], "4.6");  // api::kNetBoxApiVersion
      ASSERT_TRUE(r.json().is_dict()) << r.body;
      EXPECT_EQ(r.json().get("extras")->as_str(), Url("/api/extras/"));
      EXPECT_EQ(r.json().get("core")->as_str(), Url("/api/core/"));
      EXPECT_EQ(r.json().get("status")->as_str(), Url("/api/status/"));
    }
  }
  auto extras = Http("GET", Url("/api/extras/"));
  ASSERT_EQ(extras.status, 200) << extras.body;
  EXPECT_EQ(extras.json().get("webhooks")->as_str(), Url("/api/extras/webhooks/"));
  // Odd shapes over the real server: clean JSON errors, never a 5xx, and the server stays up.
  for (const char* path : {"/api/x/", "/api/%00/", "/api/extras/webhooks/%2F..%2F/",
                           "/api/extras/webhooks/99999999999999999999999/",
                           "/api/core/background-tasks/x/y/z/w/", "/api/events/-1/"}) {
    for (const char* method : {"GET", "DELETE", "OPTIONS", "PATCH"}) {
      auto r = Api(method, Url(path), token_, std::string(method) == "PATCH" ? "{}" : "");
      EXPECT_GE(r.status, 400) << method << " " << path;
      EXPECT_LT(r.status, 500) << method << " " << path << ": " << r.body;
      EXPECT_TRUE(r.json().get("detail")) << method << " " << path << ": " << r.body;
    }
  }
  EXPECT_EQ(Http("GET", Url("/api/status/")).status, 200);
}

TEST_F(ApiTest, AbsoluteUrlsIgnoreAHostileHostHeader) {
  auto r = Http("POST", Url("/api/extras/webhooks/"),
                R"({"name": "h", "payload_url": "http://127.0.0.1:9/hook"})",
                {"Authorization: Token " + token_, "Content-Type: application/json",
                 "Host: evil.example", "X-Forwarded-Host: evil.example"});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().get("url")->as_str(),
            Url("/api/extras/webhooks/" + std::to_string(r.json().get("id")->as_int()) + "/"));
  for (const char* path : {"/api/", "/api/extras/webhooks/?limit=1&offset=0"}) {
    auto g = Http("GET", Url(path), "", {"Authorization: Token " + token_, "Host: evil.example"});
    ASSERT_EQ(g.status, 200) << g.body;
    EXPECT_EQ(g.body.find("evil"), std::string::npos) << g.body;
  }
}

TEST(PublicUrl, IsTheBaseOfAbsoluteUrlsAndMustBeAnHttpUrl) {
  TempDir dir;
  Server s(dir.path(), {}, {{"HERALD_SERVER_PUBLIC_URL", "https://herald.example.com/"}});
  ASSERT_TRUE(s.started()) << s.Stderr();
  auto root = Http("GET", s.base() + "/api/", "", {"Host: evil.example"});
  ASSERT_EQ(root.status, 200) << root.body;
  EXPECT_EQ(root.json().get("extras")->as_str(), "https://herald.example.com/api/extras/");
  auto w = Api("POST", s.base() + "/api/extras/webhooks/", s.admin_token(),
               R"({"name": "h", "payload_url": "http://127.0.0.1:9/hook"})");
  ASSERT_EQ(w.status, 201) << w.body;
  EXPECT_EQ(w.json().get("url")->as_str().rfind("https://herald.example.com/api/extras/", 0), 0u)
      << w.body;
  for (const char* bad : {"herald.example.com", "javascript:alert(1)", "https://", "http:///x",
                          "https://h.example/?q=1"}) {
    auto r = RunHerald({"serve", "--store", "sqlite://" + dir.path() + "/bad.db"},
                       {{"HERALD_SERVER_PUBLIC_URL", bad}});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("server.public_url"), std::string::npos) << bad << ": " << r.err;
  }
}

TEST(IngestPool, CatastrophicRegexRulesDoNotBlockTheApiAndEventsAreAccepted) {
  TempDir dir;
  // A small budget so that every event runs out of it: six evaluations of a catastrophic regex
  // each run into the PCRE2 step limit, far more work than 1 ms.
  Server s(dir.path(), {},
           {{"HERALD_DELIVERY_WORKERS", "false"}, {"HERALD_INGEST_CONDITION_BUDGET_MS", "1"}});
  ASSERT_TRUE(s.started()) << s.Stderr();
  const std::string token = s.admin_token();
  auto hook = Api("POST", s.base() + "/api/extras/webhooks/", token,
                  R"({"name": "h", "payload_url": "http://127.0.0.1:9/hook"})");
  ASSERT_EQ(hook.status, 201) << hook.body;
  std::string hook_id = std::to_string(hook.json().get("id")->as_int());
  auto rule = [&](const std::string& name, const std::string& extra) {
    auto r = Api("POST", s.base() + "/api/extras/event-rules/", token,
                 R"({"name": ")" + name +
                     R"(", "object_types": ["dcim.device"], "event_types": ["object_created"],
                     "action_type": "webhook", "action_object_type": "extras.webhook",
                     "action_object_id": )" +
                     hook_id + extra + "}");
    ASSERT_EQ(r.status, 201) << r.body;
  };
  for (int i = 0; i < 6; ++i)
    rule("evil-" + std::to_string(i),
         R"(, "conditions": {"attr": "name", "value": "^(a+)+$", "op": "regex"})");
  rule("plain", "");
  std::string batch = "[";
  for (int i = 0; i < 40; ++i) {
    if (i) batch += ",";
    batch += R"({"event": "created", "object_type": "dcim.device", "data": {"id": )" +
             std::to_string(i) + R"(, "name": ")" + std::string(30, 'a') + R"(!"}})";
  }
  batch += "]";
  HttpResult results[2];
  std::thread posters[2];
  for (int i = 0; i < 2; ++i)
    posters[i] =
        std::thread([&, i] { results[i] = Api("POST", s.base() + "/api/events/", token, batch); });
  // The I/O threads stay free while the ingest pool works: status answers (the bound is the
  // client's 30 s timeout, not a timing assertion).
  auto status = Http("GET", s.base() + "/api/status/");
  EXPECT_EQ(status.status, 200) << status.error << status.body;
  for (auto& t : posters) t.join();
  for (const auto& r : results) {
    ASSERT_EQ(r.status, 202) << r.error << r.body;
    EXPECT_EQ(r.json().get("accepted")->as_int(), 40);
    EXPECT_EQ(r.json().get("tasks")->as_int(), 40) << "only the rule without conditions matches";
  }
  EXPECT_TRUE(s.WaitForLog("Evaluation failed. the condition time budget ran out",
                           std::chrono::seconds(10)))
      << s.Stderr();
  EXPECT_TRUE(s.WaitForLog("exceeded the match step limit", std::chrono::seconds(10)));
  EXPECT_EQ(Http("GET", s.base() + "/api/status/").status, 200);
}

TEST_F(ApiTest, EveryOtherEndpointNeedsAToken) {
  for (const char* path : {"/api/extras/webhooks/", "/api/extras/event-rules/",
                           "/api/core/background-tasks/", "/api/events/"}) {
    auto r = Http("GET", Url(path));
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_TRUE(r.json().get("detail")) << r.body;
    auto bad = Api("GET", Url(path), "0000000000000000000000000000000000000000");
    EXPECT_EQ(bad.status, 403) << path;
  }
  auto bearer = Http("GET", Url("/api/extras/webhooks/"), "", {"Authorization: Bearer " + token_});
  EXPECT_EQ(bearer.status, 200);
}

TEST_F(ApiTest, ReadOnlyAndIngestOnlyTokensAreLimited) {
  auto ro = RunHerald({"token", "create", "--read-only", "--store", server_->store_url()});
  ASSERT_EQ(ro.exit_code, 0) << ro.err;
  std::string ro_key = ro.out.substr(0, ro.out.find('\n'));
  ASSERT_EQ(ro_key.size(), 40u) << ro.out;
  auto io = RunHerald(
      {"token", "create", "--ingest-only", "--name", "netbox", "--store", server_->store_url()});
  ASSERT_EQ(io.exit_code, 0) << io.err;
  std::string io_key = io.out.substr(0, io.out.find('\n'));

  EXPECT_EQ(Api("GET", Url("/api/extras/webhooks/"), ro_key).status, 200);
  auto denied = Api("POST", Url("/api/extras/webhooks/"), ro_key,
                    R"({"name": "x", "payload_url": "http://a/"})");
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(denied.json().get("detail")->as_str().find("read-only"), std::string::npos);
  EXPECT_EQ(Api("POST", Url("/api/events/"), ro_key, kDevice).status, 403);

  EXPECT_EQ(Api("POST", Url("/api/events/"), io_key, kDevice).status, 202);
  EXPECT_EQ(Api("GET", Url("/api/extras/webhooks/"), io_key).status, 403);
  EXPECT_EQ(Api("GET", Url("/api/core/background-tasks/"), io_key).status, 403);

  auto list = RunHerald({"token", "list", "--store", server_->store_url()});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("ingest-only"), std::string::npos);
  EXPECT_NE(list.out.find("netbox"), std::string::npos);
  EXPECT_EQ(list.out.find(io_key), std::string::npos) << "keys are never listed";
}

TEST_F(ApiTest, RevokedTokenIsRefused) {
  auto io = RunHerald({"token", "create", "--store", server_->store_url()});
  std::string key = io.out.substr(0, io.out.find('\n'));
  EXPECT_EQ(Api("GET", Url("/api/extras/webhooks/"), key).status, 200);
  auto list = RunHerald({"token", "list", "--store", server_->store_url()});
  // The newest token is the last row; its id is the first column.
  std::string last = list.out.substr(list.out.rfind('\n', list.out.size() - 2) + 1);
  std::string id = last.substr(0, last.find(' '));
  auto rv = RunHerald({"token", "revoke", id, "--store", server_->store_url()});
  ASSERT_EQ(rv.exit_code, 0) << rv.err;
  // The server caches verified tokens for at most 10 s.
  EXPECT_TRUE(WaitFor([&] { return Api("GET", Url("/api/extras/webhooks/"), key).status == 403; },
                      std::chrono::seconds(15)));
}

TEST_F(ApiTest, WebhookCrudWithNetBoxShapes) {
  auto created = Post("/api/extras/webhooks/",
                      R"({"name": "Slack", "payload_url": "https://hooks.example.com/{{ data.id }}",
                          "http_method": "PUT", "secret": "LOOKATMEIMASECRETSTRING",
                          "additional_headers": "X-Foo: Bar", "timeout": 5})");
  ASSERT_EQ(created.status, 201) << created.body;
  Value w = created.json();
  int64_t id = w.get("id")->as_int();
  EXPECT_EQ(w.get("name")->as_str(), "Slack");
  EXPECT_EQ(w.get("http_method")->as_str(), "PUT");
  EXPECT_EQ(w.get("http_content_type")->as_str(), "application/json");
  EXPECT_EQ(w.get("timeout")->as_int(), 5);
  EXPECT_TRUE(w.get("ssl_verification")->as_bool());
  ASSERT_NE(w.get("secret"), nullptr);
  EXPECT_TRUE(w.get("secret")->is_none()) << "the secret is write-only";
  EXPECT_TRUE(w.get("secret_set")->as_bool());
  EXPECT_EQ(created.body.find("LOOKATMEIMASECRETSTRING"), std::string::npos);
  EXPECT_NE(w.get("url")->as_str().find("/api/extras/webhooks/" + std::to_string(id) + "/"),
            std::string::npos);

  auto got = Get("/api/extras/webhooks/" + std::to_string(id) + "/");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body.find("LOOKATMEIMASECRETSTRING"), std::string::npos);

  auto brief = Get("/api/extras/webhooks/" + std::to_string(id) + "/?brief=1");
  ASSERT_TRUE(brief.json().is_dict()) << brief.body;
  std::vector<std::string> keys;
  for (const auto& [k, v] : brief.json().as_dict()) keys.push_back(k.as_str());
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "url", "display", "name", "description"}));

  auto patched = Api("PATCH", Url("/api/extras/webhooks/" + std::to_string(id) + "/"), token_,
                     R"({"description": "team chat"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json().get("description")->as_str(), "team chat");
  EXPECT_EQ(patched.json().get("http_method")->as_str(), "PUT") << "PATCH keeps other fields";
  EXPECT_TRUE(patched.json().get("secret_set")->as_bool());

  auto put = Api("PUT", Url("/api/extras/webhooks/" + std::to_string(id) + "/"), token_,
                 R"({"name": "Slack2", "payload_url": "http://example.com/x"})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json().get("http_method")->as_str(), "PUT") << "PUT keeps omitted fields";
  EXPECT_EQ(put.json().get("description")->as_str(), "team chat") << "PUT keeps omitted fields";
  auto put_missing = Api("PUT", Url("/api/extras/webhooks/" + std::to_string(id) + "/"), token_,
                         R"({"name": "Slack2"})");
  EXPECT_EQ(put_missing.status, 400);
  EXPECT_TRUE(put_missing.json().get("payload_url"));

  auto del = Api("DELETE", Url("/api/extras/webhooks/" + std::to_string(id) + "/"), token_);
  EXPECT_EQ(del.status, 204);
  EXPECT_EQ(Get("/api/extras/webhooks/" + std::to_string(id) + "/").status, 404);
  EXPECT_EQ(Get("/api/extras/webhooks/99999/").status, 404);
}

TEST_F(ApiTest, WebhookListPaginatesAndFilters) {
  for (int i = 0; i < 5; ++i)
    CreateWebhook("hook" + std::to_string(i),
                  i % 2 ? R"(, "http_method": "GET", "description": "odd one")" : "");
  auto page = Get("/api/extras/webhooks/?limit=2&offset=1");
  ASSERT_EQ(page.status, 200);
  Value v = page.json();
  EXPECT_EQ(v.get("count")->as_int(), 5);
  ASSERT_EQ(v.get("results")->as_list().size(), 2u);
  EXPECT_EQ(v.get("results")->as_list()[0].get("name")->as_str(), "hook1");
  EXPECT_TRUE(v.get("next")->is_str());
  EXPECT_TRUE(v.get("previous")->is_str());
  EXPECT_EQ(Get("/api/extras/webhooks/?http_method=GET").json().get("count")->as_int(), 2);
  EXPECT_EQ(Get("/api/extras/webhooks/?q=ODD").json().get("count")->as_int(), 2);
  EXPECT_EQ(Get("/api/extras/webhooks/?name=hook3").json().get("count")->as_int(), 1);
  EXPECT_EQ(Get("/api/extras/webhooks/?name=hook3&name=hook4").json().get("count")->as_int(), 2);
  auto first = Get("/api/extras/webhooks/?limit=1").json().get("results")->as_list()[0];
  EXPECT_EQ(Get("/api/extras/webhooks/?id=" + std::to_string(first.get("id")->as_int()))
                .json()
                .get("count")
                ->as_int(),
            1);
}

TEST_F(ApiTest, WebhookValidationErrorsAreFieldMessagesAndSaveNothing) {
  struct Case {
    const char* body;
    const char* field;
    const char* message;  // substring
  };
  Case cases[] = {
      {R"({"name": "", "payload_url": "http://a/"})", "name", "may not be blank"},
      {R"({"payload_url": "http://a/"})", "name", "required"},
      {R"({"name": "a", "payload_url": "file:///etc/passwd"})", "payload_url",
       "Enter a valid URL, beginning with http:// or https://."},
      {R"({"name": "a", "payload_url": "not-a-url-at-all"})", "payload_url", "Enter a valid URL"},
      {R"({"name": "a", "payload_url": "http:///hook"})", "payload_url", "Enter a valid URL"},
      {R"({"name": "a", "payload_url": "http://[2001:db8::1/hook"})", "payload_url",
       "Enter a valid URL"},
      {R"({"name": "a", "payload_url": "file:///{{ data.name }}"})", "payload_url",
       "Enter a valid URL"},
      {R"({"name": "a", "payload_url": "http://{{ data.name }.example.com/hook"})", "payload_url",
       "Invalid template: unexpected '}'"},
      {R"({"name": "a", "payload_url": "http://x/{{ data.name | nosuchfilter }}"})", "payload_url",
       "Invalid template: No filter named 'nosuchfilter'"},
      {R"({"name": "a", "payload_url": "http://a/", "ssl_verification": false, "ca_file_path": "/etc/ssl/ca.pem"})",
       "ca_file_path", "Do not specify a CA certificate file if SSL verification is disabled."},
      {R"({"name": "a", "payload_url": "http://a/", "http_method": "TRACE"})", "http_method",
       "not a valid choice"},
      {R"({"name": "a", "payload_url": "http://a/", "timeout": 0})", "timeout",
       "greater than or equal to 1"},
      {R"({"name": "a", "payload_url": "http://a/", "timeout": 3601})", "timeout",
       "less than or equal to 3600"},
  };
  for (const auto& c : cases) {
    auto r = Post("/api/extras/webhooks/", c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    const Value* msgs = r.json().get(c.field);
    ASSERT_TRUE(msgs && msgs->is_list()) << c.body << " -> " << r.body;
    EXPECT_NE(msgs->as_list()[0].as_str().find(c.message), std::string::npos)
        << c.body << " -> " << r.body;
  }
  // Accepted forms from NetBox's tests.
  for (const char* url : {"http://{{ data.name }}.example.com/hook",
                          "http://webhook-receiver:8080/hook", "http://my_host.example.com/hook",
                          "{{ data.custom_fields.callback_url }}", "HTTP://EXAMPLE.COM/x"}) {
    static int n = 0;
    auto r = Post("/api/extras/webhooks/", R"({"name": "ok)" + std::to_string(n++) +
                                               R"(", "payload_url": ")" + url + R"("})");
    EXPECT_EQ(r.status, 201) << url << " -> " << r.body;
  }
  EXPECT_EQ(Get("/api/extras/webhooks/").json().get("count")->as_int(), 5)
      << "rejected forms saved nothing";
  // Unique names.
  auto dup = Post("/api/extras/webhooks/", R"({"name": "ok0", "payload_url": "http://a/"})");
  EXPECT_EQ(dup.status, 400);
  EXPECT_TRUE(dup.json().get("name")) << dup.body;
  // Malformed JSON.
  auto bad = Post("/api/extras/webhooks/", R"({"name": )");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.json().get("detail"));
}

TEST_F(ApiTest, EventRuleCrudValidationAndFilters) {
  int64_t hook = CreateWebhook("target");
  int64_t rule = CreateRule("Rule A", hook, R"(["dcim.device", "dcim.devicetype"])",
                            R"(["object_created"])", R"(, "action_data": {"foo": 1})");
  auto got = Get("/api/extras/event-rules/" + std::to_string(rule) + "/");
  ASSERT_EQ(got.status, 200);
  Value r = got.json();
  EXPECT_EQ(J(*r.get("object_types")), R"(["dcim.device", "dcim.devicetype"])");
  EXPECT_EQ(J(*r.get("action_type")), R"({"value": "webhook", "label": "Webhook"})");
  EXPECT_EQ(r.get("action_object")->get("name")->as_str(), "target");
  EXPECT_EQ(J(*r.get("action_data")), R"({"foo": 1})");

  CreateRule("Rule B", hook, R"(["ipam.prefix"])", R"(["object_updated", "object_deleted"])",
             R"(, "enabled": false)");
  EXPECT_EQ(Get("/api/extras/event-rules/?object_type=dcim.device").json().get("count")->as_int(),
            1);
  EXPECT_EQ(Get("/api/extras/event-rules/?event_type=object_created&event_type=object_deleted")
                .json()
                .get("count")
                ->as_int(),
            2);
  EXPECT_EQ(Get("/api/extras/event-rules/?enabled=false").json().get("count")->as_int(), 1);
  EXPECT_EQ(Get("/api/extras/event-rules/?action_type=webhook").json().get("count")->as_int(), 2);
  EXPECT_EQ(Get("/api/extras/event-rules/?q=rule%20b").json().get("count")->as_int(), 1);

  struct Case {
    std::string body;
    const char* field;
    const char* message;
  };
  std::string h = std::to_string(hook);
  std::string base =
      R"("object_types": ["dcim.site"], "action_object_type": "extras.webhook", "action_object_id": )" +
      h;
  Case cases[] = {
      {R"({"name": "x", "event_types": ["object_exploded"], )" + base + "}", "event_types",
       "is not a valid choice"},
      {R"({"name": "x", "event_types": [], )" + base + "}", "event_types", "may not be empty"},
      {R"({"name": "x", "event_types": ["object_created"], )" + base +
           R"(, "conditions": {"attr": "x", "value": 1, "op": "blah"})" + "}",
       "conditions", "Unknown operator: blah"},
      {R"({"name": "x", "event_types": ["object_created"], )" + base +
           R"(, "conditions": {"AND": [{"attr": "x", "value": 1}]})" + "}",
       "conditions", ""},
      {R"({"name": "x", "event_types": ["object_created"], )" + base +
           R"(, "conditions": {"attr": "x", "value": "foo", "op": "gt"})" + "}",
       "conditions", "Invalid type for gt operation"},
      {R"({"name": "x", "event_types": ["object_created"], )" + base +
           R"(, "action_data": [1, 2])" + "}",
       "action_data", "Action data must be a JSON object or null."},
      {R"({"name": "x", "event_types": ["object_created"], "object_types": ["dcim.site"], "action_object_id": 99999})",
       "action_object_id", "does not exist"},
      {R"({"name": "x", "event_types": ["object_created"], "object_types": ["Not A Type"], "action_object_id": )" +
           h + "}",
       "object_types", "Invalid object type"},
      {R"({"name": "Rule A", "event_types": ["object_created"], )" + base + "}", "name", "exists"},
  };
  for (const auto& c : cases) {
    auto res = Post("/api/extras/event-rules/", c.body);
    EXPECT_EQ(res.status, 400) << c.body << " -> " << res.body;
    const Value* msgs = res.json().get(c.field);
    ASSERT_TRUE(msgs && msgs->is_list()) << c.body << " -> " << res.body;
    EXPECT_NE(msgs->as_list()[0].as_str().find(c.message), std::string::npos) << res.body;
  }
  EXPECT_EQ(Get("/api/extras/event-rules/").json().get("count")->as_int(), 2);

  auto patch = Api("PATCH", Url("/api/extras/event-rules/" + std::to_string(rule) + "/"), token_,
                   R"({"enabled": false})");
  EXPECT_EQ(patch.status, 200) << patch.body;
  EXPECT_FALSE(patch.json().get("enabled")->as_bool());
  EXPECT_EQ(J(*patch.json().get("action_data")), R"({"foo": 1})");

  // Deleting a webhook in use deletes its rules too, as NetBox does; ?dry_run=1 previews it.
  auto preview = Api("DELETE", Url("/api/extras/webhooks/" + h + "/?dry_run=1"), token_);
  ASSERT_EQ(preview.status, 200) << preview.body;
  const Value* would = preview.json().get("would_delete");
  ASSERT_TRUE(would && would->get("event-rules")) << preview.body;
  EXPECT_EQ(would->get("event-rules")->as_list().size(), 2u) << preview.body;
  EXPECT_EQ(would->get("webhooks")->as_list()[0].get("id")->as_int(), std::stoll(h));
  EXPECT_EQ(Get("/api/extras/webhooks/" + h + "/").status, 200) << "a dry run deletes nothing";
  auto del = Api("DELETE", Url("/api/extras/webhooks/" + h + "/"), token_);
  EXPECT_EQ(del.status, 204) << del.body;
  EXPECT_NE(del.headers["x-herald-deleted-event-rules"].find(std::to_string(rule)),
            std::string::npos);
  EXPECT_EQ(Get("/api/extras/webhooks/" + h + "/").status, 404);
  EXPECT_EQ(Get("/api/extras/event-rules/").json().get("count")->as_int(), 0);
}

TEST_F(ApiTest, IngestMatchesRulesInNameOrderAndQueuesTasks) {
  int64_t hook = CreateWebhook("target");
  CreateRule("b-second", hook, R"(["dcim.device"])", R"(["object_created"])",
             R"(, "action_data": {"foo": 2, "name": "from action_data"})");
  CreateRule("a-first", hook, R"(["dcim.device"])", R"(["object_created", "object_updated"])");
  CreateRule("c-conditional", hook, R"(["dcim.device"])", R"(["object_created"])",
             R"(, "conditions": {"attr": "status.value", "value": "planned"})");
  CreateRule("d-disabled", hook, R"(["dcim.device"])", R"(["object_created"])",
             R"(, "enabled": false)");
  CreateRule("e-other-type", hook, R"(["dcim.site"])", R"(["object_created"])");

  auto r = Post("/api/events/", kDevice);
  ASSERT_EQ(r.status, 202) << r.body;
  Value v = r.json();
  EXPECT_EQ(v.get("accepted")->as_int(), 1);
  EXPECT_EQ(v.get("tasks")->as_int(), 2);
  int64_t event_id = v.get("events")->as_list()[0].get("id")->as_int();
  EXPECT_EQ(v.get("events")->as_list()[0].get("tasks")->as_int(), 2);

  auto tasks = Get("/api/core/background-tasks/");
  ASSERT_EQ(tasks.status, 200) << tasks.body;
  Value tl = tasks.json();
  ASSERT_EQ(tl.get("count")->as_int(), 2);
  const List& results = tl.get("results")->as_list();
  EXPECT_EQ(results[0].get("status")->as_str(), "queued");
  EXPECT_EQ(results[0].get("func_name")->as_str(), "extras.webhooks.send_webhook");
  EXPECT_EQ(results[0].get("kwargs")->get("event_rule")->as_str(), "a-first")
      << "rules in name order";
  EXPECT_EQ(results[1].get("kwargs")->get("event_rule")->as_str(), "b-second");

  // The task carries the context the delivery will render: action_data first, object wins.
  std::string task_id = results[1].get("id")->as_str();
  auto detail = Get("/api/core/background-tasks/" + task_id + "/");
  ASSERT_EQ(detail.status, 200) << detail.body;
  const Value* ctx = detail.json().get("context");
  ASSERT_TRUE(ctx && ctx->is_dict()) << detail.body;
  std::vector<std::string> keys;
  for (const auto& [k, val] : ctx->as_dict()) keys.push_back(k.as_str());
  EXPECT_EQ(keys, (std::vector<std::string>{"event", "timestamp", "object_type", "model",
                                            "username", "request_id", "data", "snapshots"}));
  EXPECT_EQ(ctx->get("event")->as_str(), "created");
  EXPECT_EQ(ctx->get("model")->as_str(), "device");
  EXPECT_EQ(
      J(*ctx->get("data")),
      R"({"foo": 2, "name": "web01", "id": 7, "status": {"value": "active", "label": "Active"}})");

  // The event is stored with its tasks.
  auto ev = Get("/api/events/" + std::to_string(event_id) + "/");
  ASSERT_EQ(ev.status, 200);
  EXPECT_EQ(ev.json().get("tasks")->as_list().size(), 2u);

  // Conditions: planned devices also match c-conditional.
  std::string planned = kDevice;
  planned.replace(planned.find(R"("value": "active")"), 17, R"("value": "planned")");
  auto r2 = Post("/api/events/", planned);
  ASSERT_EQ(r2.status, 202);
  EXPECT_EQ(r2.json().get("tasks")->as_int(), 3);

  // Snapshots are optional; update events match only a-first.
  auto r3 = Post("/api/events/",
                 R"({"event": "updated", "model": "device", "data": {"id": 7, "name": "x"}})");
  ASSERT_EQ(r3.status, 202) << r3.body;
  EXPECT_EQ(r3.json().get("tasks")->as_int(), 1);

  auto cli = RunHerald({"tasks", "list", "--status", "queued", "--store", server_->store_url()});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find(task_id), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("(6 of 6 tasks"), std::string::npos) << cli.out;
  // The object type and the event each have a column of their own.
  const std::string header = cli.out.substr(0, cli.out.find('\n'));
  EXPECT_NE(header.find("OBJECT TYPE"), std::string::npos) << header;
  EXPECT_GT(header.find("  EVENT  "), header.find("OBJECT TYPE")) << header;
}

TEST_F(ApiTest, IngestAcceptsArraysAndNdjson) {
  int64_t hook = CreateWebhook("target");
  CreateRule("all-devices", hook, R"(["dcim.device"])",
             R"(["object_created", "object_updated", "object_deleted"])");
  std::string arr = std::string("[") + kDevice + "," + kDevice + "," + kDevice + "]";
  auto r = Post("/api/events/", arr);
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.json().get("accepted")->as_int(), 3);
  EXPECT_EQ(r.json().get("tasks")->as_int(), 3);

  std::string nd = R"({"event": "deleted", "object_type": "dcim.device", "data": {"id": 1}})"
                   "\n\n"
                   R"({"event": "object_updated", "model": "device", "data": {"id": 2}})"
                   "\n";
  auto r2 = Post("/api/events/", nd, "application/x-ndjson");
  ASSERT_EQ(r2.status, 202) << r2.body;
  EXPECT_EQ(r2.json().get("accepted")->as_int(), 2);
  EXPECT_EQ(CountTasks("queued"), 5);
}

TEST_F(ApiTest, IngestRejectsABadBatchWholeAndStoresNothing) {
  int64_t hook = CreateWebhook("target");
  CreateRule("all-devices", hook, R"(["dcim.device"])", R"(["object_created"])");
  std::string batch = std::string("[") + kDevice +
                      R"(, {"event": "exploded", "object_type": "dcim.device", "data": {}},)" +
                      kDevice + R"(, {"event": "created", "model": "gizmo", "data": {}}])";
  auto r = Post("/api/events/", batch);
  ASSERT_EQ(r.status, 400) << r.body;
  const List& errs = r.json().get("errors")->as_list();
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].get("index")->as_int(), 1);
  EXPECT_NE(errs[0].get("error")->as_str().find("unknown event 'exploded'"), std::string::npos);
  EXPECT_EQ(errs[1].get("index")->as_int(), 3);
  EXPECT_NE(errs[1].get("error")->as_str().find("unknown model 'gizmo'"), std::string::npos);
  EXPECT_EQ(CountTasks(), 0);
  EXPECT_EQ(Get("/api/events/").json().get("results")->as_list().size(), 0u);

  struct Bad {
    const char* body;
    const char* needle;
  };
  Bad bads[] = {
      {R"({"event": "created", "object_type": "dcim.device"})", "'data' is required"},
      {R"({"event": "created", "object_type": "dcim.device", "data": [1]})",
       "'data' must be an object"},
      {R"({"event": "created", "data": {}})", "'object_type' (or 'model') is required"},
      {R"({"object_type": "dcim.device", "data": {}})", "'event' is required"},
      {R"({"event": "created", "object_type": "Device", "data": {}})", "app_label.model"},
      {R"({"event": "created", "object_type": "dcim.device", "model": "site", "data": {}})",
       "does not match"},
      {R"({"event": "created", "object_type": "dcim.device", "timestamp": "yesterday", "data": {}})",
       "ISO 8601"},
      {R"({"event": "created", "object_type": "dcim.device", "data": {}, "snapshots": {"before": {}}})",
       "prechange"},
      {R"([])", "no events"},
      {R"({"event": )", "not valid JSON"},
      {R"(42)", "must be a JSON object"},
  };
  for (const auto& b : bads) {
    auto res = Post("/api/events/", b.body);
    EXPECT_EQ(res.status, 400) << b.body;
    EXPECT_NE(res.body.find(b.needle), std::string::npos) << b.body << " -> " << res.body;
  }
  auto nd = Post("/api/events/", std::string(kDevice).substr(0, 40) + "\n", "application/x-ndjson");
  EXPECT_EQ(nd.status, 400);
  EXPECT_NE(nd.body.find("line 1"), std::string::npos) << nd.body;
  auto xml = Post("/api/events/", "<event/>", "application/xml");
  EXPECT_EQ(xml.status, 415);
  EXPECT_EQ(CountTasks(), 0);
}

TEST_F(ApiTest, InvalidConditionDoesNotMatchAndIsLogged) {
  int64_t hook = CreateWebhook("target");
  CreateRule("needs-rack", hook, R"(["dcim.device"])", R"(["object_created"])",
             R"(, "conditions": {"attr": "rack.name", "value": "R1"})");
  CreateRule("plain", hook, R"(["dcim.device"])", R"(["object_created"])");
  auto r = Post("/api/events/", kDevice);
  ASSERT_EQ(r.status, 202);
  EXPECT_EQ(r.json().get("tasks")->as_int(), 1);
  EXPECT_TRUE(server_->WaitForLog("needs-rack: Evaluation failed. Invalid key path: rack.name",
                                  std::chrono::seconds(5)))
      << server_->Stderr();
}

TEST_F(ApiTest, BackgroundTaskActionsAndUnknownIds) {
  EXPECT_EQ(Get("/api/core/background-tasks/nope/").status, 404);
  EXPECT_EQ(Post("/api/core/background-tasks/nope/requeue/", "").status, 404);
  EXPECT_EQ(Get("/api/core/background-tasks/?status=bogus").status, 400);
  auto q = Get("/api/core/background-queues/");
  ASSERT_EQ(q.status, 200);
  EXPECT_EQ(q.json().get("results")->as_list()[0].get("name")->as_str(), "default");

  int64_t hook = CreateWebhook("target");
  CreateRule("r", hook, R"(["dcim.device"])", R"(["object_created"])");
  ASSERT_EQ(Post("/api/events/", kDevice).status, 202);
  std::string id =
      Get("/api/core/background-tasks/").json().get("results")->as_list()[0].get("id")->as_str();
  auto stop = Post("/api/core/background-tasks/" + id + "/stop/", "");
  EXPECT_EQ(stop.status, 200) << stop.body;
  EXPECT_EQ(CountTasks("failed"), 1);
  auto requeue = Post("/api/core/background-tasks/" + id + "/requeue/", "");
  EXPECT_EQ(requeue.status, 200) << requeue.body;
  EXPECT_EQ(CountTasks("queued"), 1);
  auto del = Post("/api/core/background-tasks/" + id + "/delete/", "");
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(CountTasks(), 0);
}

TEST(Config, OversizedBodiesGet413AndNothingIsStored) {
  TempDir dir;
  Server s(dir.path(), {}, {{"HERALD_SERVER_MAX_BODY_BYTES", "2048"}});
  ASSERT_TRUE(s.started()) << s.Stderr();
  std::string big =
      std::string(R"({"event": "created", "object_type": "dcim.device", "data": {"x": ")") +
      std::string(4096, 'a') + "\"}}";
  auto r = Api("POST", s.base() + "/api/events/", s.admin_token(), big);
  EXPECT_EQ(r.status, 413) << r.body;
  auto list = Api("GET", s.base() + "/api/events/", s.admin_token());
  EXPECT_EQ(list.json().get("results")->as_list().size(), 0u);
}

TEST(Config, FileAndEnvironmentSetOptionsAndBadConfigIsAClearError) {
  TempDir dir;
  std::string cfg = dir.File("herald.toml");
  ASSERT_TRUE(WriteFile(cfg, "[server]\nmax_body_bytes = 4096\n[log]\nlevel = \"debug\"\n"));
  Server s(dir.path(), {"--config", cfg});
  ASSERT_TRUE(s.started()) << s.Stderr();
  std::string big(5000, ' ');
  EXPECT_EQ(Api("POST", s.base() + "/api/events/", s.admin_token(), big).status, 413);

  ASSERT_TRUE(WriteFile(cfg, "[server]\nmax_body_byte = 4096\n"));
  auto bad = RunHerald({"serve", "--config", cfg, "--store", "sqlite://" + dir.path() + "/x.db"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("server.max_body_byte: unknown option"), std::string::npos) << bad.err;

  auto env = RunHerald({"serve", "--store", "sqlite://" + dir.path() + "/y.db"},
                       {{"HERALD_SERVER_THREADS", "many"}});
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_NE(env.err.find("HERALD_SERVER_THREADS"), std::string::npos) << env.err;

  auto example = RunHerald({"config", "example"});
  EXPECT_EQ(example.exit_code, 0);
  EXPECT_NE(example.out.find("HERALD_SERVER_LISTEN"), std::string::npos);
  EXPECT_EQ(ReadFile(SourcePath("config/herald.example.toml")), example.out)
      << "config/herald.example.toml is stale: regenerate it with `herald config example`";
  // The example itself is a valid configuration.
  std::filesystem::create_directories(dir.path() + "/ex");
  Server from_example(dir.path() + "/ex", {"--config", SourcePath("config/herald.example.toml")});
  EXPECT_TRUE(from_example.started()) << from_example.Stderr();

  auto help = RunHerald({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* cmd : {"serve", "token", "tasks", "template"})
    EXPECT_NE(help.out.find(cmd), std::string::npos) << help.out;
  auto bad_store = RunHerald({"tasks", "list", "--store", "mysql://x"});
  EXPECT_NE(bad_store.exit_code, 0);
  EXPECT_FALSE(bad_store.err.empty());
}

TEST(Durability, AcknowledgedEventsSurviveKill9) {
  TempDir dir;
  std::vector<int64_t> acked;
  std::string token;
  {
    Server s(dir.path(), {}, {{"HERALD_DELIVERY_WORKERS", "false"}});
    ASSERT_TRUE(s.started()) << s.Stderr();
    token = s.admin_token();
    ASSERT_GT(CreateWebhookAndRule(s.base(), token,
                                   R"({"name": "t", "payload_url": "http://127.0.0.1:9/"})", "r",
                                   "dcim.device"),
              0);
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 8; ++c) {
      clients.emplace_back([&] {
        for (int i = 0; i < 2000 && !stop; ++i) {
          auto r = Api("POST", s.base() + "/api/events/", token, kDevice);
          if (r.status != 202) break;
          std::lock_guard<std::mutex> lock(mu);
          acked.push_back(r.json().get("events")->as_list()[0].get("id")->as_int());
        }
      });
    }
    WaitFor([&] {
      std::lock_guard<std::mutex> lock(mu);
      return acked.size() >= 300;
    });
    s.Kill();  // SIGKILL while clients are still posting
    stop = true;
    for (auto& t : clients) t.join();
  }
  ASSERT_GE(acked.size(), 300u);
  Server s2(dir.path(), {}, {{"HERALD_DELIVERY_WORKERS", "false"}});
  ASSERT_TRUE(s2.started()) << s2.Stderr();
  for (int64_t id : acked) {
    auto r = Api("GET", s2.base() + "/api/events/" + std::to_string(id) + "/", token);
    ASSERT_EQ(r.status, 200) << "acknowledged event " << id << " lost";
    ASSERT_EQ(r.json().get("tasks")->as_list().size(), 1u) << "its task was lost";
  }
}

}  // namespace
}  // namespace herald::testing
