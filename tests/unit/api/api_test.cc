// In-process tests of the API handler over a real SQLite store in a temp dir: the API root and
// section roots, a walk over every route shape (any path, method, segment count, credential and
// odd id) that must never crash, answer 5xx or answer anything but JSON, absolute URLs that
// ignore the Host header, the status shape, and the ingest queue bound (503 + Retry-After).
#include "api/api.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "common/clock.h"
#include "http/http.h"
#include "ingest/event_input.h"
#include "store/store.h"
#include "support/handler_call.h"
#include "support/store_fixture.h"
#include "support/wait.h"
#include "value/json.h"

namespace herald {
namespace {

using testing::CallHandler;
using testing::HeaderOf;
using testing::MakeRequest;
using testing::WaitFor;

const char* kEvent =
    R"({"event": "created", "object_type": "dcim.device", "data": {"id": 1, "name": "web01"}})";

// Occupies every thread of a pool until released.
struct Blocker {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  int running = 0;
  std::function<void()> Job() {
    return [this] {
      std::unique_lock<std::mutex> lock(mu);
      ++running;
      cv.notify_all();
      cv.wait(lock, [this] { return released; });
    };
  }
  bool WaitRunning(int n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return running >= n; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
    cv.notify_all();
  }
};

class ApiTest : public testing::StoreWithTokensTest {
 protected:
  void SetUp() override { Open(ApiOptions{}); }

  // (Re)creates the API with `options` over the fixture's store (opened on the first call).
  void Open(ApiOptions options) {
    if (!store_) {
      ASSERT_NO_FATAL_FAILURE(OpenStoreWithTokens());
    }
    api_.reset();
    api_ = std::make_unique<Api>(*store_, std::move(options));
    api_->SetListenAddress("127.0.0.1", 8080);
  }

  void TearDown() override {
    api_.reset();
    CloseStore();
  }

  // One request through Api::Handle, waiting (with a deadline) for the answer. Counts every
  // call of the responder in calls_, so a second answer to one request is detectable.
  http::Response Call(const std::string& method, const std::string& target,
                      const std::string& authorization = "", const std::string& body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::Request req = MakeRequest(method, target, body);
    req.headers = std::move(headers);
    if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
    if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
    return CallHandler(
        [this](http::Request&& r, http::Responder respond) {
          api_->Handle(std::move(r), std::move(respond));
        },
        std::move(req), std::chrono::seconds(30), &calls_);
  }

  // Occupies the ingest pool's one thread with `b` until it is released.
  void Saturate(Blocker& b) {
    ASSERT_TRUE(api_->ingest_pool().TrySubmit(b.Job()));
    ASSERT_TRUE(b.WaitRunning(1));
  }
  // Posts `body` as an event from another thread; the answer comes when the pool runs it.
  std::future<http::Response> PostLater(const std::string& body) {
    return std::async(std::launch::async, [this, body] {
      return Call("POST", "/api/events/", Token(ingest_key_), body);
    });
  }
  // Expects the refusal of a full ingest queue: 503 with Retry-After.
  static void ExpectQueueFull(const http::Response& r) {
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(HeaderOf(r, "Retry-After"), std::to_string(kIngestRetryAfterSeconds));
  }
  // Waits until `n` requests wait in the ingest queue (the pool's threads all busy).
  bool WaitQueued(size_t n) {
    return WaitFor([&] { return api_->ingest_pool().queued() >= n; }, std::chrono::seconds(30)) &&
           api_->ingest_pool().queued() == n;
  }

  std::string Token(const std::string& key) { return "Token " + key; }

