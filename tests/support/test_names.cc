#include "test_names.h"

namespace herald::testing {

std::string TestNameOf(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += keep ? c : '_';
  }
  return out.empty() ? "_" : out;
}

}  // namespace herald::testing
