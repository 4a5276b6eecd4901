#include "value/bigint.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace herald {

void BigInt::Trim() {
  while (!mag_.empty() && mag_.back() == 0) mag_.pop_back();
  if (mag_.empty()) neg_ = false;
}

BigInt BigInt::FromInt64(int64_t v) {
  if (v >= 0) return FromUint64(static_cast<uint64_t>(v));
  BigInt r = FromUint64(static_cast<uint64_t>(-(v + 1)) + 1);
  r.neg_ = true;
  return r;
}

BigInt BigInt::FromUint64(uint64_t u) {
  BigInt r;
  while (u) {
    r.mag_.push_back(static_cast<uint32_t>(u % kBase));
    u /= kBase;
  }
  return r;
}

std::optional<BigInt> BigInt::Parse(std::string_view digits, int base) {
  if (digits.empty()) return std::nullopt;
  BigInt r;
  if (base == 10) {
    // Nine digits per step: a tenth of the work of one digit at a time.
    size_t first = digits.size() % 9 == 0 ? 9 : digits.size() % 9;
    for (size_t i = 0; i < digits.size(); i += (i == 0 ? first : 9)) {
      size_t len = i == 0 ? first : 9;
      uint32_t chunk = 0, scale = 1;
      for (char c : digits.substr(i, len)) {
        if (c < '0' || c > '9') return std::nullopt;
        chunk = chunk * 10 + static_cast<uint32_t>(c - '0');
        scale *= 10;
      }
      r.mag_ = MulSmall(r.mag_, scale, chunk);
      if (r.mag_.size() > kMaxLimbs) return std::nullopt;
    }
    r.Trim();
    return r;
  }
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
    else return std::nullopt;
    if (d >= base) return std::nullopt;
    r.mag_ = MulSmall(r.mag_, static_cast<uint32_t>(base), static_cast<uint32_t>(d));
    if (r.mag_.size() > kMaxLimbs) return std::nullopt;
  }
  r.Trim();
  return r;
}

BigInt BigInt::FromDouble(double d) {
  BigInt r;
  d = std::trunc(d);
  if (d == 0 || !std::isfinite(d)) return r;
  r.neg_ = d < 0;
  d = std::fabs(d);
  // Exact: repeatedly take the remainder modulo 1e9 (fmod is exact for doubles).
  while (d >= 1) {
    double rem = std::fmod(d, static_cast<double>(kBase));
    r.mag_.push_back(static_cast<uint32_t>(rem));
    d = (d - rem) / kBase;
  }
  r.Trim();
  return r;
}

