// The address of the client behind a request, for per-client limits (failed sign-ins) and logs.
//
// Without a reverse proxy the client is the TCP peer. Behind one, every request comes from the
// proxy's address, so the client is read from X-Forwarded-For, but only when the peer is a
// listed trusted proxy (server.trusted_proxies): anyone else could write any address there.
// The header is read right to left, skipping addresses of trusted proxies; the first untrusted
// one is the client (the left part of the header is whatever the client sent and is ignored).
//
// Pure functions and an immutable NetworkList; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/http.h"

namespace herald::web {

// An IPv4 or IPv6 address. IPv4 and IPv4-mapped IPv6 (::ffff:a.b.c.d) are the same address.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};  // IPv4 as ::ffff:a.b.c.d
  bool v4 = false;

  // Parses "1.2.3.4", "::1", "::ffff:1.2.3.4" or "[::1]"; nullopt for anything else.
  static std::optional<IpAddress> Parse(std::string_view text);
  // Canonical text ("1.2.3.4", "::1").
  std::string ToString() const;
};

// A set of networks: addresses ("10.0.0.1", "::1") and CIDR ranges ("10.0.0.0/8", "fd00::/8").
class NetworkList {
 public:
  // Parses every entry; an error names the first bad entry ("InvalidArgument").
  static Result<NetworkList> Parse(const std::vector<std::string>& entries);
  bool Contains(const IpAddress& a) const;
  bool empty() const { return nets_.empty(); }

 private:
  struct Net {
    IpAddress base;
    int prefix_bits = 128;  // over the 16-byte form
  };
  std::vector<Net> nets_;
};

// The client address of `req` (canonical text): req.remote, or, when req.remote is in
// `trusted`, the right-most X-Forwarded-For entry that is not in `trusted` (every
// X-Forwarded-For header counts, in order). When the header is absent, or every entry in it is
// trusted, the left-most trusted hop is the client; an unparseable entry stops the walk at the
// hop after it. A peer that is not an IP address is returned as it is.
std::string ClientAddress(const http::Request& req, const NetworkList& trusted);

// The key under which per-client limits count `address` (as ClientAddress returns it): the
// address itself for IPv4, its /64 network for IPv6 ("2001:db8:1:2::/64"), since one host
// commonly holds a whole /64. Anything unparseable is its own key.
std::string ClientKey(const std::string& address);

}  // namespace herald::web