  FakeClock clock_;  // the token cache's clock when a test sets ApiOptions::clock; outlives api_
  std::unique_ptr<Api> api_;
  std::atomic<int64_t> calls_{0};
};

// ---------------------------------------------------------------- the API root

TEST_F(ApiTest, RootAnswersWithOrWithoutAToken) {
  for (const std::string target : {"/api", "/api/"}) {
    for (const std::string& auth : {std::string(), Token(admin_key_), Token(ro_key_),
                                    Token(ingest_key_), std::string("Token nope")}) {
      http::Response r = Call("GET", target, auth);
      ASSERT_EQ(r.status, 200) << target << " " << auth << ": " << r.body;
      EXPECT_EQ(HeaderOf(r, "API-Version"), kNetBoxApiVersion);
      auto v = ParseJson(r.body);
      ASSERT_TRUE(v.ok()) << r.body;
      EXPECT_EQ(v->get("extras")->as_str(), "http://127.0.0.1:8080/api/extras/");
      EXPECT_EQ(v->get("core")->as_str(), "http://127.0.0.1:8080/api/core/");
      EXPECT_EQ(v->get("status")->as_str(), "http://127.0.0.1:8080/api/status/");
      EXPECT_EQ(v->get("events")->as_str(), "http://127.0.0.1:8080/api/events/");
    }
  }
  http::Response r = Call("POST", "/api/", Token(admin_key_), "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.body.find("\"detail\""), std::string::npos);
}

TEST_F(ApiTest, SectionRootsListTheirEndpoints) {
  http::Response e = Call("GET", "/api/extras/");
  ASSERT_EQ(e.status, 200) << e.body;
  auto ev = ParseJson(e.body);
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->get("webhooks")->as_str(), "http://127.0.0.1:8080/api/extras/webhooks/");
  EXPECT_EQ(ev->get("event-rules")->as_str(), "http://127.0.0.1:8080/api/extras/event-rules/");
  http::Response c = Call("GET", "/api/core", Token(ro_key_));
  ASSERT_EQ(c.status, 200) << c.body;
  auto cv = ParseJson(c.body);
  ASSERT_TRUE(cv.ok());
  EXPECT_EQ(cv->get("background-tasks")->as_str(),
            "http://127.0.0.1:8080/api/core/background-tasks/");
  EXPECT_EQ(cv->get("background-queues")->as_str(),
            "http://127.0.0.1:8080/api/core/background-queues/");
  // The endpoints themselves still need a token.
  EXPECT_EQ(Call("GET", "/api/extras/webhooks/").status, 403);
  EXPECT_EQ(Call("GET", "/api/events/").status, 403);
}

// ---------------------------------------------------------------- the route walk

