// Wall-clock helpers: microseconds since the Unix epoch and ISO 8601 formatting/parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

// Current UTC time in microseconds since the epoch.
int64_t NowUs();
// ISO 8601 in UTC with microseconds, as Python's datetime.isoformat(): microseconds omitted when
// zero. suffix 'Z' gives "...Z", anything else gives "+00:00".
std::string FormatIsoUtc(int64_t us, char suffix = '+');
// Parses an ISO 8601 date-time ("2026-03-06T15:11:23.503186+00:00", "...Z", "... 15:11:23",
// optional fraction and offset). nullopt when malformed.
std::optional<int64_t> ParseIso(std::string_view s);

}  // namespace herald
