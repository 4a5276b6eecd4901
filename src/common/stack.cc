#include "common/stack.h"

#include <pthread.h>

namespace herald {

StackExtent ThreadStack() {
  thread_local bool known = false;
  thread_local StackExtent extent;
  if (!known) {
    known = true;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      void* addr = nullptr;
      size_t size = 0;
      if (pthread_attr_getstack(&attr, &addr, &size) == 0 && size > 0) {
        extent.low = reinterpret_cast<uintptr_t>(addr);
        extent.size = size;
      }
      pthread_attr_destroy(&attr);
    }
  }
  return extent;
}

}  // namespace herald
