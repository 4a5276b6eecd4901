// Transport against real loopback servers: wire format (SPEC §5.6), statuses and bodies,
// transport errors, redirects with requests semantics (SPEC §5.2 step 9), caps and fairness,
// proxies, TLS verification, shutdown.
#include "delivery/transport.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "delivery/request.h"
#include "support/env.h"
#include "support/loopback.h"
#include "support/temp_dir.h"
#include "support/wait.h"
#include "transport_util.h"

namespace herald::delivery {
namespace {

std::vector<std::string> HeadLines(const std::string& raw) {
  std::vector<std::string> lines;
  std::istringstream in(raw);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    lines.push_back(line);
  }
  return lines;
}

using testing::UnusedLoopbackPort;
using testing::WaitFor;

TEST(Transport, WireFormatOfASignedPost) {
  TestServer server(Answer());
  Transport t({});
  HttpRequest req = Post(server.url("/hook?a=1"));
  req.headers.emplace_back("X-A", "1");
  req.headers.emplace_back("X-Empty", "");
  req.headers.emplace_back(std::string(kSignatureHeader), SignBody("s", req.body));
  req.tag = 42;
  HttpResponse r = Send(t, req);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.tag, 42u);
  EXPECT_EQ(r.final_url, req.url);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const ServerRequest& got = reqs[0];
  EXPECT_EQ(got.body, req.body);
  std::vector<std::string> want = {
      "POST /hook?a=1 HTTP/1.1",
      "Host: 127.0.0.1:" + std::to_string(server.port()),
      "Accept-Encoding: identity",
      "User-Agent: herald/0.1",
      "Content-Type: application/json",
      "X-A: 1",
      "X-Empty:",
      "Content-Length: 20",
      "X-Hook-Signature: " + SignBody("s", req.body),
  };
  EXPECT_EQ(HeadLines(got.raw_head), want);
}

TEST(Transport, ContentLengthRulesAndMethods) {
  TestServer server(Answer());
  Transport t({});
  const std::pair<const char*, const char*> sent[] = {
      {"POST", ""}, {"GET", ""}, {"GET", "{}"}, {"DELETE", ""}, {"PATCH", "[1]"}};
  for (const auto& [method, body] : sent) {
    HttpRequest req = Post(server.url(), body);
    req.method = method;
    ASSERT_EQ(Send(t, req).status, 200) << method << " " << body;
  }
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].header("Content-Length"), "0");
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_FALSE(reqs[1].has("Content-Length"));
  EXPECT_EQ(reqs[2].method, "GET");
  EXPECT_EQ(reqs[2].body, "{}");
  EXPECT_EQ(reqs[2].header("Content-Length"), "2");
  EXPECT_EQ(reqs[3].method, "DELETE");
  EXPECT_EQ(reqs[3].header("Content-Length"), "0");
  EXPECT_EQ(reqs[4].method, "PATCH");
  EXPECT_EQ(reqs[4].body, "[1]");
  for (auto& r : reqs) {
    EXPECT_FALSE(r.has("Accept")) << r.raw_head;
    EXPECT_FALSE(r.has("Expect")) << r.raw_head;
  }
}

TEST(Transport, LargeBodyHasNoExpectContinue) {
  TestServer server(Answer());
  Transport t({});
  std::string body(3 * 1024 * 1024, 'x');
  HttpResponse r = Send(t, Post(server.url(), body));
  ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].body.size(), body.size());
  EXPECT_FALSE(server.requests()[0].has("Expect"));
}

TEST(Transport, UserHeadersReplaceDefaults) {
  TestServer server(Answer());
  Transport t({});
  HttpRequest req = Post(server.url());
  req.headers.emplace_back("User-Agent", "custom/1");
  req.headers.emplace_back("accept-encoding", "gzip");
  ASSERT_EQ(Send(t, req).status, 200);
  auto lines = HeadLines(server.requests()[0].raw_head);
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](auto& l) { return l.rfind("User-Agent:", 0) == 0; }),
            1);
  EXPECT_EQ(server.requests()[0].header("User-Agent"), "custom/1");
  EXPECT_EQ(server.requests()[0].header("Accept-Encoding"), "gzip");
}

