// Network guard: which addresses webhook deliveries may connect to (SSRF protection).
//
// A webhook's URL is a template filled from event data, and its receiver may answer with a
// redirect, so the address a delivery reaches is chosen by admins, producers and receivers.
// The guard decides on the *resolved address of every connection* (the transport asks it from
// libcurl's open-socket hook, for the first hop and every redirect, and for the target host
// itself when a proxy is used), so host names that resolve to a denied address and the
// numeric shorthands "2130706433", "0x7f000001", "127.1" or "0" are judged by the address they
// reach, never by their spelling.
//
// The rules, in order:
//   1. Herald's own listen address and port (SetSelf) is refused: that one address:port pair, or
//      every local address with that port when Herald listens on 0.0.0.0 or ::.
//   2. An address in any deny network is refused ("destination A is in a denied network (N)").
//      Deny always wins over allow.
//   3. When the allow list is non-empty, an address in none of its networks is refused
//      ("destination A is not in an allowed network").
//   4. Everything else is allowed (internal destinations included: NetBox users notify
//      internal systems).
// IPv4-mapped IPv6 addresses are judged as the IPv4 address; the unspecified addresses
// 0.0.0.0 and :: (which connect to this host) are judged as 127.0.0.1 and ::1 as well, and
// NAT64 (64:ff9b::/96) and IPv4-compatible (::a.b.c.d) addresses as their IPv4 address as well.
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/cidr.h"
#include "common/status.h"

namespace herald::delivery {

// The default of delivery.deny_networks: link-local (IPv4 and IPv6) and the AWS IPv6 metadata
// address. 169.254.169.254 (every cloud's IPv4 metadata service) is inside 169.254.0.0/16.
inline constexpr const char* kDefaultDenyNetworks = "169.254.0.0/16,fe80::/10,fd00:ec2::254/128";

class NetGuard {
 public:
  // Builds a guard from CIDR texts (ParseCidr). Errors: kConfig naming the option
  // (delivery.deny_networks or delivery.allow_networks) and the bad entry.
  static Result<std::shared_ptr<NetGuard>> Create(const std::vector<std::string>& deny,
                                                  const std::vector<std::string>& allow);

  // Records Herald's own listen address: `host` is a literal address or a name (resolved now,
  // every address kept); 0.0.0.0, :: and "" mean every local address (loopback, the unspecified
  // address and the addresses of this machine's interfaces at the time of the call). Port 0 is
  // ignored. May be called again (e.g. once the real port is known); replaces the earlier entry.
  void SetSelf(const std::string& host, uint16_t port);

  // The refusal message for a connection to addr:port, or "" when it is allowed.
  std::string Check(const IpAddress& addr, uint16_t port) const;

  // Check() for a socket address (AF_INET/AF_INET6); other families are refused.
  std::string CheckSockaddr(const sockaddr* sa, socklen_t len) const;

  // Resolves `host` (a literal, a numeric shorthand or a name; "[v6]" brackets allowed) with the
  // system resolver — this BLOCKS for as long as DNS takes, so call it off latency-sensitive
  // threads — and checks every address it resolves to with `port`. Returns "" when all are
  // allowed, else the refusal message (or "Failed to resolve host 'h' (...)").
  std::string CheckHost(const std::string& host, uint16_t port) const;

  const std::vector<Cidr>& deny() const { return deny_.networks(); }
  const std::vector<Cidr>& allow() const { return allow_.networks(); }

 private:
  NetGuard() = default;
  std::string CheckNetworks(const IpAddress& shown, const IpAddress& judged) const;
  bool IsSelf(const IpAddress& addr, uint16_t port) const;

  NetworkList deny_;
  NetworkList allow_;

  mutable std::mutex self_mu_;
  uint16_t self_port_ = 0;
  bool self_any_ = false;              // listening on every local address
  std::vector<IpAddress> self_addrs_;  // the listen addresses (or the local ones when self_any_)
};

}  // namespace herald::delivery
