// Ints beyond 64 bits in templates: ints from the event's JSON print, compare and compute exactly,
// as Python Jinja2 does. Expected outputs from Jinja2 3.1.6's SandboxedEnvironment on CPython 3.11
// with the same context (json.loads of kContext).
#include <gtest/gtest.h>

#include "jinja/jinja.h"
#include "value/json.h"

namespace herald::jinja {
namespace {

constexpr const char* kContext =
    R"({"n": 123456789012345678901234567890, "m": -98765432109876543210987654321,)"
    R"( "u": 18446744073709551615, "f": 1.5, "i": 7})";

std::string R(const std::string& tmpl) {
  Environment env;
  Result<Value> ctx = ParseJson(kContext);
  if (!ctx.ok()) return "ERR context: " + ctx.status().message();
  auto r = env.Render(tmpl, *ctx);
  if (!r.ok()) return "ERR " + r.error().ToString();
  return r.value();
}

TEST(JinjaBigInt, PrintsComparesAndComputesExactly) {
  EXPECT_EQ(R("{{ n }}|{{ m }}|{{ u }}|{{ [n, m] }}|{{ {'k': n} }}"),
            "123456789012345678901234567890|-98765432109876543210987654321|18446744073709551615|["
            "123456789012345678901234567890, -98765432109876543210987654321]|{'k': "
            "123456789012345678901234567890}");
  EXPECT_EQ(
      R("{{ n + 1 }}|{{ n - m }}|{{ n * m }}|{{ n // 7 }}|{{ n % 7 }}|{{ m // 7 }}|{{ m % 7 }}|{{ "
        "-m }}|{{ n ** 2 }}"),
      "123456789012345678901234567891|222222221122222222112222222211|-"
      "12193263113702179522618503273362292333223746380111126352690|17636684144620811271604938270|0|"
      "-14109347444268077601569664903|0|98765432109876543210987654321|"
      "15241578753238836750495351562536198787501905199875019052100");
  EXPECT_EQ(R("{{ n == 123456789012345678901234567890 }}|{{ n < u }}|{{ m < i }}|{{ n > 1e29 }}|{{ "
              "n == n + 0 }}|{{ u - 18446744073709551615 }}"),
            "True|False|True|True|True|0");
  EXPECT_EQ(R("{{ n / 3 }}|{{ n + f }}|{{ n | string }}|{{ n | tojson }}|{{ n is integer }}|{{ n | "
              "abs }}|{{ m | abs }}"),
            "4.115226300411523e+28|1.2345678901234568e+29|123456789012345678901234567890|"
            "123456789012345678901234567890|True|123456789012345678901234567890|"
            "98765432109876543210987654321");
  EXPECT_EQ(R("{{ {'a': n, 'b': [m, u]} | tojson }}|{{ n | int }}|{{ n | float }}|{{ '%d' % n "
              "}}|{{ '{:,}'.format(n) }}"),
            "{\"a\": 123456789012345678901234567890, \"b\": [-98765432109876543210987654321, "
            "18446744073709551615]}|123456789012345678901234567890|1.2345678901234568e+29|"
            "123456789012345678901234567890|123,456,789,012,345,678,901,234,567,890");
  EXPECT_EQ(R("{{ [n, m, i, u] | sort }}|{{ [n, m, i] | max }}|{{ [n, m, i] | sum }}|{{ n in "
              "[123456789012345678901234567890] }}"),
            "[-98765432109876543210987654321, 7, 18446744073709551615, "
            "123456789012345678901234567890]|123456789012345678901234567890|"
            "24691356902469135690246913576|True");
  EXPECT_EQ(
      R("{{ m - n }}|{{ n - n }}|{{ (n - n) is integer }}|{{ u + 1 }}|{{ -u - 1 }}|{{ m * 0 }}"),
      "-222222221122222222112222222211|0|True|18446744073709551616|-18446744073709551616|0");
}

TEST(JinjaBigInt, PrintingPastPythonsDigitLimitIsAValueError) {
  EXPECT_EQ(R("{{ 10 ** 4299 > n }}"), "True");
  EXPECT_EQ(R("{{ (10 ** 4299) | string | length }}"), "4300");
  EXPECT_EQ(R("{{ 10 ** 4300 }}"),
            "ERR ValueError: Exceeds the limit (4300 digits) for integer string conversion; use "
            "sys.set_int_max_str_digits() to increase the limit");
  for (const char* t : {"{{ '%d' % 10 ** 4300 }}", "{{ '{:,}'.format(10 ** 4300) }}",
                        "{{ (10 ** 4300) | tojson }}", "{{ {'k': [10 ** 4300]} | tojson }}"}) {
    EXPECT_EQ(R(t),
              "ERR ValueError: Exceeds the limit (4300 digits) for integer string conversion; "
              "use sys.set_int_max_str_digits() to increase the limit")
        << t;
  }
  // Only decimal printing is limited, as in Python.
  EXPECT_EQ(R("{{ ('%x' % 10 ** 4300) | length }}|{{ '{:,}'.format(10 ** 4299) | length }}"),
            "3572|5733");
  EXPECT_EQ(R("{{ [10 ** 4300] }}"),
            "ERR ValueError: Exceeds the limit (4300 digits) for integer string conversion; use "
            "sys.set_int_max_str_digits() to increase the limit");
}

}  // namespace
}  // namespace herald::jinja
