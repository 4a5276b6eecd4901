// Hostile-template suite: templates built to exhaust the stack, memory or time (self-referencing
// structures, every width/size/count/repeat argument at 10**9 and beyond, deep nesting, deep
// recursion through macros, recursive loops and includes). Each case renders in a forked child
// whose address space is capped at about 1 GB (RLIMIT_AS; not under AddressSanitizer, whose
// shadow memory needs more), so an allocation that escapes a limit kills the child with
// bad_alloc or a signal instead of passing. Every case must end with the named error; no case
// asserts a duration (the engine's own deadline bounds each render).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "jinja/jinja.h"

#if defined(__SANITIZE_ADDRESS__)
#define HERALD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HERALD_ASAN 1
#endif
#endif

namespace herald::jinja {
namespace {

constexpr rlim_t kAddressSpaceLimit = 1ULL << 30;  // about 1 GB

struct Hostile {
  const char* tmpl;
  const char* type;     // expected error type
  const char* message;  // expected substring of the message ("" = any)
};

// Renders `tmpl` in a child under the address-space limit. Returns "ok:<output size>",
// "error:<type>:<message>" or "crash:<how>".
std::string RenderInChild(const std::string& tmpl) {
  int fds[2];
  if (pipe(fds) != 0) return "crash:pipe failed";
  pid_t pid = fork();
  if (pid < 0) return "crash:fork failed";
  if (pid == 0) {
    close(fds[0]);
#ifndef HERALD_ASAN
    rlimit rl{kAddressSpaceLimit, kAddressSpaceLimit};
    setrlimit(RLIMIT_AS, &rl);
#endif
    std::string result;
    {
      Environment env;
      env.AddTemplate("self.j2", "{% include 'self.j2' %}");
      env.AddTemplate("ext.j2", "{% extends 'ext.j2' %}");
      env.AddTemplate("macros.j2", "{% macro m(n) %}{% import 'macros.j2' as x %}{{ x.m(n) }}{% endmacro %}");
      auto r = env.Render(tmpl, Value::MakeDict());
      result = r.ok() ? "ok:" + std::to_string(r.value().size()) : "error:" + r.error().type + ":" + r.error().message;
    }
    size_t off = 0;
    while (off < result.size()) {
      ssize_t n = write(fds[1], result.data() + off, result.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return "crash:signal " + std::to_string(WTERMSIG(status));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "crash:exit " + std::to_string(WEXITSTATUS(status));
  return out;
}

void Check(const std::vector<Hostile>& cases) {
  for (const Hostile& h : cases) {
    std::string got = RenderInChild(h.tmpl);
    std::string want = std::string("error:") + h.type + ":";
    EXPECT_EQ(got.compare(0, want.size(), want), 0) << h.tmpl << "\n  got: " << got.substr(0, 300);
    if (got.compare(0, want.size(), want) == 0) {
      EXPECT_NE(got.find(h.message), std::string::npos) << h.tmpl << "\n  got: " << got.substr(0, 300);
    }
  }
}

const char* kLimit = "ResourceLimitError";

TEST(JinjaHostile, CyclicStructures) {
  static const std::string a = "{% set a = [] %}{% set _ = a.append(a) %}{% set b = [] %}{% set _ = b.append(b) %}";
  static const std::string d =
      "{% set d = {} %}{% set _ = d.update({'x': d}) %}{% set e = {} %}{% set _ = e.update({'x': e}) %}";
  static const std::vector<std::string> t = {
      a + "{{ a == b }}", a + "{{ a < b }}", a + "{{ a in b }}", a + "{{ [a, b]|sort }}", a + "{{ a|tojson }}",
      a + "{{ a|unique|list }}", d + "{{ d == e }}", d + "{{ d|tojson }}", d + "{{ [d, e]|unique|list }}",
  };
  Check({
      {t[0].c_str(), "RecursionError", "in comparison"},
      {t[1].c_str(), "RecursionError", "in comparison"},
      {t[2].c_str(), "RecursionError", "in comparison"},
      {t[3].c_str(), "RecursionError", "in comparison"},
      {t[4].c_str(), "ValueError", "Circular reference detected"},
      {t[5].c_str(), "TypeError", "unhashable"},
      {t[6].c_str(), "RecursionError", "in comparison"},
      {t[7].c_str(), "ValueError", "Circular reference detected"},
      {t[8].c_str(), "TypeError", "unhashable"},
  });
}

TEST(JinjaHostile, HugeWidthsAndCounts) {
  Check({
      {"{{ [1]|tojson(indent=10**9) }}", kLimit, ""},
      {"{{ {'a': [1, {'b': 2}]}|tojson(indent=100000000) }}", kLimit, ""},
      {"{{ '%.*f'|format(10**9, 1.5) }}", kLimit, ""},
      {"{{ '%*d'|format(10**9, 1) }}", kLimit, ""},
      {"{{ '%10000000000d'|format(1) }}", kLimit, ""},
      {"{{ '%1000000000d'|format(1) }}", kLimit, ""},
      {"{{ '%-1000000000s'|format('x') }}", kLimit, ""},
      {"{{ '%.1000000000f'|format(1.5) }}", kLimit, ""},
      {"{{ '%01000000000.2f'|format(1.5) }}", kLimit, ""},
      {"{{ '%s' % ('x' * 600000 ~ 'y' * 600000) }}", kLimit, ""},
      {"{{ '{:>1000000000}'.format(1) }}", kLimit, ""},
      {"{{ '{:<1000000000}'.format('x') }}", kLimit, ""},
      {"{{ '{:^1000000000}'.format('x') }}", kLimit, ""},
      {"{{ '{:01000000000d}'.format(1) }}", kLimit, ""},
      {"{{ '{:.1000000000f}'.format(1.0) }}", kLimit, ""},
      {"{{ '{:.1000000000e}'.format(1.0) }}", kLimit, ""},
      {"{{ '{:,.900000000f}'.format(1.0) }}", kLimit, ""},
      {"{{ '{:{}}'.format(1, 10**9) }}", kLimit, ""},
      {"{{ ('\\t' * 1000).expandtabs(10**9) }}", kLimit, ""},
      {"{{ 'a\\tb'.expandtabs(10**9) }}", kLimit, ""},
      {"{{ 'x'|center(10**9) }}", kLimit, ""},
      {"{{ 'x'.center(10**9) }}", kLimit, ""},
      {"{{ 'x'.ljust(10**9) }}", kLimit, ""},
      {"{{ 'x'.rjust(10**9) }}", kLimit, ""},
      {"{{ 'x'.zfill(10**9) }}", kLimit, ""},
      {"{{ 'x\\ny\\nz'|indent(10**9) }}", kLimit, ""},
      {"{{ 'x\\ny'|indent(10**9, true) }}", kLimit, ""},
      {"{{ 'x\\ny'|indent('a' * 10**7) }}", kLimit, ""},
      {"{{ 'x'|truncate(5, end='y' * 10**9) }}", kLimit, ""},
      {"{{ ('x ' * 400000)|wordwrap(10**9, wrapstring='y' * 10**6) }}", kLimit, ""},
      {"{{ ('x ' * 400000)|wordwrap(1) }}", kLimit, ""},
      {"{{ 'a' * 10**9 }}", kLimit, ""},
      {"{{ 'ab' * 2**62 }}", kLimit, ""},
      {"{{ [1] * 10**9 }}", kLimit, ""},
      {"{{ (1, 2) * 10**9 }}", kLimit, ""},
      {"{{ 10**9 * 'a' }}", kLimit, ""},
      {"{{ ('x' * 1000000)|replace('x', 'yy') }}", kLimit, ""},
      {"{{ ('x' * 1000).replace('x', 'y' * 10000, 10**9) }}", kLimit, ""},
      {"{{ ('x' * 1000).replace('', 'y' * 10000) }}", kLimit, ""},
      {"{{ (['x' * 1000] * 2000)|join }}", kLimit, ""},
      {"{{ ['a', 'b']|join('x' * 10**6) }}", kLimit, ""},
      {"{{ ('y' * 1000).join(['x'] * 2000) }}", kLimit, ""},
      {"{{ range(10)|batch(10**9, 'x')|list }}", kLimit, ""},
      {"{{ range(10)|slice(10**9)|list }}", kLimit, ""},
      {"{{ range(10)|slice(3, 'x' * 10**6)|list|string }}", kLimit, ""},
      {"{{ range(10**9)|list }}", kLimit, ""},
      {"{{ range(10**9)|join }}", kLimit, ""},
      {"{{ range(10**9)|sum }}", kLimit, ""},
      {"{{ range(10**9)|sort|first }}", kLimit, ""},
      {"{{ range(10**9)|map('string')|first }}", kLimit, ""},
      {"{{ range(10**9)|unique|first }}", kLimit, ""},
      {"{{ range(10**9)|reverse|list }}", kLimit, ""},
      {"{% for i in range(10**9) %}{% endfor %}", kLimit, ""},
      {"{% for i in range(10**5) %}{% for j in range(10**5) %}{% endfor %}{% endfor %}", kLimit, ""},
      {"{{ lipsum(10**9) }}", kLimit, ""},
      {"{{ lipsum(1, true, 10**9, 10**9) }}", kLimit, ""},
      {"{{ 7 ** 10**9 }}", kLimit, ""},
      {"{{ (10 ** 10**5) ** 10**5 }}", kLimit, ""},
      {"{{ '{:,}'.format(7 ** 10**7) }}", kLimit, ""},
      {"{% set x = [1] %}{% for i in range(64) %}{% set _ = x.extend(x) %}{% endfor %}", kLimit, ""},
      {"{% set x = ['x'] %}{% for i in range(64) %}{% set _ = x.extend(x + x) %}{% endfor %}", kLimit, ""},
      {"{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", kLimit, ""},
      {"{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}", kLimit, ""},
      {"{% set x = [] %}{% for i in range(10**8) %}{% set _ = x.append(i) %}{% endfor %}", kLimit, ""},
      {"{% set d = {} %}{% for i in range(10**8) %}{% set _ = d.update({i: i}) %}{% endfor %}", kLimit, ""},
      {"{{ ('x ' * 500000).split() }}", kLimit, ""},
      {"{{ ('x' * 1000000)|list|string }}", kLimit, ""},
      {"{{ ('x' * 1000000)|urlencode * 2 }}", kLimit, ""},
      {"{{ ('<' * 400000)|escape|string * 2 }}", kLimit, ""},
      {"{{ ('x ' * 400000)|title * 2 }}", kLimit, ""},
      {"{{ (range(300000)|list)|string }}", kLimit, ""},
      {"{{ (range(300000)|list)|pprint }}", kLimit, ""},
      {"{{ (range(300000)|list)|tojson }}", kLimit, ""},
  });
}

TEST(JinjaHostile, DeepNestingAndRecursion) {
  const int n = 100000;
  auto nest = [&](const std::string& open, const std::string& mid, const std::string& close) {
    std::string s;
    for (int i = 0; i < n; ++i) s += open;
    s += mid;
    for (int i = 0; i < n; ++i) s += close;
    return s;
  };
  std::vector<std::string> parse = {
      "{{ " + nest("(", "1", ")") + " }}",
      "{{ " + nest("[", "1", "]") + " }}",
      "{{ " + nest("{'k': ", "1", "}") + " }}",
      nest("{% if true %}", "x", "{% endif %}"),
      nest("{% for i in [1] %}", "x", "{% endfor %}"),
      nest("{% filter upper %}", "x", "{% endfilter %}"),
      nest("{% macro m() %}", "x", "{% endmacro %}"),
      "{{ " + std::string(n, '(') + " }}",
      "{{ " + nest("not ", "1", "") + " }}",
      "{{ " + nest("-", "1", "") + " }}",
      "{{ 1" + nest("", "", "|string") + " }}",
      "{{ x" + nest("", "", ".a") + " }}",
      "{{ x" + nest("", "", "[0]") + " }}",
      "{{ x" + nest("", "", "()") + " }}",
      "{{ 1" + nest("", "", " + 1") + " }}",
      "{{ 1" + nest("", "", " if 1 else 1") + " }}",
  };
  for (const std::string& t : parse) {
    std::string got = RenderInChild(t);
    EXPECT_EQ(got.rfind("error:TemplateSyntaxError:", 0), 0u) << t.substr(0, 80) << "\n  got: " << got.substr(0, 300);
  }
  Check({
      {"{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", kLimit, "recursion"},
      {"{% macro m(n) %}{% call m(n) %}x{% endcall %}{{ caller() }}{% endmacro %}{{ m(0) }}", kLimit, "recursion"},
      {"{% for x in [[1]] recursive %}{{ loop([x]) }}{% endfor %}", kLimit, "recursion"},
      {"{% include 'self.j2' %}", kLimit, "recursion"},
      {"{% import 'macros.j2' as x %}{{ x.m(0) }}", kLimit, "recursion"},
      {"{% set ns = namespace(v=[]) %}{% for i in range(100000) %}{% set ns.v = [ns.v] %}{% endfor %}{{ ns.v }}",
       "RecursionError", "repr"},
      {"{% set ns = namespace(v=[]) %}{% for i in range(100000) %}{% set ns.v = [ns.v] %}{% endfor %}{{ ns.v|tojson }}",
       "RecursionError", "JSON"},
      {"{% set ns = namespace(v=[]) %}{% for i in range(100000) %}{% set ns.v = [ns.v] %}{% endfor %}{{ ns.v|pprint }}",
       "RecursionError", ""},
      {"{% set ns = namespace(a=[], b=[]) %}{% for i in range(100000) %}{% set ns.a = [ns.a] %}{% set ns.b = [ns.b] %}"
       "{% endfor %}{{ ns.a == ns.b }}",
       "RecursionError", "comparison"},
      {"{% set ns = namespace(v=()) %}{% for i in range(100000) %}{% set ns.v = (ns.v,) %}{% endfor %}{{ {ns.v: 1} }}",
       "RecursionError", ""},
      {"{% set ns = namespace(v=1) %}{% for i in range(100000) %}{% set ns.v = namespace(v=ns.v) %}{% endfor %}{{ ns.v }}",
       "RecursionError", ""},
  });
}

}  // namespace
}  // namespace herald::jinja
