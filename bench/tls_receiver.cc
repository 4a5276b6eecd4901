// tls_receiver: a minimal HTTPS/1.1 keep-alive sink on 127.0.0.1, the target of delivery_bench's
// "https" scenario (not a test: it asserts nothing).
//
// Workload it serves: up to 1,024 concurrent TLS connections, one blocking thread each (more are
// closed at once), using the PEM certificate and key given (delivery_bench makes a self-signed
// pair with openssl at run time). Every complete request (head + Content-Length body; pipelining
// allowed) is answered with "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", after --delay-ms if
// given. Prints "PORT <n>" when ready and "REQUESTS <n>" when it exits, which is after --seconds
// (default 60, at most 3600) or on SIGTERM/SIGINT. Simpler and slower than fast_receiver: with
// one thread per connection it suits tens of connections, not thousands.
//
//   tls_receiver --cert FILE --key FILE [--delay-ms 0] [--seconds 60]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>

#include "receiver_util.h"

namespace {

constexpr int kMaxConnections = 1024;
constexpr int kMaxSeconds = 3600;
constexpr size_t kMaxBufferedBytes = 1 << 20;  // per connection; more closes the connection
constexpr char kResponse[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

std::atomic<bool> g_stop{false};
std::atomic<uint64_t> g_requests{0};
std::atomic<int> g_open{0};

void OnSignal(int) { g_stop = true; }

// Length of the first complete request in `in`, 0 when it is not complete yet.
size_t CompleteRequest(const std::string& in) {
  const size_t head = in.find("\r\n\r\n");
  if (head == std::string::npos) return 0;
  size_t length = 0;
  for (size_t p = 0; p < head;) {
    const size_t eol = in.find("\r\n", p);
    if (eol - p > 15 && strncasecmp(in.data() + p, "content-length:", 15) == 0)
      length = std::strtoul(in.c_str() + p + 15, nullptr, 10);
    p = eol + 2;
  }
  return in.size() >= head + 4 + length ? head + 4 + length : 0;
}

// Serves one accepted connection until the client closes it, an error, or the stop flag.
void Serve(SSL_CTX* ctx, int fd, int delay_ms) {
  timeval tv{1, 0};  // reads wake up every second to notice the stop flag
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  std::string in;
  char buf[16384];
  if (SSL_accept(ssl) == 1) {
    while (!g_stop && in.size() < kMaxBufferedBytes) {
      const int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) {
        if (SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ) continue;  // timeout: check g_stop
        break;
      }
      in.append(buf, n);
      bool ok = true;
      for (size_t len = CompleteRequest(in); ok && len > 0; len = CompleteRequest(in)) {
        in.erase(0, len);
        if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        ok = SSL_write(ssl, kResponse, sizeof kResponse - 1) > 0;
        ++g_requests;
      }
      if (!ok) break;
    }
  }
  SSL_free(ssl);
  close(fd);
  --g_open;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> o;
  if (!herald::bench::ParseOptions(argc, argv, {"--cert", "--key", "--delay-ms", "--seconds"}, &o))
    return 2;
  const std::string cert = o["--cert"], key = o["--key"];
  const int delay_ms = std::max(0, std::atoi(o["--delay-ms"].c_str()));
  const int seconds =
      o.count("--seconds") ? std::clamp(std::atoi(o["--seconds"].c_str()), 1, kMaxSeconds) : 60;
  herald::bench::HandleStopSignals(OnSignal);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    ERR_print_errors_fp(stderr);
    return 1;
  }

  const int fd = herald::bench::ListenAndAnnounce(0, SOCK_STREAM | SOCK_CLOEXEC, 4096);
  if (fd < 0) return 1;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!g_stop && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    if (g_open >= kMaxConnections) {
      close(c);
      continue;
    }
    ++g_open;
    std::thread(Serve, ctx, c, delay_ms).detach();
  }
  g_stop = true;
  close(fd);
  std::printf("REQUESTS %llu\n", static_cast<unsigned long long>(g_requests.load()));
  std::fflush(stdout);
  _exit(0);  // serving threads are detached and may still hold the SSL_CTX
}
