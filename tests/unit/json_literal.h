// J("..."): a Value from JSON text written in a test, failing the test when the text is not JSON.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "value/json.h"

namespace herald::test_support {

inline Value J(std::string_view text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : Value();
}

}  // namespace herald::test_support
