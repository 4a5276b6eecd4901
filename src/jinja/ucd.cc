#include "jinja/ucd.h"

#include <algorithm>
#include <cstring>

#include "value/unicode.h"

namespace herald::jinja::ucd {

namespace {
#include "jinja/ucd_tables.inc"

template <size_t N>
const UcdCase* FindCase(const UcdCase (&table)[N], uint32_t cp) {
  const UcdCase* end = table + N;
  const UcdCase* it =
      std::lower_bound(table, end, cp, [](const UcdCase& e, uint32_t c) { return e.cp < c; });
  if (it != end && it->cp == cp) return it;
  return nullptr;
}

template <size_t N>
void AppendMapped(std::string& out, const UcdCase (&table)[N], uint32_t cp) {
  if (cp < 0x80 && &table[0] != &kUcdFold[0]) {
    // ASCII fast path (fold == lower for ASCII, handled by the table lookup below anyway).
  }
  const UcdCase* e = FindCase(table, cp);
  if (!e) {
    AppendUtf8(out, cp);
    return;
  }
  for (uint8_t i = 0; i < e->len; ++i) AppendUtf8(out, kUcdPool[e->off + i]);
}

bool FinalSigma(const std::vector<uint32_t>& cps, size_t i) {
  // Preceded by a cased letter (skipping case-ignorables) and not followed by one.
  size_t j = i;
  bool before = false;
  while (j > 0) {
    --j;
    uint32_t f = Flags(cps[j]);
    if (f & kCaseIgnorable) continue;
    before = (f & kCased) != 0;
    break;
  }
  if (!before) return false;
  for (size_t k = i + 1; k < cps.size(); ++k) {
    uint32_t f = Flags(cps[k]);
    if (f & kCaseIgnorable) continue;
    return (f & kCased) == 0;
  }
  return true;
}

}  // namespace

uint32_t Flags(uint32_t cp) {
  const UcdRange* begin = kUcdRanges;
  const UcdRange* end = kUcdRanges + sizeof(kUcdRanges) / sizeof(kUcdRanges[0]);
  const UcdRange* it =
      std::upper_bound(begin, end, cp, [](uint32_t c, const UcdRange& r) { return c < r.lo; });
  if (it == begin) return 0;
  --it;
  return cp <= it->hi ? it->flags : 0;
}

std::vector<uint32_t> Decode(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) out.push_back(DecodeUtf8(s, i));
  return out;
}

std::string Encode(const uint32_t* cps, size_t n) {
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) AppendUtf8(out, cps[i]);
  return out;
}

std::string Encode(const std::vector<uint32_t>& cps) { return Encode(cps.data(), cps.size()); }

void AppendUpper(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp >= 'a' && cp <= 'z' ? cp - 32 : cp);
    return;
  }
  AppendMapped(out, kUcdUpper, cp);
}

void AppendLower(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  AppendMapped(out, kUcdLower, cp);
}

void AppendTitle(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp >= 'a' && cp <= 'z' ? cp - 32 : cp);
    return;
  }
  AppendMapped(out, kUcdTitle, cp);
}

namespace {
bool IsAscii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}
}  // namespace

std::string Lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  if (IsAscii(s)) {
    for (char c : s) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    return out;
  }
  std::vector<uint32_t> cps = Decode(s);
  for (size_t i = 0; i < cps.size(); ++i) {
    if (cps[i] == 0x3A3 && FinalSigma(cps, i)) {
      AppendUtf8(out, 0x3C2);
    } else {
      AppendLower(out, cps[i]);
    }
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  if (IsAscii(s)) {
    for (char c : s) out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    return out;
  }
  size_t i = 0;
  while (i < s.size()) AppendUpper(out, DecodeUtf8(s, i));
  return out;
}

std::string CaseFold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = DecodeUtf8(s, i);
    if (cp < 0x80) {
      out += static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    } else {
      AppendMapped(out, kUcdFold, cp);
    }
  }
  return out;
}

std::string Title(std::string_view s) {
  std::vector<uint32_t> cps = Decode(s);
  std::string out;
  out.reserve(s.size());
  bool prev_cased = false;
  for (size_t i = 0; i < cps.size(); ++i) {
    uint32_t c = cps[i];
    if (prev_cased) {
      if (c == 0x3A3 && FinalSigma(cps, i)) AppendUtf8(out, 0x3C2);
      else AppendLower(out, c);
    } else {
      AppendTitle(out, c);
    }
    prev_cased = Has(c, kCased);
  }
  return out;
}

std::string Capitalize(std::string_view s) {
  std::vector<uint32_t> cps = Decode(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < cps.size(); ++i) {
    if (i == 0) {
      AppendTitle(out, cps[i]);
    } else if (cps[i] == 0x3A3 && FinalSigma(cps, i)) {
      AppendUtf8(out, 0x3C2);
    } else {
      AppendLower(out, cps[i]);
    }
  }
  return out;
}

std::string SwapCase(std::string_view s) {
  std::vector<uint32_t> cps = Decode(s);
  std::string out;
  for (size_t i = 0; i < cps.size(); ++i) {
    uint32_t f = Flags(cps[i]);
    if (f & kUpper) {
      if (cps[i] == 0x3A3 && FinalSigma(cps, i)) AppendUtf8(out, 0x3C2);
      else AppendLower(out, cps[i]);
    } else if (f & kLower) {
      AppendUpper(out, cps[i]);
    } else {
      AppendUtf8(out, cps[i]);
    }
  }
  return out;
}

namespace {
// Whether `s` has a character with flag `is` and none with a flag in `excluded` (str.isupper with
// kUpper and kLower | kTitle; str.islower the other way round).
bool AllCasedAre(std::string_view s, uint32_t is, uint32_t excluded) {
  bool cased = false;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t f = Flags(DecodeUtf8(s, i));
    if (f & excluded) return false;
    if (f & is) cased = true;
  }
  return cased;
}
}  // namespace

bool StrIsUpper(std::string_view s) { return AllCasedAre(s, kUpper, kLower | kTitle); }

bool StrIsLower(std::string_view s) { return AllCasedAre(s, kLower, kUpper | kTitle); }

bool StrIsTitle(std::string_view s) {
  bool cased = false, prev_cased = false;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t f = Flags(DecodeUtf8(s, i));
    if (f & (kUpper | kTitle)) {
      if (prev_cased) return false;
      prev_cased = cased = true;
    } else if (f & kLower) {
      if (!prev_cased) return false;
      prev_cased = cased = true;
    } else {
      prev_cased = false;
    }
  }
  return cased;
}

bool StrAll(std::string_view s, uint32_t flags) {
  if (s.empty()) return false;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = DecodeUtf8(s, i);
    if (flags == kSpace ? !IsSpace(cp) : !(Flags(cp) & flags)) return false;
  }
  return true;
}

bool LookupName(std::string_view name, uint32_t* cp) {
  std::string upper;
  for (char c : name) upper += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  const UcdName* begin = kUcdNames;
  const UcdName* end = kUcdNames + sizeof(kUcdNames) / sizeof(kUcdNames[0]);
  const UcdName* it = std::lower_bound(
      begin, end, upper,
      [](const UcdName& e, const std::string& n) { return std::strcmp(e.name, n.c_str()) < 0; });
  if (it != end && upper == it->name) {
    *cp = it->cp;
    return true;
  }
  return false;
}

}  // namespace herald::jinja::ucd
