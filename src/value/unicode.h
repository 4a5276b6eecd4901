// UTF-8 decoding and encoding shared by the value printer, the template engine and delivery.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald {

// Decodes one code point at s[i] and advances i. A byte that does not start a valid sequence
// (a continuation byte, 0xF8-0xFF, a truncated sequence) decodes as U+FFFD and advances one
// byte; then *valid, when given, is set to false (else true).
uint32_t DecodeUtf8(std::string_view s, size_t& i, bool* valid = nullptr);
// Appends the UTF-8 encoding of cp.
void AppendUtf8(std::string& out, uint32_t cp);

}  // namespace herald