TEST_F(ApiTest, EveryPathMethodAndCredentialAnswersJsonWithoutA5xx) {
  // Something for the ids to find.
  Webhook w;
  w.name = "hook";
  w.payload_url = "http://127.0.0.1:9/x";
  auto cw = store_->CreateWebhook(w);
  ASSERT_TRUE(cw.ok());
  ASSERT_EQ(Call("POST", "/api/events/", Token(ingest_key_), kEvent).status, 202);

  const std::vector<std::string> known = {"api",
                                          "extras",
                                          "core",
                                          "events",
                                          "status",
                                          "webhooks",
                                          "event-rules",
                                          "background-tasks",
                                          "background-queues",
                                          "background-workers",
                                          "default",
                                          "requeue",
                                          "enqueue",
                                          "stop",
                                          "delete"};
  // Odd ids, written as they travel in a request target (percent-encoded where needed).
  const std::vector<std::string> odd = {"1",
                                        "0",
                                        "-1",
                                        "007",
                                        "9223372036854775807",
                                        "9223372036854775808",
                                        "99999999999999999999999999999",
                                        "1e9",
                                        "0x10",
                                        "%00",
                                        "a%00b",
                                        "..",
                                        ".",
                                        "%2e%2e",
                                        "%2F",
                                        "a%2Fb",
                                        "%ff%fe",
                                        "%C3%A9",
                                        "%20",
                                        "%",
                                        "%zz",
                                        "'",
                                        "%22",
                                        "%5C",
                                        "null",
                                        std::string(5000, 'a'),
                                        std::string(300, '9')};
  const std::vector<std::string> skeletons = {"/api/{}/",
                                              "/api/extras/{}/",
                                              "/api/core/{}/",
                                              "/api/events/{}/",
                                              "/api/extras/webhooks/{}/",
                                              "/api/extras/event-rules/{}/",
                                              "/api/core/background-tasks/{}/",
                                              "/api/core/background-queues/{}/",
                                              "/api/core/background-workers/{}/",
                                              "/api/core/background-tasks/{}/requeue/",
                                              "/api/core/background-tasks/1/{}/",
                                              "/api/extras/webhooks/{}/{}/",
                                              "/api/status/{}/",
                                              "/api/{}/webhooks/"};
  std::vector<std::string> targets = {
      "",        "/",           "//",          "/api",      "/api/",       "/api//",
      "//api//", "/api/status", "/api/extras", "/api/core", "/api/events", "/API/",
      "/api/.."};
  // The write endpoints once per body (bodies rotate with the target).
  for (int i = 0; i < 6; ++i) {
    targets.push_back("/api/events/");
    targets.push_back("/api/extras/webhooks/");
  }
  for (const auto& sk : skeletons)
    for (const auto& id : odd) {
      std::string t = sk;
      for (size_t pos; (pos = t.find("{}")) != std::string::npos;) t.replace(pos, 2, id);
      targets.push_back(t);
    }
  // Every segment count 0..8, segments drawn from the route words and the odd ids.
  std::mt19937 rng(8);
  for (int depth = 0; depth <= 8; ++depth) {
    for (int i = 0; i < 24; ++i) {
      std::string t;
      for (int s = 0; s < depth; ++s) {
        std::string seg;
        if (s == 0 && rng() % 5 != 0) seg = "api";
        else if (rng() % 3 != 0) seg = known[rng() % known.size()];
        else seg = odd[rng() % odd.size()];
        t += "/" + seg;
      }
      if (t.empty() || rng() % 2) t += "/";
      if (rng() % 4 == 0) t += "?limit=" + odd[rng() % odd.size()] + "&offset=-1&status=x";
      targets.push_back(t);
    }
  }
  const std::vector<std::string> methods = {"GET",    "HEAD",    "POST",  "PUT",      "PATCH",
                                            "DELETE", "OPTIONS", "TRACE", "PROPFIND", "get"};
  const std::vector<std::string> creds = {"",
                                          Token(admin_key_),
                                          Token(ro_key_),
                                          Token(ingest_key_),
                                          "Token 0000000000000000000000000000000000000000",
                                          "Bearer " + std::string(300, 'k'),
                                          "Basic YWRtaW46YWRtaW4="};
  const std::vector<std::string> bodies = {
      "", "{}", "[", "null", kEvent, R"({"name": "x", "payload_url": "http://127.0.0.1:9/"})"};
  size_t n = 0;
  std::set<int> seen;
  int64_t calls_before = calls_;
  for (const auto& target : targets) {
    for (const auto& method : methods) {
      for (const auto& auth : creds) {
        const std::string& body = (method == "GET" || method == "HEAD")
                                      ? bodies[0]
                                      : bodies[(n / creds.size()) % bodies.size()];
        ++n;
        http::Response r = Call(method, target, auth, body);
        std::string what = method + " " + target.substr(0, 120) + " [" + auth.substr(0, 12) + "]";
        ASSERT_GT(r.status, 0) << what;
        ASSERT_LT(r.status, 500) << what << ": " << r.body;
        seen.insert(r.status);
        EXPECT_EQ(HeaderOf(r, "API-Version"), kNetBoxApiVersion) << what;
        if (r.status == 204) {
          EXPECT_TRUE(r.body.empty()) << what;
          continue;
        }
        EXPECT_EQ(r.content_type, "application/json") << what;
        auto v = ParseJson(r.body);
        ASSERT_TRUE(v.ok()) << what << ": " << r.body;
        if (r.status >= 400) {
          ASSERT_TRUE(v->is_dict()) << what << ": " << r.body;
          if (r.status != 400) {
            ASSERT_NE(v->get("detail"), nullptr) << what << ": " << r.body;
            EXPECT_TRUE(v->get("detail")->is_str()) << what;
          }
        }
      }
    }
  }
  api_->Stop();  // every queued ingest has answered
  EXPECT_GT(n, 20000u);
  EXPECT_EQ(calls_ - calls_before, static_cast<int64_t>(n)) << "one answer per request";
  // The walk reached the interesting answers, not just 404s.
  for (int code : {200, 202, 400, 403, 404, 405}) EXPECT_TRUE(seen.count(code)) << code;
}

// ---------------------------------------------------------------- URLs, status

TEST_F(ApiTest, AbsoluteUrlsComeFromTheListenAddressNotTheHostHeader) {
  std::vector<std::pair<std::string, std::string>> hostile = {{"Host", "evil.example"},
                                                              {"X-Forwarded-Host", "evil.example"}};
  for (int i = 0; i < 3; ++i) {
    auto r =
        Call("POST", "/api/extras/webhooks/", Token(admin_key_),
             R"({"name": "w)" + std::to_string(i) + R"(", "payload_url": "http://127.0.0.1:9/"})",
             hostile);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.body.find("evil"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"url\":\"http://127.0.0.1:8080/api/extras/webhooks/"),
              std::string::npos)
        << r.body;
  }
  // Pagination links: the base from the listen address, the query re-encoded.
  auto r = Call("GET", "/api/extras/webhooks/?limit=1&q=w%26x%3D1", Token(ro_key_), "", hostile);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("evil"), std::string::npos) << r.body;
  auto v = ParseJson(r.body);
  ASSERT_TRUE(v.ok());
  // q=w&x=1 matches nothing, so check the encoding on a query that matches.
  r = Call("GET", "/api/extras/webhooks/?limit=1&q=w&name=w0&name=w1&name=a%26b", Token(ro_key_),
           "", hostile);
  v = ParseJson(r.body);
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->get("next")->is_str()) << r.body;
  EXPECT_EQ(v->get("next")->as_str(),
            "http://127.0.0.1:8080/api/extras/webhooks/?q=w&name=w0&name=w1&name=a%26b&limit=1&"
            "offset=1");
}

