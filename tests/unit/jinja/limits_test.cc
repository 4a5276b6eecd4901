// Each named render limit is hit by a template built to exceed it, and ends the render with a
// clear ResourceLimitError instead of a crash, hang or unbounded allocation.
#include <gtest/gtest.h>

#include <thread>

#include "jinja/jinja.h"
#include "value/json.h"

namespace herald::jinja {
namespace {

Error RenderError(const std::string& tmpl, Options o = {}) {
  Environment env(o);
  auto r = env.Render(tmpl, Value::MakeDict());
  EXPECT_FALSE(r.ok()) << tmpl;
  return r.ok() ? Error{} : r.error();
}

TEST(JinjaLimits, NestedHugeLoopsHitTheStepLimit) {
  Options o;
  o.limits.deadline = std::chrono::milliseconds(600000);  // so the step limit is what fires
  Error e = RenderError(
      "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}", o);
  EXPECT_EQ(e.type, "ResourceLimitError");
  EXPECT_EQ(e.phase, "render");
  EXPECT_NE(e.message.find("steps"), std::string::npos) << e.message;
}

TEST(JinjaLimits, OutputSizeIsCapped) {
  Options o;
  o.limits.max_output_bytes = 1000;
  Error e = RenderError("{% for i in range(1000) %}xxxxxxxxxx{% endfor %}", o);
  EXPECT_EQ(e.type, "ResourceLimitError");
  EXPECT_NE(e.message.find("output"), std::string::npos) << e.message;
}

TEST(JinjaLimits, StringGrowthIsCapped) {
  Error e = RenderError("{{ 'x' * 100000000 }}");
  EXPECT_EQ(e.type, "ResourceLimitError");
  e = RenderError(
      "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% "
      "endfor %}");
  EXPECT_EQ(e.type, "ResourceLimitError");
}

TEST(JinjaLimits, ListGrowthIsCapped) {
  Error e = RenderError("{{ ([0] * 1000000000)|length }}");
  EXPECT_EQ(e.type, "ResourceLimitError");
}

TEST(JinjaLimits, HugeIntegersAreCapped) {
  Error e = RenderError("{{ 7 ** 100000000 }}");
  EXPECT_EQ(e.type, "ResourceLimitError");
}

TEST(JinjaLimits, RecursionDepthIsCapped) {
  Error e = RenderError("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  EXPECT_EQ(e.type, "ResourceLimitError");
  EXPECT_NE(e.message.find("recursion"), std::string::npos) << e.message;
  Environment env;
  env.AddTemplate("self.j2", "{% include 'self.j2' %}");
  auto r = env.Render("{% include 'self.j2' %}", Value::MakeDict());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, "ResourceLimitError");
}

TEST(JinjaLimits, DeadlineIsEnforced) {
  Options o;
  o.limits.deadline = std::chrono::milliseconds(20);
  o.limits.max_steps = UINT64_MAX;
  Error e = RenderError(
      "{% for a in range(99999) %}{% for b in range(99999) %}{{ a }}{% endfor %}{% endfor %}", o);
  EXPECT_EQ(e.type, "ResourceLimitError");
  EXPECT_NE(e.message.find("deadline"), std::string::npos) << e.message;
}

TEST(JinjaLimits, DeepExpressionsAreRejectedAtParse) {
  std::string t = "{{ 1";
  for (int i = 0; i < 5000; ++i) t += " + 1";
  t += " }}";
  Environment env;
  auto c = env.Compile(t);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().type, "TemplateSyntaxError");
  std::string nested(2000, '(');
  auto c2 = env.Compile("{{ " + nested + " }}");
  ASSERT_FALSE(c2.ok());
}

TEST(JinjaLimits, RangeCapMatchesTheSandbox) {
  Error e = RenderError("{{ range(100001)|length }}");
  EXPECT_EQ(e.type, "OverflowError");
}

TEST(JinjaConcurrency, CompiledTemplateRendersFromManyThreads) {
  Environment env;
  auto t = env.Compile(
      "{% for i in items %}{{ i|upper }}{{ ',' if not loop.last }}{% endfor %}|{{ data|tojson }}");
  ASSERT_TRUE(t.ok());
  Value ctx = *ParseJson(R"({"items": ["a", "b", "c"], "data": {"z": 1, "a": [1, 2]}})");
  const std::string want = "A,B,C|{\"a\": [1, 2], \"z\": 1}";
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 2000; ++k) {
        auto r = t.value()->Render(ctx);
        if (!r.ok() || r.value() != want) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(JinjaLimits, AllocationBudgetIsConfigurable) {
  const std::string tmpl =
      "{% set l = [] %}{% for i in range(100) %}{% set _ = l.append('x' * 100000 ~ i) %}{% endfor "
      "%}{{ l|length }}";
  Options o;
  EXPECT_EQ(Environment(o).Render(tmpl, Value::MakeDict()).value(), "100");  // 10 MB < 256 MiB
  o.limits.max_alloc_bytes = 4 << 20;
  Error e = RenderError(tmpl, o);
  EXPECT_EQ(e.type, "ResourceLimitError");
  EXPECT_EQ(e.message, "template allocations exceed the limit of 4194304 bytes");
}

TEST(JinjaLimits, WidthsAreCheckedAgainstTheStringLimitBeforeAllocating) {
  Options o;
  o.limits.max_output_bytes = 4096;
  for (const char* t :
       {"{{ 'x'|center(5000) }}", "{{ '%5000d'|format(1) }}", "{{ '{:>5000}'.format(1) }}",
        "{{ [1]|tojson(indent=5000) }}", "{{ 'a\tb'.expandtabs(5000) }}", "{{ 'x'.zfill(5000) }}",
        "{{ 'a\nb'|indent(5000) }}", "{{ 'ab' * 2**62 }}", "{{ 'x'.ljust(2**62) }}"}) {
    Error e = RenderError(t, o);
    EXPECT_EQ(e.type, "ResourceLimitError") << t;
    EXPECT_EQ(e.message, "string exceeds the limit of 4096 bytes") << t;
  }
}

TEST(JinjaConcurrency, MutatingTemplatesDoNotTouchTheSharedContext) {
  Environment env;
  auto t = env.Compile("{% set _ = items.append(1) %}{{ items|length }}");
  ASSERT_TRUE(t.ok());
  Value ctx = *ParseJson(R"({"items": []})");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(t.value()->Render(ctx).value(), "1");
  EXPECT_EQ(ctx.get("items")->as_list().size(), 0u);
}

}  // namespace
}  // namespace herald::jinja
