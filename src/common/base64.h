// Base64 (RFC 4648 §4, the standard alphabet with '=' padding): what Standard Webhooks secrets
// ("whsec_<base64>") and signatures ("v1,<base64>") are written in. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace herald {

// The padded base64 text of `bytes` (4 characters per 3 bytes, rounded up).
std::string Base64Encode(std::string_view bytes);

// The bytes `text` encodes, or nullopt when it is not base64: a character outside the alphabet
// (white space included), a length that no padding explains (a lone trailing character), '='
// anywhere but in the last two places, or left-over bits that are not zero. The trailing '='
// padding may be left out, as several libraries write it.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace herald
