#include "http/http.h"

#include <sys/resource.h>

#include <algorithm>

#include "common/strings.h"

namespace herald::http {

void Request::SetTarget(std::string raw_target) {
  target = std::move(raw_target);
  size_t q = target.find('?');
  path = UrlDecode(std::string_view(target).substr(0, q));
  query = q == std::string::npos ? std::string() : target.substr(q + 1);
  query_params = Params::Parse(query);
}

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (EqualsIgnoreCase(k, name)) return v;
  return {};
}

bool Request::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (EqualsIgnoreCase(k, name)) return true;
  return false;
}

std::string CookieValue(std::string_view header, std::string_view name) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t semi = header.find(';', pos);
    if (semi == std::string_view::npos) semi = header.size();
    std::string_view part = header.substr(pos, semi - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name)
      return std::string(part.substr(eq + 1));
    pos = semi + 1;
  }
  return "";
}

long RaiseFileLimit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
  if (rl.rlim_cur < rl.rlim_max) {
    struct rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  if (rl.rlim_cur == RLIM_INFINITY) return 1L << 30;
  return static_cast<long>(rl.rlim_cur);
}

int EffectiveConnectionCap(int max_connections, long fd_limit) {
  long cap = max_connections > 0 ? max_connections : (1L << 30);
  if (fd_limit >= 0) {
    long reserve = std::max(kMinFdReserve, fd_limit / 4);
    cap = std::min(cap, fd_limit - reserve);
  }
  return static_cast<int>(std::clamp<long>(cap, 1, 1L << 30));
}

std::string FramingError(const HeaderList& headers, int version) {
  int te_fields = 0;
  bool te_chunked = false, has_length = false;
  std::string length;
  for (const auto& [name, value] : headers) {
    if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      ++te_fields;
      std::string_view v = TrimBlanks(value);
      te_chunked = EqualsIgnoreCase(v, "chunked");
    } else if (EqualsIgnoreCase(name, "Content-Length")) {
      // A comma-separated list is allowed only when every element is the same number.
      std::string_view v = value;
      while (true) {
        size_t comma = v.find(',');
        std::string_view item = TrimBlanks(v.substr(0, comma));
        if (item.empty() || item.size() > 19 ||
            !std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; }))
          return "invalid Content-Length";
        if (has_length && item != length) return "conflicting Content-Length values";
        length = std::string(item);
        has_length = true;
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
      }
    }
  }
  if (te_fields == 0) return "";
  if (version < 11) return "Transfer-Encoding is not allowed in HTTP/1.0";
  if (has_length) return "Transfer-Encoding together with Content-Length";
  if (te_fields > 1 || !te_chunked)
    return "unsupported Transfer-Encoding (only chunked is accepted)";
  return "";
}

}  // namespace herald::http
