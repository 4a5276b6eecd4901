// Names for parametrised tests: GoogleTest allows only letters, digits and '_' in a test name,
// while corpus cases are named like "wh.slack.event_emoji" or "invalid_type(op is a dict)".
#pragma once

#include <string>
#include <string_view>

namespace herald::testing {

// `name` with every character other than an ASCII letter or digit turned into '_' (one for
// each), and "_" alone for an empty name. Distinct corpus names stay distinct unless they
// differ only in such characters; GoogleTest refuses duplicate names at start, loudly.
std::string TestNameOf(std::string_view name);

}  // namespace herald::testing
