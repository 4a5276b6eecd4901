// Python ints beyond 64 bits: the arithmetic (BigInt) and the Value that carries one.
//
// A Value of kind Int holds any int that fits in 64 bits; a larger one (from JSON such as
// 123456789012345678901234567890, or from template arithmetic) is an Object, BigIntObject,
// whose type_name() is "int". Keeping big ints out of the Int kind keeps the Value small and
// the common path for ordinary ints free of checks; MakeInt() is the one place that decides
// which form an int takes, so a BigIntObject never holds a value that fits in 64 bits.
//
// BigInt: magnitude in base 1e9 limbs (little endian) plus a sign. Division and modulo floor
// like Python. Sizes are capped by kMaxLimbs; operations that would exceed it report failure so
// a template cannot allocate without bound.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "value/value.h"

namespace herald {

// Python 3.11+'s default sys.get_int_max_str_digits(): converting an int with more decimal digits
// to or from a string raises ValueError. JSON parsing refuses such numbers and a template's
// printing of one fails the render the same way.
constexpr size_t kMaxIntStrDigits = 4300;

class BigInt {
 public:
  static constexpr uint32_t kBase = 1000000000u;
  static constexpr size_t kMaxLimbs = 4096;  // ~36,000 decimal digits

  BigInt() = default;
  static BigInt FromInt64(int64_t v);
  static BigInt FromUint64(uint64_t v);
  // Parses digits in `base` (2, 8, 10, 16); no sign, no underscores. nullopt when malformed.
  static std::optional<BigInt> Parse(std::string_view digits, int base);
  // Truncates a finite double toward zero.
  static BigInt FromDouble(double d);

  bool is_zero() const { return mag_.empty(); }
  bool negative() const { return neg_; }
  size_t limbs() const { return mag_.size(); }
  bool ToInt64(int64_t* out) const;
  // Nearest double (correctly rounded; +-inf beyond the double range).
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

// Python's ValueError message for printing an int of more than kMaxIntStrDigits digits.
std::string IntStrDigitsMessage();

// Thrown by BigIntObject's str()/repr() (and so DumpJson) for an int of more than
// kMaxIntStrDigits digits. what() is IntStrDigitsMessage().
class IntStrDigitsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The Object behind a Value holding an int that does not fit in 64 bits. Immutable.
class BigIntObject final : public Object {
 public:
  explicit BigIntObject(BigInt v) : v_(std::move(v)) {}
  const BigInt& value() const { return v_; }
  std::string type_name() const override { return "int"; }
  // The decimal digits; IntStrDigitsError past kMaxIntStrDigits.
  std::string repr() const override;
  bool truthy() const override { return !v_.is_zero(); }
  // Exact, as Python: against ints, bools and big ints by value, against floats exactly (2**70 + 1
  // != float(2**70)).
  bool equals(const Value& other) const override;
  // Equal to the hash of an equal float.
  size_t hash() const override;

 private:
  BigInt v_;
};

// An int Value: Kind::Int when v fits in 64 bits, else a BigIntObject.
Value MakeInt(BigInt v);
// Is v an int beyond 64 bits?
inline bool IsBigInt(const Value& v) {
  return v.is_object() && dynamic_cast<const BigIntObject*>(v.as_object().get()) != nullptr;
}
// The BigInt of a big int Value. Precondition: IsBigInt(v).
inline const BigInt& BigIntOf(const Value& v) {
  return static_cast<const BigIntObject*>(v.as_object().get())->value();
}
// Any Python int (bool included) as BigInt; false when v is not an int.
bool ToBigInt(const Value& v, BigInt* out);
// Exact comparison of an int with a float as Python does it: -1, 0 or 1; 2 when d is NaN.
int CompareIntFloat(const BigInt& i, double d);
// Python's ordering of two numbers when at least one is a big int: -1, 0 or 1 (exact, also
// against floats: inf and -inf order as in Python), 3 when the other is NaN (unordered), 2 when
// one of them is not a number.
int CompareBigNumbers(const Value& a, const Value& b);

}  // namespace herald
