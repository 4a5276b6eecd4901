#include "delivery/request.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "common/strings.h"

namespace herald::delivery {
namespace {

// Decodes one UTF-8 code point at s[i]; returns its length (1 for an invalid byte, which is then
// reported as U+FFFD-like value 0xFFFFFFFF so it never matches a separator or whitespace).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t n = 0;
  uint32_t v = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    v = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    v = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    v = c & 0x07;
  } else {
    *cp = 0xFFFFFFFF;
    return 1;
  }
  if (i + n > s.size()) {
    *cp = 0xFFFFFFFF;
    return 1;
  }
  for (size_t k = 1; k < n; ++k) {
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) {
      *cp = 0xFFFFFFFF;
      return 1;
    }
    v = (v << 6) | (d & 0x3F);
  }
  *cp = v;
  return n;
}

// Python str.splitlines() line boundaries.
bool IsLineBreak(uint32_t cp) {
  switch (cp) {
    case '\n': case '\r': case 0x0B: case 0x0C: case 0x1C: case 0x1D: case 0x1E:
    case 0x85: case 0x2028: case 0x2029:
      return true;
    default:
      return false;
  }
}

// Python str.isspace().
bool IsPyWhitespace(uint32_t cp) {
  if (cp >= 0x09 && cp <= 0x0D) return true;
  if (cp >= 0x1C && cp <= 0x20) return true;
  switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::string_view PyStrip(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    uint32_t cp;
    size_t n = DecodeUtf8(s, begin, &cp);
    if (!IsPyWhitespace(cp)) break;
    begin += n;
  }
  size_t end = begin;  // end of the last non-whitespace code point
  size_t i = begin;
  while (i < s.size()) {
    uint32_t cp;
    size_t n = DecodeUtf8(s, i, &cp);
    i += n;
    if (!IsPyWhitespace(cp)) end = i;
  }
  return s.substr(begin, end - begin);
}

std::string_view PyLStrip(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    uint32_t cp;
    size_t n = DecodeUtf8(s, begin, &cp);
    if (!IsPyWhitespace(cp)) break;
    begin += n;
  }
  return s.substr(begin);
}

std::vector<std::string_view> PySplitLines(std::string_view s) {
  std::vector<std::string_view> lines;
  size_t start = 0, i = 0;
  while (i < s.size()) {
    uint32_t cp;
    size_t n = DecodeUtf8(s, i, &cp);
    if (IsLineBreak(cp)) {
      lines.push_back(s.substr(start, i - start));
      if (cp == '\r' && i + 1 < s.size() && s[i + 1] == '\n') n = 2;
      i += n;
      start = i;
    } else {
      i += n;
    }
  }
  if (start < s.size()) lines.push_back(s.substr(start));
  return lines;
}

const char kHex[] = "0123456789abcdef";
const char kHexUpper[] = "0123456789ABCDEF";

