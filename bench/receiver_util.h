// Start-up shared by the benchmark receivers (bench/fast_receiver, bench/tls_receiver): their
// "--name value" options, their signal handling, and the loopback listening socket whose port
// they announce on stdout as "PORT <n>" (the line bench_util.h's callers wait for).
// Header-only; benchmarks only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>

namespace herald::bench {

// Reads "--name value" pairs into *out; false, with a message on stderr, on a name not in `known`.
inline bool ParseOptions(int argc, char** argv, const std::set<std::string>& known,
                         std::map<std::string, std::string>* out) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (!known.count(a)) {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return false;
    }
    (*out)[a] = argv[i + 1];
  }
  return true;
}

// SIGTERM and SIGINT call `on_stop`; SIGPIPE is ignored.
inline void HandleStopSignals(void (*on_stop)(int)) {
  signal(SIGTERM, on_stop);
  signal(SIGINT, on_stop);
  signal(SIGPIPE, SIG_IGN);
}

// A socket of `type` (SOCK_STREAM with flags) listening on 127.0.0.1:`port` (0: any free port),
// announced as "PORT <n>" on stdout; -1, with the reason on stderr, when it cannot listen.
inline int ListenAndAnnounce(int port, int type, int backlog) {
  const int fd = socket(AF_INET, type, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, backlog) != 0) {
    std::perror("bind/listen");
    close(fd);
    return -1;
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("PORT %d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  return fd;
}

}  // namespace herald::bench
