// `herald template bench` run as a user runs it: the real binary with a short --seconds. Checks
// the summary's last line ("N renders/s"), the error cases (missing files, invalid JSON, a
// template that does not compile, a render error, --seconds <= 0), and that every template in
// bench/templates renders with its contexts. No timing thresholds: only the output's shape.
#include <filesystem>
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

// Every bench/templates/*.j2 compiles and renders with NetBox-shaped contexts (a change, a
// creation and a deletion, as bench/templates/gen_contexts.py makes them).
TEST(TemplateBench, BenchTemplatesRender) {
  TempDir dir;
  const std::string ctx = dir.path() + "/contexts.json";
  const std::string device = R"({"id": 7, "url": "/api/dcim/devices/7/", "display": "d7",
      "name": "d7", "status": {"value": "failed", "label": "Failed"},
      "site": {"id": 1, "name": "ams1", "slug": "s"}, "role": {"id": 2, "name": "pdu"},
      "serial": "SN1", "asset_tag": null, "primary_ip4": {"address": "10.0.0.7/24"},
      "comments": "a \"note\"", "tags": ["lab", "prod"],
      "custom_fields": {"owner_team": null, "priority": 2}})";
  const std::string pre = R"({"id": 7, "name": "d7", "serial": "OLD", "tags": ["lab"]})";
  auto event = [&](const std::string& kind, const std::string& before, const std::string& after) {
    return R"({"event": ")" + kind +
           R"(", "timestamp": "2026-03-01T10:11:12.000+00:00", "model": "device",
        "username": "alice", "request_id": "r-1", "data": )" +
           device + R"(, "snapshots": {"prechange": )" + before + R"(, "postchange": )" + after +
           "}}";
  };
  ASSERT_TRUE(WriteFile(ctx, "[" + event("updated", pre, device) + "," +
                                 event("created", "null", device) + "," +
                                 event("deleted", device, "null") + "]"));
  int templates = 0;
  for (const auto& e : std::filesystem::directory_iterator(SourcePath("bench/templates"))) {
    if (e.path().extension() != ".j2") continue;
    ++templates;
    RunResult r = Bench(e.path().string(), ctx);
    EXPECT_EQ(r.exit_code, 0) << e.path() << "\n" << r.err;
    EXPECT_TRUE(std::regex_match(LastLine(r.out), kRateLine)) << r.out;
  }
  EXPECT_GE(templates, 4);
}

}  // namespace
}  // namespace herald::testing