TEST(Transport, NotFoundWithContentAndRetryAfter) {
  TestServer server(Answer(404, "Not Found", {{"Retry-After", "120"}}));
  Transport t({});
  HttpResponse r = Send(t, Post(server.url()));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body_excerpt, "Not Found");
  EXPECT_EQ(r.retry_after, "120");
  EXPECT_EQ(FailureMessage(r.status, r.body_excerpt),
            "Status 404 returned with content 'b'Not Found'', webhook FAILED to process.");
}

TEST(Transport, BodyExcerptIsBounded) {
  TestServer server(Answer(500, std::string(100000, 'e')));
  TransportOptions o;
  o.max_response_excerpt = 100;
  Transport t(o);
  HttpResponse r = Send(t, Post(server.url()));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body_excerpt, std::string(100, 'e'));
}

TEST(Transport, ConnectionRefused) {
  Transport t({});
  uint16_t port = UnusedLoopbackPort();
  HttpResponse r = Send(t, Post("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error.rfind("Connection refused to 127.0.0.1:" + std::to_string(port) + " (", 0), 0u)
      << r.error;
}

TEST(Transport, TimeoutOnAServerThatNeverAnswers) {
  TestServer server(NeverAnswer());
  Transport t({});
  HttpRequest req = Post(server.url("/slow"));
  req.timeout = 300ms;
  HttpResponse r = Send(t, req);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "Request to " + req.url + " timed out after 0.3 seconds");
  server.Stop();
}

TEST(Transport, UnresolvableHostAndBadUrl) {
  Transport t({});
  HttpResponse r = Send(t, Post("http://nonexistent.invalid/"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error.rfind("Failed to resolve host 'nonexistent.invalid'", 0), 0u) << r.error;
  HttpResponse bad = Send(t, Post("ftp://x/"));
  EXPECT_NE(bad.error, "");
}

// A server that redirects /start with `code` to /end and answers /end with 200.
std::unique_ptr<TestServer> RedirectServer(int code, std::string location = "/end") {
  return std::make_unique<TestServer>([code, location](const ServerRequest& req) {
    ServerResponse r;
    if (req.target == "/start") {
      r.status = code;
      r.headers = {{"Location", location}};
    }
    return r;
  });
}

struct RedirectCase {
  int code;
  std::string method;
  std::string want_method;
  bool body_kept;
};

TEST(Transport, RedirectsFollowRequestsSemantics) {
  std::vector<RedirectCase> cases = {
      {301, "POST", "GET", false},  {301, "PUT", "PUT", false},      {302, "POST", "GET", false},
      {302, "PATCH", "GET", false}, {303, "DELETE", "GET", false},   {303, "PUT", "GET", false},
      {307, "POST", "POST", true},  {307, "DELETE", "DELETE", true}, {308, "PUT", "PUT", true},
      {308, "POST", "POST", true},
  };
  Transport t({});
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.code) + " " + c.method);
    auto server = RedirectServer(c.code);
    HttpRequest req = Post(server->url("/start"), R"({"a": 1})");
    req.method = c.method;
    req.headers.emplace_back("X-Extra", "kept");
    req.headers.emplace_back(std::string(kSignatureHeader), SignBody("k", req.body));
    HttpResponse r = Send(t, req);
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.redirects, 1);
    EXPECT_EQ(r.final_url, server->url("/end"));
    auto reqs = server->requests();
    ASSERT_EQ(reqs.size(), 2u);
    const ServerRequest& second = reqs[1];
    EXPECT_EQ(second.target, "/end");
    EXPECT_EQ(second.method, c.want_method);
    EXPECT_EQ(second.header("X-Extra"), "kept");
    EXPECT_EQ(second.header("X-Hook-Signature"), SignBody("k", req.body));
    if (c.body_kept) {
      EXPECT_EQ(second.body, req.body);
      EXPECT_EQ(second.header("Content-Type"), "application/json");
    } else {
      EXPECT_EQ(second.body, "");
      EXPECT_FALSE(second.has("Content-Type"));
      if (c.want_method == "GET") EXPECT_FALSE(second.has("Content-Length"));
      else EXPECT_EQ(second.header("Content-Length"), "0");
    }
  }
}

