// Save-time checks that need the template engine and the condition compiler
// (validation/template_check.cc: CheckTemplateSyntax, CheckConditions): templates compile in
// the webhook environment (its filters included), conditions compile with NetBox's messages
// and say where the problem is.
#include <gtest/gtest.h>

#include <string>

#include "support/json.h"
#include "validation/forms.h"
#include "value/json.h"

namespace herald {
namespace {

using herald::testing::J;

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// CheckTemplateSyntax's "Label: message" ("" when the template compiles); a failure names no
// field.
std::string SyntaxError(const std::string& source) {
  Status st = CheckTemplateSyntax(source);
  if (!st.ok()) {
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << source;
    EXPECT_EQ(st.field(), "") << source;
    return st.ToString();
  }
  return "";
}

// CheckConditions' message ("" when the conditions compile); a failure is on "conditions".
std::string ConditionsMessage(const Value& conditions) {
  Status st = CheckConditions(conditions);
  if (!st.ok()) {
    EXPECT_EQ(st.code(), Code::kInvalidArgument);
    EXPECT_EQ(st.field(), "conditions");
  }
  return st.message();
}

TEST(CheckTemplateSyntax, ValidTemplatesCompile) {
  for (const char* ok :
       {"", "plain text", "{{ data.name }}", "{{ data | tojson }}", "{{ env('HOME') }}",
        "{% for k, v in data.items() %}{{ k }}={{ v }}{% endfor %}",
        "{% if data.x is defined %}{{ data.x }}{% endif %}", "{# comment #}",
        "{% set a = 1 %}{{ a + 1 }}", "{{ timestamp }} {{ event }} {{ snapshots }}"})
    EXPECT_EQ(SyntaxError(ok), "") << ok;
}

TEST(CheckTemplateSyntax, ErrorsSayTheirType) {
  for (const char* bad :
       {"{{ data.name", "{% if x %}", "{% endif %}", "{{ }}", "{% for %}{% endfor %}",
        "{{ data.name }", "{% nosuchtag %}", "{{ 1 + }}"}) {
    std::string err = SyntaxError(bad);
    EXPECT_TRUE(StartsWith(err, "TemplateSyntaxError: ")) << bad << " -> " << err;
    EXPECT_GT(err.size(), std::string("TemplateSyntaxError: ").size()) << bad;
  }
  // An unknown filter is found at compile time, as Jinja2 does.
  std::string err = SyntaxError("{{ data.name | nosuchfilter }}");
  EXPECT_TRUE(StartsWith(err, "TemplateAssertionError: ")) << err;
  EXPECT_NE(err.find("nosuchfilter"), std::string::npos) << err;
  // header_safe exists only where additional_headers render (SPEC 5.3), not for payload URLs.
  err = SyntaxError("{{ data.name | header_safe }}");
  EXPECT_TRUE(StartsWith(err, "TemplateAssertionError: ")) << err;
}

TEST(CheckConditions, FalsyAndValidConditionsAreFine) {
  for (const char* ok :
       {"null", "{}", "[]", "\"\"", "0", "false", R"({"attr": "name", "value": "x"})",
        R"({"or": [{"attr": "a", "value": 1}, {"attr": "b", "op": "in", "value": [1]}]})",
        R"({"attr": "status", "op": "changed"})"})
    EXPECT_EQ(ConditionsMessage(J(ok)), "") << ok;
}

TEST(CheckConditions, MessagesNameTheProblemAndWhereItIs) {
  EXPECT_EQ(ConditionsMessage(J(R"({"attr": "name", "op": "nope", "value": 1})")),
            "Unknown operator: nope. Must be one of: eq, gt, gte, lt, lte, in, contains, regex, "
            "changed, unchanged");
  // Top level: no location.
  EXPECT_EQ(ConditionsMessage(J(R"({"attr": "name", "op": "nope", "value": 1})")).find("(at "),
            std::string::npos);
  std::string nested = ConditionsMessage(J(
      R"({"and": [{"attr": "a", "value": 1}, {"or": [{"attr": "b", "op": "nope", "value": 1}]}]})"));
  EXPECT_TRUE(StartsWith(nested, "Unknown operator: nope")) << nested;
  EXPECT_NE(nested.find(" (at and[1].or[0])"), std::string::npos) << nested;
  for (const char* bad :
       {R"({"value": 1})", R"({"attr": "a"})", R"({"attr": "a", "value": 1, "x": 2})",
        R"({"attr": "a", "op": "regex", "value": "("})", R"("name")", "[1]",
        R"({"and": {"attr": "a", "value": 1}})", "1"})
    EXPECT_NE(ConditionsMessage(J(bad)), "") << bad;
}

}  // namespace
}  // namespace herald
