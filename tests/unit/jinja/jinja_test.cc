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