bool BigInt::ToInt64(int64_t* out) const {
  if (mag_.size() > 3) return false;
  unsigned __int128 v = 0;
  for (size_t i = mag_.size(); i-- > 0;) v = v * kBase + mag_[i];
  if (!neg_) {
    if (v > static_cast<unsigned __int128>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  } else {
    if (v > static_cast<unsigned __int128>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(-static_cast<__int128>(v));
  }
  return true;
}

double BigInt::ToDouble() const {
  // strtod rounds correctly (so an int equal to a float converts to exactly that float, which
  // keeps hashes consistent with ==) and gives HUGE_VAL past the range.
  return std::strtod(ToString().c_str(), nullptr);
}

std::string BigInt::ToString() const {
  if (mag_.empty()) return "0";
  std::string out = neg_ ? "-" : "";
  out += std::to_string(mag_.back());
  char buf[16];
  for (size_t i = mag_.size() - 1; i-- > 0;) {
    snprintf(buf, sizeof buf, "%09u", mag_[i]);
    out += buf;
  }
  return out;
}

size_t BigInt::DecimalDigits() const {
  if (mag_.empty()) return 1;
  return (mag_.size() - 1) * 9 + std::to_string(mag_.back()).size();
}

int BigInt::CmpMag(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (size_t i = a.size(); i-- > 0;)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

int BigInt::Compare(const BigInt& o) const {
  if (neg_ != o.neg_) return neg_ ? -1 : 1;
  int c = CmpMag(mag_, o.mag_);
  return neg_ ? -c : c;
}

BigInt BigInt::Neg() const {
  BigInt r = *this;
  if (!r.mag_.empty()) r.neg_ = !r.neg_;
  return r;
}

BigInt BigInt::Abs() const {
  BigInt r = *this;
  r.neg_ = false;
  return r;
}

std::vector<uint32_t> BigInt::AddMag(const std::vector<uint32_t>& a,
                                     const std::vector<uint32_t>& b) {
  std::vector<uint32_t> r;
  r.reserve(std::max(a.size(), b.size()) + 1);
  uint32_t carry = 0;
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    uint64_t s = static_cast<uint64_t>(i < a.size() ? a[i] : 0) + (i < b.size() ? b[i] : 0) + carry;
    r.push_back(static_cast<uint32_t>(s % kBase));
    carry = static_cast<uint32_t>(s / kBase);
  }
  if (carry) r.push_back(carry);
  return r;
}

// Precondition |a| >= |b|.
std::vector<uint32_t> BigInt::SubMag(const std::vector<uint32_t>& a,
                                     const std::vector<uint32_t>& b) {
  std::vector<uint32_t> r(a.size());
  int64_t borrow = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    int64_t d = static_cast<int64_t>(a[i]) - (i < b.size() ? b[i] : 0) - borrow;
    if (d < 0) {
      d += kBase;
      borrow = 1;
    } else {
      borrow = 0;
    }
    r[i] = static_cast<uint32_t>(d);
  }
  while (!r.empty() && r.back() == 0) r.pop_back();
  return r;
}

std::vector<uint32_t> BigInt::MulMag(const std::vector<uint32_t>& a,
                                     const std::vector<uint32_t>& b) {
  if (a.empty() || b.empty()) return {};
  std::vector<uint64_t> acc(a.size() + b.size(), 0);
  for (size_t i = 0; i < a.size(); ++i) {
    uint64_t carry = 0;
    for (size_t j = 0; j < b.size(); ++j) {
      uint64_t cur = acc[i + j] + static_cast<uint64_t>(a[i]) * b[j] + carry;
      acc[i + j] = cur % kBase;
      carry = cur / kBase;
    }
    size_t k = i + b.size();
    while (carry) {
      uint64_t cur = acc[k] + carry;
      acc[k] = cur % kBase;
      carry = cur / kBase;
      ++k;
    }
  }
  std::vector<uint32_t> r(acc.begin(), acc.end());
  while (!r.empty() && r.back() == 0) r.pop_back();
  return r;
}

std::vector<uint32_t> BigInt::MulSmall(const std::vector<uint32_t>& a, uint32_t m, uint32_t add) {
  std::vector<uint32_t> r;
  r.reserve(a.size() + 1);
  uint64_t carry = add;
  for (uint32_t x : a) {
    uint64_t cur = static_cast<uint64_t>(x) * m + carry;
    r.push_back(static_cast<uint32_t>(cur % kBase));
    carry = cur / kBase;
  }
  while (carry) {
    r.push_back(static_cast<uint32_t>(carry % kBase));
    carry /= kBase;
  }
  while (!r.empty() && r.back() == 0) r.pop_back();
  return r;
}

void BigInt::DivModMag(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                       std::vector<uint32_t>* q, std::vector<uint32_t>* r) {
  // Schoolbook long division, one base-1e9 digit at a time, each found by binary search.
  q->assign(a.size(), 0);
  std::vector<uint32_t> rem;
  for (size_t i = a.size(); i-- > 0;) {
    rem.insert(rem.begin(), a[i]);
    while (!rem.empty() && rem.back() == 0) rem.pop_back();
    uint32_t lo = 0, hi = kBase - 1;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo + 1) / 2;
      if (CmpMag(MulSmall(b, mid, 0), rem) <= 0) lo = mid;
      else hi = mid - 1;
    }
    (*q)[i] = lo;
    if (lo) rem = SubMag(rem, MulSmall(b, lo, 0));
  }
  while (!q->empty() && q->back() == 0) q->pop_back();
  *r = rem;
}