TEST_F(ApiTest, PublicUrlIsTheBaseOfAbsoluteUrls) {
  ApiOptions o;
  o.public_url = "https://herald.example.com/";
  Open(o);
  api_->SetListenAddress("0.0.0.0", 9999);  // ignored when public_url is set
  auto root = Call("GET", "/api/", "", "", {{"Host", "evil.example"}});
  auto v = ParseJson(root.body);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->get("extras")->as_str(), "https://herald.example.com/api/extras/");
  ASSERT_EQ(Call("POST", "/api/events/", Token(admin_key_), kEvent).status, 202);
  auto ev = Call("GET", "/api/events/?limit=1", Token(admin_key_), "", {{"Host", "evil.example"}});
  ASSERT_EQ(ev.status, 200) << ev.body;
  EXPECT_EQ(ev.body.find("evil"), std::string::npos) << ev.body;
}

TEST_F(ApiTest, ListenAddressBaseBracketsIpv6) {
  api_->SetListenAddress("::1", 8081);
  EXPECT_EQ(api_->BaseUrl(), "http://[::1]:8081");
}

TEST_F(ApiTest, StatusShowsTheStoreKindNotItsPath) {
  auto r = Call("GET", "/api/status/");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find(dir_.path()), std::string::npos) << r.body;
  auto v = ParseJson(r.body);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->get("store")->as_str(), "sqlite");
  ASSERT_TRUE(v->get("ingest") && v->get("ingest")->is_dict()) << r.body;
  EXPECT_EQ(v->get("ingest")->get("threads")->as_int(), kDefaultIngestThreads);
  EXPECT_EQ(v->get("ingest")->get("queue_limit")->as_int(),
            static_cast<int64_t>(kDefaultIngestQueue));
}

// ---------------------------------------------------------------- ingest pool

TEST(WorkPool, RefusesWhenTheQueueIsFullAndRunsQueuedJobsOnStop) {
  WorkPool pool("test", 1, 2);
  Blocker b;
  ASSERT_TRUE(pool.TrySubmit(b.Job()));
  ASSERT_TRUE(b.WaitRunning(1));
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_FALSE(pool.TrySubmit([&] { ++ran; }));  // full: refused at once
  b.Release();
  pool.Stop();
  EXPECT_EQ(ran, 2);
  EXPECT_FALSE(pool.TrySubmit([&] { ++ran; }));  // stopped
}

TEST(WorkPool, AThrowingJobDoesNotKillThePool) {
  WorkPool pool("test", 1, 4);
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.TrySubmit([] { throw std::runtime_error("boom"); }));
  EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));
  pool.Stop();
  EXPECT_EQ(ran, 1);
}

TEST_F(ApiTest, AcceptedEventsAreListedWithTheirTaskCounts) {
  const std::string two = std::string("[") + kEvent + "," + kEvent + "]";
  auto r = Call("POST", "/api/events/", Token(ingest_key_), two);
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.body, R"({"accepted":2,"tasks":0,"events":[{"id":1,"tasks":0},{"id":2,"tasks":0}]})");
}

