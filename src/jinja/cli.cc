#include "jinja/cli.h"

#include <fstream>
#include <sstream>

#include "jinja/conformance.h"
#include "jinja/jinja.h"
#include "value/json.h"

namespace herald::jinja {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

int RunTemplateRender(const std::string& template_path, const std::string& context_path,
                      bool strict, std::ostream& out, std::ostream& err) {
  std::string source, ctx_text;
  if (!ReadFile(template_path, &source)) {
    err << "IOError: cannot read template file " << template_path << "\n";
    return 1;
  }
  if (!ReadFile(context_path, &ctx_text)) {
    err << "IOError: cannot read context file " << context_path << "\n";
    return 1;
  }
  Result<Value> ctx = ParseJson(ctx_text);
  if (!ctx.ok()) {
    err << ctx.status().ToString() << "\n";
    return 1;
  }
  if (!ctx->is_dict()) {
    err << "TypeError: the context must be a JSON object\n";
    return 1;
  }
  Options o;
  o.strict_undefined = strict;
  Environment env(o);
  auto r = env.Render(source, *ctx);
  if (!r.ok()) {
    err << r.error().ToString() << "\n";
    return 1;
  }
  out << r.value();
  return 0;
}

int RunTemplateConformance(const std::string& cases_path, std::ostream& out) {
  std::string text;
  if (!ReadFile(cases_path, &text)) {
    out << "IOError: cannot read " << cases_path << "\n";
    return 2;
  }
  Result<std::vector<ConformanceCase>> cases = ParseConformanceCases(text);
  if (!cases.ok()) {
    out << cases.status().ToString() << "\n";
    return 2;
  }
  int passed = 0, failed = 0;
  for (const ConformanceCase& c : *cases) {
    CaseResult r = RunConformanceCase(c);
    if (r.passed) {
      ++passed;
    } else {
      ++failed;
      out << "FAIL " << c.name << "\n  expected: " << r.expected << "\n  got:      " << r.got
          << "\n";
    }
  }
  out << passed << " passed, " << failed << " failed\n";
  return failed ? 1 : 0;
}

}  // namespace herald::jinja