BigInt BigInt::Add(const BigInt& a, const BigInt& b) {
  BigInt r;
  if (a.neg_ == b.neg_) {
    r.mag_ = AddMag(a.mag_, b.mag_);
    r.neg_ = a.neg_;
  } else if (CmpMag(a.mag_, b.mag_) >= 0) {
    r.mag_ = SubMag(a.mag_, b.mag_);
    r.neg_ = a.neg_;
  } else {
    r.mag_ = SubMag(b.mag_, a.mag_);
    r.neg_ = b.neg_;
  }
  r.Trim();
  return r;
}

BigInt BigInt::Sub(const BigInt& a, const BigInt& b) { return Add(a, b.Neg()); }

BigInt BigInt::Mul(const BigInt& a, const BigInt& b) {
  BigInt r;
  r.mag_ = MulMag(a.mag_, b.mag_);
  r.neg_ = a.neg_ != b.neg_;
  r.Trim();
  return r;
}

void BigInt::DivMod(const BigInt& a, const BigInt& b, BigInt* q, BigInt* r) {
  BigInt qq, rr;
  DivModMag(a.mag_, b.mag_, &qq.mag_, &rr.mag_);
  qq.neg_ = a.neg_ != b.neg_;
  rr.neg_ = a.neg_;
  qq.Trim();
  rr.Trim();
  // Floor: when the remainder is non-zero and signs differ, adjust.
  if (!rr.is_zero() && a.neg_ != b.neg_) {
    qq = Sub(qq, FromInt64(1));
    rr = Add(rr, b);
  }
  if (q) *q = qq;
  if (r) *r = rr;
}

std::optional<BigInt> BigInt::Pow(const BigInt& a, uint64_t e) {
  BigInt result = FromInt64(1);
  BigInt base = a;
  while (e) {
    if (e & 1) {
      result = Mul(result, base);
      if (result.mag_.size() > kMaxLimbs) return std::nullopt;
    }
    e >>= 1;
    if (e) {
      base = Mul(base, base);
      if (base.mag_.size() > kMaxLimbs) return std::nullopt;
    }
  }
  return result;
}

// ---- the Value form ----

std::string IntStrDigitsMessage() {
  return "Exceeds the limit (" + std::to_string(kMaxIntStrDigits) +
         " digits) for integer string conversion; use sys.set_int_max_str_digits() to increase "
         "the limit";
}

std::string BigIntObject::repr() const {
  if (v_.DecimalDigits() > kMaxIntStrDigits) throw IntStrDigitsError(IntStrDigitsMessage());
  return v_.ToString();
}

bool BigIntObject::equals(const Value& other) const {
  BigInt o;
  if (ToBigInt(other, &o)) return v_.Compare(o) == 0;
  return other.is_float() && CompareIntFloat(v_, other.as_float()) == 0;
}

size_t BigIntObject::hash() const { return std::hash<double>()(v_.ToDouble()); }

Value MakeInt(BigInt v) {
  int64_t i;
  if (v.ToInt64(&i)) return Value(i);
  return Value(std::shared_ptr<Object>(std::make_shared<BigIntObject>(std::move(v))));
}

bool ToBigInt(const Value& v, BigInt* out) {
  if (v.is_int()) {
    *out = BigInt::FromInt64(v.as_int());
    return true;
  }
  if (v.is_bool()) {
    *out = BigInt::FromInt64(v.as_bool() ? 1 : 0);
    return true;
  }
  if (IsBigInt(v)) {
    *out = BigIntOf(v);
    return true;
  }
  return false;
}

int CompareIntFloat(const BigInt& i, double d) {
  if (std::isnan(d)) return 2;
  if (std::isinf(d)) return d > 0 ? -1 : 1;
  double fl = std::floor(d);
  int c = i.Compare(BigInt::FromDouble(fl));
  if (c != 0) return c;
  return fl == d ? 0 : -1;  // i == floor(d) < d
}

int CompareBigNumbers(const Value& a, const Value& b) {
  BigInt x, y;
  bool int_a = ToBigInt(a, &x), int_b = ToBigInt(b, &y);
  if (int_a && int_b) return x.Compare(y);
  if (int_a && b.is_float()) {
    int c = CompareIntFloat(x, b.as_float());
    return c == 2 ? 3 : c;
  }
  if (int_b && a.is_float()) {
    int c = CompareIntFloat(y, a.as_float());
    return c == 2 ? 3 : -c;
  }
  return 2;
}

}  // namespace herald
