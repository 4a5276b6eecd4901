// UTF-8 helpers shared by the value printer and the template engine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald {

// Decodes one code point at s[i] and advances i. Invalid bytes decode as U+FFFD (one byte).
uint32_t DecodeUtf8(std::string_view s, size_t& i);
// Appends the UTF-8 encoding of cp.
void AppendUtf8(std::string& out, uint32_t cp);
// Python's str.isprintable() for one code point (approximation covering the Unicode
// categories Cc, Cf, Cs, Co, Zl, Zp, Zs and the noncharacters).
bool IsPrintable(uint32_t cp);

}  // namespace herald
