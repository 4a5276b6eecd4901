#include "delivery/net_guard.h"

#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>
#include <optional>
#include <tuple>

namespace herald::delivery {
namespace {

IpAddress LoopbackOf(const IpAddress& a) {
  IpAddress l;
  l.v6 = a.v6;
  if (a.v6) l.bytes[15] = 1;
  else {
    l.bytes[0] = 127;
    l.bytes[3] = 1;
  }
  return l;
}

// The IPv4 address carried in an IPv6 address that can deliver to it: the NAT64 well-known
// prefix 64:ff9b::/96 and the deprecated IPv4-compatible ::a.b.c.d (not :: and ::1).
std::optional<IpAddress> EmbeddedV4(const IpAddress& a) {
  if (!a.v6) return std::nullopt;
  static const uint8_t kNat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  bool nat64 = std::memcmp(a.bytes.data(), kNat64, 12) == 0;
  bool compat = true;
  for (int i = 0; i < 12; ++i) compat = compat && a.bytes[i] == 0;
  if (compat && (a.IsUnspecified() || a.IsLoopback())) compat = false;
  if (!nat64 && !compat) return std::nullopt;
  IpAddress v4;
  std::memcpy(v4.bytes.data(), a.bytes.data() + 12, 4);
  return v4;
}

// Every address `host` resolves to (numeric forms included), or the resolver's error.
Status Resolve(const std::string& host, std::vector<IpAddress>* out) {
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(h.c_str(), nullptr, &hints, &res);
  if (rc != 0) return Status::Error(Code::kUnavailable, gai_strerror(rc));
  for (addrinfo* ai = res; ai; ai = ai->ai_next)
    if (auto a = IpFromSockaddr(ai->ai_addr, ai->ai_addrlen, nullptr)) out->push_back(*a);
  freeaddrinfo(res);
  if (out->empty()) return Status::Error(Code::kUnavailable, "no IPv4 or IPv6 address");
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<NetGuard>> NetGuard::Create(const std::vector<std::string>& deny,
                                                   const std::vector<std::string>& allow) {
  std::shared_ptr<NetGuard> g(new NetGuard());
  for (const auto& [option, texts, list] :
       {std::tuple{"delivery.deny_networks", &deny, &g->deny_},
        std::tuple{"delivery.allow_networks", &allow, &g->allow_}}) {
    Result<NetworkList> parsed = NetworkList::Parse(*texts);
    if (!parsed.ok())
      return Status::Error(Code::kConfig, std::string(option) + ": " + parsed.status().message());
    *list = std::move(*parsed);
  }
  return g;
}

void NetGuard::SetSelf(const std::string& host, uint16_t port) {
  std::vector<IpAddress> addrs;
  bool any = false;
  std::optional<IpAddress> literal = ParseIpAddress(host);
  if (host.empty() || (literal && literal->IsUnspecified())) {
    any = true;
    ifaddrs* ifs = nullptr;
    if (getifaddrs(&ifs) == 0) {
      for (ifaddrs* i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr) continue;
        socklen_t len =
            i->ifa_addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
        if (auto a = IpFromSockaddr(i->ifa_addr, len, nullptr)) addrs.push_back(*a);
      }
      freeifaddrs(ifs);
    }
  } else if (literal) {
    addrs.push_back(*literal);
  } else {
    Status st = Resolve(host, &addrs);
    (void)st;  // an unresolvable listen host cannot be listened on either
  }
  std::lock_guard<std::mutex> lock(self_mu_);
  self_port_ = port;
  self_any_ = any;
  self_addrs_ = std::move(addrs);
}

bool NetGuard::IsSelf(const IpAddress& addr, uint16_t port) const {
  std::lock_guard<std::mutex> lock(self_mu_);
  if (self_port_ == 0 || port != self_port_) return false;
  // 0.0.0.0 and :: connect to this host: they reach whatever listens on the port.
  if (addr.IsUnspecified()) return true;
  if (self_any_ && addr.IsLoopback()) return true;
  for (const IpAddress& a : self_addrs_)
    if (a == addr) return true;
  return false;
}

std::string NetGuard::CheckNetworks(const IpAddress& shown, const IpAddress& judged) const {
  if (const Cidr* c = deny_.Find(judged))
    return "destination " + shown.ToString() + " is in a denied network (" + c->ToString() + ")";
  if (!allow_.empty() && !allow_.Contains(judged))
    return "destination " + shown.ToString() +
           " is not in an allowed network (delivery.allow_networks)";
  return "";
}

std::string NetGuard::Check(const IpAddress& addr, uint16_t port) const {
  if (IsSelf(addr, port))
    return "destination " + addr.ToString() + ":" + std::to_string(port) +
           " is Herald's own listen address";
  std::string err = CheckNetworks(addr, addr);
  if (err.empty() && addr.IsUnspecified()) err = CheckNetworks(addr, LoopbackOf(addr));
  if (err.empty())
    if (std::optional<IpAddress> v4 = EmbeddedV4(addr)) err = CheckNetworks(addr, *v4);
  return err;
}

std::string NetGuard::CheckSockaddr(const sockaddr* sa, socklen_t len) const {
  uint16_t port = 0;
  std::optional<IpAddress> a = IpFromSockaddr(sa, len, &port);
  if (!a) return "destination has an unsupported address family (only IPv4 and IPv6 are allowed)";
  return Check(*a, port);
}

std::string NetGuard::CheckHost(const std::string& host, uint16_t port) const {
  std::vector<IpAddress> addrs;
  Status st = Resolve(host, &addrs);
  if (!st.ok()) return "Failed to resolve host '" + host + "' (" + st.message() + ")";
  for (const IpAddress& a : addrs) {
    std::string err = Check(a, port);
    if (!err.empty()) return err;
  }
  return "";
}

}  // namespace herald::delivery
