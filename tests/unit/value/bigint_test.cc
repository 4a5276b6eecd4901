// Ints beyond 64 bits in the value model (value/bigint.h): JSON round trips, printing, equality,
// ordering and hashing as Python's int, json.loads and json.dumps have them (expected values
// from CPython 3.11).
#include "value/bigint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "value/json.h"

namespace herald {
namespace {

Value Parse(const std::string& text) {
  Result<Value> v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status().message();
  return v.ok() ? *v : Value();
}

Value Big(const std::string& digits) {
  bool neg = !digits.empty() && digits[0] == '-';
  auto b = BigInt::Parse(std::string_view(digits).substr(neg ? 1 : 0), 10);
  EXPECT_TRUE(b.has_value()) << digits;
  return MakeInt(neg ? b->Neg() : *b);
}

TEST(BigIntJson, IntsBeyond64BitsRoundTripExactly) {
  const std::string text =
      "[123456789012345678901234567890, -98765432109876543210987654321, 18446744073709551615, "
      "9223372036854775808, -9223372036854775809, 9223372036854775807, -9223372036854775808]";
  Value v = Parse(text);
  ASSERT_TRUE(v.is_list());
  EXPECT_TRUE(IsBigInt(v.as_list()[0]));
  EXPECT_EQ(v.as_list()[0].type_name(), "int");
  EXPECT_TRUE(IsBigInt(v.as_list()[2]));  // past INT64_MAX but within uint64: not a float
  EXPECT_TRUE(v.as_list()[5].is_int());   // what fits stays Kind::Int
  EXPECT_TRUE(v.as_list()[6].is_int());
  EXPECT_EQ(DumpJson(v), text);
  EXPECT_EQ(DumpJsonCompact(v),
            "[123456789012345678901234567890,-98765432109876543210987654321,"
            "18446744073709551615,9223372036854775808,-9223372036854775809,"
            "9223372036854775807,-9223372036854775808]");
  EXPECT_EQ(v.repr(),
            "[123456789012345678901234567890, -98765432109876543210987654321, "
            "18446744073709551615, 9223372036854775808, -9223372036854775809, "
            "9223372036854775807, -9223372036854775808]");
}

TEST(BigIntJson, NestedAmongOtherValuesAndDuplicateKeys) {
  // Numbers the parser sets aside are put back in document order, also after strings that hold
  // digits, escaped quotes, floats and a repeated key.
  Value v =
      Parse(R"({"s": "1 \" 99999999999999999999999", "a": [1.5, 99999999999999999999999, 2],)"
            R"( "k": 1, "k": -77777777777777777777777, "n": {"x": 1e400, "y": -1e400, "z": 3}})");
  JsonDumpOptions pretty;
  pretty.indent = 4;
  EXPECT_EQ(DumpJson(v, pretty),
            "{\n"
            "    \"s\": \"1 \\\" 99999999999999999999999\",\n"
            "    \"a\": [\n        1.5,\n        99999999999999999999999,\n        2\n    ],\n"
            "    \"k\": -77777777777777777777777,\n"
            "    \"n\": {\n        \"x\": Infinity,\n        \"y\": -Infinity,\n        \"z\": 3\n"
            "    }\n"
            "}");
}

TEST(BigIntJson, FloatsPastTheDoubleRangeAreInfinite) {
  Value v = Parse("[1e400, -1e400, 1e-400]");
  EXPECT_TRUE(std::isinf(v.as_list()[0].as_float()));
  EXPECT_LT(v.as_list()[1].as_float(), 0);
  EXPECT_EQ(DumpJson(v), "[Infinity, -Infinity, 0.0]");
  // Beside a big int (the second parse), floats keep their exact values; exponents of any length.
  EXPECT_EQ(DumpJson(Parse("[99999999999999999999, 0.1, 1.7976931348623157e308, 5e-324, "
                           "-2.5e-400, 1e-00000000000000000000001, 1e99999999999999999999]")),
            "[99999999999999999999, 0.1, 1.7976931348623157e+308, 5e-324, -0.0, 0.1, Infinity]");
}

TEST(BigIntJson, NaNAndInfinityReadBackAsPythonWritesThem) {
  Value v = Parse(R"({"a": [NaN, Infinity, -Infinity], "b": "NaN", "c": 99999999999999999999})");
  EXPECT_TRUE(std::isnan(v.get("a")->as_list()[0].as_float()));
  EXPECT_EQ(DumpJson(v),
            R"({"a": [NaN, Infinity, -Infinity], "b": "NaN", "c": 99999999999999999999})");
  for (const char* text : {"[nan]", "[Infinit]", "[-NaN]", "[+Infinity]", "[NaN1]", "[1NaN]",
                           "[1Infinity]", "[NaN NaN]", "[99999999999999999999999NaN]"}) {
    EXPECT_FALSE(ParseJson(text).ok()) << text;
  }
}

TEST(BigIntJson, DigitLimitIsPythons) {
  Value ok = Parse("-" + std::string(kMaxIntStrDigits, '7'));
  EXPECT_TRUE(IsBigInt(ok));
  Result<Value> bad = ParseJson("[1, " + std::string(kMaxIntStrDigits + 1, '1') + "]");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().label(), "ValueError");
  EXPECT_EQ(bad.status().message(),
            "Exceeds the limit (4300 digits) for integer string conversion: value has 4301 "
            "digits");
  // A megabyte of digits stops at the same check.
  EXPECT_FALSE(ParseJson(std::string(1 << 20, '9')).ok());
}

