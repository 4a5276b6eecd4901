// webhook_receiver: exact printed output (SPEC §6 + text-body improvements) over real loopback
// HTTP, concurrency without interleaving, and survival of malformed input.
#include "receiver/receiver.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "support/loopback.h"
#include "support/wait.h"

namespace herald::receiver {
namespace {

using namespace std::chrono_literals;
constexpr auto kDeadline = 30s;

class Running {
 public:
  explicit Running(ReceiverOptions o)
      : receiver_(
            [&] {
              o.port = 0;
              return o;
            }(),
            out_) {
    Status st = receiver_.Start();
    EXPECT_TRUE(st.ok()) << st.ToString();
    thread_ = std::thread([this] { receiver_.Run(); });
  }
  ~Running() {
    receiver_.Stop();
    thread_.join();
  }
  uint16_t port() const { return receiver_.port(); }
  // POSTs `body` as `type` to /hook and returns the raw answer.
  std::string Post(const std::string& type, const std::string& body);
  // Waits until n requests were printed, then returns the output with dates replaced by DATE.
  std::string Output(uint64_t n) {
    EXPECT_TRUE(testing::WaitFor([&] { return receiver_.completed() >= n; }, kDeadline));
    static const std::regex kDate(
        R"(\] [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT )");
    return std::regex_replace(out_.str(), kDate, "] DATE ");
  }

