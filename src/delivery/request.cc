#include "delivery/request.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "common/strings.h"
#include "value/pystr.h"
#include "value/unicode.h"

namespace herald::delivery {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsHexDigit(char c) { return HexValue(c) >= 0; }

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
      unsigned char decoded =
          static_cast<unsigned char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      if (IsUnreserved(decoded)) {
        out += static_cast<char>(decoded);
      } else {
        out += '%';
        AppendHex(out, decoded, 2, /*upper=*/true);
      }
      i += 2;
    } else if (c != '%' && IsAllowedUrlChar(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      AppendHex(out, c, 2, /*upper=*/true);
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
    uint32_t cp = DecodeUtf8(text, i);
    if (IsLineBreak(cp)) return cp;
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
  for (std::string_view line : SplitLines(rendered)) {
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
       secret.empty() ? static_cast<const void*>(&kEmpty) : static_cast<const void*>(secret.data()),
       static_cast<int>(secret.size()),
       body.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(body.data()), body.size(),
       digest, &len);
  return HexEncode(digest, len);
}

Result<std::string> NormalizeUrl(std::string_view raw) {
  std::string_view url = PyLStrip(raw);
  std::string shown = StrRepr(url);
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
      return Status::Error(Code::kInvalidArgument, "InvalidSchema",
                           "No connection adapters were found for " + shown);
    return Status::Error(Code::kInvalidArgument, "MissingSchema",
                         "Invalid URL " + shown +
                             ": No scheme supplied. Perhaps you meant https://" + std::string(url) +
                             "?");
  }
  std::string_view rest = url.substr(colon + 1);
  if (rest.substr(0, 2) != "//")
    return Status::Error(Code::kInvalidArgument, "InvalidURL",
                         "Invalid URL " + shown + ": No host supplied");
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
      return Status::Error(Code::kInvalidArgument, "InvalidURL",
                           "Failed to parse: " + std::string(url));
    host = hostport.substr(0, close + 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':')
        return Status::Error(Code::kInvalidArgument, "InvalidURL",
                             "Failed to parse: " + std::string(url));
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
    return Status::Error(Code::kInvalidArgument, "InvalidURL",
                         "Invalid URL " + shown + ": No host supplied");
  if (host[0] == '*' || host[0] == '.')
    return Status::Error(Code::kInvalidArgument, "InvalidURL", "URL has an invalid label.");
  for (char c : host) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '%' || c == '/' || c == '\\')
      return Status::Error(Code::kInvalidArgument, "InvalidURL",
                           "Failed to parse: " + std::string(url));
  }
  if (!port.empty()) {
    if (port.size() > 5)
      return Status::Error(Code::kInvalidArgument, "InvalidURL",
                           "Failed to parse: " + std::string(url));
    long value = 0;
    for (char c : port) {
      if (c < '0' || c > '9')
        return Status::Error(Code::kInvalidArgument, "InvalidURL",
                             "Failed to parse: " + std::string(url));
      value = value * 10 + (c - '0');
    }
    if (value > 65535)
      return Status::Error(Code::kInvalidArgument, "InvalidURL",
                           "Failed to parse: " + std::string(url));
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

std::string FailureMessage(int status, std::string_view body) {
  return "Status " + std::to_string(status) + " returned with content '" +
         BytesRepr(body.substr(0, kFailureContentLimit)) + "', webhook FAILED to process.";
}

bool ValidHeaderName(std::string_view name) {
  // requests: ^[^:\s][^:\r\n]*$
  size_t first_len;
  if (name.empty() || PySpaceAt(name, 0, &first_len)) return false;
  for (char c : name)
    if (c == ':' || c == '\r' || c == '\n') return false;
  return true;
}

bool ValidHeaderValue(std::string_view value) {
  // requests: ^\S[^\r\n]*$|^$
  if (value.empty()) return true;
  size_t first_len;
  if (PySpaceAt(value, 0, &first_len)) return false;
  for (char c : value)
    if (c == '\r' || c == '\n') return false;
  return true;
}

Result<std::string> CheckHeader(std::string_view name, std::string_view value) {
  const char* kWhy =
      "Invalid leading whitespace, reserved character(s), or return character(s) "
      "in header ";
  if (!ValidHeaderName(name))
    return Status::Error(Code::kInvalidArgument, "InvalidHeader",
                         std::string(kWhy) + "name: " + StrRepr(name));
  if (!ValidHeaderValue(value))
    return Status::Error(Code::kInvalidArgument, "InvalidHeader",
                         std::string(kWhy) + "value: " + StrRepr(value));
  for (char c : name)
    if (static_cast<unsigned char>(c) >= 0x80)
      return Status::Error(Code::kInvalidArgument, "InvalidHeader",
                           "Header name " + StrRepr(name) + " is not ASCII and cannot be sent");
  // http.client encodes values as latin-1.
  std::string wire;
  wire.reserve(value.size());
  size_t i = 0;
  while (i < value.size()) {
    bool valid;
    uint32_t cp = DecodeUtf8(value, i, &valid);
    if (!valid)
      return Status::Error(Code::kInvalidArgument, "InvalidHeader",
                           "Header value of " + StrRepr(name) + " is not valid UTF-8");
    if (cp > 0xFF) {
      std::string shown;
      AppendCodePointEscape(shown, cp);
      return Status::Error(Code::kInvalidArgument, "InvalidHeader",
                           "'latin-1' codec can't encode character '" + shown + "' in header " +
                               StrRepr(name) + ": ordinal not in range(256)");
    }
    wire += static_cast<char>(cp);
  }
  return wire;
}

Result<HeaderList> FormRequestHeaders(std::string_view content_type, const HeaderList& additional) {
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

namespace herald::delivery {

Value HeaderDict(const HeaderList& headers) {
  Dict d;
  for (const auto& [k, v] : headers) {
    std::string text;  // ISO-8859-1 -> UTF-8
    text.reserve(v.size());
    for (unsigned char c : v) {
      if (c < 0x80) {
        text += static_cast<char>(c);
      } else {
        text += static_cast<char>(0xC0 | (c >> 6));
        text += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    d.set(k, Value(std::move(text)));
  }
  return Value(std::move(d));
}

}  // namespace herald::delivery
