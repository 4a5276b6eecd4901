// The real `herald serve` against hostile connections: a low descriptor limit with 400 half-open
// connections, large bodies without credentials (refused before they are read, Expect:
// 100-continue answered only after authentication), request smuggling and HEAD.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <iostream>

#include "harness.h"
#include "http/http.h"
#include "support/process.h"
#include "support/raw_client.h"

namespace herald::testing {
namespace {

// Descriptor limit `herald serve` runs under in the half-open test, and the connections held.
constexpr int kServerFdLimit = 256;
constexpr int kHalfOpen = 400;

TEST(HttpLimits, HalfOpenConnectionsUnderALowDescriptorLimitDoNotStopService) {
  http::RaiseFileLimit();  // this test process holds 400+ sockets
  struct rlimit own;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &own), 0);
  if (own.rlim_cur < static_cast<rlim_t>(kHalfOpen + 100))
    GTEST_SKIP() << "this process may open only " << own.rlim_cur << " descriptors";
  TempDir dir;
  Server server(dir.path(), {}, {}, kServerFdLimit);
  ASSERT_GT(server.port(), 0) << server.Stderr();
  // The cap in force sits below the limit, with a reserve for the store and deliveries.
  EXPECT_NE(server.Stderr().find("max_connections=" + std::to_string(http::EffectiveConnectionCap(
                                                          1024, kServerFdLimit))),
            std::string::npos)
      << server.Stderr();

  std::vector<RawConn> held;
  for (int i = 0; i < kHalfOpen; ++i) {
    held.emplace_back(server.port());
    ASSERT_TRUE(held.back().ok()) << "connection " << i;
    held.back().Send("POST /api/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le");
  }
  double cpu0 = ProcessCpuSeconds(server.pid());
  auto t0 = std::chrono::steady_clock::now();
  // While they are held: status answers, and so does an authenticated request.
  auto status = Http("GET", server.base() + "/api/status/");
  EXPECT_EQ(status.status, 200) << status.error;
  auto hooks = Api("GET", server.base() + "/api/extras/webhooks/", server.admin_token());
  EXPECT_EQ(hooks.status, 200) << hooks.error << hooks.body;
  // A bounded window of further status requests, then the CPU the server used meanwhile.
  for (int i = 0; i < 20; ++i) {
    auto s = Http("GET", server.base() + "/api/status/");
    ASSERT_EQ(s.status, 200) << "request " << i << ": " << s.error;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = ProcessCpuSeconds(server.pid()) - cpu0;
  ::testing::Test::RecordProperty("server_cpu_seconds", std::to_string(cpu));
  ::testing::Test::RecordProperty("wall_seconds", std::to_string(wall));
  std::cout << "server CPU " << cpu << " s over " << wall << " s wall with " << kHalfOpen
            << " half-open connections\n";
  // Sanity bound, not a timing threshold: a spinning accept loop uses a whole core.
  EXPECT_LT(cpu, wall * 0.9);
  EXPECT_TRUE(server.alive());
  EXPECT_NE(server.Stderr().find("connection limit reached"), std::string::npos);

  held.clear();
  EXPECT_TRUE(WaitFor([&] { return Http("GET", server.base() + "/api/status/").status == 200; }));
  auto ingest = Api("POST", server.base() + "/api/events/", server.admin_token(),
                    R"({"event": "created", "object_type": "dcim.site", "data": {"id": 1}})");
  EXPECT_EQ(ingest.status, 202) << ingest.body;
  EXPECT_TRUE(server.alive());
}

class HttpAuthFirst : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(dir_.path());
    ASSERT_TRUE(server_->started());
  }
  // Sends a header announcing a 9 MB body with Expect: 100-continue; reads the answer.
  std::string BigPostHead(const std::string& path, const std::string& extra) {
    RawConn c(server_->port());
    c.Send("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
           extra + "Content-Length: 9000000\r\nExpect: 100-continue\r\n\r\n");
    std::string got = c.ReadToEof();
    EXPECT_TRUE(c.eof()) << path;
    return got;
  }
  TempDir dir_;
  std::unique_ptr<Server> server_;
};

