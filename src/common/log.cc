#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "common/strings.h"
#include "common/time.h"

namespace herald::log {

namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_mu;

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "info";
}

void AppendValue(std::string& out, std::string_view v) {
  bool bare = !v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      bare = false;
      break;
    }
  }
  if (bare) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += "\\x";
      AppendHex(out, static_cast<unsigned char>(c), 2);
    } else {
      out += c;
    }
  }
  out += '"';
}
}  // namespace

void SetLevel(Level level) { g_level = static_cast<int>(level); }

bool ParseLevel(std::string_view name, Level* out) {
  if (name == "debug") *out = Level::kDebug;
  else if (name == "info") *out = Level::kInfo;
  else if (name == "warning" || name == "warn") *out = Level::kWarning;
  else if (name == "error") *out = Level::kError;
  else return false;
  return true;
}

bool Enabled(Level level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  std::string line = FormatIsoUtc(NowUs(), 'Z');
  line += " level=";
  line += LevelName(level);
  line += " msg=";
  AppendValue(line, msg);
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    AppendValue(line, f.value);
  }
  line += '\n';
  std::lock_guard<std::mutex> lock(g_mu);
  fwrite(line.data(), 1, line.size(), stderr);
  fflush(stderr);
}

bool Throttle::Allow(Clock::time_point now, long long* held_back) {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ && now < next_) {
    ++held_;
    return false;
  }
  started_ = true;
  next_ = now + interval_;
  *held_back = held_;
  held_ = 0;
  return true;
}

}  // namespace herald::log