// Python repr() of a str (enough for error messages: quotes, backslash escapes, controls).
std::string PyStrRepr(std::string_view s) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp;
    size_t n = DecodeUtf8(s, i, &cp);
    if (cp == '\\') out += "\\\\";
    else if (cp == static_cast<uint32_t>(quote)) (out += '\\') += quote;
    else if (cp == '\n') out += "\\n";
    else if (cp == '\r') out += "\\r";
    else if (cp == '\t') out += "\\t";
    else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0xFFFFFFFF) {
      uint32_t b = cp == 0xFFFFFFFF ? static_cast<unsigned char>(s[i]) : cp;
      out += "\\x";
      out += kHex[(b >> 4) & 0xF];
      out += kHex[b & 0xF];
    } else if (cp == 0x2028 || cp == 0x2029) {
      out += cp == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out += quote;
  return out;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// Characters urllib3 leaves alone in path/query/fragment (RFC 3986 pchar + '/' + '?'), plus the
// few more requests' requote_uri keeps ('[', ']', '#' in the query/fragment never reach here).
bool IsAllowedUrlChar(unsigned char c) {
  if (IsUnreserved(c)) return true;
  return std::strchr("!$&'()*+,;=:@/?", c) != nullptr && c != 0;
}

// Percent-encodes a path/query/fragment component: existing %XX kept (upper-cased, decoded when
// it stands for an unreserved character), stray '%' and disallowed bytes encoded.
std::string EncodeComponent(std::string_view s) {
  // urllib3 keeps existing %XX only when every '%' of the component starts one; otherwise every
  // '%' is encoded (so "a%2fb%zz" becomes "a%252fb%25zz").
  // Existing encodings are upper-cased first in both cases.
  std::string upper(s);
  size_t percents = 0, encodings = 0;
  for (size_t i = 0; i < upper.size(); ++i) {
    if (upper[i] != '%') continue;
    ++percents;
    if (i + 2 < upper.size() && IsHexDigit(upper[i + 1]) && IsHexDigit(upper[i + 2])) {
      ++encodings;
      for (size_t k = i + 1; k <= i + 2; ++k)
        if (upper[k] >= 'a' && upper[k] <= 'f') upper[k] = static_cast<char>(upper[k] - 'a' + 'A');
    }
  }
  s = upper;
  bool keep_encodings = percents == encodings;
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (keep_encodings && c == '%' && i + 2 < s.size() && IsHexDigit(s[i + 1]) &&
        IsHexDigit(s[i + 2])) {
      unsigned char decoded = static_cast<unsigned char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      if (IsUnreserved(decoded)) {
        out += static_cast<char>(decoded);
      } else {
        out += '%';
        out += kHexUpper[decoded >> 4];
        out += kHexUpper[decoded & 0xF];
      }
      i += 2;
    } else if (c != '%' && IsAllowedUrlChar(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHexUpper[c >> 4];
      out += kHexUpper[c & 0xF];
    }
  }
  return out;
}

// RFC 3986 §5.2.4 remove_dot_segments.
std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t i = 0;
  bool absolute = !path.empty() && path[0] == '/';
  if (absolute) i = 1;
  bool trailing_slash = false;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(i, slash - i);
    bool last = slash == path.size();
    if (seg == ".") {
      trailing_slash = last;
    } else if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
      trailing_slash = last;
    } else {
      segments.push_back(seg);
      trailing_slash = false;
    }
    i = slash + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t k = 0; k < segments.size(); ++k) {
    if (k) out += '/';
    out.append(segments[k]);
  }
  if (trailing_slash && (out.empty() || out.back() != '/')) out += '/';
  return out;
}

}  // namespace

uint32_t FirstLineBreak(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    uint32_t cp;
    size_t n = DecodeUtf8(text, i, &cp);
    if (IsLineBreak(cp)) return cp;
    i += n;
  }
  return 0;
}

std::string CodePointName(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", cp);
  return buf;
}

HeaderList ParseAdditionalHeaders(std::string_view rendered) {
  HeaderList out;
  for (std::string_view line : PySplitLines(rendered)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(PyStrip(line.substr(0, colon)));
    std::string value(PyStrip(line.substr(colon + 1)));
    bool replaced = false;
    for (auto& [n, v] : out) {
      if (n == name) {
        v = std::move(value);
        replaced = true;
        break;
      }
    }
    if (!replaced) out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

std::string SignBody(std::string_view secret, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  static const unsigned char kEmpty = 0;
  HMAC(EVP_sha512(),
       secret.empty() ? static_cast<const void*>(&kEmpty) : static_cast<const void*>(secret.data()), static_cast<int>(secret.size()),
       body.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(body.data()), body.size(),
       digest, &len);
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xF];
  }
  return hex;
}