TEST_F(ApiTest, FullIngestQueueAnswers503WithRetryAfter) {
  ApiOptions o;
  o.ingest_threads = 1;
  o.ingest_queue = 1;
  Open(o);
  Blocker b;
  ASSERT_NO_FATAL_FAILURE(Saturate(b));
  auto waiting = PostLater(kEvent);  // one request may wait; it is answered later
  ASSERT_TRUE(WaitQueued(1));
  http::Response full = Call("POST", "/api/events/", Token(ingest_key_), kEvent);
  ExpectQueueFull(full);
  EXPECT_NE(full.body.find("Retry"), std::string::npos) << full.body;
  // Other endpoints still answer while ingest is saturated.
  EXPECT_EQ(Call("GET", "/api/status/").status, 200);
  b.Release();
  EXPECT_EQ(waiting.get().status, 202);
}

TEST_F(ApiTest, HostileIngestBodiesGetCleanBoundedAnswers) {
  auto deep = [](int n, const std::string& open, const std::string& close, const std::string& mid) {
    std::string s;
    for (int i = 0; i < n; ++i) s += open;
    s += mid;
    for (int i = 0; i < n; ++i) s += close;
    return s;
  };
  const std::string device = R"({"event": "created", "object_type": "dcim.device", "data": )";
  std::vector<std::pair<std::string, int>> cases = {
      {"", 400},
      {"null", 400},
      {"[]", 400},
      {"[null]", 400},
      {"\xef\xbb\xbf{}", 400},
      {std::string(100000, '['), 400},
      {deep(5000, "{\"a\":", "}", "1"), 400},
      {device + deep(500, "[", "]", "1") + "}", 400},  // data must be an object
      {device + "{\"x\": " + deep(500, "[", "]", "1") + "}}", 202},
      {device + "{\"x\": 1e999}}", 202},                           // inf, as Python's json.loads
      {device + "{\"x\": 18446744073709551616}}", 202},            // ints of any size (docs/api.md)
      {device + "{\"x\": " + std::string(4301, '9') + "}}", 400},  // Python's 4300 digits
      {device + "{\"x\": \"\xff\xfe\"}}", 400},
      {device + "{\"x\": \"\\ud800\"}}", 400},
      {R"({"event": ")" + std::string(100000, 'x') +
           R"(", "object_type": "dcim.device", "data": {}})",
       400},
  };
  for (const auto& [body, want] : cases) {
    http::Response r = Call("POST", "/api/events/", Token(ingest_key_), body);
    EXPECT_EQ(r.status, want) << body.substr(0, 80) << ": " << r.body.substr(0, 300);
    auto v = ParseJson(r.body);
    ASSERT_TRUE(v.ok()) << r.body.substr(0, 300);
    if (r.status >= 400) {
      EXPECT_TRUE(v->get("detail")) << r.body.substr(0, 300);
    }
    EXPECT_LT(r.body.size(), 4096u) << "errors quote request values only briefly";
  }
  // Many invalid events: all counted, the first kMaxReportedEventErrors listed.
  std::string ndjson;
  for (int i = 0; i < 5000; ++i)
    ndjson += R"({"event": "exploded", "data": {}})"
              "\n";
  http::Response many = Call("POST", "/api/events/", Token(ingest_key_), ndjson,
                             {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(many.status, 400) << many.body.substr(0, 300);
  auto mv = ParseJson(many.body);
  ASSERT_TRUE(mv.ok());
  EXPECT_NE(mv->get("detail")->as_str().find("5000 invalid"), std::string::npos);
  EXPECT_EQ(mv->get("errors")->as_list().size(), kMaxReportedEventErrors);
  // Many valid events in one request are all accepted.
  std::string batch = "[";
  for (int i = 0; i < 20000; ++i) batch += std::string(i ? "," : "") + kEvent;
  batch += "]";
  http::Response ok = Call("POST", "/api/events/", Token(ingest_key_), batch);
  ASSERT_EQ(ok.status, 202) << ok.body.substr(0, 300);
  EXPECT_EQ(ParseJson(ok.body)->get("accepted")->as_int(), 20000);
}

TEST_F(ApiTest, IngestQueueIsBoundedInBytesToo) {
  ApiOptions o;
  o.ingest_threads = 1;
  o.ingest_queue = 10;
  o.ingest_queue_bytes = 1024 * 1024;
  Open(o);
  Blocker b;
  ASSERT_NO_FATAL_FAILURE(Saturate(b));
  std::string big = R"({"event": "created", "object_type": "dcim.device", "data": {"x": ")" +
                    std::string(600 * 1024, 'a') + "\"}}";
  // The first big body is taken (nothing waits); a second would pass the byte bound.
  auto first = PostLater(big);
  ASSERT_TRUE(WaitQueued(1));
  ExpectQueueFull(Call("POST", "/api/events/", Token(ingest_key_), big));
  auto status = ParseJson(Call("GET", "/api/status/").body);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->get("ingest")->get("queued_bytes")->as_int(), static_cast<int64_t>(big.size()));
  // A small one still fits.
  auto small = PostLater(kEvent);
  ASSERT_TRUE(WaitQueued(2));
  b.Release();
  EXPECT_EQ(first.get().status, 202);
  EXPECT_EQ(small.get().status, 202);
  status = ParseJson(Call("GET", "/api/status/").body);
  EXPECT_EQ(status->get("ingest")->get("queued_bytes")->as_int(), 0);
}

