// Table-driven tests over pairs or triples of strings: a structured binding names the parts where
// they are used, so each test needs no case struct of its own.
//
//   for (auto [model, object_type] : {StringPair{"device", "dcim.device"}, StringPair{...}})
//     EXPECT_EQ(ObjectTypeForModel(model), object_type) << model;
//   const StringTriple bad[] = {{"id=abc", "id", "Enter a whole number."}, ...};
//   for (auto [query, field, message] : bad) ...
#pragma once

namespace herald::testing {

struct StringPair {
  const char* first;
  const char* second;
};

struct StringTriple {
  const char* first;
  const char* second;
  const char* third;
};

}  // namespace herald::testing
