// `herald template bench` run as a user runs it: the real binary with a short --seconds. Checks
// the summary's last line ("N renders/s"), the error cases (missing files, invalid JSON, a
// template that does not compile, a render error, --seconds <= 0), and that every template in
// bench/templates renders with its contexts. No timing thresholds: only the output's shape.
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "integration/harness.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace herald::testing {
namespace {

std::string LastLine(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  size_t nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

RunResult Bench(const std::string& tmpl, const std::string& ctx,
                const std::vector<std::string>& extra = {"--seconds", "0.05"}) {
  std::vector<std::string> args = {"template", "bench", "--template", tmpl, "--context", ctx};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunHerald(args);
}

const std::regex kRateLine("^[0-9]+ renders/s$");

TEST(TemplateBench, RendersAndEndsWithRate) {
  TempDir dir;
  std::string t = dir.path() + "/t.j2", one = dir.path() + "/one.json",
              many = dir.path() + "/many.json";
  ASSERT_TRUE(WriteFile(t, "{{ data.name }}:{{ data | tojson }}"));
  ASSERT_TRUE(WriteFile(one, R"({"data": {"name": "a"}})"));
  ASSERT_TRUE(WriteFile(many, R"([{"data": {"name": "a"}}, {"data": {"name": "b", "n": [1]}}])"));
  for (const std::string& ctx : {one, many}) {
    RunResult r = Bench(t, ctx);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(std::regex_match(LastLine(r.out), kRateLine)) << r.out;
  }
  RunResult many_r = Bench(t, many);
  EXPECT_NE(many_r.out.find("contexts: 2"), std::string::npos) << many_r.out;
}

TEST(TemplateBench, Errors) {
  TempDir dir;
  std::string t = dir.path() + "/t.j2", ctx = dir.path() + "/c.json";
  ASSERT_TRUE(WriteFile(t, "{{ data.name }}"));
  ASSERT_TRUE(WriteFile(ctx, R"({"data": {"name": "a"}})"));
  struct Case {
    std::string tmpl, ctx, template_text, context_text, expected_error;
    std::vector<std::string> extra;
    int exit_code;
  };
  const std::vector<Case> cases = {
      {dir.path() + "/missing.j2", ctx, "", "", "cannot read template file", {}, 1},
      {t, dir.path() + "/missing.json", "", "", "cannot read context file", {}, 1},
      {t, dir.path() + "/bad.json", "", "{\"data\": ", "invalid JSON in context file", {}, 1},
      {t, dir.path() + "/list.json", "", "[1, 2]", "is not a JSON object", {}, 1},
      {t, dir.path() + "/empty.json", "", "[]", "holds an empty array", {}, 1},
      {dir.path() + "/syntax.j2", ctx, "{% if %}", "", "TemplateSyntaxError", {}, 1},
      {dir.path() + "/render.j2", ctx, "{{ 1 / 0 }}", "", "ZeroDivisionError", {}, 1},
      {t, ctx, "", "", "--seconds must be greater than 0", {"--seconds", "0"}, 2},
      {t, ctx, "", "", "--seconds must be greater than 0", {"--seconds", "-1"}, 2},
  };
  for (const Case& c : cases) {
    if (!c.template_text.empty()) {
      ASSERT_TRUE(WriteFile(c.tmpl, c.template_text));
    }
    if (!c.context_text.empty()) {
      ASSERT_TRUE(WriteFile(c.ctx, c.context_text));
    }
    RunResult r = Bench(c.tmpl, c.ctx,
                        c.extra.empty() ? std::vector<std::string>{"--seconds", "0.05"} : c.extra);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.expected_error << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expected_error), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("renders/s"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace herald::testing
