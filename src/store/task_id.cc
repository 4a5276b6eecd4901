#include "store/task_id.h"

#include <array>
#include <cstdint>
#include <random>

#include "common/clock.h"
#include "common/strings.h"

namespace herald {

namespace {

std::mt19937_64& Generator() {
  thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    std::array<uint32_t, 8> seed;
    for (auto& s : seed) s = rd();
    std::seed_seq seq(seed.begin(), seed.end());
    return std::mt19937_64(seq);
  }();
  return gen;
}

}  // namespace

std::string NewTaskId() { return NewTaskId(SystemClock().NowUs() / 1000); }

std::string NewTaskId(int64_t unix_ms) {
  auto& gen = Generator();
  const uint64_t ms = static_cast<uint64_t>(unix_ms) & ((uint64_t{1} << 48) - 1);
  uint64_t hi = (ms << 16) | (gen() & 0x0FFF) | uint64_t{0x7000};  // unix_ts_ms, version 7, rand_a
  uint64_t lo = gen();
  lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);  // variant 10xx
  std::string out(36, '-');
  int pos = 0;
  auto put = [&](uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[pos++] = HexDigit(static_cast<unsigned>(v >> (i * 4)));
    }
  };
  put(hi, 16);
  put(lo, 16);
  return out;
}

}  // namespace herald
