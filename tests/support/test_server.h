// A tiny real HTTP/1.1 server on a loopback address and a free port, for tests of HTTP clients
// (the delivery transport, the network guard end to end): thread per connection, keep-alive,
// Content-Length bodies. Records every request with its raw head and tracks the highest number
// of requests it was handling at once.
#pragma once

#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "loopback.h"

namespace herald::testing {

struct ServerRequest {
  std::string method, target, raw_head, body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(const std::string& name) const {
    for (auto& [k, v] : headers)
      if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
    return "";
  }
  bool has(const std::string& name) const {
    for (auto& [k, v] : headers)
      if (strcasecmp(k.c_str(), name.c_str()) == 0) return true;
    return false;
  }
};

struct ServerResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool never_answer = false;           // hold the connection open without answering
  std::chrono::milliseconds delay{0};  // answer after this long
  bool close = false;
};

class TestServer {
 public:
  using Handler = std::function<ServerResponse(const ServerRequest&)>;

  // Listens on `host` (an IPv4 loopback literal, e.g. "127.0.0.2") and a free port.
  explicit TestServer(Handler handler, std::string host = "127.0.0.1")
      : handler_(std::move(handler)), host_(std::move(host)) {
    listen_fd_ = ListenLoopback(host_, &port_);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~TestServer() { Stop(); }

  void Stop() {
    if (stopped_.exchange(true)) return;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
      threads.swap(threads_);
    }
    cv_.notify_all();
    for (auto& t : threads) t.join();
  }

  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return "http://" + host_ + ":" + std::to_string(port_) + path;
  }
  std::vector<ServerRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  int max_concurrent() const { return max_concurrent_.load(); }
  int connections() const { return connections_.load(); }

 private:
  void AcceptLoop() {
    while (!stopped_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) {
        if (stopped_) return;
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) {
        ::close(fd);
        return;
      }
      connections_++;
      conn_fds_.push_back(fd);
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  static bool ReadMore(int fd, std::string& buf) {
    char tmp[16384];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
    return true;
  }

  void Serve(int fd) {
    std::string buf;
    while (!stopped_) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos)
        if (!ReadMore(fd, buf)) return Close(fd);
      ServerRequest req;
      req.raw_head = buf.substr(0, end + 4);
      size_t line_end = req.raw_head.find("\r\n");
      std::string line = req.raw_head.substr(0, line_end);
      size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
      req.method = line.substr(0, sp1);
      req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t pos = line_end + 2;
      size_t content_length = 0;
      while (pos < end) {
        size_t e = req.raw_head.find("\r\n", pos);
        std::string h = req.raw_head.substr(pos, e - pos);
        size_t colon = h.find(':');
        std::string name = h.substr(0, colon);
        std::string value = h.substr(colon + 1);
        while (!value.empty() && value[0] == ' ') value.erase(0, 1);
        if (strcasecmp(name.c_str(), "content-length") == 0) content_length = std::stoul(value);
        req.headers.emplace_back(name, value);
        pos = e + 2;
      }
      buf.erase(0, end + 4);
      while (buf.size() < content_length)
        if (!ReadMore(fd, buf)) return Close(fd);
      req.body = buf.substr(0, content_length);
      buf.erase(0, content_length);
      int now = ++concurrent_;
      int prev = max_concurrent_.load();
      while (now > prev && !max_concurrent_.compare_exchange_weak(prev, now)) {
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(req);
      }
      ServerResponse resp = handler_(req);
      if (resp.never_answer || resp.delay.count() > 0) {
        std::unique_lock<std::mutex> lock(mu_);
        if (resp.never_answer) cv_.wait(lock, [this] { return stopped_.load(); });
        else cv_.wait_for(lock, resp.delay, [this] { return stopped_.load(); });
      }
      --concurrent_;
      if (stopped_) return Close(fd);
      std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " X\r\n";
      bool has_length = false;
      for (auto& [k, v] : resp.headers) {
        out += k + ": " + v + "\r\n";
        if (strcasecmp(k.c_str(), "content-length") == 0) has_length = true;
      }
      if (!has_length) out += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n";
      if (resp.close) out += "Connection: close\r\n";
      out += "\r\n" + resp.body;
      if (req.method == "HEAD") out.resize(out.size() - resp.body.size());
      if (!SendAll(fd, out)) return Close(fd);
      if (resp.close) return Close(fd);
    }
    Close(fd);
  }

  void Close(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    conn_fds_.erase(std::remove(conn_fds_.begin(), conn_fds_.end(), fd), conn_fds_.end());
    ::close(fd);
  }

  Handler handler_;
  std::string host_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
  std::vector<int> conn_fds_;
  std::vector<ServerRequest> requests_;
  std::atomic<int> concurrent_{0};
  std::atomic<int> max_concurrent_{0};
  std::atomic<int> connections_{0};
};

// A handler that answers every request with `status`, `body` and `headers`, e.g.
//   TestServer redirector(Answer(302, "", {{"Location", "/next"}}));
inline TestServer::Handler Answer(int status = 200, std::string body = "",
                                  std::vector<std::pair<std::string, std::string>> headers = {}) {
  ServerResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return [r = std::move(r)](const ServerRequest&) { return r; };
}

// A handler that holds every request without answering (until the server stops).
inline TestServer::Handler NeverAnswer() {
  return [](const ServerRequest&) {
    ServerResponse r;
    r.never_answer = true;
    return r;
  };
}

// A handler that answers 200 to every request after `delay`.
inline TestServer::Handler AnswerAfter(std::chrono::milliseconds delay) {
  return [delay](const ServerRequest&) {
    ServerResponse r;
    r.delay = delay;
    return r;
  };
}

}  // namespace herald::testing
