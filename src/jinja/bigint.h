// Arbitrary-precision integers for template arithmetic (Python int semantics beyond 64 bits).
//
// Magnitude in base 1e9 limbs (little endian) plus a sign. Division and modulo floor like Python.
// Sizes are capped by kMaxLimbs; operations that would exceed it report failure so a template
// cannot allocate without bound.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::jinja {

class BigInt {
 public:
  static constexpr uint32_t kBase = 1000000000u;
  static constexpr size_t kMaxLimbs = 4096;  // ~36,000 decimal digits

  BigInt() = default;
  static BigInt FromInt64(int64_t v);
  // Parses digits in `base` (2, 8, 10, 16); no sign, no underscores. nullopt when malformed.
  static std::optional<BigInt> Parse(std::string_view digits, int base);
  // Truncates a finite double toward zero.
  static BigInt FromDouble(double d);

  bool is_zero() const { return mag_.empty(); }
  bool negative() const { return neg_; }
  size_t limbs() const { return mag_.size(); }
  bool ToInt64(int64_t* out) const;
  double ToDouble() const;
  std::string ToString() const;
  size_t DecimalDigits() const;

  int Compare(const BigInt& o) const;
  BigInt Neg() const;
  BigInt Abs() const;
  static BigInt Add(const BigInt& a, const BigInt& b);
  static BigInt Sub(const BigInt& a, const BigInt& b);
  static BigInt Mul(const BigInt& a, const BigInt& b);
  // Floor division and modulo (Python semantics). Precondition: b != 0.
  static void DivMod(const BigInt& a, const BigInt& b, BigInt* q, BigInt* r);
  // a ** e; nullopt when the result would exceed kMaxLimbs.
  static std::optional<BigInt> Pow(const BigInt& a, uint64_t e);
  bool IsOdd() const { return !mag_.empty() && (mag_[0] & 1); }

 private:
  static int CmpMag(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b);
  static std::vector<uint32_t> AddMag(const std::vector<uint32_t>& a,
                                      const std::vector<uint32_t>& b);
  static std::vector<uint32_t> SubMag(const std::vector<uint32_t>& a,
                                      const std::vector<uint32_t>& b);
  static std::vector<uint32_t> MulMag(const std::vector<uint32_t>& a,
                                      const std::vector<uint32_t>& b);
  static std::vector<uint32_t> MulSmall(const std::vector<uint32_t>& a, uint32_t m, uint32_t add);
  static void DivModMag(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                        std::vector<uint32_t>* q, std::vector<uint32_t>* r);
  void Trim();

  bool neg_ = false;
  std::vector<uint32_t> mag_;
};

}  // namespace herald::jinja
