// The CLI entry points (src/jinja/cli.h) that `herald template ...` calls.
#include "jinja/cli.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <unistd.h>

namespace herald::jinja {
namespace {

std::string TempFile(const std::string& content) {
  char path[] = "/tmp/herald_jinja_cli_XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  close(fd);
  return path;
}

TEST(JinjaCli, RenderPrintsOutput) {
  std::string t = TempFile("Hi {{ user }}!\n"), c = TempFile(R"({"user": "jdoe"})");
  std::ostringstream out, err;
  EXPECT_EQ(RunTemplateRender(t, c, false, out, err), 0);
  EXPECT_EQ(out.str(), "Hi jdoe!");
  std::remove(t.c_str());
  std::remove(c.c_str());
}

TEST(JinjaCli, RenderReportsErrorsWithLine) {
  std::string t = TempFile("ok\n{% if %}"), c = TempFile("{}");
  std::ostringstream out, err;
  EXPECT_EQ(RunTemplateRender(t, c, false, out, err), 1);
  EXPECT_EQ(err.str(), "TemplateSyntaxError: Expected an expression, got 'end of statement block' (line 2)\n");
  std::string t2 = TempFile("{{ missing }}");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunTemplateRender(t2, c, true, out2, err2), 1);
  EXPECT_EQ(err2.str(), "UndefinedError: 'missing' is undefined\n");
  std::remove(t.c_str());
  std::remove(t2.c_str());
  std::remove(c.c_str());
}

TEST(JinjaCli, ConformanceRunsTheCaseFile) {
  std::ostringstream out;
  EXPECT_EQ(RunTemplateConformance(std::string(HERALD_SOURCE_DIR) + "/tests/data/jinja2_cases.json", out), 0);
  EXPECT_NE(out.str().find("640 passed, 0 failed\n"), std::string::npos) << out.str();
  std::string bad = TempFile(R"({"cases": [{"name": "x", "template": "{{ 1 + 1 }}", "context": {},
    "undefined": "default", "expect": {"output": "3"}}]})");
  std::ostringstream out2;
  EXPECT_EQ(RunTemplateConformance(bad, out2), 1);
  EXPECT_NE(out2.str().find("FAIL x"), std::string::npos);
  EXPECT_NE(out2.str().find("0 passed, 1 failed"), std::string::npos);
  std::remove(bad.c_str());
}

}  // namespace
}  // namespace herald::jinja
