// Client addresses behind trusted reverse proxies. See client_address.h.
#include "web/client_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace herald::web {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsCI(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  text = Trim(text);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  IpAddress a;
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    a.bytes[10] = a.bytes[11] = 0xff;
    std::memcpy(a.bytes.data() + 12, buf, 4);
    a.v4 = true;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    std::memcpy(a.bytes.data(), buf, 16);
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    a.v4 = std::memcmp(buf, kMapped, 12) == 0;
    return a;
  }
  return std::nullopt;
}

std::string IpAddress::ToString() const {
  char out[INET6_ADDRSTRLEN] = {0};
  if (v4)
    inet_ntop(AF_INET, bytes.data() + 12, out, sizeof out);
  else
    inet_ntop(AF_INET6, bytes.data(), out, sizeof out);
  return out;
}

Result<NetworkList> NetworkList::Parse(const std::vector<std::string>& entries) {
  NetworkList list;
  for (const std::string& raw : entries) {
    std::string_view e = Trim(raw);
    if (e.empty()) continue;
    auto bad = [&](const std::string& why) {
      return Status::Error("InvalidArgument",
                           "'" + std::string(e) + "' is not an address or CIDR range: " + why);
    };
    size_t slash = e.find('/');
    auto ip = IpAddress::Parse(e.substr(0, slash));
    if (!ip) return bad("bad address");
    // The prefix counts IPv4 bits for dotted-quad text, IPv6 bits otherwise (::ffff:a.b.c.d/n).
    const bool v4_text = e.substr(0, slash).find(':') == std::string_view::npos;
    Net n;
    n.base = *ip;
    if (slash != std::string_view::npos) {
      std::string_view bits = e.substr(slash + 1);
      if (bits.empty() || bits.size() > 3) return bad("bad prefix length");
      int b = 0;
      for (char c : bits) {
        if (c < '0' || c > '9') return bad("bad prefix length");
        b = b * 10 + (c - '0');
      }
      if (b > (v4_text ? 32 : 128)) return bad("prefix length too large");
      n.prefix_bits = v4_text ? 96 + b : b;
    }
    // Clear the host bits so that "10.1.2.3/8" means 10.0.0.0/8.
    for (int i = 0; i < 16; ++i) {
      int keep = std::min(8, std::max(0, n.prefix_bits - i * 8));
      n.base.bytes[i] &= static_cast<uint8_t>(keep == 0 ? 0 : (0xff << (8 - keep)) & 0xff);
    }
    list.nets_.push_back(n);
  }
  return list;
}

bool NetworkList::Contains(const IpAddress& a) const {
  for (const Net& n : nets_) {
    bool match = true;
    for (int i = 0; i < 16 && match; ++i) {
      int keep = std::min(8, std::max(0, n.prefix_bits - i * 8));
      if (keep == 0) break;
      uint8_t mask = static_cast<uint8_t>((0xff << (8 - keep)) & 0xff);
      match = (a.bytes[i] & mask) == n.base.bytes[i];
    }
    if (match) return true;
  }
  return false;
}

std::string ClientAddress(const http::Request& req, const NetworkList& trusted) {
  auto peer = IpAddress::Parse(req.remote);
  if (!peer) return req.remote;
  if (trusted.empty() || !trusted.Contains(*peer)) return peer->ToString();
  // Every X-Forwarded-For entry, left to right, over all such headers.
  std::vector<std::string_view> hops;
  for (const auto& [name, value] : req.headers) {
    if (!EqualsCI(name, "X-Forwarded-For")) continue;
    std::string_view v = value;
    size_t pos = 0;
    while (pos <= v.size()) {
      size_t comma = v.find(',', pos);
      if (comma == std::string_view::npos) comma = v.size();
      hops.push_back(Trim(v.substr(pos, comma - pos)));
      pos = comma + 1;
    }
  }
  IpAddress client = *peer;  // the nearest trusted hop so far
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto hop = IpAddress::Parse(*it);
    if (!hop) break;  // garbage: believe nothing to its left
    client = *hop;
    if (!trusted.Contains(*hop)) break;
  }
  return client.ToString();
}

std::string ClientKey(const std::string& address) {
  auto ip = IpAddress::Parse(address);
  if (!ip || ip->v4) return address;
  std::fill(ip->bytes.begin() + 8, ip->bytes.end(), 0);
  return ip->ToString() + "/64";
}

}  // namespace herald::web