Result<std::string> NormalizeUrl(std::string_view raw) {
  std::string_view url = PyLStrip(raw);
  std::string shown = PyStrRepr(url);
  // Scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":".
  size_t colon = url.find(':');
  bool has_scheme = false;
  if (colon != std::string_view::npos && colon > 0) {
    has_scheme = true;
    for (size_t i = 0; i < colon; ++i) {
      char c = url[i];
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
      if (!ok) has_scheme = false;
    }
  }
  std::string scheme = has_scheme ? AsciiLower(url.substr(0, colon)) : "";
  if (!has_scheme || (scheme != "http" && scheme != "https")) {
    // requests: a URL holding ':' is left alone (or parsed with its scheme) and then fails with
    // "No connection adapters"; anything else without a scheme is MissingSchema.
    if (colon != std::string_view::npos)
      return Status::Error(Code::kInvalidArgument, "InvalidSchema", "No connection adapters were found for " + shown);
    return Status::Error(Code::kInvalidArgument, "MissingSchema", "Invalid URL " + shown +
                                              ": No scheme supplied. Perhaps you meant https://" +
                                              std::string(url) + "?");
  }
  std::string_view rest = url.substr(colon + 1);
  if (rest.substr(0, 2) != "//")
    return Status::Error(Code::kInvalidArgument, "InvalidURL", "Invalid URL " + shown + ": No host supplied");
  rest.remove_prefix(2);
  size_t auth_end = rest.find_first_of("/?#");
  if (auth_end == std::string_view::npos) auth_end = rest.size();
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view tail = rest.substr(auth_end);

  std::string userinfo;
  size_t at = authority.rfind('@');
  std::string_view hostport = authority;
  if (at != std::string_view::npos) {
    userinfo = EncodeComponent(authority.substr(0, at));
    hostport = authority.substr(at + 1);
  }
  std::string_view host = hostport, port;
  if (!hostport.empty() && hostport[0] == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos)
      return Status::Error(Code::kInvalidArgument, "InvalidURL", "Failed to parse: " + std::string(url));
    host = hostport.substr(0, close + 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Status::Error(Code::kInvalidArgument, "InvalidURL", "Failed to parse: " + std::string(url));
      port = after.substr(1);
    }
  } else {
    size_t pc = hostport.rfind(':');
    if (pc != std::string_view::npos) {
      host = hostport.substr(0, pc);
      port = hostport.substr(pc + 1);
    }
  }
  if (host.empty())
    return Status::Error(Code::kInvalidArgument, "InvalidURL", "Invalid URL " + shown + ": No host supplied");
  if (host[0] == '*' || host[0] == '.')
    return Status::Error(Code::kInvalidArgument, "InvalidURL", "URL has an invalid label.");
  for (char c : host) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '%' || c == '/' || c == '\\')
      return Status::Error(Code::kInvalidArgument, "InvalidURL", "Failed to parse: " + std::string(url));
  }
  if (!port.empty()) {
    if (port.size() > 5) return Status::Error(Code::kInvalidArgument, "InvalidURL", "Failed to parse: " + std::string(url));
    long value = 0;
    for (char c : port) {
      if (c < '0' || c > '9')
        return Status::Error(Code::kInvalidArgument, "InvalidURL", "Failed to parse: " + std::string(url));
      value = value * 10 + (c - '0');
    }
    if (value > 65535) return Status::Error(Code::kInvalidArgument, "InvalidURL", "Failed to parse: " + std::string(url));
  }

  std::string_view path = tail, query, fragment;
  bool has_query = false, has_fragment = false;
  size_t hash = tail.find('#');
  if (hash != std::string_view::npos) {
    fragment = tail.substr(hash + 1);
    has_fragment = true;
    path = tail.substr(0, hash);
  }
  size_t q = path.find('?');
  if (q != std::string_view::npos) {
    query = path.substr(q + 1);
    has_query = true;
    path = path.substr(0, q);
  }

  std::string out = scheme + "://";
  if (at != std::string_view::npos) out += userinfo + "@";
  out += AsciiLower(host);
  if (!port.empty()) (out += ':') += std::string(port);
  std::string enc_path = RemoveDotSegments(EncodeComponent(path));
  out += enc_path.empty() ? "/" : enc_path;
  // urlunparse drops an empty query or fragment.
  if (has_query && !query.empty()) (out += '?') += EncodeComponent(query);
  if (has_fragment && !fragment.empty()) (out += '#') += EncodeComponent(fragment);
  return out;
}

std::string SuccessMessage(int status) {
  return "Status " + std::to_string(status) + " returned, webhook successfully processed.";
}

