// Python str semantics. See pystr.h.
#include "value/pystr.h"

#include "common/strings.h"
#include "value/unicode.h"

namespace herald {

namespace {

// The quote Python's repr picks: ' unless the text holds ' and no ".
char ReprQuote(std::string_view s) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  return has_single && !has_double ? '"' : '\'';
}

// Appends the repr of one ASCII character (str and bytes agree on these); false for bytes
// 0x80-0xff, which the caller handles.
bool AppendAsciiRepr(std::string& out, unsigned char c, char quote) {
  if (c >= 0x80) return false;
  if (c == '\\' || c == static_cast<unsigned char>(quote)) {
    out += '\\';
    out += static_cast<char>(c);
  } else if (c == '\n') {
    out += "\\n";
  } else if (c == '\r') {
    out += "\\r";
  } else if (c == '\t') {
    out += "\\t";
  } else if (c < 0x20 || c == 0x7f) {
    out += "\\x";
    AppendHex(out, c, 2);
  } else {
    out += static_cast<char>(c);
  }
  return true;
}

}  // namespace

std::string StrRepr(std::string_view s) {
  char quote = ReprQuote(s);
  std::string out;
  out.reserve(s.size() + 2);
  out += quote;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (AppendAsciiRepr(out, c, quote)) {
      ++i;
      continue;
    }
    size_t start = i;
    bool valid;
    uint32_t cp = DecodeUtf8(s, i, &valid);  // advances i
    if (!valid) {
      out += "\\x";
      AppendHex(out, c, 2);
    } else if (IsPrintable(cp)) {
      out.append(s.substr(start, i - start));
    } else {
      AppendCodePointEscape(out, cp);
    }
  }
  out += quote;
  return out;
}

std::string BytesRepr(std::string_view bytes) {
  char quote = ReprQuote(bytes);
  std::string out = "b";
  out.reserve(bytes.size() + 3);
  out += quote;
  for (char ch : bytes) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!AppendAsciiRepr(out, c, quote)) {
      out += "\\x";
      AppendHex(out, c, 2);
    }
  }
  out += quote;
  return out;
}

void AppendCodePointEscape(std::string& out, uint32_t cp) {
  if (cp <= 0xff) {
    out += "\\x";
    AppendHex(out, cp, 2);
  } else if (cp <= 0xffff) {
    out += "\\u";
    AppendHex(out, cp, 4);
  } else {
    out += "\\U";
    AppendHex(out, cp, 8);
  }
}

bool IsPrintable(uint32_t cp) {
  struct Range {
    uint32_t lo, hi;
  };
  static constexpr Range kNonPrintable[] = {
      {0x00, 0x1F},       {0x7F, 0xA0},       {0xAD, 0xAD},       {0x378, 0x379},
      {0x600, 0x605},     {0x61C, 0x61C},     {0x6DD, 0x6DD},     {0x70F, 0x70F},
      {0x890, 0x891},     {0x8E2, 0x8E2},     {0x1680, 0x1680},   {0x180E, 0x180E},
      {0x2000, 0x200F},   {0x2028, 0x202F},   {0x205F, 0x2064},   {0x2065, 0x206F},
      {0x3000, 0x3000},   {0xD800, 0xF8FF},   {0xFEFF, 0xFEFF},   {0xFFF0, 0xFFFB},
      {0xFFFE, 0xFFFF},   {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x1343F},
      {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF}, {0xF0000, 0x10FFFF},
  };
  for (const auto& r : kNonPrintable) {
    if (cp < r.lo) return true;
    if (cp <= r.hi) return false;
  }
  return true;
}

bool IsPySpace(uint32_t cp) {
  if (cp >= 0x09 && cp <= 0x0D) return true;
  if (cp >= 0x1C && cp <= 0x20) return true;
  if (cp < 0x85) return false;
  switch (cp) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000: return true;
    default: return cp >= 0x2000 && cp <= 0x200A;
  }
}

bool PySpaceAt(std::string_view s, size_t i, size_t* len) {
  size_t next = i;
  bool space = IsPySpace(DecodeUtf8(s, next));
  *len = next - i;
  return space;
}

bool IsLineBreak(uint32_t cp) {
  switch (cp) {
    case '\n':
    case '\r':
    case 0x0B:
    case 0x0C:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x85:
    case 0x2028:
    case 0x2029: return true;
    default: return false;
  }
}

std::string_view PyLStrip(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t next = begin;
    if (!IsPySpace(DecodeUtf8(s, next))) break;
    begin = next;
  }
  return s.substr(begin);
}

std::string_view PyStrip(std::string_view s) {
  s = PyLStrip(s);
  size_t end = 0;  // end of the last code point that is not whitespace
  size_t i = 0;
  while (i < s.size())
    if (!IsPySpace(DecodeUtf8(s, i))) end = i;
  return s.substr(0, end);
}

std::vector<std::string_view> SplitLines(std::string_view s, bool keepends) {
  std::vector<std::string_view> lines;
  size_t start = 0, i = 0;
  while (i < s.size()) {
    size_t at = i;
    uint32_t cp = DecodeUtf8(s, i);  // advances i
    if (!IsLineBreak(cp)) continue;
    if (cp == '\r' && i < s.size() && s[i] == '\n') ++i;
    lines.push_back(s.substr(start, (keepends ? i : at) - start));
    start = i;
  }
  if (start < s.size()) lines.push_back(s.substr(start));
  return lines;
}

}  // namespace herald