// ---------------------------------------------------------------- tokens

TEST(Tokens, KeyGenerationFailsLoudlyWithoutRandomness) {
  auto failing = [](unsigned char*, int) { return 0; };
  auto key = NewTokenKey(failing);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), Code::kUnavailable);
  auto good = NewTokenKey();
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->size(), 40u);
  EXPECT_NE(*good, *NewTokenKey());
}

TEST(Tokens, OnlyKnownScopeNamesParse) {
  EXPECT_EQ(ParseTokenScope("admin"), TokenScope::kAdmin);
  EXPECT_EQ(ParseTokenScope("read-only"), TokenScope::kReadOnly);
  EXPECT_EQ(ParseTokenScope("ingest-only"), TokenScope::kIngestOnly);
  for (const char* bad : {"", "Admin", "root", "superuser", "read_only", "admin ", "write"})
    EXPECT_FALSE(ParseTokenScope(bad).has_value()) << bad;
}

TEST_F(ApiTest, ATokenRowWithAnUnknownScopeGrantsNothing) {
  std::string key = MakeToken(TokenScope::kAdmin);
  // Another program (or a future version) wrote a scope this version does not know.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  std::string sql =
      "UPDATE api_tokens SET scope = 'superuser' WHERE key_hash = '" + HashTokenKey(key) + "'";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
  for (const std::string method : {"GET", "POST", "DELETE"}) {
    auto r = Call(method, "/api/extras/webhooks/", Token(key), method == "POST" ? "{}" : "");
    EXPECT_EQ(r.status, 403) << method << " " << r.body;
  }
  EXPECT_EQ(Call("POST", "/api/events/", Token(key), kEvent).status, 403);
  std::string why;
  EXPECT_FALSE(api_->tokens().Resolve(Token(key), &why).has_value());
  // Listings still work and show it as granting nothing.
  auto tokens = store_->ListTokens();
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  bool found = false;
  for (const auto& t : *tokens)
    if (t.key_hash == HashTokenKey(key)) {
      found = true;
      EXPECT_TRUE(t.revoked);
      EXPECT_NE(t.scope, TokenScope::kAdmin);
    }
  EXPECT_TRUE(found);
}

TEST_F(ApiTest, TokenRevokedByAnotherProcessIsRefusedOnceItsCacheEntryExpires) {
  ApiOptions o;
  o.clock = &clock_;
  Open(o);
  auto token = store_->FindTokenByHash(HashTokenKey(admin_key_));
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(Call("GET", "/api/extras/webhooks/", Token(admin_key_)).status, 200);
  // Revoked in the store directly, as `herald token revoke` in another process does.
  ASSERT_TRUE(store_->RevokeToken(token->id).ok());
  clock_.Advance(kTokenCacheTtl - std::chrono::microseconds(1));
  EXPECT_EQ(Call("GET", "/api/extras/webhooks/", Token(admin_key_)).status, 200)
      << "still trusted from the cache";
  clock_.Advance(std::chrono::microseconds(1));
  http::Response r = Call("GET", "/api/extras/webhooks/", Token(admin_key_));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("Invalid token."), std::string::npos) << r.body;
}

// ---------------------------------------------------------------- NetBox's list and bulk shapes

