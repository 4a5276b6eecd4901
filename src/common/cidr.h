// IP addresses and CIDR networks: strict parsing, formatting and prefix matching for IPv4 and
// IPv6. Used by the delivery network guard (delivery.deny_networks / allow_networks) and by
// anything else that compares addresses with configured ranges.
//
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are the IPv4 address a.b.c.d everywhere here: the
// parsers unmap them, and a mapped network (::ffff:0:0/96 and longer prefixes) becomes the
// IPv4 network it covers, so a rule written for IPv4 also holds for the mapped form.
// Pure functions, no I/O, thread-safe.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace herald {

struct IpAddress {
  bool v6 = false;
  // Network byte order. IPv4 uses bytes[0..3]; the rest stays zero.
  std::array<uint8_t, 16> bytes{};

  // Number of address bits: 32 or 128.
  int bits() const { return v6 ? 128 : 32; }
  // 0.0.0.0 or ::.
  bool IsUnspecified() const;
  // 127.0.0.0/8 or ::1.
  bool IsLoopback() const;
  bool operator==(const IpAddress& o) const { return v6 == o.v6 && bytes == o.bytes; }
  // Dotted quad for IPv4, RFC 5952 text for IPv6 (e.g. "fe80::1").
  std::string ToString() const;
};

// Parses a literal address: IPv4 as exactly four decimal parts ("127.0.0.1"; the inet_aton
// shorthands "127.1", "0x7f000001" and "2130706433" are refused, as is a zone id "fe80::1%eth0"),
// or IPv6 text ("::1", "[::1]" is refused). A mapped IPv6 address comes back as IPv4.
std::optional<IpAddress> ParseIpAddress(std::string_view text);

// The address of a socket address (AF_INET or AF_INET6; mapped IPv6 comes back as IPv4) and its
// port (host byte order). Nullopt for other families or a too-short length.
std::optional<IpAddress> IpFromSockaddr(const sockaddr* sa, socklen_t len, uint16_t* port);

struct Cidr {
  IpAddress base;  // host bits are zero
  int prefix = 0;  // 0..base.bits()

  // True when `addr` (same family; mapped IPv6 must already be unmapped, as the parsers do) lies
  // in this network. /0 holds every address of its family.
  bool Contains(const IpAddress& addr) const;
  // "169.254.0.0/16", "fe80::/10".
  std::string ToString() const;
};

// Parses "ADDRESS/PREFIX" or a bare ADDRESS (a /32 or /128 network). Leading and trailing ASCII
// whitespace is ignored. Errors (type "InvalidNetwork", message naming the input): not an
// address, prefix not a decimal number in 0..32 (IPv4) or 0..128 (IPv6), or host bits set after
// the prefix ("10.1.2.3/8 has host bits set; did you mean 10.0.0.0/8?").
Result<Cidr> ParseCidr(std::string_view text);

// A list of networks from configuration (delivery.deny_networks, server.trusted_proxies, ...):
// addresses and CIDR ranges, each parsed with ParseCidr. Immutable once built; thread-safe.
class NetworkList {
 public:
  NetworkList() = default;
  // Parses every entry; blank entries are skipped. Errors: the first bad entry's ParseCidr error.
  static Result<NetworkList> Parse(const std::vector<std::string>& entries);
  // True when `addr` lies in one of the networks.
  bool Contains(const IpAddress& addr) const;
  // The first network holding `addr`, or nullptr.
  const Cidr* Find(const IpAddress& addr) const;
  bool empty() const { return nets_.empty(); }
  const std::vector<Cidr>& networks() const { return nets_; }

 private:
  std::vector<Cidr> nets_;
};

}  // namespace herald