TEST(Transport, RedirectToAbsoluteUrlOnAnotherServer) {
  TestServer target(Answer(201, "made"));
  auto first = RedirectServer(308, target.url("/final"));
  Transport t({});
  HttpRequest req = Post(first->url("/start"));
  req.headers.emplace_back("Authorization", "Token x");
  HttpResponse r = Send(t, req);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body_excerpt, "made");
  ASSERT_EQ(target.requests().size(), 1u);
  EXPECT_EQ(target.requests()[0].method, "POST");
  // requests drops Authorization when the redirect changes host:port... except same hostname.
  // Both servers are 127.0.0.1 on different ports: requests strips it (port change).
  EXPECT_FALSE(target.requests()[0].has("Authorization"));
}

TEST(Transport, TooManyRedirects) {
  TestServer loop(Answer(302, "", {{"Location", "/again"}}));
  TransportOptions o;
  o.max_redirects = 3;
  Transport t(o);
  HttpResponse r = Send(t, Post(loop.url("/start")));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "Exceeded 3 redirects.");
  EXPECT_EQ(loop.requests().size(), 4u);
}

TEST(Transport, RedirectWithoutLocationIsTheFinalResponse) {
  TestServer server(Answer(302, "nowhere"));
  Transport t({});
  HttpResponse r = Send(t, Post(server.url()));
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.redirects, 0);
}

TEST(Transport, PerHostCapIsRespectedAndAllComplete) {
  // The delay only makes requests overlap; nothing asserts on time.
  TestServer server(AnswerAfter(20ms));
  TransportOptions o;
  o.max_in_flight_per_host = 4;
  Transport t(o);
  constexpr int kRequests = 40;
  std::atomic<int> ok{0};
  std::atomic<int> done{0};
  for (int i = 0; i < kRequests; ++i) {
    HttpRequest req = Post(server.url());
    req.tag = static_cast<uint64_t>(i);
    t.Submit(req, [&](HttpResponse r) {
      if (r.status == 200) ok++;
      done++;
    });
  }
  EXPECT_TRUE(WaitFor([&] { return done == kRequests; }, kDeadline));
  EXPECT_EQ(ok.load(), kRequests);
  EXPECT_LE(server.max_concurrent(), 4);
  EXPECT_GE(server.max_concurrent(), 1);
  EXPECT_LE(server.connections(), 4);  // connections are reused
  EXPECT_EQ(t.in_flight(), 0u);
  EXPECT_EQ(t.queued(), 0u);
}

TEST(Transport, DeadHostDoesNotDelayOthers) {
  TestServer dead(NeverAnswer());
  TestServer alive(Answer());
  TransportOptions o;
  o.max_in_flight_per_host = 2;
  Transport t(o);
  std::atomic<int> dead_done{0};
  std::vector<std::string> dead_errors;
  std::mutex mu;
  for (int i = 0; i < 10; ++i) {
    HttpRequest req = Post(dead.url());
    req.timeout = 60s;
    t.Submit(req, [&](HttpResponse r) {
      std::lock_guard<std::mutex> lock(mu);
      dead_errors.push_back(r.error);
      dead_done++;
    });
  }
  // The live host is served while the dead one holds its slots and queue.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Send(t, Post(alive.url())).status, 200);
  EXPECT_EQ(dead_done.load(), 0);
  EXPECT_LE(dead.max_concurrent(), 2);
  t.Stop();
  EXPECT_EQ(dead_done.load(), 10);
  for (auto& e : dead_errors) EXPECT_EQ(e, kTransportStopped);
  // Submitting after Stop answers at once.
  HttpResponse late = Send(t, Post(alive.url()));
  EXPECT_EQ(late.error, kTransportStopped);
  dead.Stop();
}

