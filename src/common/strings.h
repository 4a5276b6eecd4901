// Small ASCII string helpers shared by every module: case folding and comparison, blank
// trimming, splitting and hex encoding. They treat bytes >= 0x80 as opaque (no locale, no
// Unicode rules); the template engine keeps Python's Unicode semantics in jinja/ucd.h. Pure
// functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// `s` with A-Z turned to a-z; every other byte unchanged.
std::string AsciiLower(std::string_view s);

// True when `a` and `b` are equal once A-Z is folded to a-z (HTTP header names, schemes).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Whether `hay` contains `needle_lower` (already lower-case), ignoring ASCII case.
bool ContainsIgnoreCase(std::string_view hay, std::string_view needle_lower);

// `s` without leading and trailing spaces and tabs (HTTP's optional white space).
std::string_view TrimBlanks(std::string_view s);

// The non-empty pieces of `s` between `sep` characters ("/a//b/" with '/' gives {"a", "b"}).
std::vector<std::string> SplitNonEmpty(std::string_view s, char sep);

// Escapes & < > ' " as markupsafe does (&amp; &lt; &gt; &#39; &#34;), for HTML text and
// attribute values.
std::string HtmlEscape(std::string_view s);

// Percent-encodes every byte but RFC 3986's unreserved characters (A-Z a-z 0-9 - _ . ~), and
// '/' too when keep_slash; upper-case hex digits. With space_as_plus a space becomes '+' (HTML
// form encoding, Python's quote_plus). PercentEncode(s, true) is Python's quote(s, safe="/"),
// PercentEncode(s, false, true) its quote_plus(s, safe="").
std::string PercentEncode(std::string_view s, bool keep_slash = false, bool space_as_plus = false);

// Lower-case hex of `n` bytes at `data` (2 * n characters).
std::string HexEncode(const void* data, size_t n);
inline std::string HexEncode(std::string_view bytes) {
  return HexEncode(bytes.data(), bytes.size());
}

// The hex digit for the low four bits of `v`: 0-9 then a-f, or A-F when `upper`.
inline char HexDigit(unsigned v, bool upper = false) {
  return (upper ? "0123456789ABCDEF" : "0123456789abcdef")[v & 15];
}

// Appends the low `digits` hex digits of `v`, most significant first, zero-padded
// (AppendHex(out, 0xe9, 4) appends "00e9"). `digits` is at most 16.
void AppendHex(std::string& out, uint64_t v, int digits, bool upper = false);

// The value of hex digit `c` (0-9, a-f, A-F), or -1 when `c` is not one.
int HexValue(char c);

}  // namespace herald
