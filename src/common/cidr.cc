#include "common/cidr.h"
#include "common/strings.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace herald {
namespace {

bool IsMapped(const uint8_t* b) {
  for (int i = 0; i < 10; ++i)
    if (b[i] != 0) return false;
  return b[10] == 0xff && b[11] == 0xff;
}

IpAddress V4(const uint8_t* b) {
  IpAddress a;
  a.v6 = false;
  std::memcpy(a.bytes.data(), b, 4);
  return a;
}

IpAddress V6OrMapped(const uint8_t* b) {
  if (IsMapped(b)) return V4(b + 12);
  IpAddress a;
  a.v6 = true;
  std::memcpy(a.bytes.data(), b, 16);
  return a;
}

// Keeps the first `prefix` bits of `a`, zeroes the rest.
IpAddress Mask(IpAddress a, int prefix) {
  for (int i = 0; i < 16; ++i) {
    int keep = prefix - i * 8;
    if (keep >= 8) continue;
    a.bytes[i] = keep <= 0 ? 0 : static_cast<uint8_t>(a.bytes[i] & (0xFF << (8 - keep)));
  }
  return a;
}

}  // namespace

bool IpAddress::IsUnspecified() const {
  for (int i = 0; i < (v6 ? 16 : 4); ++i)
    if (bytes[i] != 0) return false;
  return true;
}

bool IpAddress::IsLoopback() const {
  if (!v6) return bytes[0] == 127;
  for (int i = 0; i < 15; ++i)
    if (bytes[i] != 0) return false;
  return bytes[15] == 1;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf)) return "?";
  return buf;
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  uint8_t buf[16];
  // inet_pton(AF_INET) accepts exactly a.b.c.d in decimal (no octal, hex or shorthand forms).
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), buf) != 1) return std::nullopt;
    return V4(buf);
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) != 1) return std::nullopt;
  return V6OrMapped(buf);
}

std::optional<IpAddress> IpFromSockaddr(const sockaddr* sa, socklen_t len, uint16_t* port) {
  if (!sa) return std::nullopt;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    if (port) *port = ntohs(in->sin_port);
    return V4(reinterpret_cast<const uint8_t*>(&in->sin_addr));
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (port) *port = ntohs(in6->sin6_port);
    return V6OrMapped(reinterpret_cast<const uint8_t*>(&in6->sin6_addr));
  }
  return std::nullopt;
}

bool Cidr::Contains(const IpAddress& addr) const {
  if (addr.v6 != base.v6) return false;
  return Mask(addr, prefix) == base;
}

std::string Cidr::ToString() const { return base.ToString() + "/" + std::to_string(prefix); }

Result<Cidr> ParseCidr(std::string_view raw) {
  std::string_view text = TrimBlanks(raw);
  auto bad = [&](const std::string& why) {
    return Status::Error(Code::kInvalidArgument, "'" + std::string(raw) + "' " + why);
  };
  if (text.empty()) return bad("is not a network (expected ADDRESS/PREFIX, e.g. 10.0.0.0/8)");
  size_t slash = text.find('/');
  std::string_view addr_text = text.substr(0, slash);
  // A mapped network is written in IPv6 and may only be read as IPv4 once its prefix is known.
  bool written_v6 = addr_text.find(':') != std::string_view::npos;
  std::optional<IpAddress> addr = ParseIpAddress(addr_text);
  if (!addr)
    return bad("is not a network: '" + std::string(addr_text) +
               "' is not an IP address (expected ADDRESS/PREFIX, e.g. 10.0.0.0/8 or fd00::/8)");
  int written_bits = written_v6 ? 128 : 32;
  int prefix = written_bits;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) return bad("has an invalid prefix length");
    prefix = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return bad("has an invalid prefix length");
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > written_bits)
      return bad("has a prefix length above " + std::to_string(written_bits));
  }
  if (written_v6 && !addr->v6) {
    // ::ffff:a.b.c.d/N: only prefixes that stay inside the mapped range describe IPv4 networks.
    if (prefix < 96)
      return bad("mixes IPv4-mapped and other IPv6 addresses (use a prefix of 96 or more)");
    prefix -= 96;
  }
  Cidr c;
  c.prefix = prefix;
  c.base = Mask(*addr, prefix);
  if (!(c.base == *addr)) return bad("has host bits set; did you mean " + c.ToString() + "?");
  return c;
}

Result<NetworkList> NetworkList::Parse(const std::vector<std::string>& entries) {
  NetworkList list;
  for (const std::string& e : entries) {
    if (TrimBlanks(e).empty()) continue;
    Result<Cidr> c = ParseCidr(e);
    if (!c.ok()) return c.status();
    list.nets_.push_back(*c);
  }
  return list;
}

const Cidr* NetworkList::Find(const IpAddress& addr) const {
  for (const Cidr& c : nets_)
    if (c.Contains(addr)) return &c;
  return nullptr;
}

bool NetworkList::Contains(const IpAddress& addr) const { return Find(addr) != nullptr; }

}  // namespace herald
