#include "http/http.h"

#include <strings.h>
#include <sys/resource.h>

#include <algorithm>

namespace herald::http {

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  return {};
}

bool Request::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return true;
  return false;
}

std::vector<std::pair<std::string, std::string>> Request::query_params() const {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i <= query.size() && !query.empty()) {
    size_t amp = query.find('&', i);
    if (amp == std::string::npos) amp = query.size();
    std::string_view part(query.data() + i, amp - i);
    if (!part.empty()) {
      size_t eq = part.find('=');
      if (eq == std::string_view::npos) out.emplace_back(UrlDecode(part, true), "");
      else out.emplace_back(UrlDecode(part.substr(0, eq), true), UrlDecode(part.substr(eq + 1), true));
    }
    i = amp + 1;
  }
  return out;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  for (auto& [k, v] : query_params())
    if (k == name) return v;
  return std::nullopt;
}

Response Response::Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::Text(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

std::string UrlDecode(std::string_view s, bool form) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else if (form && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
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

namespace {

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool NameIs(const std::string& name, std::string_view want) {
  return name.size() == want.size() && strncasecmp(name.data(), want.data(), want.size()) == 0;
}

}  // namespace

std::string FramingError(const std::vector<std::pair<std::string, std::string>>& headers,
                         int version) {
  int te_fields = 0;
  bool te_chunked = false, has_length = false;
  std::string length;
  for (const auto& [name, value] : headers) {
    if (NameIs(name, "Transfer-Encoding")) {
      ++te_fields;
      std::string_view v = TrimOws(value);
      te_chunked = v.size() == 7 && strncasecmp(v.data(), "chunked", 7) == 0;
    } else if (NameIs(name, "Content-Length")) {
      // A comma-separated list is allowed only when every element is the same number.
      std::string_view v = value;
      while (true) {
        size_t comma = v.find(',');
        std::string_view item = TrimOws(v.substr(0, comma));
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
  if (te_fields > 1 || !te_chunked) return "unsupported Transfer-Encoding (only chunked is accepted)";
  return "";
}

}  // namespace herald::http
