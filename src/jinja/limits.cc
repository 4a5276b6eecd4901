#include "jinja/limits.h"

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
    ThrowLimit("template rendering exceeded the deadline of " + std::to_string(g_limits->deadline_ms.count()) +
               " ms");
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
