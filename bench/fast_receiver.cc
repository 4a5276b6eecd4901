// fast_receiver: a minimal epoll HTTP/1.1 keep-alive sink used as the target of delivery
// benchmarks (not a test: it asserts nothing).
//
// Workload it serves: any number of keep-alive connections on 127.0.0.1; every complete request
// (head + Content-Length body; pipelining allowed) is answered with
// "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", after --delay-ms if given (delayed answers
// wait in a per-thread timer queue, so nothing blocks). N threads share one listening socket
// (EPOLLEXCLUSIVE). Prints "PORT <n>" when ready and "REQUESTS <n>" when it exits, which is after
// --seconds (default 60, at most 3600) or on SIGTERM/SIGINT.
//
//   fast_receiver [--port 0] [--threads 1] [--delay-ms 0] [--seconds 60]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "receiver_util.h"

namespace {

constexpr size_t kMaxBufferedBytes = 1 << 20;  // per connection; more closes the connection
constexpr int kMaxEvents = 256;
constexpr int kMaxSeconds = 3600;
constexpr char kResponse[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

std::atomic<bool> g_stop{false};
std::atomic<uint64_t> g_requests{0};

void OnSignal(int) { g_stop = true; }

using Clock = std::chrono::steady_clock;

struct Conn {
  uint64_t id = 0;
  std::string in;
  std::string out;
  bool want_write = false;
};

struct Due {
  Clock::time_point at;
  int fd;
  uint64_t id;
};

class Worker {
 public:
  Worker(int listen_fd, int delay_ms) : listen_fd_(listen_fd), delay_(delay_ms) {
    ep_ = epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.fd = listen_fd_;
    epoll_ctl(ep_, EPOLL_CTL_ADD, listen_fd_, &ev);
  }
  ~Worker() {
    for (auto& [fd, c] : conns_) close(fd);
    close(ep_);
  }

  void Run(Clock::time_point deadline) {
    epoll_event events[kMaxEvents];
    while (!g_stop && Clock::now() < deadline) {
      int timeout = 100;
      if (!due_.empty()) {
        auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(due_.front().at - Clock::now())
                .count();
        timeout = static_cast<int>(std::max<long long>(0, std::min<long long>(ms, 100)));
      }
      int n = epoll_wait(ep_, events, kMaxEvents, timeout);
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == listen_fd_) {
          AcceptAll();
          continue;
        }
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
          if (!ReadFrom(fd)) continue;
        }
        if (events[i].events & EPOLLOUT) Flush(fd);
      }
      FireDue();
    }
  }

 private:
  void AcceptAll() {
    while (true) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.fd = fd;
      epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
      Conn& c = conns_[fd];
      c = Conn{};
      c.id = ++next_id_;
    }
  }

  void Close(int fd) {
    epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns_.erase(fd);
  }

  // Returns false if the connection was closed.
  bool ReadFrom(int fd) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) return false;
    Conn& c = it->second;
    char buf[16384];
    while (true) {
      ssize_t r = recv(fd, buf, sizeof buf, 0);
      if (r > 0) {
        c.in.append(buf, static_cast<size_t>(r));
        if (c.in.size() > kMaxBufferedBytes) {
          Close(fd);
          return false;
        }
        continue;
      }
      if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        Close(fd);
        return false;
      }
      break;
    }
    // Complete requests.
    size_t answered = 0;
    while (true) {
      size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) break;
      size_t length = 0;
      size_t p = 0;
      while ((p = c.in.find('\n', p)) != std::string::npos && p < end) {
        ++p;
        if (end - p >= 15 && strncasecmp(c.in.data() + p, "content-length:", 15) == 0)
          length = std::strtoul(c.in.c_str() + p + 15, nullptr, 10);
      }
      if (c.in.size() < end + 4 + length) break;
      c.in.erase(0, end + 4 + length);
      g_requests.fetch_add(1, std::memory_order_relaxed);
      if (delay_ > 0) {
        due_.push_back({Clock::now() + std::chrono::milliseconds(delay_), fd, c.id});
      } else {
        ++answered;
      }
    }
    for (size_t i = 0; i < answered; ++i) c.out.append(kResponse, sizeof kResponse - 1);
    if (answered) return Flush(fd);
    return true;
  }

  bool Flush(int fd) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) return false;
    Conn& c = it->second;
    while (!c.out.empty()) {
      ssize_t w = send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (w > 0) {
        c.out.erase(0, static_cast<size_t>(w));
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Close(fd);
      return false;
    }
    bool want = !c.out.empty();
    if (want != c.want_write) {
      c.want_write = want;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP | (want ? static_cast<uint32_t>(EPOLLOUT) : 0u);
      ev.data.fd = fd;
      epoll_ctl(ep_, EPOLL_CTL_MOD, fd, &ev);
    }
    return true;
  }

  void FireDue() {
    auto now = Clock::now();
    while (!due_.empty() && due_.front().at <= now) {
      Due d = due_.front();
      due_.pop_front();
      auto it = conns_.find(d.fd);
      if (it == conns_.end() || it->second.id != d.id) continue;
      it->second.out.append(kResponse, sizeof kResponse - 1);
      Flush(d.fd);
    }
  }

  int listen_fd_;
  int delay_;
  int ep_;
  uint64_t next_id_ = 0;
  std::unordered_map<int, Conn> conns_;
  std::deque<Due> due_;  // constant delay, so FIFO order is time order
};

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> o;
  if (!herald::bench::ParseOptions(argc, argv, {"--port", "--threads", "--delay-ms", "--seconds"},
                                   &o))
    return 2;
  auto number = [&o](const char* name, int fallback, int lo, int hi) {
    return o.count(name) ? std::max(lo, std::min(std::atoi(o[name].c_str()), hi)) : fallback;
  };
  const int port = number("--port", 0, 0, 65535), threads = number("--threads", 1, 1, 64);
  const int delay_ms = number("--delay-ms", 0, 0, 1 << 30);
  const int seconds = number("--seconds", 60, 1, kMaxSeconds);
  herald::bench::HandleStopSignals(OnSignal);
  const int fd =
      herald::bench::ListenAndAnnounce(port, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 65535);
  if (fd < 0) return 1;

  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([fd, delay_ms, deadline] {
      Worker w(fd, delay_ms);
      w.Run(deadline);
    });
  for (auto& t : pool) t.join();
  close(fd);
  std::printf("REQUESTS %llu\n", static_cast<unsigned long long>(g_requests.load()));
  std::fflush(stdout);
  return 0;
}
