// The CLI entry points (src/jinja/cli.h) that `herald template ...` calls.
#include "jinja/cli.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "jinja/conformance.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace herald::jinja {
namespace {

// Files for the CLI to read, in a temporary directory removed with the fixture.
class JinjaCli : public ::testing::Test {
 protected:
  // A new file holding `content`; its path.
  std::string TempFile(const std::string& content) {
    std::string path = dir_.File("f" + std::to_string(files_++));
    EXPECT_TRUE(testing::WriteFile(path, content));
    return path;
  }

  testing::TempDir dir_{"jinja-cli"};
  int files_ = 0;
};

TEST_F(JinjaCli, RenderPrintsOutput) {
  std::string t = TempFile("Hi {{ user }}!\n"), c = TempFile(R"({"user": "jdoe"})");
  std::ostringstream out, err;
  EXPECT_EQ(RunTemplateRender(t, c, false, out, err), 0);
  EXPECT_EQ(out.str(), "Hi jdoe!");
}

TEST_F(JinjaCli, RenderReportsErrorsWithLine) {
  std::string t = TempFile("ok\n{% if %}"), c = TempFile("{}");
  std::ostringstream out, err;
  EXPECT_EQ(RunTemplateRender(t, c, false, out, err), 1);
  EXPECT_EQ(err.str(),
            "TemplateSyntaxError: Expected an expression, got 'end of statement block' (line 2)\n");
  std::string t2 = TempFile("{{ missing }}");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunTemplateRender(t2, c, true, out2, err2), 1);
  EXPECT_EQ(err2.str(), "UndefinedError: 'missing' is undefined\n");
}

TEST_F(JinjaCli, ConformanceRunsTheCaseFile) {
  std::ostringstream out;
  const std::string corpus = testing::DataPath("jinja2_cases.json");
  auto cases = ParseConformanceCases(testing::ReadFile(corpus));
  ASSERT_TRUE(cases.ok()) << cases.status().ToString();
  ASSERT_FALSE(cases->empty());
  EXPECT_EQ(RunTemplateConformance(corpus, out), 0);
  EXPECT_NE(out.str().find(std::to_string(cases->size()) + " passed, 0 failed\n"),
            std::string::npos)
      << out.str();
  std::string bad = TempFile(R"({"cases": [{"name": "x", "template": "{{ 1 + 1 }}", "context": {},
    "undefined": "default", "expect": {"output": "3"}}]})");
  std::ostringstream out2;
  EXPECT_EQ(RunTemplateConformance(bad, out2), 1);
  EXPECT_NE(out2.str().find("FAIL x"), std::string::npos);
  EXPECT_NE(out2.str().find("0 passed, 1 failed"), std::string::npos);
}

}  // namespace
}  // namespace herald::jinja
