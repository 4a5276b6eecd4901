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

// One form's entry points as the tests call them: Create (POST), Put and Patch over a stored
// record, and CreateWith (the form's minimal valid body with one field set).
template <typename T>
struct FormCalls {
  Result<T> (*from_json)(const Value& body, const T* base, bool partial);
  const char* minimal;  // a valid JSON body with only the required fields

  Result<T> Create(const Value& body) const { return from_json(body, nullptr, false); }
  Result<T> Create(const char* body) const { return Create(J(body)); }
  Result<T> Put(const T& base, const Value& body) const { return from_json(body, &base, false); }
  Result<T> Put(const T& base, const char* body) const { return Put(base, J(body)); }
  Result<T> Patch(const T& base, std::string_view body) const {
    return from_json(J(body), &base, true);
  }
  Result<T> CreateWith(std::string_view key, Value value) const {
    return Create(With(J(minimal), key, std::move(value)));
  }
};

template <typename T>
std::string Describe(const Result<T>& r);

// A stored record's identity: `id`, the name "stored", `description` and a fixed creation time.
template <typename T>
T StoredRecord(int64_t id, const char* description) {
  T o;
  o.id = id;
  o.name = "stored";
  o.description = description;
  o.created = 1'700'000'000'000'000;
  return o;
}

// Expects `r` to be a new record (id 0) named `name` with no description; returns it (a default
// T when `r` failed).
template <typename T>
T ExpectCreated(const Result<T>& r, const std::string& name) {
  EXPECT_TRUE(r.ok()) << Describe(r);
  if (!r.ok()) return T();
  EXPECT_EQ(r->id, 0);
  EXPECT_EQ(r->name, name);
  EXPECT_EQ(r->description, "");
  return *r;
}

// The keys of a JSON object, in order.
inline std::vector<std::string> KeysOf(const Value& v) {
  std::vector<std::string> keys;
  for (const auto& [k, val] : v.as_dict()) keys.push_back(k.as_str());
  return keys;
}

// The keys a NetBox object's JSON has, in order: the ones every object starts with, `own`,
// then the ones every object ends with (validation/forms.cc, ObjectHead and WithObjectTail).
inline std::vector<std::string> ObjectKeys(std::vector<std::string> own) {
  std::vector<std::string> keys = {"id", "url", "display_url", "display", "name", "description"};
  keys.insert(keys.end(), own.begin(), own.end());
  for (const char* k : {"custom_fields", "owner", "tags", "created", "last_updated"})
    keys.push_back(k);
  return keys;
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
