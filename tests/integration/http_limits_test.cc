// The real `herald serve` against hostile connections: a low descriptor limit with 400 half-open
// connections, large bodies without credentials (refused before they are read, Expect:
// 100-continue answered only after authentication), request smuggling and HEAD.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "../unit/http/raw_client.h"
#include "harness.h"
#include "http/http.h"

namespace herald::testing {
namespace {

// Descriptor limit `herald serve` runs under in the half-open test, and the connections held.
constexpr int kServerFdLimit = 256;
constexpr int kHalfOpen = 400;

// Reads a whole file ("" when missing).
std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// `herald serve` started with RLIMIT_NOFILE lowered (soft and hard, like `ulimit -n`) in the
// child before exec; stdout is scanned for the port and the first admin token.
class LimitedServer {
 public:
  LimitedServer(const std::string& dir, int nofile) : err_path_(dir + "/server.err") {
    out_path_ = dir + "/server.out";
    std::string store = "sqlite://" + dir + "/herald.db";
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      struct rlimit rl = {static_cast<rlim_t>(nofile), static_cast<rlim_t>(nofile)};
      setrlimit(RLIMIT_NOFILE, &rl);
      int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(out, 1);
      dup2(err, 2);
      execl(HERALD_BIN, HERALD_BIN, "serve", "--listen", "127.0.0.1:0", "--store", store.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    std::regex listen_re(R"(listening on http://127\.0\.0\.1:(\d+)/)");
    std::regex token_re(R"(\n    ([0-9a-f]{40})\n)");
    Eventually([&] {
      std::string o = Slurp(out_path_);
      std::smatch m;
      if (!std::regex_search(o, m, listen_re)) return !alive();
      port_ = std::stoi(m.str(1));
      if (std::regex_search(o, m, token_re)) token_ = m.str(1);
      return true;
    }, std::chrono::seconds(30));
  }
  ~LimitedServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool alive() {
    if (pid_ <= 0) return false;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }
  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& token() const { return token_; }
  std::string Stderr() const { return Slurp(err_path_); }
  // User + system CPU seconds the process has used.
  double CpuSeconds() const {
    std::string stat = Slurp("/proc/" + std::to_string(pid_) + "/stat");
    auto paren = stat.rfind(')');
    if (paren == std::string::npos) return 0;
    std::istringstream in(stat.substr(paren + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14) utime = std::stol(field);
      if (i == 15) stime = std::stol(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string token_, out_path_, err_path_;
};

TEST(HttpLimits, HalfOpenConnectionsUnderALowDescriptorLimitDoNotStopService) {
  http::RaiseFileLimit();  // this test process holds 400+ sockets
  struct rlimit own;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &own), 0);
  if (own.rlim_cur < static_cast<rlim_t>(kHalfOpen + 100))
    GTEST_SKIP() << "this process may open only " << own.rlim_cur << " descriptors";
  TempDir dir;
  LimitedServer server(dir.path(), kServerFdLimit);
  ASSERT_GT(server.port(), 0) << server.Stderr();
  // The cap in force sits below the limit, with a reserve for the store and deliveries.
  EXPECT_NE(server.Stderr().find("max_connections=" +
                                 std::to_string(http::EffectiveConnectionCap(1024, kServerFdLimit))),
            std::string::npos)
      << server.Stderr();

  std::vector<RawConn> held;
  for (int i = 0; i < kHalfOpen; ++i) {
    held.emplace_back(server.port());
    ASSERT_TRUE(held.back().ok()) << "connection " << i;
    held.back().Send("POST /api/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le");
  }
  double cpu0 = server.CpuSeconds();
  auto t0 = std::chrono::steady_clock::now();
  // While they are held: status answers, and so does an authenticated request.
  auto status = Http("GET", server.base() + "/api/status/");
  EXPECT_EQ(status.status, 200) << status.error;
  auto hooks = Api("GET", server.base() + "/api/extras/webhooks/", server.token());
  EXPECT_EQ(hooks.status, 200) << hooks.error << hooks.body;
  // A bounded window of further status requests, then the CPU the server used meanwhile.
  for (int i = 0; i < 20; ++i) {
    auto s = Http("GET", server.base() + "/api/status/");
    ASSERT_EQ(s.status, 200) << "request " << i << ": " << s.error;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = server.CpuSeconds() - cpu0;
  ::testing::Test::RecordProperty("server_cpu_seconds", std::to_string(cpu));
  ::testing::Test::RecordProperty("wall_seconds", std::to_string(wall));
  std::cout << "server CPU " << cpu << " s over " << wall << " s wall with " << kHalfOpen
            << " half-open connections\n";
  // Sanity bound, not a timing threshold: a spinning accept loop uses a whole core.
  EXPECT_LT(cpu, wall * 0.9);
  EXPECT_TRUE(server.alive());
  EXPECT_NE(server.Stderr().find("connection limit reached"), std::string::npos);

  held.clear();
  EXPECT_TRUE(Eventually([&] { return Http("GET", server.base() + "/api/status/").status == 200; }));
  auto ingest = Api("POST", server.base() + "/api/events/", server.token(),
                    R"({"event": "created", "object_type": "dcim.site", "data": {"id": 1}})");
  EXPECT_EQ(ingest.status, 202) << ingest.body;
  EXPECT_TRUE(server.alive());
}

long RssKb(pid_t pid) {
  std::string s = Slurp("/proc/" + std::to_string(pid) + "/status");
  auto p = s.find("VmRSS:");
  return p == std::string::npos ? 0 : std::atol(s.c_str() + p + 6);
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
  // The server's pid: the one listening on our port is the harness child; find it by its log.
  pid_t pid = -1;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = Slurp(entry.path().string() + "/cmdline");
    if (cmd.find(dir_.path()) != std::string::npos && cmd.find("serve") != std::string::npos)
      pid = std::stoi(name);
  }
  ASSERT_GT(pid, 0);
  long before = RssKb(pid);
  std::vector<RawConn> conns;
  for (int i = 0; i < 40; ++i) {
    conns.emplace_back(server_->port());
    conns.back().Send("POST /api/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 9000000\r\n\r\n");
    conns.back().Send(std::string(64 * 1024, '{'));
  }
  for (auto& c : conns) {
    auto rs = SplitResponses(c.ReadUntilContains("\r\n\r\n{"));
    ASSERT_EQ(rs.size(), 1u) << c.received();
    EXPECT_EQ(rs[0].status, 403);
  }
  long after = RssKb(pid);
  ::testing::Test::RecordProperty("rss_growth_kb", std::to_string(after - before));
  std::cout << "server RSS " << before << " kB -> " << after << " kB\n";
  // Reading those bodies would take 40 x 9 MB; refusing them first takes next to nothing.
  EXPECT_LT(after - before, 64 * 1024);
}

TEST_F(HttpAuthFirst, AuthenticatedPostGetsContinueThenItsAnswer) {
  const std::string body = R"({"event": "created", "object_type": "dcim.site", "data": {"id": 7}})";
  RawConn c(server_->port());
  c.Send("POST /api/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Authorization: Token " + server_->admin_token() + "\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n\r\n");
  c.ReadUntilContains("\r\n\r\n");
  ASSERT_EQ(c.received(), "HTTP/1.1 100 Continue\r\n\r\n");
  c.Send(body);
  c.ReadUntil([](const std::string& s) { return SplitResponses(s).size() >= 2; });
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
  c.Send("POST /api/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nTransfer-Encoding: "
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
