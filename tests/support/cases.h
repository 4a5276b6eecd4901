// Table-driven tests over pairs of strings: a structured binding names the halves where they are
// used, so each test needs no case struct of its own.
//
//   for (auto [model, object_type] : {StringPair{"device", "dcim.device"}, StringPair{...}})
//     EXPECT_EQ(ObjectTypeForModel(model), object_type) << model;
#pragma once

namespace herald::testing {

struct StringPair {
  const char* first;
  const char* second;
};

}  // namespace herald::testing
