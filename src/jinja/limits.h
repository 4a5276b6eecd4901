// Size limits for values a template builds, enforced while rendering. The active limits are
// per thread (set by the renderer for the duration of a render) so deep helpers can check them
// without threading a context through every call.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/core/noncopyable.hpp>

namespace herald::jinja {

struct SizeLimits {
  size_t max_bytes = 1 << 20;  // longest string a template may build
  size_t max_items = 1 << 17;  // longest list a template may build
  // When set, the render's wall-clock deadline: the size checks below also check it (every
  // kDeadlineCheckInterval calls), so long loops inside one filter or operator (sum of lists,
  // pprint of a deep structure) end at the deadline like the template's own loops.
  std::chrono::steady_clock::time_point deadline{};
  std::chrono::milliseconds deadline_ms{0};  // for the message
};

constexpr unsigned kDeadlineCheckInterval = 64;

// The most C++ stack one render may use, measured from where the render starts: the nesting
// limits (macro depth, expression height, value depth) multiply, so a macro calling itself from
// the bottom of a 400-deep expression would otherwise reach the end of the stack. The budget is
// also never more than half of the stack the rendering thread has left when the render starts.
constexpr size_t kMaxRenderStackBytes = size_t{4} << 20;

// Records the current stack position as the render's base for this thread until destroyed.
class StackScope : boost::noncopyable {
 public:
  StackScope();
  ~StackScope();

 private:
  uintptr_t prev_base_;
  size_t prev_budget_;
};

// Throws ResourceLimitError ("template recursion exceeded the stack limit of N bytes") when the
// calling frame is deeper than the budget below the active StackScope's base.
void CheckStack();
// The lowest stack address the active StackScope allows on this thread (0: no bound), for callers
// that compare against it inline; CheckStack throws the error.
uintptr_t StackFloor();

// Installs `limits` for this thread until destroyed (restores the previous ones).
class SizeLimitScope {
 public:
  explicit SizeLimitScope(const SizeLimits& limits);
  ~SizeLimitScope();

 private:
  const SizeLimits* prev_;
};

// Throws ResourceLimitError when a string of n bytes / a list of n items is too big. Every size,
// width, count and repeat argument goes through one of these before anything is allocated.
void CheckSize(size_t n);
void CheckItems(size_t n);
// The same for a signed width or count (negative counts as 0), and for a product that may
// overflow (count * unit bytes or items).
void CheckSizeI(int64_t n);
void CheckSizeMul(uint64_t count, uint64_t unit);
void CheckItemsMul(uint64_t count, uint64_t unit);
[[noreturn]] void ThrowLimit(const std::string& what);
// Accounts for `units` of work done in one piece (e.g. the repr of a large container, about one
// unit per 256 bytes): checks the deadline as soon as the accumulated work calls for it.
void ChargeWork(size_t units);

}  // namespace herald::jinja
