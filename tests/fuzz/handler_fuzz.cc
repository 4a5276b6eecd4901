// libFuzzer target: the whole request handler `herald serve` runs (routing, auth, REST API, UI,
// ingest, /metrics), built by the same MakeHandler/MakeHeadCheck over a real SQLite store in a
// temporary directory, with an admin, a read-only and an ingest-only token, UI sessions for the
// first two, a webhook and an event rule (so ingest matches) created up front.
//
// Input: byte 0 picks the credential (none, each token, a bogus token, a UI session with its
// CSRF token, or token and session), the rest is one raw HTTP/1.1 request, parsed by Beast's
// parser (so the parser and Herald's framing rules are fuzzed too). In the target and body,
// "{csrf}", "{hook}" and "{rule}" become the session's CSRF token and the object ids.
//
// Checks: nothing crashes, leaks or hangs; every request is answered exactly once within
// kAnswerDeadline; statuses are 200..599; response header names are tokens and no header value
// holds CR, LF or NUL. Requests that would make a network connection ("send test") are skipped.
#include <utility>  // Boost 1.74's asio headers use std::exchange without including it.

#include <boost/beast/http.hpp>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "api/api.h"
#include "app/handler.h"
#include "auth/auth.h"
#include "common/log.h"
#include "http/http.h"
#include "store/store.h"
#include "support/temp_dir.h"
#include "web/web.h"

namespace bhttp = boost::beast::http;
using namespace herald;

namespace {

// Longest a handler may take to answer one request (store commits, template previews).
constexpr std::chrono::seconds kAnswerDeadline{20};
// Answers kept to notice a second, late answer to an earlier request.
constexpr size_t kRecentAnswers = 64;
constexpr size_t kMaxRequestBody = 256 * 1024;
// Client address of fuzzed requests (the fixture's own requests come from 127.0.0.1).
constexpr const char* kFuzzRemote = "127.0.0.2";

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "handler_fuzz: invariant violated: %s\n", what);
    abort();
  }
}

struct Answer {
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  http::Response response;
};

struct Session {
  std::string cookie, csrf;
};

struct World {
  std::string dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Api> api;
  std::unique_ptr<web::Web> web;
  http::Handler handler;
  http::HeadCheck head_check;
  std::string admin, read_only, ingest;
  Session admin_session, ro_session;
  std::string hook_id = "1", rule_id = "1";
  std::deque<std::shared_ptr<Answer>> recent;

  // Runs one request through the handler and waits (bounded) for its single answer.
  http::Response Call(http::Request req) {
    auto a = std::make_shared<Answer>();
    handler(std::move(req), [a](http::Response r) {
      std::lock_guard<std::mutex> lock(a->mu);
      if (++a->calls == 1) a->response = std::move(r);
      a->cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(a->mu);
    Check(a->cv.wait_for(lock, kAnswerDeadline, [&] { return a->calls > 0; }),
          "no answer within the deadline");
    http::Response r = a->response;
    lock.unlock();
    recent.push_back(a);
    if (recent.size() > kRecentAnswers) recent.pop_front();
    for (const auto& old : recent) {
      std::lock_guard<std::mutex> l(old->mu);
      Check(old->calls == 1, "a request was answered more than once");
    }
    return r;
  }

  static http::Request Make(std::string method, std::string target, std::string body = "",
                            std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::Request r;
    r.method = std::move(method);
    r.SetTarget(std::move(target));
    r.headers = std::move(headers);
    r.headers.emplace_back("Host", "127.0.0.1:8080");
    r.body = std::move(body);
    r.remote = "127.0.0.1";
    return r;
  }

  std::string NewToken(TokenScope scope, const std::string& name) {
    auto created = CreateApiToken(*store, scope, name);
    Check(created.ok(), "cannot create a token");
    return created->key;
  }

  // Signs in to the UI (from 127.0.0.1; fuzzed requests come from kFuzzRemote, so their failed
  // sign-ins never rate-limit this one). Empty cookie when it did not work.
  Session SignIn(const std::string& key) {
    Session s;
    auto r = Call(Make("POST", "/login", "token=" + key + "&next=/",
                       {{"Content-Type", "application/x-www-form-urlencoded"}}));
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie" && v.rfind("herald_session=", 0) == 0)
        s.cookie = v.substr(0, v.find(';'));
    }
    if (s.cookie.empty()) return s;
    auto page = Call(Make("GET", "/", "", {{"Cookie", s.cookie}}));
    const std::string marker = "name=\"csrf\" value=\"";
    auto p = page.body.find(marker);
    if (p == std::string::npos) return Session();
    s.csrf = page.body.substr(p + marker.size(), 64);
    return s;
  }
  void SignInBoth() {
    Session a = SignIn(admin), r = SignIn(read_only);
    if (!a.cookie.empty()) admin_session = a;
    if (!r.cookie.empty()) ro_session = r;
  }

  std::string CreateWithApi(const std::string& path, const std::string& json) {
    auto r =
        Call(Make("POST", path, json,
                  {{"Authorization", "Token " + admin}, {"Content-Type", "application/json"}}));
    Check(r.status == 201, "cannot create the fixture objects");
    auto p = r.body.find("\"id\":");
    Check(p != std::string::npos, "created object has no id");
    return std::to_string(std::atoll(r.body.c_str() + p + 5));
  }

  void Init() {
    log::SetLevel(log::Level::kError);
    dir = herald::testing::MakeTempDir("fuzz");
    Check(!dir.empty(), "cannot create a temporary directory");
    auto s = OpenStore("sqlite://" + dir + "/fuzz.db");
    Check(s.ok(), "cannot open the store");
    store = std::move(*s);
    admin = NewToken(TokenScope::kAdmin, "admin");
    read_only = NewToken(TokenScope::kReadOnly, "viewer");
    ingest = NewToken(TokenScope::kIngestOnly, "producer");
    ApiOptions ao;
    api = std::make_unique<Api>(*store, ao);
    web::WebOptions wo;
    wo.default_timeout_seconds = 1;
    // Belt and braces: "send test" is skipped, and would only reach a closed loopback port.
    wo.http_proxy = wo.https_proxy = "http://127.0.0.1:9";
    web = std::make_unique<web::Web>(*store, api->tokens(), nullptr, wo);
    handler = MakeHandler(*api, *web, [] { return std::string("herald_up 1\n"); });
    head_check = MakeHeadCheck(*api, *web);
    SignInBoth();
    Check(!admin_session.cookie.empty() && !ro_session.cookie.empty(), "cannot sign in to the UI");
    hook_id = CreateWithApi("/api/extras/webhooks/",
                            R"({"name": "hook", "payload_url": "http://127.0.0.1:9/hook",
                                "body_template": "{{ data|tojson }}",
                                "additional_headers": "X-Name: {{ data.name }}"})");
    rule_id = CreateWithApi("/api/extras/event-rules/",
                            R"({"name": "rule", "object_types": ["dcim.device"],
                                "event_types": ["object_created", "object_updated"],
                                "action_type": "webhook", "action_object_type": "extras.webhook",
                                "action_object_id": )" +
                                hook_id + R"(,
                                "conditions": {"and": [{"attr": "status.value", "value": "active"},
                                  {"attr": "name", "value": "^web", "op": "regex"}]}})");
  }
};

