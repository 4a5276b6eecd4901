// Test helpers for the forms (validation/forms.h): building request bodies and reading a form's
// result. Every assertion on a form's outcome goes through Ok/ValueOf/FieldOf/MessageOf/FieldsOf,
// so a change of how forms report failure is adapted here, in one place.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "support/json.h"
#include "validation/forms.h"
#include "value/json.h"

namespace herald::form_checks {

using herald::testing::J;

// A copy of `body` (a JSON object) with `key` set to `value`.
inline Value With(const Value& body, std::string_view key, Value value) {
  Value out = J(DumpJson(body));
  out.as_dict().set(key, std::move(value));
  return out;
}

// A copy of `body` without `key`.
inline Value Without(const Value& body, std::string_view key) {
  Value out = J(DumpJson(body));
  out.as_dict().erase(key);
  return out;
}

template <typename T>
bool Ok(const Result<T>& r) {
  return r.ok();
}

// The validated record; only meaningful when Ok(r).
template <typename T>
const T& ValueOf(const Result<T>& r) {
  return *r;
}

// The fields that have errors, in the order they were found.
template <typename T>
std::vector<std::string> FieldsOf(const Result<T>& r) {
  std::vector<std::string> out;
  for (const auto& [field, messages] : r.status().field_errors()) out.push_back(field);
  return out;
}

// The (first) field with an error; "" when there is none.
template <typename T>
std::string FieldOf(const Result<T>& r) {
  return r.status().field();
}

// The (first) message of FieldOf(r); "" when there is none.
template <typename T>
std::string MessageOf(const Result<T>& r) {
  return r.status().message();
}

// For failure messages: "field: message; ..." or "ok".
template <typename T>
std::string Describe(const Result<T>& r) {
  if (r.ok()) return "ok";
  std::string out;
  for (const auto& [field, messages] : r.status().field_errors())
    for (const auto& m : messages) out += field + ": " + m + "; ";
  return out;
}

// Expects a failure on exactly `field` whose first message is `message`; `what` names the case.
template <typename T>
void ExpectError(const Result<T>& r, const std::string& field, const std::string& message,
                 const std::string& what) {
  EXPECT_FALSE(Ok(r)) << what;
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << what;
  EXPECT_EQ(FieldsOf(r), std::vector<std::string>{field}) << what << " -> " << Describe(r);
  EXPECT_EQ(MessageOf(r), message) << what;
}

}  // namespace herald::form_checks