TEST(BigIntJson, MalformedNumbersStayErrors) {
  for (const char* text :
       {"[012345678901234567890123]", "[99999999999999999999999.]", "[-99999999999999999999999x]",
        "[1e400e]", "[--1]", "[1, 2", "99999999999999999999999 1", "[\"99999999999999999999999]"}) {
    Result<Value> v = ParseJson(text);
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.status().label(), "JSONDecodeError") << text;
  }
}

TEST(BigIntValue, EqualityIsExact) {
  Value two70 = Big("1180591620717411303424");  // 2**70
  EXPECT_TRUE(PyEquals(two70, Value(std::ldexp(1.0, 70))));
  EXPECT_FALSE(PyEquals(Big("1180591620717411303425"), Value(std::ldexp(1.0, 70))));
  EXPECT_TRUE(PyEquals(two70, Big("1180591620717411303424")));
  EXPECT_FALSE(PyEquals(two70, Big("-1180591620717411303424")));
  EXPECT_FALSE(PyEquals(two70, Value("1180591620717411303424")));
  EXPECT_FALSE(PyEquals(two70, Value(INT64_MAX)));
  EXPECT_EQ(PyHash(two70), PyHash(Value(std::ldexp(1.0, 70))));
  // As a dict key it finds the equal float, as in Python.
  Dict d;
  d.set_item(two70, Value(1));
  EXPECT_NE(d.find_item(Value(std::ldexp(1.0, 70))), nullptr);
  EXPECT_EQ(DumpJson(Value(std::move(d))), R"({"1180591620717411303424": 1})");
}

TEST(BigIntValue, OrderingIsExact) {
  Value big = Big("1180591620717411303425");
  auto lt = [](const Value& a, const Value& b) {
    Result<bool> r = PyCompare(a, b, "<");
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() && *r;
  };
  EXPECT_TRUE(lt(Value(std::ldexp(1.0, 70)), big));  // float(2**70) < 2**70 + 1
  EXPECT_FALSE(lt(big, Value(std::ldexp(1.0, 70))));
  EXPECT_TRUE(lt(Value(INT64_MAX), big));
  EXPECT_TRUE(lt(Big("-1180591620717411303425"), Value(INT64_MIN)));
  EXPECT_TRUE(lt(Big("-1180591620717411303425"), Big("-1180591620717411303424")));
  EXPECT_TRUE(lt(big, Value(HUGE_VAL)));
  EXPECT_FALSE(lt(big, Value(std::nan(""))));
  EXPECT_TRUE(lt(Value(true), big));
  Result<int> cmp = PyCmp(big, Big("1180591620717411303425"));
  ASSERT_TRUE(cmp.ok());
  EXPECT_EQ(*cmp, 0);
  Result<bool> bad = PyCompare(big, Value("x"), "<");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "'<' not supported between instances of 'int' and 'str'");
}

TEST(BigIntValue, PrintingPastTheDigitLimitFails) {
  auto huge = BigInt::Pow(BigInt::FromInt64(10), kMaxIntStrDigits);
  ASSERT_TRUE(huge.has_value());
  Value v = MakeInt(*huge);  // 4301 digits
  EXPECT_THROW(v.repr(), IntStrDigitsError);
  EXPECT_THROW(DumpJson(v), IntStrDigitsError);  // json.dumps raises ValueError too
  EXPECT_THROW(DumpJson(Value(List{Value(1), v})), IntStrDigitsError);
  EXPECT_TRUE(v.truthy());
}

TEST(BigIntValue, MakeIntNormalisesToKindInt) {
  EXPECT_TRUE(MakeInt(BigInt::FromInt64(INT64_MIN)).is_int());
  EXPECT_TRUE(IsBigInt(MakeInt(BigInt::FromUint64(UINT64_MAX))));
  EXPECT_EQ(MakeInt(BigInt::FromUint64(UINT64_MAX)).repr(), "18446744073709551615");
  EXPECT_EQ(BigInt::FromUint64(UINT64_MAX).ToDouble(), 18446744073709551616.0);
}

}  // namespace
}  // namespace herald
