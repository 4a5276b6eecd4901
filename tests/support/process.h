// What tests and benchmarks read about a running process from /proc: the CPU time it has used
// and its memory figures.
#pragma once

#include <sys/types.h>

#include <string_view>

namespace herald::testing {

// User + system CPU seconds process `pid` has used (0 when unknown).
double ProcessCpuSeconds(pid_t pid);

// A "<field>: <n> kB" figure of /proc/<pid>/status, e.g. "VmRSS" or "VmHWM" (peak RSS), in KiB;
// pid 0 means this process. 0 when unknown.
long ProcessStatusKb(pid_t pid, std::string_view field);

}  // namespace herald::testing
