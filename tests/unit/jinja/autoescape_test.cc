// String concatenation (~) under autoescape, as Jinja2 3.1's markup_join does it: the result is
// Markup (others escaped) only when an operand is Markup, else a plain str that output escapes.
// Herald's UI renders every page under autoescape, so a `~` must never let text through raw.
// Expected outputs come from real Jinja2 3.1.6 (SandboxedEnvironment):
//   python3 -c 'from jinja2.sandbox import SandboxedEnvironment as E;
//   print(E().from_string(T).render(html=H))'
#include <gtest/gtest.h>

#include "jinja/jinja.h"
#include "value/json.h"

namespace herald::jinja {
namespace {

std::string R(const std::string& tmpl) {
  Environment env;
  auto r = env.Render(tmpl, *ParseJson(R"({"html": "<a href=\"x\">R&D's</a>"})"));
  if (!r.ok()) return "ERR " + r.error().ToString();
  return r.value();
}

TEST(JinjaAutoescape, ConcatEscapesPlainText) {
  EXPECT_EQ(R("{% autoescape true %}{{ html ~ '!' }}{% endautoescape %}"),
            "&lt;a href=&#34;x&#34;&gt;R&amp;D&#39;s&lt;/a&gt;!");
  EXPECT_EQ(R("{% autoescape true %}{{ (html|safe) ~ html }}{% endautoescape %}"),
            "<a href=\"x\">R&D's</a>&lt;a href=&#34;x&#34;&gt;R&amp;D&#39;s&lt;/a&gt;");
  EXPECT_EQ(
      R("{% autoescape true %}{% set x = html ~ '<' %}{{ x }}|{{ x|length }}{% endautoescape %}"),
      "&lt;a href=&#34;x&#34;&gt;R&amp;D&#39;s&lt;/a&gt;&lt;|22");
  EXPECT_EQ(R("{% autoescape true %}{{ (html ~ '<')|safe }}{% endautoescape %}"),
            "<a href=\"x\">R&D's</a><");
  EXPECT_EQ(R("{{ html ~ '<' }}"), "<a href=\"x\">R&D's</a><");
}

}  // namespace
}  // namespace herald::jinja
