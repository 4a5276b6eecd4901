// A raw TCP client for HTTP tests: sends exact bytes (smuggling payloads, partial headers) and
// reads with deadlines, so tests see precisely what the server wrote and when it closed.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "loopback.h"

namespace herald::testing {

class RawConn {
 public:
  // Connects to 127.0.0.1:port (ok() is false when that fails).
  explicit RawConn(int port) : fd_(ConnectLoopback(static_cast<uint16_t>(port))) {}
  ~RawConn() { Close(); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;
  RawConn(RawConn&& o) noexcept : fd_(o.fd_), eof_(o.eof_), in_(std::move(o.in_)) { o.fd_ = -1; }

  bool ok() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  // Sends everything (false if the peer closed or reset).
  bool Send(std::string_view data) { return SendAll(fd_, data); }

  // Reads until pred(received so far) holds, the peer closes, or the deadline passes.
  const std::string& ReadUntil(const std::function<bool(const std::string&)>& pred,
                               std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (!eof_ && !pred(in_)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[65536];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) eof_ = true;
      else in_.append(buf, static_cast<size_t>(n));
    }
    return in_;
  }
  // Reads until the peer closes (or the deadline).
  const std::string& ReadToEof(std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    return ReadUntil([](const std::string&) { return false; }, deadline);
  }
  // Reads until `needle` has arrived.
  const std::string& ReadUntilContains(
      std::string_view needle, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    return ReadUntil([needle](const std::string& s) { return s.find(needle) != std::string::npos; },
                     deadline);
  }
  bool eof() const { return eof_; }
  const std::string& received() const { return in_; }

 private:
  int fd_ = -1;
  bool eof_ = false;
  std::string in_;
};

struct RawResponse {
  int status = 0;
  std::string head;  // status line and header fields
  std::string body;
};

// Splits a byte stream into responses (Content-Length framing; `no_body` for answers to HEAD).
// Stops at the first incomplete response.
inline std::vector<RawResponse> SplitResponses(std::string_view s, bool no_body = false) {
  std::vector<RawResponse> out;
  while (s.rfind("HTTP/1.1 ", 0) == 0) {
    size_t end = s.find("\r\n\r\n");
    if (end == std::string_view::npos) break;
    RawResponse r;
    r.head = std::string(s.substr(0, end + 2));
    r.status = std::atoi(std::string(s.substr(9, 3)).c_str());
    size_t len = 0;
    std::string lower;
    for (char c : r.head) lower += static_cast<char>(tolower(static_cast<unsigned char>(c)));
    if (auto p = lower.find("\r\ncontent-length:"); p != std::string::npos)
      len = static_cast<size_t>(std::atol(lower.c_str() + p + 17));
    if (no_body || r.status / 100 == 1) len = 0;
    if (s.size() < end + 4 + len) break;
    r.body = std::string(s.substr(end + 4, len));
    out.push_back(std::move(r));
    s.remove_prefix(end + 4 + len);
  }
  return out;
}

// Sends `head` (a request head asking for 100-continue) on `c` and reads the first answer's
// head. When that is "HTTP/1.1 100 Continue", sends `body` and reads until a second, final
// answer is complete. Returns what arrived before the body would be sent (the interim answer,
// or a refusal); c.received() then holds everything read.
inline std::string SendExpectingContinue(RawConn& c, std::string_view head, std::string_view body) {
  c.Send(head);
  std::string interim = c.ReadUntilContains("\r\n\r\n");
  if (interim != "HTTP/1.1 100 Continue\r\n\r\n") return interim;
  c.Send(body);
  c.ReadUntil([](const std::string& s) { return SplitResponses(s).size() >= 2; });
  return interim;
}

}  // namespace herald::testing
