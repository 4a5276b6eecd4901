// Unicode character data for the template engine: the parts of CPython's str behaviour that
// depend on the Unicode database (case mapping with special casing and final sigma, character
// classes for isalpha/isspace/..., identifier characters, \N{NAME} escapes). Tables are generated
// from CPython by tools/gen_ucd.py. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "value/pystr.h"

namespace herald::jinja::ucd {

enum Flag : uint32_t {
  kAlpha = 1u << 0,
  kDecimal = 1u << 1,
  kDigit = 1u << 2,
  kNumeric = 1u << 3,
  kSpace = 1u << 4,
  kUpper = 1u << 5,
  kLower = 1u << 6,
  kTitle = 1u << 7,
  kCased = 1u << 8,
  kCaseIgnorable = 1u << 9,
  kPrintable = 1u << 10,
  kIdStart = 1u << 11,
  kIdCont = 1u << 12,
};

// Flags of one code point.
uint32_t Flags(uint32_t cp);
inline bool Has(uint32_t cp, uint32_t f) { return (Flags(cp) & f) != 0; }
// str.isspace() of one code point: value/pystr.h's IsPySpace (the kSpace flag holds the same set).
inline bool IsSpace(uint32_t cp) { return IsPySpace(cp); }

// Code points of a UTF-8 string (invalid bytes become U+FFFD) and back.
std::vector<uint32_t> Decode(std::string_view s);
std::string Encode(const std::vector<uint32_t>& cps);
std::string Encode(const uint32_t* cps, size_t n);

// Python str methods.
std::string Lower(std::string_view s);
std::string Upper(std::string_view s);
std::string CaseFold(std::string_view s);
std::string Title(std::string_view s);       // str.title()
std::string Capitalize(std::string_view s);  // str.capitalize()
std::string SwapCase(std::string_view s);    // str.swapcase()
// Appends the mapping of one code point (upper/lower/title; no context rules).
void AppendUpper(std::string& out, uint32_t cp);
void AppendLower(std::string& out, uint32_t cp);
void AppendTitle(std::string& out, uint32_t cp);
// str.isupper()/islower()/istitle() on a whole string.
bool StrIsUpper(std::string_view s);
bool StrIsLower(std::string_view s);
bool StrIsTitle(std::string_view s);
// True when every code point has one of `flags` (and s is not empty).
bool StrAll(std::string_view s, uint32_t flags);

// \N{NAME} lookup (case-insensitive); false when unknown.
bool LookupName(std::string_view name, uint32_t* cp);

}  // namespace herald::jinja::ucd
