// JSON literals in tests: J("...") parses a fixture's JSON text, failing the test (not crashing
// it) when the text is not JSON. Header-only; the including test links herald_value.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "value/json.h"

namespace herald::testing {

// `text` parsed; None, with a test failure, when it is not JSON.
inline Value J(std::string_view text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status().ToString();
  return v.ok() ? *v : Value();
}

}  // namespace herald::testing
