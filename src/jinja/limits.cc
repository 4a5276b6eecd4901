#include "jinja/limits.h"

#include <algorithm>

#include "common/stack.h"
#include "jinja/errors.h"

namespace herald::jinja {

namespace {
const SizeLimits kDefaultLimits;
thread_local const SizeLimits* g_limits = &kDefaultLimits;
}  // namespace

SizeLimitScope::SizeLimitScope(const SizeLimits& limits) : prev_(g_limits) { g_limits = &limits; }
SizeLimitScope::~SizeLimitScope() { g_limits = prev_; }

void ThrowLimit(const std::string& what) { Throw("ResourceLimitError", what); }

namespace {
thread_local size_t g_deadline_budget = kDeadlineCheckInterval;

void CheckDeadline(size_t units = 1) {
  if (g_deadline_budget > units) {
    g_deadline_budget -= units;
    return;
  }
  g_deadline_budget = kDeadlineCheckInterval;
  if (g_limits->deadline_ms.count() <= 0) return;
  if (std::chrono::steady_clock::now() > g_limits->deadline) {
    ThrowLimit("template rendering exceeded the deadline of " +
               std::to_string(g_limits->deadline_ms.count()) + " ms");
  }
}
}  // namespace

void CheckSize(size_t n) {
  CheckDeadline();
  if (n > g_limits->max_bytes) {
    ThrowLimit("string exceeds the limit of " + std::to_string(g_limits->max_bytes) + " bytes");
  }
}

void CheckItems(size_t n) {
  CheckDeadline();
  if (n > g_limits->max_items) {
    ThrowLimit("list exceeds the limit of " + std::to_string(g_limits->max_items) + " items");
  }
}

void ChargeWork(size_t units) { CheckDeadline(units); }

namespace {
thread_local uintptr_t g_stack_base = 0;
thread_local size_t g_stack_budget = 0;
}  // namespace

StackScope::StackScope() : prev_base_(g_stack_base), prev_budget_(g_stack_budget) {
  if (g_stack_base != 0)
    return;  // nested render (include of a compiled template): keep the outer base
  uintptr_t here = FrameAddress();
  size_t budget = kMaxRenderStackBytes;
  uintptr_t low = ThreadStack().low;
  if (low != 0 && here > low) budget = std::min(budget, (here - low) / 2);
  g_stack_base = here;
  g_stack_budget = budget;
}

uintptr_t StackFloor() {
  if (g_stack_base == 0) return 0;
  return g_stack_base > g_stack_budget ? g_stack_base - g_stack_budget : 0;
}

StackScope::~StackScope() {
  g_stack_base = prev_base_;
  g_stack_budget = prev_budget_;
}

void CheckStack() {
  if (g_stack_base == 0) return;
  uintptr_t here = FrameAddress();
  if (here < g_stack_base && g_stack_base - here > g_stack_budget) {
    ThrowLimit("template recursion exceeded the stack limit of " + std::to_string(g_stack_budget) +
               " bytes");
  }
}

void CheckSizeI(int64_t n) {
  if (n > 0) CheckSize(static_cast<uint64_t>(n) > SIZE_MAX ? SIZE_MAX : static_cast<size_t>(n));
}

void CheckSizeMul(uint64_t count, uint64_t unit) {
  if (count == 0 || unit == 0) return;
  CheckSize(count > SIZE_MAX / unit ? SIZE_MAX : static_cast<size_t>(count * unit));
}

void CheckItemsMul(uint64_t count, uint64_t unit) {
  if (count == 0 || unit == 0) return;
  CheckItems(count > SIZE_MAX / unit ? SIZE_MAX : static_cast<size_t>(count * unit));
}

}  // namespace herald::jinja
