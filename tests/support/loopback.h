// Loopback sockets for tests: every server a test starts listens on a 127.0.0.0/8 address and a
// port the kernel picks (port 0), and every client connects there, so tests never collide on a
// fixed port and never leave the machine.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::testing {

// A TCP socket (close-on-exec, SO_REUSEADDR) bound to `host` (an IPv4 literal in 127.0.0.0/8)
// and a port the kernel picks, not yet listening; *port receives the port. -1 on failure.
int BindLoopback(const std::string& host, uint16_t* port);

// BindLoopback and listen(backlog); -1 on failure.
int ListenLoopback(const std::string& host, uint16_t* port, int backlog = 1024);

// A port on 127.0.0.1 nothing listens on: bound, then closed (another process may take it
// later, so use it only where a refused connection is the point).
uint16_t UnusedLoopbackPort();

// A TCP connection to 127.0.0.1:port, with `receive_timeout` on reads when non-zero; -1 when
// it fails.
int ConnectLoopback(uint16_t port, std::chrono::seconds receive_timeout = {});

// Sends all of `data` (MSG_NOSIGNAL); false when the peer closed or reset first.
bool SendAll(int fd, std::string_view data);

}  // namespace herald::testing
