// Operator logs: one line per meaningful event, key=value fields, never a secret.
//
//   2026-11-27T09:31:33.123456Z level=info msg="event accepted" events=3 tasks=9
//
// Lines go to stderr under a mutex, so concurrent lines never interleave. Cheap to skip when the
// level is filtered out. Thread-safe.
#pragma once

#include <chrono>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace herald::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// A field value is rendered as is when it is a bare word, otherwise quoted with escapes.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, long long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, unsigned long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, double v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  std::string key;
  std::string value;
};

void SetLevel(Level level);
// Parses "debug", "info", "warning", "error"; false when unknown.
bool ParseLevel(std::string_view name, Level* out);
bool Enabled(Level level);
void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view msg, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, msg, f);
}
inline void Info(std::string_view msg, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kInfo)) Write(Level::kInfo, msg, f);
}
inline void Warning(std::string_view msg, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kWarning)) Write(Level::kWarning, msg, f);
}
inline void Error(std::string_view msg, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kError)) Write(Level::kError, msg, f);
}

// Lets a line that repeats on every request (a store outage fails them all) through at most once
// per interval, and counts the ones it held back so the next line can say how many:
//
//   static log::Throttle throttle(std::chrono::seconds(10));
//   if (long long held; throttle.Allow(&held)) log::Error("...", {{"suppressed", held}});
//
// Thread-safe.
class Throttle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Throttle(Clock::duration interval) : interval_(interval) {}

  // True when a line may be written now; *held_back is then the number of calls refused since
  // the last line was let through.
  bool Allow(long long* held_back) { return Allow(Clock::now(), held_back); }
  bool Allow(Clock::time_point now, long long* held_back);

 private:
  const Clock::duration interval_;
  std::mutex mu_;
  bool started_ = false;
  Clock::time_point next_{};
  long long held_ = 0;
};

}  // namespace herald::log