TEST_F(ApiTest, OptionsFieldsCursorPagesAndAtomicBulkCreate) {
  const std::string admin = Token(admin_key_);
  // OPTIONS: DRF's metadata; the write actions only for tokens that may write.
  auto meta = ParseJson(Call("OPTIONS", "/api/extras/webhooks/", admin).body);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->get("name")->as_str(), "Webhook List");
  ASSERT_TRUE(meta->get("actions") && meta->get("actions")->get("POST"));
  const Value* method = meta->get("actions")->get("POST")->get("http_method");
  EXPECT_EQ(method->get("choices")->as_list().size(), 5u);
  EXPECT_TRUE(meta->get("actions")->get("POST")->get("name")->get("required")->as_bool());
  auto ro_meta = ParseJson(Call("OPTIONS", "/api/extras/event-rules/", Token(ro_key_)).body);
  ASSERT_TRUE(ro_meta.ok());
  EXPECT_EQ(ro_meta->get("actions"), nullptr);

  // A float JSON cannot print back is refused, as DRF's strict parser does.
  http::Response nan = Call("POST", "/api/extras/event-rules/", admin,
                            R"({"name": "n", "conditions": {"attr": "data.x", "value": NaN}})");
  EXPECT_EQ(nan.status, 400) << nan.body;
  EXPECT_NE(nan.body.find("Out of range float values are not JSON compliant"), std::string::npos)
      << nan.body;

  // A bulk create whose third item takes a name already stored: nothing is kept.
  ASSERT_EQ(Call("POST", "/api/extras/webhooks/", admin,
                 R"({"name": "taken", "payload_url": "http://127.0.0.1:9/"})")
                .status,
            201);
  http::Response bad = Call("POST", "/api/extras/webhooks/", admin,
                            R"([{"name": "a", "payload_url": "http://127.0.0.1:9/"},
                                {"name": "b", "payload_url": "http://127.0.0.1:9/"},
                                {"name": "taken", "payload_url": "http://127.0.0.1:9/"}])");
  EXPECT_EQ(bad.status, 400) << bad.body;
  auto errors = ParseJson(bad.body);
  ASSERT_TRUE(errors.ok() && errors->is_list() && errors->as_list().size() == 3) << bad.body;
  EXPECT_TRUE(errors->as_list()[2].get("name")) << bad.body;
  auto hooks = store_->ListWebhooks();
  ASSERT_TRUE(hooks.ok());
  EXPECT_EQ(hooks->size(), 1u) << "a failed bulk create keeps nothing";

  http::Response made = Call("POST", "/api/extras/webhooks/", admin,
                             R"([{"name": "h1", "payload_url": "http://127.0.0.1:9/"},
                                 {"name": "h2", "payload_url": "http://127.0.0.1:9/"},
                                 {"name": "h3", "payload_url": "http://127.0.0.1:9/"}])");
  ASSERT_EQ(made.status, 201) << made.body;
  // Ids 2 and 3 went to the rolled-back items (ids are never reused, as NetBox's sequences).

  // ?fields= and ?omit=.
  auto picked = ParseJson(Call("GET", "/api/extras/webhooks/?fields=id,name&name=h1", admin).body);
  ASSERT_TRUE(picked.ok());
  EXPECT_EQ(DumpJson(*picked->get("results")), R"([{"id": 4, "name": "h1"}])");
  auto omitted = ParseJson(Call("GET", "/api/extras/webhooks/4/?omit=url,tags", admin).body);
  ASSERT_TRUE(omitted.ok());
  EXPECT_EQ(omitted->get("url"), nullptr);
  EXPECT_NE(omitted->get("display_url"), nullptr);

  // ?start= pages by id; `next` carries the next start and keeps the other parameters.
  auto page = ParseJson(
      Call("GET", "/api/extras/webhooks/?start=2&limit=2&ordering=-name&fields=id", admin).body);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->get("count")->is_none());
  EXPECT_EQ(DumpJson(*page->get("results")), R"([{"id": 4}, {"id": 5}])");
  EXPECT_EQ(page->get("next")->as_str(),
            "http://127.0.0.1:8080/api/extras/webhooks/?ordering=-name&fields=id&limit=2&start=6");
  EXPECT_EQ(Call("GET", "/api/extras/webhooks/?start=x", admin).status, 400);
  EXPECT_EQ(Call("GET", "/api/extras/webhooks/?start=1&offset=2", admin).status, 400);
  // ?ordering= with offset pages.
  auto ordered = ParseJson(Call("GET", "/api/extras/webhooks/?ordering=-id&fields=id", admin).body);
  ASSERT_TRUE(ordered.ok());
  EXPECT_EQ(DumpJson(*ordered->get("results")), R"([{"id": 6}, {"id": 5}, {"id": 4}, {"id": 1}])");
}

}  // namespace
}  // namespace herald
