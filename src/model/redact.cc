// Which headers are credentials, and how they are hidden. See redact.h.
#include "model/redact.h"

#include <array>

#include "common/strings.h"

namespace herald {

namespace {

// Names matched exactly (lowercase).
constexpr std::array<std::string_view, 5> kCredentialNames = {
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"};
// A name containing any of these (lowercase) is a credential.
constexpr std::array<std::string_view, 10> kCredentialParts = {
    "auth",   "token",      "key",     "secret", "password",
    "passwd", "credential", "session", "cookie", "signature"};
// The delivery engine's signature header (delivery::kSignatureHeader), lowercase.
constexpr std::string_view kSignatureHeaderLower = "x-hook-signature";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

bool IsCredentialHeader(std::string_view name) {
  std::string l = AsciiLower(Trim(name));
  for (auto n : kCredentialNames)
    if (l == n) return true;
  for (auto p : kCredentialParts)
    if (l.find(p) != std::string::npos) return true;
  return false;
}

bool IsSensitiveHeader(std::string_view name) {
  return IsCredentialHeader(name) || AsciiLower(Trim(name)) == kSignatureHeaderLower;
}

std::vector<std::pair<std::string, std::string>> RedactHeaders(
    std::vector<std::pair<std::string, std::string>> headers) {
  for (auto& [name, value] : headers)
    if (IsSensitiveHeader(name)) value = std::string(kRedacted);
  return headers;
}

Value RedactHeaderDict(const Value& headers) {
  if (!headers.is_dict()) return Value(std::string(kRedacted));
  Dict out;
  for (const auto& [k, v] : headers.as_dict()) {
    const std::string name = k.str();
    out.set(name, IsSensitiveHeader(name) ? Value(std::string(kRedacted)) : v);
  }
  return Value(std::move(out));
}

std::string RedactHeaderTemplate(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    bool last = nl == std::string_view::npos;
    std::string_view line = text.substr(pos, last ? std::string_view::npos : nl - pos);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view name = line.substr(0, colon);
      bool templated = name.find('{') != std::string_view::npos;
      if ((templated || IsSensitiveHeader(name)) && !Trim(line.substr(colon + 1)).empty()) {
        out.append(name);
        out.append(": ");
        out.append(kRedacted);
        if (!line.empty() && line.back() == '\r') out.push_back('\r');
      } else {
        out.append(line);
      }
    } else {
      out.append(line);
    }
    if (last) break;
    out.push_back('\n');
    pos = nl + 1;
  }
  return out;
}

namespace {

bool IsCredentialParam(std::string_view name) {
  const std::string l = AsciiLower(name);
  return l == "sig" || l == "code" || IsCredentialHeader(name);
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  std::string out;
  out.reserve(url.size());
  const size_t scheme = url.find("://");
  const size_t auth_start = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t auth_end = url.find_first_of("/?#", auth_start);
  if (auth_end == std::string_view::npos) auth_end = url.size();
  const std::string_view authority = url.substr(auth_start, auth_end - auth_start);
  out.append(url.substr(0, auth_start));
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos) {
    out.append(authority);
  } else {
    const size_t colon = authority.substr(0, at).find(':');
    if (colon != std::string_view::npos) out.append(authority.substr(0, colon + 1));
    out.append(kRedacted);
    out.append(authority.substr(at));
  }
  size_t query = url.find('?', auth_end);
  size_t fragment = url.find('#', auth_end);
  if (query != std::string_view::npos && fragment != std::string_view::npos && fragment < query)
    query = std::string_view::npos;  // a '?' inside the fragment
  if (fragment == std::string_view::npos) fragment = url.size();
  if (query == std::string_view::npos) {
    out.append(url.substr(auth_end));
    return out;
  }
  out.append(url.substr(auth_end, query + 1 - auth_end));
  std::string_view params = url.substr(query + 1, fragment - query - 1);
  while (true) {
    const size_t amp = params.find('&');
    const std::string_view param = params.substr(0, amp);
    const size_t eq = param.find('=');
    if (eq != std::string_view::npos && eq + 1 < param.size() &&
        IsCredentialParam(param.substr(0, eq))) {
      out.append(param.substr(0, eq + 1));
      out.append(kRedacted);
    } else {
      out.append(param);
    }
    if (amp == std::string_view::npos) break;
    out.push_back('&');
    params.remove_prefix(amp + 1);
  }
  out.append(url.substr(fragment));
  return out;
}

}  // namespace herald
