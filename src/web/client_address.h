// The address of the client behind a request, for per-client limits (failed sign-ins) and logs.
//
// Without a reverse proxy the client is the TCP peer. Behind one, every request comes from the
// proxy's address, so the client is read from X-Forwarded-For, but only when the peer is a
// listed trusted proxy (server.trusted_proxies): anyone else could write any address there.
// The header is read right to left, skipping addresses of trusted proxies; the first untrusted
// one is the client (the left part of the header is whatever the client sent and is ignored).
//
// Pure functions over an immutable NetworkList (common/cidr.h); thread-safe.
#pragma once

#include <string>

#include "common/cidr.h"
#include "http/http.h"

namespace herald::web {

using herald::IpAddress;
using herald::NetworkList;

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