 private:
  std::ostringstream out_;
  Receiver receiver_;
  std::thread thread_;
};

// Sends raw bytes, half-closes, reads the answer until the server closes.
std::string Exchange(uint16_t port, const std::string& bytes) {
  int fd = testing::ConnectLoopback(port, kDeadline);
  if (fd < 0) return "";
  testing::SendAll(fd, bytes);
  ::shutdown(fd, SHUT_WR);  // the request is complete (or abandoned): the server sees EOF
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return got;
}

std::string StatusLine(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}
std::string Body(const std::string& response) {
  size_t p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

std::string Running::Post(const std::string& type, const std::string& body) {
  return Exchange(port(), "POST /hook HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port()) +
                              "\r\nContent-Type: " + type + "\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
}

// What the receiver prints for request number `n` with `request_line`: the block's first line,
// `content` (headers and body as printed), and the closing lines.
std::string Printed(int n, const std::string& request_line, const std::string& content) {
  const std::string num = std::to_string(n);
  return "[" + num + "] DATE 127.0.0.1 \"" + request_line + "\" 200 -\n" + content +
         "Completed request #" + num + "\n------------\n";
}

// Options that print requests without their headers.
ReceiverOptions WithoutHeaders() {
  ReceiverOptions o;
  o.show_headers = false;
  return o;
}

TEST(Receiver, JsonBodyIsPrettyPrinted) {
  Running r({});
  std::string body =
      R"({"event": "created", "data": {"name": "Site \u00e9", "raw": "é", "tags": [], "n": 1.5, "o": {}}})";
  std::string resp = r.Post("application/json", body);
  EXPECT_EQ(StatusLine(resp), "HTTP/1.0 200 OK");
  EXPECT_EQ(Body(resp), "Webhook received!\n");
  std::string port = std::to_string(r.port());
  EXPECT_EQ(r.Output(1), Printed(1, "POST /hook HTTP/1.1",
                                 "Host: 127.0.0.1:" + port +
                                     "\n"
                                     "Content-Type: application/json\n"
                                     "Content-Length: " +
                                     std::to_string(body.size()) +
                                     "\n"
                                     "\n"
                                     "{\n"
                                     "    \"event\": \"created\",\n"
                                     "    \"data\": {\n"
                                     "        \"name\": \"Site \\u00e9\",\n"
                                     "        \"raw\": \"\\u00e9\",\n"
                                     "        \"tags\": [],\n"
                                     "        \"n\": 1.5,\n"
                                     "        \"o\": {}\n"
                                     "    }\n"
                                     "}\n"));
}

TEST(Receiver, NoBodyAndCounter) {
  Running r({});
  Exchange(r.port(), "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Token:  spaced value \r\n\r\n");
  Exchange(r.port(), "DELETE /b HTTP/1.0\r\n\r\n");
  EXPECT_EQ(r.Output(2),
            Printed(1, "GET /a?b=1 HTTP/1.1", "Host: x\nX-Token: spaced value\n\n(No body)\n") +
                Printed(2, "DELETE /b HTTP/1.0", "\n(No body)\n"));
}

TEST(Receiver, NoHeadersOption) {
  Running r(WithoutHeaders());
  r.Post("application/json", "[1, 2]");
  EXPECT_EQ(r.Output(1), Printed(1, "POST /hook HTTP/1.1", "[\n    1,\n    2\n]\n"));
}

// Python's json.loads and json.dumps(indent=4): ints of any size printed exactly, floats past the
// double range as Infinity, NaN as NaN.
TEST(Receiver, BigIntsAndSpecialFloatsPrintAsPythonDoes) {
  Running r(WithoutHeaders());
  r.Post("application/json",
         R"({"id": 18446744073709551616, "neg": [-98765432109876543210987654321], "f": 1e400, )"
         R"("n": NaN})");
  EXPECT_EQ(r.Output(1), Printed(1, "POST /hook HTTP/1.1",
                                 "{\n"
                                 "    \"id\": 18446744073709551616,\n"
                                 "    \"neg\": [\n"
                                 "        -98765432109876543210987654321\n"
                                 "    ],\n"
                                 "    \"f\": Infinity,\n"
                                 "    \"n\": NaN\n"
                                 "}\n"));
}

TEST(Receiver, TextAndInvalidJsonBodiesArePrintedAsText) {
  Running r(WithoutHeaders());
  r.Post("text/plain", "hello\r\nworld\x01");
  std::string out1 = r.Output(1);
  EXPECT_EQ(out1, Printed(1, "POST /hook HTTP/1.1", "hello\nworld\\x01\n"));
  r.Post("application/json", "{not json");
  std::string out2 = r.Output(2).substr(out1.size());
  EXPECT_EQ(out2.rfind("[2] DATE 127.0.0.1 \"POST /hook HTTP/1.1\" 200 -\n(invalid JSON: ", 0), 0u)
      << out2;
  EXPECT_NE(out2.find(")\n{not json\nCompleted request #2\n------------\n"), std::string::npos)
      << out2;
  // A charset parameter is not "exactly application/json": printed as text.
  r.Post("application/json; charset=utf-8", "{\"a\": 1}");
  std::string out3 = r.Output(3).substr(out1.size() + out2.size());
  EXPECT_NE(out3.find("\n{\"a\": 1}\nCompleted request #3\n"), std::string::npos) << out3;
  // Content-Length: 0.
  r.Post("application/json", "");
  EXPECT_NE(r.Output(4).find("(Empty body)\nCompleted request #4\n"), std::string::npos);
  // Invalid UTF-8 is replaced, not fatal.
  r.Post("text/plain", "caf\xc3\xa9 \xff");
  EXPECT_NE(r.Output(5).find("caf\xc3\xa9 \xef\xbf\xbd\nCompleted request #5\n"),
            std::string::npos);
}

TEST(Receiver, StatusOption) {
  ReceiverOptions o;
  o.status = 500;
  Running r(o);
  std::string resp = Exchange(r.port(), "PUT / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(StatusLine(resp), "HTTP/1.0 500 Internal Server Error");
  EXPECT_EQ(Body(resp), "Webhook received!\n");
  EXPECT_NE(r.Output(1).find("\"PUT / HTTP/1.1\" 500 -\n"), std::string::npos);
}

TEST(Receiver, ConcurrentRequestsAreNeverInterleaved) {
  Running r({});
  constexpr int kClients = 24;
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      std::string body =
          "{\"client\": " + std::to_string(i) + ", \"pad\": \"" + std::string(5000, 'x') + "\"}";
      if (StatusLine(r.Post("application/json", body)) == "HTTP/1.0 200 OK") ok++;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), kClients);
  std::string out = r.Output(kClients);
  // Blocks appear in order 1..n, each one whole.
  std::istringstream in(out);
  std::string line;
  int expect = 1;
  bool inside = false;
  std::vector<bool> seen(kClients, false);
  std::regex client_re(R"(^    "client": (\d+),$)");
  while (std::getline(in, line)) {
    if (line.rfind("[", 0) == 0 && line.find("] DATE") != std::string::npos) {
      EXPECT_FALSE(inside) << "block started inside another";
      EXPECT_EQ(line.rfind("[" + std::to_string(expect) + "]", 0), 0u);
      inside = true;
    } else if (line.rfind("Completed request #", 0) == 0) {
      EXPECT_TRUE(inside);
      EXPECT_EQ(line, "Completed request #" + std::to_string(expect));
      inside = false;
      expect++;
    }
    std::smatch m;
    if (std::regex_match(line, m, client_re)) seen[std::stoi(m[1])] = true;
  }
  EXPECT_EQ(expect, kClients + 1);
  for (int i = 0; i < kClients; ++i) EXPECT_TRUE(seen[i]) << i;
}

TEST(Receiver, MalformedInputIsRejectedAndServerKeepsWorking) {
  Running r({});
  EXPECT_EQ(StatusLine(Exchange(r.port(), std::string("\x00\xff\x01garbage\r\n\r\n", 14))),
            "HTTP/1.0 400 Bad Request");
  EXPECT_EQ(StatusLine(Exchange(r.port(), "GARBAGE\r\n\r\n")), "HTTP/1.0 400 Bad Request");
  EXPECT_EQ(StatusLine(Exchange(r.port(),
                                "GET / HTTP/1.1\r\nX: " + std::string(100000, 'a') + "\r\n\r\n")),
            "HTTP/1.0 431 Request Header Fields Too Large");
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 200; ++i) many += "H" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(StatusLine(Exchange(r.port(), many + "\r\n")),
            "HTTP/1.0 431 Request Header Fields Too Large");
  EXPECT_EQ(
      StatusLine(Exchange(r.port(), "POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n")),
      "HTTP/1.0 413 Request Entity Too Large");
  EXPECT_EQ(
      StatusLine(Exchange(r.port(), "POST / HTTP/1.1\r\nContent-Length: 9999999999999\r\n\r\n")),
      "HTTP/1.0 400 Bad Request");
  EXPECT_EQ(StatusLine(Exchange(r.port(), "POST / HTTP/1.1\r\nContent-Length: 17000000\r\n\r\n")),
            "HTTP/1.0 413 Request Entity Too Large");
  EXPECT_EQ(StatusLine(Exchange(r.port(), "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n")),
            "HTTP/1.0 400 Bad Request");
  // A client that connects and leaves, and one that sends half a head and then closes.
  Exchange(r.port(), "");
  Exchange(r.port(), "POST / HTTP/1.1\r\nContent-Len");
  Exchange(r.port(), "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  // Nothing of the above was printed; a good request is number 1.
  EXPECT_EQ(StatusLine(Exchange(r.port(), "GET /ok HTTP/1.1\r\n\r\n")), "HTTP/1.0 200 OK");
  EXPECT_EQ(r.Output(1).rfind("[1] DATE 127.0.0.1 \"GET /ok HTTP/1.1\" 200 -\n", 0), 0u);
}

TEST(Receiver, SlowClientDoesNotBlockOthers) {
  Running r({});
  int slow = testing::ConnectLoopback(r.port());
  ASSERT_GE(slow, 0);
  std::string partial = "POST /slow HTTP/1.1\r\nContent-Length: 5\r\n\r\nab";
  ASSERT_GT(::send(slow, partial.data(), partial.size(), 0), 0);
  EXPECT_EQ(StatusLine(Exchange(r.port(), "GET /fast HTTP/1.1\r\n\r\n")), "HTTP/1.0 200 OK");
  EXPECT_NE(r.Output(1).find("GET /fast"), std::string::npos);
  ::send(slow, "cde", 3, 0);
  std::string out = r.Output(2);
  EXPECT_NE(out.find("[2] DATE 127.0.0.1 \"POST /slow HTTP/1.1\""), std::string::npos);
  ::close(slow);
}

TEST(Receiver, PortInUseIsAnError) {
  Running first({});
  std::ostringstream out;
  ReceiverOptions o;
  o.port = first.port();
  Receiver second(o, out);
  Status st = second.Start();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kUnavailable);
}

TEST(FormatRequest, PureFormatting) {
  ReceivedRequest req;
  req.client_ip = "127.0.0.1";
  req.request_line = "POST / HTTP/1.1";
  req.headers = {{"Content-Type", "application/json"}, {"Content-Length", "2"}};
  req.has_content_length = true;
  req.body = "{}";
  EXPECT_EQ(FormatRequest(7, "Fri, 27 Nov 2026 08:33:53 GMT", 200, req, true),
            "[7] Fri, 27 Nov 2026 08:33:53 GMT 127.0.0.1 \"POST / HTTP/1.1\" 200 -\n"
            "Content-Type: application/json\nContent-Length: 2\n\n{}\n"
            "Completed request #7\n------------\n");
  EXPECT_EQ(HttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(HttpDate(1795768433), "Fri, 27 Nov 2026 08:33:53 GMT");
}

}  // namespace
}  // namespace herald::receiver