TEST_F(HttpAuthFirst, LargeBodiesWithoutCredentialsAreRefusedBeforeTheyAreRead) {
  std::string got = BigPostHead("/api/events/", "");
  EXPECT_EQ(got.find("100 Continue"), std::string::npos) << got;
  auto rs = SplitResponses(got);
  ASSERT_EQ(rs.size(), 1u) << got;
  EXPECT_EQ(rs[0].status, 403);
  EXPECT_EQ(rs[0].body, R"({"detail":"Authentication credentials were not provided."})");

  got = BigPostHead("/api/extras/webhooks/", "Authorization: Token 0123456789abcdef\r\n");
  rs = SplitResponses(got);
  ASSERT_EQ(rs.size(), 1u) << got;
  EXPECT_EQ(rs[0].status, 403);
  EXPECT_EQ(rs[0].body, R"({"detail":"Invalid token."})");

  // A UI form post without a session: the UI's own 403 page.
  got = BigPostHead("/webhooks/new", "");
  EXPECT_EQ(got.find("100 Continue"), std::string::npos) << got;
  rs = SplitResponses(got);
  ASSERT_EQ(rs.size(), 1u) << got;
  EXPECT_EQ(rs[0].status, 403);
  EXPECT_NE(rs[0].body.find("Sign in again"), std::string::npos);

  // Public paths take only small bodies without credentials.
  for (std::string path : {"/login", "/api/status/"}) {
    rs = SplitResponses(BigPostHead(path, ""));
    ASSERT_EQ(rs.size(), 1u) << path;
    EXPECT_EQ(rs[0].status, 413) << path;
  }
}

TEST_F(HttpAuthFirst, UnauthenticatedPartialBodiesCostNoMemory) {
  pid_t pid = server_->pid();
  ASSERT_GT(pid, 0);
  long before = ProcessStatusKb(pid, "VmRSS");
  std::vector<RawConn> conns;
  for (int i = 0; i < 40; ++i) {
    conns.emplace_back(server_->port());
    conns.back().Send(
        "POST /api/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 9000000\r\n\r\n");
    conns.back().Send(std::string(64 * 1024, '{'));
  }
  for (auto& c : conns) {
    auto rs = SplitResponses(c.ReadUntilContains("\r\n\r\n{"));
    ASSERT_EQ(rs.size(), 1u) << c.received();
    EXPECT_EQ(rs[0].status, 403);
  }
  long after = ProcessStatusKb(pid, "VmRSS");
  ::testing::Test::RecordProperty("rss_growth_kb", std::to_string(after - before));
  std::cout << "server RSS " << before << " kB -> " << after << " kB\n";
  // Reading those bodies would take 40 x 9 MB; refusing them first takes next to nothing.
  EXPECT_LT(after - before, 64 * 1024);
}

TEST_F(HttpAuthFirst, AuthenticatedPostGetsContinueThenItsAnswer) {
  const std::string body = R"({"event": "created", "object_type": "dcim.site", "data": {"id": 7}})";
  RawConn c(server_->port());
  ASSERT_EQ(SendExpectingContinue(c,
                                  "POST /api/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Content-Type: application/json\r\nAuthorization: Token " +
                                      server_->admin_token() +
                                      "\r\nContent-Length: " + std::to_string(body.size()) +
                                      "\r\nExpect: 100-continue\r\n\r\n",
                                  body),
            "HTTP/1.1 100 Continue\r\n\r\n");
  auto rs = SplitResponses(c.received());
  ASSERT_EQ(rs.size(), 2u) << c.received();
  EXPECT_EQ(rs[1].status, 202) << rs[1].body;
}

TEST_F(HttpAuthFirst, SmuggledRequestsAreNeverRun) {
  for (std::string te : {"chunked, identity", "xchunked", "identity"}) {
    RawConn c(server_->port());
    c.Send("POST /api/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token " +
           server_->admin_token() + "\r\nTransfer-Encoding: " + te +
           "\r\n\r\n0\r\n\r\nGET /api/status/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::string got = c.ReadToEof();
    auto rs = SplitResponses(got);
    ASSERT_EQ(rs.size(), 1u) << te << "\n" << got;
    EXPECT_EQ(rs[0].status, 400) << te;
    EXPECT_TRUE(c.eof()) << te;
  }
  RawConn c(server_->port());
  c.Send(
      "POST /api/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nTransfer-Encoding: "
      "chunked\r\n\r\n0\r\n\r\n");
  auto rs = SplitResponses(c.ReadToEof());
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].status, 400);
}

TEST_F(HttpAuthFirst, HeadCarriesNoBody) {
  RawConn c(server_->port());
  c.Send("HEAD /api/status/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  std::string got = c.ReadToEof();
  ASSERT_TRUE(c.eof());
  size_t end = got.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << got;
  EXPECT_EQ(got.size(), end + 4) << got;
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
}

}  // namespace
}  // namespace herald::testing
