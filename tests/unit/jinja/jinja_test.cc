// Unit tests of the template engine's public API.
#include "jinja/jinja.h"

#include <gtest/gtest.h>

#include "value/json.h"

namespace herald::jinja {
namespace {

std::string R(const std::string& tmpl, const std::string& ctx = "{}", Options o = {}) {
  Environment env(o);
  auto r = env.Render(tmpl, *ParseJson(ctx));
  if (!r.ok()) return "ERR " + r.error().ToString();
  return r.value();
}

TEST(Jinja, RendersSlackOneLiner) {
  EXPECT_EQ(R("{\"text\": \"IP {{ data['address'] }} by {{ username }}!\"}",
              R"({"data": {"address": "10.0.0.1/24"}, "username": "jdoe"})"),
            "{\"text\": \"IP 10.0.0.1/24 by jdoe!\"}");
}

// The str predicates and case conversions, and list and dict copy() and clear(), as Jinja2 3.1
// (Python 3.11) renders them; the conformance corpus leaves most of them out.
TEST(Jinja, StrPredicatesCaseConversionsAndCopyClear) {
  EXPECT_EQ(R("{% for s in ['', 'abc', 'ABC', 'Abc Def', 'abc1', '١٢', '½', ' \t', 'ǅungla'] %}"
              "{{ [s.isdigit(), s.isdecimal(), s.isnumeric(), s.isalpha(), s.isalnum(), "
              "s.isspace(), s.isupper(), s.islower(), s.istitle()]|map('int')|join }};"
              "{% endfor %}"),
            "000000000;000110010;000110100;000000001;000010010;111010000;001010000;000001000;"
            "000110001;");
  EXPECT_EQ(R("{{ 'ßtraße ǅ Σσ'.upper() }}|{{ 'ÀB'.lower() }}|{{ 'hello wORLD'.title() }}|"
              "{{ 'hELLO'.capitalize() }}|{{ 'aBΣ'.swapcase() }}|{{ 'Straße'.casefold() }}"),
            "SSTRASSE Ǆ ΣΣ|àb|Hello World|Hello|Abς|strasse");
  EXPECT_EQ(R("{{ 'x'.isalnum(1) }}"),
            "ERR TypeError: isalnum() takes exactly 0 arguments (1 given)");
  EXPECT_EQ(R("{% set l = [1, 2] %}{% set c = l.copy() %}{{ l.clear() }}{{ l }}{{ c }}"
              "{% set d = {'a': 1} %}{% set e = d.copy() %}{{ d.clear() }}{{ d }}{{ e }}"),
            "None[][1, 2]None{}{'a': 1}");
}

TEST(Jinja, CompileReportsSyntaxErrorWithLine) {
  Environment env;
  auto t = env.Compile("line1\n{% if %}");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().type, "TemplateSyntaxError");
  EXPECT_EQ(t.error().lineno, 2);
  EXPECT_EQ(t.error().phase, "parse");
}

TEST(Jinja, CompileRejectsUnknownFilter) {
  Environment env;
  auto t = env.Compile("{{ x|nosuch }}");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().ToString(), "TemplateAssertionError: No filter named 'nosuch'. (line 1)");
}

// Python's compiler refuses the function Jinja2 generates for these, so they never render.
TEST(Jinja, CompileRejectsRepeatedMacroParameters) {
  Environment env;
  for (const char* src : {"{% macro m(a, a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}",
                          "{% macro m(a, b=1, a=2) %}{% endmacro %}",
                          "{% for i in x %}\n{% macro m(b, b) %}{% endmacro %}{% endfor %}",
                          "{% call(x, x) m() %}{% endcall %}"}) {
    auto t = env.Compile(src);
    ASSERT_FALSE(t.ok()) << src;
    EXPECT_EQ(t.error().type, "SyntaxError") << src;
    EXPECT_NE(t.error().message.find("duplicate argument"), std::string::npos) << src;
  }
  EXPECT_TRUE(env.Compile("{% macro m(a, b) %}{% endmacro %}").ok());
}

TEST(Jinja, CustomFilterAndHeaderSafe) {
  Environment env;
  env.AddFilter("twice", [](const FilterArgs& c) -> Result<Value> {
    return Value(c.input.str() + c.input.str());
  });
  AddHeaderSafeFilter(env);
  auto r = env.Render("{{ 'ab'|twice }}|{{ v|header_safe }}",
                      *ParseJson(R"({"v": "a\r\nb\u0000c\u007f"})"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value(), "abab|abc");
}

}  // namespace
}  // namespace herald::jinja
