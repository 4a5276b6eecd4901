// Size limits for values a template builds, enforced while rendering. The active limits are
// per thread (set by the renderer for the duration of a render) so deep helpers can check them
// without threading a context through every call.
#pragma once

#include <cstddef>
#include <string>

namespace herald::jinja {

struct SizeLimits {
  size_t max_bytes = 1 << 20;  // longest string a template may build
  size_t max_items = 1 << 17;  // longest list a template may build
};

// Installs `limits` for this thread until destroyed (restores the previous ones).
class SizeLimitScope {
 public:
  explicit SizeLimitScope(const SizeLimits& limits);
  ~SizeLimitScope();

 private:
  const SizeLimits* prev_;
};

// Throws ResourceLimitError when a string of n bytes / a list of n items is too big.
void CheckSize(size_t n);
void CheckItems(size_t n);
[[noreturn]] void ThrowLimit(const std::string& what);

}  // namespace herald::jinja
