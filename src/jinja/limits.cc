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

void CheckSize(size_t n) {
  if (n > g_limits->max_bytes) {
    ThrowLimit("string exceeds the limit of " + std::to_string(g_limits->max_bytes) + " bytes");
  }
}

void CheckItems(size_t n) {
  if (n > g_limits->max_items) {
    ThrowLimit("list exceeds the limit of " + std::to_string(g_limits->max_items) + " items");
  }
}

}  // namespace herald::jinja
