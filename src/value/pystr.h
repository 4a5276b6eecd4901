// Python's str semantics on UTF-8 text, in one place for the value printer, the template engine
// and delivery (which reproduces what NetBox's Python does with rendered text): repr() of str
// and bytes, the escape of one code point, str.isprintable(), str.isspace(), str.strip() and
// str.splitlines(). Text is UTF-8; a byte that does not start a valid sequence is never
// whitespace or a line break, and repr shows it as \xhh. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// Python repr() of a str: single quotes, or double quotes when the text holds ' and no ";
// \\, \n, \r, \t and the quote backslash-escaped; other characters that are not printable
// (IsPrintable) escaped as AppendCodePointEscape does; invalid UTF-8 bytes as \xhh.
std::string StrRepr(std::string_view s);

// Python repr() of bytes: b'...' (or b"..." when the bytes hold ' and no "), with \\, \t, \n,
// \r and the quote backslash-escaped and every other byte outside 0x20..0x7e as \xhh.
std::string BytesRepr(std::string_view bytes);

// Appends Python's escape of code point `cp` as repr and error messages show it: \xhh up to
// U+00FF, \uhhhh up to U+FFFF, else \Uhhhhhhhh (lower-case hex).
void AppendCodePointEscape(std::string& out, uint32_t cp);

// Python's str.isprintable() for one code point (approximation covering the Unicode
// categories Cc, Cf, Cs, Co, Zl, Zp, Zs and the noncharacters; U+0020 is printable).
bool IsPrintable(uint32_t cp);

// Python's str.isspace() for one code point (exact: CPython's whitespace table).
bool IsPySpace(uint32_t cp);

// Whether the code point starting at s[i] (i < s.size()) is whitespace (IsPySpace); sets *len to
// its length in bytes.
bool PySpaceAt(std::string_view s, size_t i, size_t* len);

// Whether Python's str.splitlines() splits at `cp`: \n, \r, \v, \f, \x1c, \x1d, \x1e, U+0085,
// U+2028, U+2029 (and \r\n as one break).
bool IsLineBreak(uint32_t cp);

// Python's s.strip() / s.lstrip() without arguments (IsPySpace), as a view into `s`.
std::string_view PyStrip(std::string_view s);
std::string_view PyLStrip(std::string_view s);

// Python's s.splitlines(keepends): the lines of `s`, views into it, split at every IsLineBreak
// (\r\n counts once); with keepends each line keeps its break. No trailing empty line.
std::vector<std::string_view> SplitLines(std::string_view s, bool keepends = false);

}  // namespace herald