World* g_world = nullptr;

void Replace(std::string& s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
}

void CheckResponse(const http::Response& r) {
  Check(r.status >= 200 && r.status <= 599, "status outside 200..599");
  for (const auto& [k, v] : r.headers) {
    Check(http::IsHeaderName(k), "response header name is not a token");
    Check(http::IsHeaderValue(v), "response header value holds CR, LF or NUL");
  }
  Check(r.content_type.find_first_of("\r\n") == std::string::npos, "content type holds CR or LF");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_world = new World();
  g_world->Init();
  // The store's files go with the process (the World itself is left to the OS).
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(g_world->dir, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  World& w = *g_world;
  const int credential = data[0] % 8;
  std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);

  // Parse the request as the server does.
  bhttp::request_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.header_limit(static_cast<std::uint32_t>(http::kMaxHeaderBytes));
  parser.body_limit(kMaxRequestBody);
  boost::beast::error_code ec;
  size_t used = 0;
  while (used < raw.size() && !parser.is_done()) {
    size_t n = parser.put(boost::asio::buffer(raw.data() + used, raw.size() - used), ec);
    if (ec == bhttp::error::need_more) break;
    if (ec) return 0;
    used += n;
    if (n == 0) break;
  }
  if (!parser.is_done()) return 0;
  auto& msg = parser.get();
  http::Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  req.version = msg.version();
  for (const auto& f : msg) req.headers.emplace_back(f.name_string(), f.value());
  if (!http::FramingError(req.headers, req.version).empty()) return 0;
  req.body = std::move(msg.body());

  const Session* session = nullptr;
  switch (credential) {
    case 1:
    case 7: req.headers.emplace_back("Authorization", "Token " + w.admin); break;
    case 2: req.headers.emplace_back("Authorization", "Token " + w.read_only); break;
    case 3: req.headers.emplace_back("Authorization", "Bearer " + w.ingest); break;
    case 4:
      req.headers.emplace_back("Authorization", "Token 0000000000000000000000000000000000000000");
      break;
    default: break;
  }
  if (credential == 5 || credential == 7) session = &w.admin_session;
  if (credential == 6) session = &w.ro_session;
  if (session) req.headers.emplace_back("Cookie", session->cookie);
  const std::string csrf = session ? session->csrf : "";
  for (std::string* s : {&req.target, &req.body}) {
    Replace(*s, "{csrf}", csrf);
    Replace(*s, "{hook}", w.hook_id);
    Replace(*s, "{rule}", w.rule_id);
  }
  req.SetTarget(req.target);
  req.remote = kFuzzRemote;

  // "Send test" makes a network connection: never from the fuzzer.
  if (req.method == "POST" && req.path.find("preview") != std::string::npos &&
      http::Params::Parse(req.body).Str("action") == "send")
    return 0;

  // The header phase, as the server runs it (body not yet read).
  http::Request head = req;
  head.body.clear();
  http::HeadDecision d = w.head_check(head);
  if (d.reject) {
    CheckResponse(*d.reject);
    return 0;
  }
  if (d.max_body_bytes > 0 && req.body.size() > d.max_body_bytes) return 0;  // 413

  const bool logout = req.path.find("logout") != std::string::npos;
  http::Response r = w.Call(std::move(req));
  CheckResponse(r);
  if (logout) w.SignInBoth();  // keep the sessions usable for later inputs
  return 0;
}
