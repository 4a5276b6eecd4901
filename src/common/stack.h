// Where the calling thread's stack lies, for code that bounds its own recursion by the stack it
// has left: the template engine's render budget (jinja/limits.h, StackScope) and the value
// walks' depth guard (value/value.h, ValueRecursionGuard). Linux (pthread_getattr_np).
#pragma once

#include <cstddef>
#include <cstdint>

namespace herald {

// A thread's stack: the lowest usable address and the size in bytes. Both 0 when unknown.
struct StackExtent {
  uintptr_t low = 0;
  size_t size = 0;
};

// The calling thread's stack, looked up once per thread. Thread-safe.
StackExtent ThreadStack();

// The calling frame's address (compare it with a StackExtent; the stack grows down).
inline uintptr_t FrameAddress() { return reinterpret_cast<uintptr_t>(__builtin_frame_address(0)); }

}  // namespace herald
