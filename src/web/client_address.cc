// Client addresses behind trusted reverse proxies. See client_address.h.
#include "web/client_address.h"

#include "common/strings.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

namespace herald::web {

namespace {

// An address as a header or the peer gives it: "1.2.3.4", "::1", "::ffff:1.2.3.4" or "[::1]",
// with surrounding blanks; nullopt for anything else.
std::optional<IpAddress> ParseHop(std::string_view text) {
  text = TrimBlanks(text);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  return ParseIpAddress(text);
}

}  // namespace

std::string ClientAddress(const http::Request& req, const NetworkList& trusted) {
  auto peer = ParseHop(req.remote);
  if (!peer) return req.remote;
  if (trusted.empty() || !trusted.Contains(*peer)) return peer->ToString();
  // Every X-Forwarded-For entry, left to right, over all such headers.
  std::vector<std::string_view> hops;
  for (const auto& [name, value] : req.headers) {
    if (!EqualsIgnoreCase(name, "X-Forwarded-For")) continue;
    std::string_view v = value;
    size_t pos = 0;
    while (pos <= v.size()) {
      size_t comma = v.find(',', pos);
      if (comma == std::string_view::npos) comma = v.size();
      hops.push_back(TrimBlanks(v.substr(pos, comma - pos)));
      pos = comma + 1;
    }
  }
  IpAddress client = *peer;  // the nearest trusted hop so far
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto hop = ParseHop(*it);
    if (!hop) break;  // garbage: believe nothing to its left
    client = *hop;
    if (!trusted.Contains(*hop)) break;
  }
  return client.ToString();
}

std::string ClientKey(const std::string& address) {
  auto ip = ParseHop(address);
  if (!ip || !ip->v6) return address;
  std::fill(ip->bytes.begin() + 8, ip->bytes.end(), 0);
  return ip->ToString() + "/64";
}

}  // namespace herald::web
