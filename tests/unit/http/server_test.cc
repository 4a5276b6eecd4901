// http::Server over real loopback sockets: framing (smuggling payloads), HEAD, the header-phase
// check with Expect: 100-continue, body limits, timeouts, the connection cap and handler misuse.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <sys/resource.h>
#include <sys/wait.h>

#include <cstring>
#include <iostream>

#include "http/http.h"
#include "support/process.h"
#include "support/raw_client.h"
#include "support/wait.h"

namespace herald::http {
namespace {

using testing::RawConn;
using testing::SendExpectingContinue;
using testing::SplitResponses;

// A server whose handler answers "<METHOD> <path> body=<n>" and counts calls.
class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions o = {}, Handler h = nullptr) {
    o.host = "127.0.0.1";
    o.port = 0;
    if (!h) {
      h = [this](Request&& req, Responder respond) {
        ++calls_;
        respond(Response::Text(
            200, req.method + " " + req.path + " body=" + std::to_string(req.body.size())));
      };
    }
    server_ = std::make_unique<Server>(o, std::move(h));
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  int port() const { return server_->port(); }

  std::unique_ptr<Server> server_;
  std::atomic<int> calls_{0};
};

// Sends `payload` on a fresh connection and reads until the server closes it.
std::string Exchange(int port, std::string_view payload, bool* closed = nullptr) {
  RawConn c(port);
  EXPECT_TRUE(c.ok());
  c.Send(payload);
  std::string got = c.ReadToEof();
  if (closed) *closed = c.eof();
  return got;
}

// The answers to `payload` sent on a fresh connection, read until the server closes it. Expects
// `n` of them (a test failure otherwise); the list always holds `n`, padded with empty answers,
// so that a caller's checks of each one fail rather than read past its end.
std::vector<testing::RawResponse> Answers(int port, std::string_view payload, size_t n) {
  std::string got = Exchange(port, payload);
  auto rs = SplitResponses(got);
  EXPECT_EQ(rs.size(), n) << got;
  rs.resize(n);
  return rs;
}

TEST_F(ServerTest, HeadAnswersWithoutBodyButWithGetsLength) {
  StartServer();
  RawConn c(port());
  ASSERT_TRUE(c.ok());
  c.Send(
      "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  std::string got = c.ReadToEof();
  // "HEAD /x body=0" would be 14 bytes. The HEAD answer's header is followed directly by the GET
  // answer's status line.
  size_t first_end = got.find("\r\n\r\n");
  ASSERT_NE(first_end, std::string::npos) << got;
  EXPECT_NE(got.find("Content-Length: 14\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.compare(first_end + 4, 9, "HTTP/1.1 "), 0) << got;
  auto tail = SplitResponses(std::string_view(got).substr(first_end + 4));
  ASSERT_EQ(tail.size(), 1u) << got;
  EXPECT_EQ(tail[0].body, "GET /x body=0");
}

TEST_F(ServerTest, ErrorAfterHeadStillCarriesItsBody) {
  StartServer();
  RawConn c(port());
  c.Send(
      "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\nGET /y HTTP/1.1\r\nContent-Length: 1\r\n"
      "Content-Length: 2\r\n\r\n");
  std::string got = c.ReadToEof();
  size_t first_end = got.find("\r\n\r\n");
  ASSERT_NE(first_end, std::string::npos) << got;
  auto rs = SplitResponses(std::string_view(got).substr(first_end + 4));
  ASSERT_EQ(rs.size(), 1u) << got;
  EXPECT_EQ(rs[0].status, 400);
  EXPECT_NE(rs[0].body.find("Malformed HTTP request"), std::string::npos) << got;
}

// Each payload ends with a second, smuggled request; only one answer (400) may come back and the
// connection must close. The handler never runs.
TEST_F(ServerTest, AmbiguousFramingIsRefusedAndNothingIsSmuggled) {
  StartServer();
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::vector<std::string> heads = {
      "Transfer-Encoding: chunked, identity\r\n",
      "Transfer-Encoding: identity, chunked\r\n",
      "Transfer-Encoding: xchunked\r\n",
      "Transfer-Encoding: chunked2\r\n",
      "Transfer-Encoding: identity\r\n",
      "Transfer-Encoding: gzip, chunked\r\n",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
      "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n",
      "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
      "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
      "Content-Length: 0\r\nTransfer-Encoding: chunked, identity\r\n",
      "Transfer-Encoding: identity\r\nContent-Length: 5\r\n",
      "Content-Length: 5\r\nContent-Length: 6\r\n",
      "Content-Length: 5, 6\r\n",
      "Content-Length: -5\r\n",
      "Content-Length: 5x\r\n",
      "Content-Length: 99999999999999999999999\r\n",
  };
  for (const auto& h : heads) {
    bool closed = false;
    std::string got = Exchange(
        port(), "POST /a HTTP/1.1\r\nHost: a\r\n" + h + "\r\n0\r\n\r\n" + smuggled, &closed);
    auto rs = SplitResponses(got);
    ASSERT_EQ(rs.size(), 1u) << h << "\n" << got;
    EXPECT_EQ(rs[0].status, 400) << h << "\n" << got;
    EXPECT_EQ(got.find("/smuggled"), std::string::npos) << h;
    EXPECT_TRUE(closed) << h;
  }
  // Transfer-Encoding in HTTP/1.0.
  bool closed = false;
  auto rs = SplitResponses(
      Exchange(port(), "POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
               &closed));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].status, 400);
  EXPECT_TRUE(closed);
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(ServerTest, BadChunksAreRefused) {
  StartServer();
  for (std::string chunks :
       {"zz\r\nhello\r\n0\r\n\r\n", "fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
        "-5\r\nhello\r\n0\r\n\r\n", "5\r\nhelloXX0\r\n\r\n", "0x5\r\nhello\r\n0\r\n\r\n"}) {
    bool closed = false;
    std::string got = Exchange(port(),
                               "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                   chunks + "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
                               &closed);
    auto rs = SplitResponses(got);
    ASSERT_EQ(rs.size(), 1u) << chunks << "\n" << got;
    EXPECT_EQ(rs[0].status, 400) << chunks;
    EXPECT_TRUE(closed) << chunks;
  }
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(ServerTest, WellFormedFramingStillWorks) {
  StartServer();
  auto rs =
      Answers(port(),
              "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"
              "POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
              "Chunked\r\n\r\n5\r\nhello\r\n2\r\n!!\r\n0\r\n\r\n"
              "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\nConnection: close\r\n\r\nabc",
              3);
  EXPECT_EQ(rs[0].body, "POST /a body=5");
  EXPECT_EQ(rs[1].body, "POST /b body=7");
  EXPECT_EQ(rs[2].body, "POST /c body=3");
}

// The header-phase check: authenticate before the body is read.
class HeadCheckTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.max_body_bytes = 16 * 1024 * 1024;
    o.head_check = [this](const Request& head) {
      ++checks_;
      EXPECT_TRUE(head.body.empty());
      HeadDecision d;
      if (head.header("Authorization") != "Token good") {
        d.reject = Response::Json(403, "{\"detail\": \"no\"}");
        d.max_body_bytes = 100;
      }
      if (head.path == "/small") d.max_body_bytes = 10;
      return d;
    };
    StartServer(o);
  }
  std::atomic<int> checks_{0};
};

TEST_F(HeadCheckTest, UnauthenticatedLargePostGets403WithoutContinue) {
  RawConn c(port());
  c.Send(
      "POST /api/events/ HTTP/1.1\r\nHost: a\r\nContent-Length: 9000000\r\n"
      "Expect: 100-continue\r\n\r\n");
  std::string got = c.ReadToEof();
  EXPECT_EQ(got.find("100 Continue"), std::string::npos) << got;
  auto rs = SplitResponses(got);
  ASSERT_EQ(rs.size(), 1u) << got;
  EXPECT_EQ(rs[0].status, 403);
  EXPECT_EQ(rs[0].body, "{\"detail\": \"no\"}");
  EXPECT_NE(rs[0].head.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(c.eof());
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HeadCheckTest, UnauthenticatedClientAlreadySendingTheBodyStillReadsThe403) {
  RawConn c(port());
  c.Send("POST /api/events/ HTTP/1.1\r\nHost: a\r\nContent-Length: 9000000\r\n\r\n");
  c.Send(std::string(256 * 1024, 'x'));  // part of the body, without waiting
  auto rs = SplitResponses(c.ReadToEof());
  ASSERT_EQ(rs.size(), 1u) << c.received();
  EXPECT_EQ(rs[0].status, 403);
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HeadCheckTest, AuthenticatedPostGetsContinueThenItsAnswer) {
  RawConn c(port());
  const std::string body(2 * 1024 * 1024, 'b');
  ASSERT_EQ(
      SendExpectingContinue(c,
                            "POST /api/events/ HTTP/1.1\r\nHost: a\r\nAuthorization: Token "
                            "good\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n\r\n",
                            body),
      "HTTP/1.1 100 Continue\r\n\r\n");
  auto rs = SplitResponses(c.received());
  ASSERT_EQ(rs.size(), 2u) << c.received();
  EXPECT_EQ(rs[0].status, 100);
  EXPECT_EQ(rs[1].status, 200);
  EXPECT_EQ(rs[1].body, "POST /api/events/ body=2097152");
  EXPECT_EQ(calls_.load(), 1);
}

TEST_F(HeadCheckTest, DecisionLowersTheBodyLimit) {
  // A declared length over the limit, and a chunked body held to it while it is read.
  for (std::string framing :
       {"Content-Length: 11\r\nExpect: 100-continue\r\n\r\n",
        "Transfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"}) {
    auto rs = Answers(
        port(), "POST /small HTTP/1.1\r\nHost: a\r\nAuthorization: Token good\r\n" + framing, 1);
    EXPECT_EQ(rs[0].status, 413) << framing;
  }
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HeadCheckTest, UnknownExpectationGets417) {
  auto rs = Answers(port(),
                    "POST /a HTTP/1.1\r\nHost: a\r\nAuthorization: Token good\r\n"
                    "Content-Length: 3\r\nExpect: teapot\r\n\r\nabc",
                    1);
  EXPECT_EQ(rs[0].status, 417);
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(ServerTest, OversizedHeaderGets431) {
  StartServer();
  auto rs = Answers(
      port(),
      "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(kMaxHeaderBytes, 'a') + "\r\n\r\n", 1);
  EXPECT_EQ(rs[0].status, 431);
}

TEST_F(ServerTest, SlowHeaderIsDisconnectedAfterTheHeaderTimeout) {
  ServerOptions o;
  o.header_timeout_seconds = 1;
  o.idle_timeout_seconds = 3600;
  StartServer(o);
  RawConn c(port());
  c.Send("GET / HTTP/1.1\r\nHost: a\r\n");  // never finished
  c.ReadToEof(std::chrono::seconds(20));
  EXPECT_TRUE(c.eof());
  EXPECT_EQ(calls_.load(), 0);
}

// At the cap, a new connection evicts the one that has waited longest for its header.
TEST_F(ServerTest, ConnectionCapEvictsTheLongestWaiting) {
  ServerOptions o;
  o.max_connections = 4;
  StartServer(o);
  EXPECT_EQ(server_->connection_limit(), 4);
  std::vector<RawConn> half_open;
  for (int i = 0; i < 12; ++i) {
    half_open.emplace_back(port());
    half_open.back().Send("GET / HTTP/1.1\r\nHost: a\r\n");
  }
  auto rs = Answers(port(), "GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 1);
  EXPECT_EQ(rs[0].body, "GET /ok body=0");
  // The oldest half-open connections were closed by the server.
  half_open.front().ReadToEof();
  EXPECT_TRUE(half_open.front().eof());
  EXPECT_LE(server_->open_connections(), 4 + 1);
}

// When every connection is busy in the handler, a connection beyond the cap gets 503.
TEST_F(ServerTest, ConnectionCapRefusesWith503WhenNoneIsWaiting) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::vector<std::thread> waiters;
  std::atomic<int> in_handler{0};
  ServerOptions o;
  o.max_connections = 2;
  StartServer(o, [&](Request&&, Responder respond) {
    ++in_handler;
    std::lock_guard<std::mutex> lock(mu);
    waiters.emplace_back([&, respond] {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return release; });
      respond(Response::Text(200, "late"));
    });
  });
  RawConn a(port()), b(port());
  a.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  b.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(testing::WaitFor([&] { return in_handler.load() >= 2; }));
  ASSERT_EQ(in_handler.load(), 2);
  auto rs = Answers(port(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1);
  EXPECT_EQ(rs[0].status, 503);
  EXPECT_NE(rs[0].head.find("Retry-After: 1"), std::string::npos);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  EXPECT_EQ(SplitResponses(a.ReadUntilContains("late")).size(), 1u);
  EXPECT_EQ(SplitResponses(b.ReadUntilContains("late")).size(), 1u);
  for (auto& t : waiters) t.join();
}

TEST_F(ServerTest, HandlerMisuseNeverBreaksTheConnection) {
  StartServer({}, [](Request&& req, Responder respond) {
    if (req.path == "/twice") {
      respond(Response::Text(200, "first"));
      respond(Response::Text(200, "second"));
    } else if (req.path == "/status0") {
      respond(Response::Text(0, "x"));
    } else if (req.path == "/status1000") {
      respond(Response::Text(1000, "x"));
    } else if (req.path == "/nocontent") {
      respond(Response::Text(204, "not allowed here"));
    } else if (req.path == "/header") {
      Response r = Response::Text(200, "h");
      r.headers.emplace_back("X-Bad", "a\r\nContent-Length: 0");
      r.headers.emplace_back("Bad Name", "v");
      r.headers.emplace_back("X-Good", "v");
      respond(std::move(r));
    } else {
      throw std::runtime_error("boom");
    }
  });
  auto rs = Answers(
      port(),
      "GET /twice HTTP/1.1\r\nHost: a\r\n\r\nGET /status0 HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /status1000 HTTP/1.1\r\nHost: a\r\n\r\nGET /nocontent HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /header HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /throw HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      6);
  EXPECT_EQ(rs[0].body, "first");
  EXPECT_EQ(rs[1].status, 500);
  EXPECT_EQ(rs[2].status, 500);
  EXPECT_EQ(rs[3].status, 204);
  EXPECT_EQ(rs[3].body, "");
  EXPECT_EQ(rs[4].head.find("X-Bad"), std::string::npos);
  EXPECT_EQ(rs[4].head.find("Bad Name"), std::string::npos);
  EXPECT_NE(rs[4].head.find("X-Good: v"), std::string::npos);
  EXPECT_EQ(rs[5].status, 500);
}

// A server whose process runs out of descriptors (held elsewhere in the process, so the cap
// does not prevent it) backs off instead of spinning on accept(), and serves the waiting
// connection once descriptors are free again. The server runs in a forked child with a low
// RLIMIT_NOFILE; pipes carry its port and the commands.
TEST(ServerFds, AcceptBacksOffWhenOutOfDescriptorsAndRecovers) {
  int to_child[2], from_child[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(from_child), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    struct rlimit rl = {64, 64};
    setrlimit(RLIMIT_NOFILE, &rl);
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.max_connections = 100000;
    Server server(o,
                  [](Request&& req, Responder respond) { respond(Response::Text(200, "served")); });
    if (!server.Start().ok()) _exit(2);
    int port = server.port();
    if (write(from_child[1], &port, sizeof port) != sizeof port) _exit(3);
    std::vector<int> hog;
    // Take every free descriptor; again a few times, in case a server thread was still
    // closing a transient one (this keeps the test from being answered by a late free slot).
    for (int round = 0; round < 5; ++round) {
      for (int fd; (fd = dup(from_child[1])) >= 0;) hog.push_back(fd);
      usleep(20 * 1000);
    }
    char cmd = 'h';
    if (write(from_child[1], &cmd, 1) != 1) _exit(3);
    if (read(to_child[0], &cmd, 1) != 1) _exit(3);  // 'f': free the descriptors
    for (int fd : hog) close(fd);
    if (read(to_child[0], &cmd, 1) != 1) _exit(3);  // 'q': quit
    server.Stop();
    _exit(0);
  }
  close(to_child[0]);
  close(from_child[1]);
  int port = 0;
  ASSERT_EQ(read(from_child[0], &port, sizeof port), static_cast<ssize_t>(sizeof port));
  char ack = 0;
  ASSERT_EQ(read(from_child[0], &ack, 1), 1);  // descriptors exhausted
  RawConn c(port);  // completes in the listen backlog; accept() fails with EMFILE
  ASSERT_TRUE(c.ok());
  c.Send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  double cpu0 = testing::ProcessCpuSeconds(pid);
  auto t0 = std::chrono::steady_clock::now();
  c.ReadUntilContains("served", std::chrono::milliseconds(1500));
  EXPECT_EQ(c.received(), "") << "answered without a descriptor?";
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = testing::ProcessCpuSeconds(pid) - cpu0;
  std::cout << "server CPU " << cpu << " s over " << wall << " s wall while out of descriptors\n";
  EXPECT_LT(cpu, wall * 0.9);  // sanity bound: a spinning accept loop uses a whole core
  char cmd = 'f';
  ASSERT_EQ(write(to_child[1], &cmd, 1), 1);
  auto rs = SplitResponses(c.ReadToEof(std::chrono::seconds(20)));
  ASSERT_EQ(rs.size(), 1u) << c.received();
  EXPECT_EQ(rs[0].body, "served");
  cmd = 'q';
  ASSERT_EQ(write(to_child[1], &cmd, 1), 1);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  close(to_child[1]);
  close(from_child[0]);
}

TEST(HttpLimits, EffectiveConnectionCapStaysBelowTheDescriptorLimit) {
  EXPECT_EQ(EffectiveConnectionCap(1024, 256), 192);       // 256 - 64
  EXPECT_EQ(EffectiveConnectionCap(1024, 1024), 768);      // 1024 - 256
  EXPECT_EQ(EffectiveConnectionCap(1024, 1 << 20), 1024);  // the configured cap
  EXPECT_EQ(EffectiveConnectionCap(100, -1), 100);         // unknown limit
  EXPECT_EQ(EffectiveConnectionCap(1024, 10), 1);          // never below one
}

TEST(HttpLimits, RaiseFileLimitReachesTheHardLimit) {
  long got = RaiseFileLimit();
  struct rlimit rl;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  EXPECT_EQ(rl.rlim_cur, rl.rlim_max);
  if (rl.rlim_cur != RLIM_INFINITY) {
    EXPECT_EQ(got, static_cast<long>(rl.rlim_cur));
  }
}

TEST(HttpFraming, Rules) {
  using H = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(FramingError(H{}, 11), "");
  EXPECT_EQ(FramingError(H{{"Transfer-Encoding", "chunked"}}, 11), "");
  EXPECT_EQ(FramingError(H{{"transfer-encoding", " CHUNKED "}}, 11), "");
  EXPECT_EQ(FramingError(H{{"Content-Length", "5"}, {"content-length", "5"}}, 10), "");
  EXPECT_EQ(FramingError(H{{"Content-Length", "5, 5"}}, 11), "");
  EXPECT_NE(FramingError(H{{"Transfer-Encoding", "chunked"}}, 10), "");
  EXPECT_NE(FramingError(H{{"Transfer-Encoding", "chunked, identity"}}, 11), "");
  EXPECT_NE(FramingError(H{{"Transfer-Encoding", "xchunked"}}, 11), "");
  EXPECT_NE(FramingError(H{{"Transfer-Encoding", ""}}, 11), "");
  EXPECT_NE(FramingError(H{{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}, 11),
            "");
  EXPECT_NE(FramingError(H{{"Transfer-Encoding", "chunked"}, {"Content-Length", "0"}}, 11), "");
  EXPECT_NE(FramingError(H{{"Content-Length", "5"}, {"Content-Length", "6"}}, 11), "");
  EXPECT_NE(FramingError(H{{"Content-Length", "5,"}}, 11), "");
  EXPECT_NE(FramingError(H{{"Content-Length", "+5"}}, 11), "");
  EXPECT_NE(FramingError(H{{"Content-Length", ""}}, 11), "");
}

}  // namespace
}  // namespace herald::http
