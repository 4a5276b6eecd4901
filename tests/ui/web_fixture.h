// The in-process UI test fixture: a real SQLite store in a temp dir, the Api and the Web handler,
// one token per scope, and helpers to call pages, sign in and make data. Shared by the
// tests/ui/web_*_test.cc files.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <regex>
#include <string>
#include <vector>

#include "api/api.h"
#include "auth/auth.h"
#include "common/strings.h"
#include "http/http.h"
#include "store/store.h"
#include "value/json.h"
#include "web/session.h"
#include "web/web.h"

namespace herald::web {

inline std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "herald-web-XXXXXX").string();
  char* d = mkdtemp(tmpl.data());
  return d ? d : "";
}

inline std::string Header(const http::Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

class WebTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    ASSERT_FALSE(dir_.empty());
    auto s = OpenStore("sqlite://" + dir_ + "/h.db");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    admin_key_ = MakeToken(TokenScope::kAdmin);
    ro_key_ = MakeToken(TokenScope::kReadOnly);
    ingest_key_ = MakeToken(TokenScope::kIngestOnly);
    api_ = std::make_unique<Api>(*store_, ApiOptions{});
    web_ = std::make_unique<Web>(*store_, api_->tokens(), nullptr, WebOptions{});
  }
  // Replaces the Web handler with one built from `o` (sessions start empty).
  void Restart(WebOptions o) {
    web_.reset();
    web_ = std::make_unique<Web>(*store_, api_->tokens(), nullptr, std::move(o));
  }
  void TearDown() override {
    web_.reset();
    api_.reset();
    store_->Close();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string MakeToken(TokenScope scope) {
    auto created = CreateApiToken(*store_, scope, TokenScopeName(scope));
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->key : std::string();
  }

  http::Response Call(const std::string& method, const std::string& target,
                      const std::string& body = "", const std::string& cookie = "",
                      const std::string& origin = "", const std::string& remote = "127.0.0.1",
                      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::Request req;
    req.remote = remote;
    for (const auto& h : headers) req.headers.push_back(h);
    req.method = method;
    req.SetTarget(target);
    req.headers.emplace_back("Host", "127.0.0.1:8080");
    if (!cookie.empty()) req.headers.emplace_back("Cookie", "herald_session=" + cookie);
    if (!origin.empty()) req.headers.emplace_back("Origin", origin);
    if (method == "POST")
      req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.body = body;
    std::promise<http::Response> p;
    auto f = p.get_future();
    web_->Handle(std::move(req), [&p](http::Response r) { p.set_value(std::move(r)); });
    EXPECT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    return f.get();
  }

  // Signs in and returns {session cookie value, csrf token}.
  std::pair<std::string, std::string> SignIn(const std::string& key) {
    auto r = Call("POST", "/login", "token=" + key + "&next=%2F");
    EXPECT_EQ(r.status, 303);
    std::string cookie = Header(r, "Set-Cookie");
    std::smatch m;
    EXPECT_TRUE(std::regex_search(cookie, m, std::regex("herald_session=([0-9a-f]{64})")));
    std::string sid = m.size() > 1 ? m[1].str() : "";
    auto page = Call("GET", "/", "", sid);
    std::smatch c;
    EXPECT_TRUE(std::regex_search(page.body, c, std::regex("name=\"csrf\" value=\"([0-9a-f]{64})\"")));
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
    ne.event.event = "created";
    ne.event.event_type = "object_created";
    ne.event.object_type = "dcim.device";
    ne.event.model = "device";
    ne.event.timestamp = "2024-01-02T03:04:05+00:00";
    ne.event.data = *ParseJson(R"({"id": 1, "name": "sw1", "status": {"value": "active"}})");
    for (int i = 0; i < n; ++i) {
      Task t;
      t.rule_id = 1;
      t.webhook_id = 1;
      t.rule_name = "rule";
      t.webhook_name = "hook";
      t.object_type = "dcim.device";
      t.event_type = "object_created";
      ne.tasks.push_back(t);
    }
    auto c = store_->CommitEventsSync({ne});
    EXPECT_TRUE(c.ok());
    return c.ok() ? (*c)[0].task_ids : std::vector<std::string>{};
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<Web> web_;
  std::string admin_key_, ro_key_, ingest_key_;
};

}  // namespace herald::web
