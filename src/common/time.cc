#include "common/time.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace herald {

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatIsoUtc(int64_t us, char suffix) {
  int64_t secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
  int64_t frac = us - secs * 1000000;
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  int n = snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out(buf, n);
  if (frac) {
    snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    out += buf;
  }
  out += suffix == 'Z' ? "Z" : "+00:00";
  return out;
}

std::optional<int64_t> ParseIso(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  size_t i = 0;
  auto digits = [&](int n, int* out) {
    if (i + n > s.size()) return false;
    int v = 0;
    for (int k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    *out = v;
    i += n;
    return true;
  };
  auto expect = [&](char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  if (!digits(4, &y) || !expect('-') || !digits(2, &mo) || !expect('-') || !digits(2, &d))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  int64_t frac_us = 0;
  int offset_min = 0;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != ' ') return std::nullopt;
    ++i;
    if (!digits(2, &h) || !expect(':') || !digits(2, &mi)) return std::nullopt;
    if (expect(':') && !digits(2, &sec)) return std::nullopt;
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    if (expect('.')) {
      int n = 0;
      int64_t v = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (n < 6) v = v * 10 + (s[i] - '0');
        ++n;
        ++i;
      }
      if (n == 0) return std::nullopt;
      for (int k = n; k < 6; ++k) v *= 10;
      frac_us = v;
    }
    if (i < s.size()) {
      if (s[i] == 'Z' || s[i] == 'z') {
        ++i;
      } else if (s[i] == '+' || s[i] == '-') {
        int sign = s[i] == '-' ? -1 : 1;
        ++i;
        int oh, om = 0;
        if (!digits(2, &oh)) return std::nullopt;
        expect(':');
        if (i < s.size() && !digits(2, &om)) return std::nullopt;
        offset_min = sign * (oh * 60 + om);
      } else {
        return std::nullopt;
      }
    }
    if (i != s.size()) return std::nullopt;
  }
  struct tm tm = {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  int64_t secs = timegm(&tm);
  return (secs - static_cast<int64_t>(offset_min) * 60) * 1000000 + frac_us;
}

}  // namespace herald