std::string PythonBytesRepr(std::string_view bytes) {
  bool has_single = bytes.find('\'') != std::string_view::npos;
  bool has_double = bytes.find('"') != std::string_view::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out = "b";
  out += quote;
  for (char ch : bytes) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\\') out += "\\\\";
    else if (c == static_cast<unsigned char>(quote)) (out += '\\') += quote;
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c < 0x20 || c >= 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

std::string FailureMessage(int status, std::string_view body) {
  return "Status " + std::to_string(status) + " returned with content '" +
         PythonBytesRepr(body.substr(0, kFailureContentLimit)) + "', webhook FAILED to process.";
}

bool ValidHeaderName(std::string_view name) {
  // requests: ^[^:\s][^:\r\n]*$
  if (name.empty()) return false;
  uint32_t first;
  DecodeUtf8(name, 0, &first);
  if (IsPyWhitespace(first)) return false;
  for (char c : name)
    if (c == ':' || c == '\r' || c == '\n') return false;
  return true;
}

bool ValidHeaderValue(std::string_view value) {
  // requests: ^\S[^\r\n]*$|^$
  if (value.empty()) return true;
  uint32_t first;
  DecodeUtf8(value, 0, &first);
  if (IsPyWhitespace(first)) return false;
  for (char c : value)
    if (c == '\r' || c == '\n') return false;
  return true;
}

Result<std::string> CheckHeader(std::string_view name, std::string_view value) {
  const char* kWhy = "Invalid leading whitespace, reserved character(s), or return character(s) "
                     "in header ";
  if (!ValidHeaderName(name))
    return Status::Error(Code::kInvalidArgument, "InvalidHeader", std::string(kWhy) + "name: " + PyStrRepr(name));
  if (!ValidHeaderValue(value))
    return Status::Error(Code::kInvalidArgument, "InvalidHeader", std::string(kWhy) + "value: " + PyStrRepr(value));
  for (char c : name)
    if (static_cast<unsigned char>(c) >= 0x80)
      return Status::Error(Code::kInvalidArgument, "InvalidHeader", "Header name " + PyStrRepr(name) +
                                                " is not ASCII and cannot be sent");
  // http.client encodes values as latin-1.
  std::string wire;
  wire.reserve(value.size());
  size_t i = 0;
  while (i < value.size()) {
    uint32_t cp;
    size_t n = DecodeUtf8(value, i, &cp);
    if (cp == 0xFFFFFFFF)
      return Status::Error(Code::kInvalidArgument, "InvalidHeader", "Header value of " + PyStrRepr(name) +
                                                " is not valid UTF-8");
    if (cp > 0xFF) {
      char buf[16];
      std::snprintf(buf, sizeof buf, cp > 0xFFFF ? "\\U%08x" : "\\u%04x", cp);
      return Status::Error(Code::kInvalidArgument, "InvalidHeader",
                           "'latin-1' codec can't encode character '" + std::string(buf) +
                               "' in header " + PyStrRepr(name) + ": ordinal not in range(256)");
    }
    wire += static_cast<char>(cp);
    i += n;
  }
  return wire;
}

Result<HeaderList> FormRequestHeaders(std::string_view content_type,
                                      const HeaderList& additional) {
  HeaderList merged;
  auto put = [&merged](std::string_view name, std::string_view value) {
    for (auto& [n, v] : merged) {
      if (EqualsIgnoreCase(n, name)) {
        n = std::string(name);
        v = std::string(value);
        return;
      }
    }
    merged.emplace_back(std::string(name), std::string(value));
  };
  // Python dict semantics first (exact names), then requests' CaseInsensitiveDict.
  HeaderList dict{{"Content-Type", std::string(content_type)}};
  for (const auto& [n, v] : additional) {
    bool replaced = false;
    for (auto& [dn, dv] : dict)
      if (dn == n) {
        dv = v;
        replaced = true;
        break;
      }
    if (!replaced) dict.emplace_back(n, v);
  }
  for (const auto& [n, v] : dict) {
    Result<std::string> wire = CheckHeader(n, v);
    if (!wire.ok())
      return Status::Error(wire.status().code(), wire.status().label(),
                           "Error forming HTTP request: " + wire.status().message());
    put(n, *wire);
  }
  return merged;
}

}  // namespace herald::delivery