TEST(Transport, EnvironmentProxiesAreIgnoredAndExplicitProxyIsUsed) {
  TestServer server(Answer());
  uint16_t dead = UnusedLoopbackPort();
  std::string dead_proxy = "http://127.0.0.1:" + std::to_string(dead);
  Transport t({});
  HttpResponse direct;
  {
    testing::ScopedEnv http_proxy("http_proxy", dead_proxy), upper("HTTP_PROXY", dead_proxy),
        all("ALL_PROXY", dead_proxy);
    direct = Send(t, Post(server.url("/direct")));
  }
  EXPECT_EQ(direct.status, 200) << direct.error;

  TestServer proxy(Answer());
  HttpRequest via = Post("http://webhook.example.invalid/x");
  via.proxy = proxy.url("");
  HttpResponse r = Send(t, via);
  EXPECT_EQ(r.status, 200) << r.error;
  ASSERT_EQ(proxy.requests().size(), 1u);
  EXPECT_EQ(proxy.requests()[0].target, "http://webhook.example.invalid/x");
}

// ---- TLS, against `openssl s_server -www` (answers GET with 200) ----

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl CLI";
    ASSERT_TRUE(dir_.ok());
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
        file("key.pem") + " -out " + file("cert.pem") + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    log_ = file("server.log");
    pid_ = fork();
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 1);
      dup2(fd, 2);
      int devnull = ::open("/dev/null", O_RDONLY);
      dup2(devnull, 0);
      std::string cert = file("cert.pem"), key = file("key.pem");
      execlp("timeout", "timeout", "60", "openssl", "s_server", "-accept", "127.0.0.1:0", "-cert",
             cert.c_str(), "-key", key.c_str(), "-www", static_cast<char*>(nullptr));
      _exit(127);
    }
    ASSERT_TRUE(WaitFor(
        [&] {
          std::ifstream in(log_);
          std::string line;
          while (std::getline(in, line)) {
            if (line.rfind("ACCEPT ", 0) == 0) port_ = std::stoi(line.substr(line.rfind(':') + 1));
          }
          return port_ != 0;
        },
        kDeadline))
        << "s_server did not start";
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  HttpRequest Get(const std::string& host) {
    HttpRequest r;
    r.method = "GET";
    r.url = "https://" + host + ":" + std::to_string(port_) + "/";
    r.timeout = 10s;
    return r;
  }
  std::string cert() const { return file("cert.pem"); }

  std::string file(const char* name) const { return dir_.File(name); }

  testing::TempDir dir_{"tls"};
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST_F(TlsTest, VerificationWithCaFileSucceeds) {
  Transport t({});
  HttpRequest req = Get("localhost");
  req.ca_file = cert();
  HttpResponse r = Send(t, req);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
}

TEST_F(TlsTest, CaFileWinsEvenWhenVerifyIsOff) {
  Transport t({});
  HttpRequest req = Get("127.0.0.1");
  req.ca_file = cert();
  req.verify_tls = false;
  EXPECT_EQ(Send(t, req).status, 200);
}

TEST_F(TlsTest, SelfSignedFailsWithDefaultStoreAndPassesWithoutVerify) {
  Transport t({});
  HttpResponse bad = Send(t, Get("localhost"));
  EXPECT_EQ(bad.status, 0);
  EXPECT_EQ(bad.error.rfind("TLS error connecting to localhost:" + std::to_string(port_), 0), 0u)
      << bad.error;
  HttpRequest off = Get("localhost");
  off.verify_tls = false;
  HttpResponse ok = Send(t, off);
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.status, 200);
}

TEST_F(TlsTest, WrongCaFileFails) {
  // A different self-signed certificate as the only trusted CA.
  std::string other = file("other.pem");
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other -keyout " +
                    file("okey.pem") + " -out " + other + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  Transport t({});
  HttpRequest req = Get("localhost");
  req.ca_file = other;
  HttpResponse r = Send(t, req);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("TLS error"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace herald::delivery
