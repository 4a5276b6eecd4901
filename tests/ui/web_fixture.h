// The in-process UI test fixture: the store with one token per scope (support/store_fixture.h),
// the Api and the Web handler, and helpers to call pages, sign in and make data. Shared by the
// tests/ui/web_*_test.cc files.
#pragma once

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "api/api.h"
#include "auth/auth.h"
#include "common/strings.h"
#include "common/time.h"
#include "http/http.h"
#include "store/store.h"
#include "support/events.h"
#include "support/handler_call.h"
#include "support/store_fixture.h"
#include "value/json.h"
#include "web/session.h"
#include "web/web.h"

namespace herald::web {

using testing::HeaderOf;

class WebTest : public testing::StoreWithTokensTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreWithTokens());
    api_ = std::make_unique<Api>(*store_, ApiOptions{});
    web_ = std::make_unique<Web>(*store_, api_->tokens(), nullptr, WebOptions{});
  }
  // Replaces the Web handler with one built from `o` (a restart: the sessions, in the store,
  // stay).
  void Restart(WebOptions o) {
    web_.reset();
    web_ = std::make_unique<Web>(*store_, api_->tokens(), nullptr, std::move(o));
  }
  void TearDown() override {
    web_.reset();
    api_.reset();
    CloseStore();
  }

  http::Response Call(const std::string& method, const std::string& target,
                      const std::string& body = "", const std::string& cookie = "",
                      const std::string& origin = "", const std::string& remote = "127.0.0.1",
                      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::Request req = testing::MakeRequest(method, target, body);
    req.remote = remote;
    req.headers = headers;
    req.headers.emplace_back("Host", "127.0.0.1:8080");
    if (!cookie.empty()) req.headers.emplace_back("Cookie", "herald_session=" + cookie);
    if (!origin.empty()) req.headers.emplace_back("Origin", origin);
    if (method == "POST")
      req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return testing::CallHandler(
        [this](http::Request&& r, http::Responder respond) {
          web_->Handle(std::move(r), std::move(respond));
        },
        std::move(req), std::chrono::seconds(20));
  }

  // Signs in and returns {session cookie value, csrf token}.
  std::pair<std::string, std::string> SignIn(const std::string& key) {
    auto r = Call("POST", "/login", "token=" + key + "&next=%2F");
    EXPECT_EQ(r.status, 303);
    std::string cookie = HeaderOf(r, "Set-Cookie");
    std::smatch m;
    EXPECT_TRUE(std::regex_search(cookie, m, std::regex("herald_session=([0-9a-f]{64})")));
    std::string sid = m.size() > 1 ? m[1].str() : "";
    auto page = Call("GET", "/", "", sid);
    std::smatch c;
    EXPECT_TRUE(
        std::regex_search(page.body, c, std::regex("name=\"csrf\" value=\"([0-9a-f]{64})\"")));
    return {sid, c.size() > 1 ? c[1].str() : ""};
  }

  int64_t MakeWebhookAndRule() {
    Webhook w;
    w.name = "hook";
    w.payload_url = "http://127.0.0.1:9/x";
    auto cw = store_->CreateWebhook(w);
    EXPECT_TRUE(cw.ok());
    EventRule r;
    r.name = "rule";
    r.object_types = {"dcim.device"};
    r.event_types = {"object_created"};
    r.action_object_id = cw->id;
    r.conditions = *ParseJson(R"({"attr": "status.value", "value": "active"})");
    EXPECT_TRUE(store_->CreateEventRule(r).ok());
    return cw->id;
  }

  std::vector<std::string> CommitTasks(int n) {
    NewEvent ne;
    ne.event = testing::ChangeEvent(
        "dcim.device", *ParseJson(R"({"id": 1, "name": "sw1", "status": {"value": "active"}})"));
    ne.tasks.assign(static_cast<size_t>(n), testing::TaskFor(ne.event, 1, 1, "rule", "hook"));
    auto c = store_->CommitEventsSync({ne});
    EXPECT_TRUE(c.ok());
    return c.ok() ? (*c)[0].task_ids : std::vector<std::string>{};
  }

  // A 200 attempt of a POST to `url`, recorded with result "ok".
  static AttemptOutcome OkAttempt(std::string url) {
    AttemptOutcome o;
    o.attempt.number = 1;
    o.attempt.started_at = NowUs();
    o.attempt.status_code = 200;
    o.attempt.method = "POST";
    o.attempt.url = std::move(url);
    o.result = "ok";
    return o;
  }

  std::unique_ptr<Api> api_;
  std::unique_ptr<Web> web_;
};

}  // namespace herald::web
