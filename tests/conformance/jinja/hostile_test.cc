// Hostile-template suite: templates built to exhaust the stack, memory or time (self-referencing
// structures, every width/size/count/repeat argument at 10**9 and beyond, deep nesting, deep
// recursion through macros, recursive loops and includes). Each case renders in a forked child
// whose address space is capped at about 1 GB (RLIMIT_AS; not under AddressSanitizer, whose
// shadow memory needs more), so an allocation that escapes a limit kills the child with
// bad_alloc or a signal instead of passing. Every case must end with the named error; no case
// asserts a duration (the engine's own deadline bounds each render). One test per case, named
// after its group and number (the failure shows the template).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <ostream>
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
  std::string tmpl;
  std::string type;     // expected error type; "A|B" accepts either
  std::string message;  // expected substring of the message ("" = any)
};

// A case as a test parameter: the template and whether it renders with LongDeadline().
struct HostileCase {
  Hostile h;
  bool long_deadline = false;
  friend void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.h.tmpl.substr(0, 100); }
};

// Renders `tmpl` in a child under the address-space limit. Returns "ok:<output size>",
// "error:<type>:<message>" or "crash:<how>".
std::string RenderInChild(const std::string& tmpl, const Options& options = {}) {
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
      Environment env(options);
      env.AddTemplate("self.j2", "{% include 'self.j2' %}");
      env.AddTemplate("ext.j2", "{% extends 'ext.j2' %}");
      env.AddTemplate("macros.j2",
                      "{% macro m(n) %}{% import 'macros.j2' as x %}{{ x.m(n) }}{% endmacro %}");
      auto r = env.Render(tmpl, Value::MakeDict());
      result = r.ok() ? "ok:" + std::to_string(r.value().size())
                      : "error:" + r.error().type + ":" + r.error().message;
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
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "crash:exit " + std::to_string(WEXITSTATUS(status));
  return out;
}

// True when `got` ("error:<type>:<message>") has one of the '|'-separated types in `types`.
bool TypeMatches(const std::string& got, const std::string& types) {
  size_t start = 0;
  while (start <= types.size()) {
    size_t end = types.find('|', start);
    if (end == std::string::npos) end = types.size();
    std::string want = "error:" + types.substr(start, end - start) + ":";
    if (got.compare(0, want.size(), want) == 0) return true;
    start = end + 1;
  }
  return false;
}

const char* kLimit = "ResourceLimitError";

// For cases about one specific limit: a deadline far away, so that a busy machine cannot end
// them with a deadline error first.
Options LongDeadline() {
  Options o;
  o.limits.deadline = std::chrono::milliseconds(600000);
  return o;
}
// Python's own refusals (the sandbox's MAX_RANGE, format-spec overflow) are as good as a limit.
const char* kLimitOrPy = "ResourceLimitError|OverflowError|ValueError";

// `cases` as parameters, rendered with LongDeadline() when `long_deadline`.
std::vector<HostileCase> With(bool long_deadline, std::vector<Hostile> cases) {
  std::vector<HostileCase> out;
  for (auto& h : cases) out.push_back({std::move(h), long_deadline});
  return out;
}

std::vector<HostileCase> CyclicStructures() {
  static const std::string a =
      "{% set a = [] %}{% set _ = a.append(a) %}{% set b = [] %}{% set _ = b.append(b) %}";
  static const std::string d =
      "{% set d = {} %}{% set _ = d.update({'x': d}) %}{% set e = {} %}{% set _ = e.update({'x': "
      "e}) %}";
  static const std::vector<std::string> t = {
      a + "{{ a == b }}",      a + "{{ a < b }}",    a + "{{ a in b }}",
      a + "{{ [a, b]|sort }}", a + "{{ a|tojson }}", a + "{{ a|unique|list }}",
      d + "{{ d == e }}",      d + "{{ d|tojson }}", d + "{{ [d, e]|unique|list }}",
  };
  return With(true, {
                        {t[0], "RecursionError", "in comparison"},
                        {t[1], "RecursionError", "in comparison"},
                        {t[2], "RecursionError", "in comparison"},
                        {t[3], "RecursionError", "in comparison"},
                        {t[4], "ValueError", "Circular reference detected"},
                        {t[5], "TypeError", "unhashable"},
                        {t[6], "RecursionError", "in comparison"},
                        {t[7], "ValueError", "Circular reference detected"},
                        {t[8], "TypeError", "unhashable"},
                    });
}

std::vector<HostileCase> HugeWidthsAndCounts() {
  return With(
      false,
      {
          {"{{ [1]|tojson(indent=10**9) }}", kLimit, ""},
          {"{{ {'a': [1, {'b': 2}]}|tojson(indent=100000000) }}", kLimit, ""},
          {"{{ '%.*f'|format(10**9, 1.5) }}", kLimitOrPy, ""},
          {"{{ '%*d'|format(10**9, 1) }}", kLimitOrPy, ""},
          {"{{ '%10000000000d'|format(1) }}", kLimitOrPy, ""},
          {"{{ '%1000000000d'|format(1) }}", kLimitOrPy, ""},
          {"{{ '%-1000000000s'|format('x') }}", kLimitOrPy, ""},
          {"{{ '%.1000000000f'|format(1.5) }}", kLimitOrPy, ""},
          {"{{ '%01000000000.2f'|format(1.5) }}", kLimitOrPy, ""},
          {"{{ '%s' % ('x' * 600000 ~ 'y' * 600000) }}", kLimitOrPy, ""},
          {"{{ '{:>1000000000}'.format(1) }}", kLimitOrPy, ""},
          {"{{ '{:<1000000000}'.format('x') }}", kLimitOrPy, ""},
          {"{{ '{:^1000000000}'.format('x') }}", kLimitOrPy, ""},
          {"{{ '{:01000000000d}'.format(1) }}", kLimitOrPy, ""},
          {"{{ '{:.1000000000f}'.format(1.0) }}", kLimitOrPy, ""},
          {"{{ '{:.1000000000e}'.format(1.0) }}", kLimitOrPy, ""},
          {"{{ '{:,.900000000f}'.format(1.0) }}", kLimitOrPy, ""},
          {"{{ '{:{}}'.format(1, 10**9) }}", kLimitOrPy, ""},
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
          {"{{ ('x ' * 400000)|wordwrap(1, wrapstring='yy') }}", kLimit, ""},
          {"{{ ('x ' * 1000)|wordwrap(1, wrapstring='y' * 10**6) }}", kLimit, ""},
          {"{{ ('x ' * 400000)|wordwrap(10**9) * 2 }}", kLimit, ""},
          {"{{ 'a' * 10**9 }}", kLimit, ""},
          {"{{ 'ab' * 2**62 }}", kLimit, ""},
          {"{{ [1] * 10**9 }}", kLimit, ""},
          {"{{ (1, 2) * 10**9 }}", kLimit, ""},
          {"{{ 10**9 * 'a' }}", kLimit, ""},
          {"{{ ('x' * 1000000)|replace('x', 'yy') }}", kLimit, ""},
          {"{{ ('x' * 1000).replace('x', 'y' * 10000, 10**9) }}", kLimit, ""},
          {"{{ ('x' * 1000).replace('', 'y' * 10000) }}", kLimit, ""},
          {"{{ (['x' * 1000] * 2000)|join }}", kLimit, ""},
          {"{{ ['a', 'b', 'c']|join('x' * 10**6) }}", kLimit, ""},
          {"{{ ('y' * 1000).join(['x'] * 2000) }}", kLimit, ""},
          {"{{ range(10)|batch(10**9, 'x')|list }}", kLimit, ""},
          {"{{ range(10)|slice(10**9)|list }}", kLimit, ""},
          {"{{ range(10)|slice(3, 'x' * 10**6)|list|string }}", kLimit, ""},
          {"{{ range(10**9)|list }}", kLimitOrPy, ""},
          {"{{ range(10**9)|join }}", kLimitOrPy, ""},
          {"{{ range(10**9)|sum }}", kLimitOrPy, ""},
          {"{{ range(10**9)|sort|first }}", kLimitOrPy, ""},
          {"{{ range(10**9)|map('string')|first }}", kLimitOrPy, ""},
          {"{{ range(10**9)|unique|first }}", kLimitOrPy, ""},
          {"{{ range(10**9)|reverse|list }}", kLimitOrPy, ""},
          {"{% for i in range(10**9) %}{% endfor %}", kLimitOrPy, ""},
          {"{% for i in range(10**5) %}{% for j in range(10**5) %}{% endfor %}{% endfor %}",
           kLimitOrPy, ""},
          {"{{ lipsum(10**9) }}", kLimit, ""},
          {"{{ lipsum(1, true, 10**9, 10**9) }}", kLimit, ""},
          {"{{ 7 ** (10**9) }}", kLimit, ""},
          {"{{ 7 ** (10**7) }}", kLimit, ""},
          {"{{ 2 ** (2**40) }}", kLimit, ""},
          {"{{ (10 ** 5000) * (10 ** 5000) ~ '' }}", kLimitOrPy, ""},
          {"{{ (10 ** (10**5)) ** (10**5) }}", kLimit, ""},
          {"{{ '{:,}'.format(7 ** (10**6)) }}", kLimitOrPy, ""},
          {"{% set x = [1] %}{% for i in range(64) %}{% set _ = x.extend(x) %}{% endfor %}", kLimit,
           ""},
          {"{% set x = ['x'] %}{% for i in range(64) %}{% set _ = x.extend(x + x) %}{% endfor %}",
           kLimit, ""},
          {"{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% "
           "endfor %}",
           kLimit, ""},
          {"{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% "
           "endfor %}",
           kLimit, ""},
          {"{% set x = [] %}{% for i in range(10**8) %}{% set _ = x.append(i) %}{% endfor %}",
           kLimitOrPy, ""},
          {"{% set d = {} %}{% for i in range(10**8) %}{% set _ = d.update({i: i}) %}{% endfor %}",
           kLimitOrPy, ""},
          {"{{ ('x ' * 500000).split() }}", kLimit, ""},
          {"{{ ('x' * 1000000)|list|string }}", kLimit, ""},
          {"{{ ('x' * 1000000)|urlencode * 2 }}", kLimit, ""},
          {"{{ ('<' * 400000)|escape|string * 2 }}", kLimit, ""},
          {"{{ ('x ' * 400000)|title * 2 }}", kLimit, ""},
          {"{{ range(100000)|map('string')|map('center', 12)|list|string }}", kLimit, ""},
          {"{{ range(100000)|map('string')|map('center', 12)|list|pprint }}", kLimit, ""},
          {"{{ range(100000)|map('string')|map('center', 12)|list|tojson }}", kLimit, ""},
          {"{{ range(100000)|list|tojson(indent=10) }}", kLimit, ""},
          // One large string referenced 100,000 times: every walk that prints it is bounded.
          {"{% set l = ['x' * 1000000] * 100000 %}{{ l }}", kLimit, ""},
          {"{% set l = ['x' * 1000000] * 100000 %}{{ l|string|length }}", kLimit, ""},
          {"{% set l = ['x' * 1000000] * 100000 %}{{ l|tojson|length }}", kLimit, ""},
          {"{% set l = ['x' * 1000000] * 100000 %}{{ l|pprint|length }}", kLimit, ""},
          {"{% set l = ['x' * 1000000] * 100000 %}{{ l|join|length }}", kLimit, ""},
          {"{% set l = ['x' * 1000000] * 100000 %}{{ '%s' % (l,) }}", kLimit, ""},
          {"{% set l = ['x' * 1000000] * 100000 %}{{ '{}'.format(l)|length }}", kLimit, ""},
          {"{% set l = ['x' * 1000000] * 100000 %}{{ {'k': l}|urlencode|length }}", kLimit, ""},
          {"{% set l = ['x' * 1000000] * 100000 %}{{ l|map('upper')|list|length }}", kLimit, ""},
          {"{% set l = ['x' * 1000000] * 100000 %}{{ {'a': l}|xmlattr|length }}", kLimit, ""},
          // Quadratic work inside one filter or operator ends at the deadline.
          {"{{ ([[1]] * 100000)|sum(start=[])|length }}", kLimit, ""},
          {"{% set ns = namespace(v=range(100000)|list) %}{% for i in range(900) %}{% set ns.v = "
           "[ns.v] %}{% endfor %}"
           "{{ ns.v|pprint|length }}",
           kLimit, ""},
          {"{% set ns = namespace(v=range(100000)|list) %}{% for i in range(900) %}{% set ns.v = "
           "[ns.v] %}{% endfor %}"
           "{% for i in range(5000) %}{{ ns.v|string|length }}{% endfor %}",
           kLimit, ""},
      });
}

// Many values, each within the size limits, together past the allocation budget. The deadline
// is raised so that the budget, not the clock, is what ends these renders on a busy machine.
std::vector<HostileCase> ManyValuesHitTheAllocationBudget() {
  return With(true, {
                        {"{% set l = [] %}{% for i in range(100000) %}{% set _ = l.append('x' * "
                         "1000000 ~ i) %}{% endfor %}",
                         kLimit, "allocations"},
                        {"{% set l = [] %}{% for i in range(100000) %}{% set _ = l.append([i] * "
                         "100000) %}{% endfor %}",
                         kLimit, "allocations"},
                        {"{% set d = {} %}{% for i in range(100000) %}{% set _ = d.update({i: 'x' "
                         "* 100000 ~ i}) %}{% endfor %}",
                         kLimit, "allocations"},
                        {"{% set l = [] %}{% for i in range(100000) %}{% set _ = "
                         "l.append(range(100000)|list) %}{% endfor %}",
                         kLimit, "allocations"},
                        {"{% set l = [] %}{% for i in range(10000) %}{% set _ = l.append(('x' * "
                         "100000 ~ i)|e) %}{% endfor %}",
                         kLimit, "allocations"},
                    });
}

// Sizes past the 1 MiB string limit but small enough to allocate under the address-space cap:
// the error must come from the size check before the allocation ("string exceeds the limit"),
// not from the output check after it.
std::vector<HostileCase> WidthsPastTheStringLimitAreRefusedFirst() {
  const char* pre = "string exceeds the limit of";
  return With(true, {
                        {"{{ '%50000000d'|format(1) }}", kLimit, pre},
                        {"{{ '%-50000000s'|format('x') }}", kLimit, pre},
                        {"{{ '%50000000c'|format('x') }}", kLimit, pre},
                        {"{{ '%.50000000f'|format(1.5) }}", kLimit, pre},
                        {"{{ '%.50000000d'|format(1) }}", kLimit, pre},
                        {"{{ '%.*f'|format(50000000, 1.5) }}", kLimit, pre},
                        {"{{ '%*d'|format(50000000, 1) }}", kLimit, pre},
                        {"{{ '{:>50000000}'.format(1) }}", kLimit, pre},
                        {"{{ '{:.50000000f}'.format(1.0) }}", kLimit, pre},
                        {"{{ '{:.50000000e}'.format(1.0) }}", kLimit, pre},
                        {"{{ '{:050000000}'.format('x') }}", kLimit, pre},
                        {"{{ '{:{}}'.format(1, 50000000) }}", kLimit, pre},
                        {"{{ 'x'|center(50000000) }}", kLimit, pre},
                        {"{{ 'x'.center(50000000) }}", kLimit, pre},
                        {"{{ 'x'.ljust(50000000) }}", kLimit, pre},
                        {"{{ 'x'.rjust(50000000) }}", kLimit, pre},
                        {"{{ 'x'.zfill(50000000) }}", kLimit, pre},
                        {"{{ 'a\tb'.expandtabs(50000000) }}", kLimit, pre},
                        {"{{ 'x\ny'|indent(50000000) }}", kLimit, pre},
                        {"{{ [1]|tojson(indent=50000000) }}", kLimit, pre},
                        {"{{ [[1]]|tojson(indent=600000) }}", kLimit, pre},
                        {"{{ 'x'|truncate(1, end='y' * 50000000) }}", kLimit, pre},
                        {"{{ 'a' * 50000000 }}", kLimit, pre},
                        {"{{ 'x' * 600000 ~ 'y' * 600000 }}", kLimit, pre},
                        {"{{ ('x' * 600000) + ('y' * 600000) }}", kLimit, pre},
                        {"{{ ('x' * 1000).replace('x', 'y' * 5000) }}", kLimit, pre},
                        {"{{ ['x' * 600000, 'y' * 600000]|join }}", kLimit, pre},
                        {"{{ ('x' * 600000)|replace('x', 'yy') }}", kLimit, pre},
                        {"{{ ('x' * 600000)|center(1200000) }}", kLimit, pre},
                    });
}

std::vector<HostileCase> DeepNestingAndRecursion() {
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
  std::vector<Hostile> cases;
  for (const std::string& t : parse) cases.push_back({t, "TemplateSyntaxError", ""});
  // Recursion limits multiply: a macro calling itself from the bottom of a 390-deep expression
  // (binary operators, filters, calls, subscripts) stops at the render's stack budget.
  const std::vector<std::string> deep_macros = {
      "{% macro m(n) %}{{ m(n + 1)" + nest("", "", " + 1").substr(0, 390 * 4) +
          " }}{% endmacro %}{{ m(0) }}",
      "{% macro m(n) %}{{ m(n + 1)" + nest("", "", "|string").substr(0, 390 * 7) +
          " }}{% endmacro %}{{ m(0) }}",
      "{% macro m(n) %}{{ m(n + 1)" + nest("", "", "[0]").substr(0, 390 * 3) +
          " }}{% endmacro %}{{ m(0) }}",
      "{% macro m(n) %}{{ m(n + 1)" + nest("", "", " ~ 'x'").substr(0, 390 * 6) +
          " }}{% endmacro %}{{ m(0) }}",
      "{% for x in [1] recursive %}{{ loop([x])" + nest("", "", " + 1").substr(0, 390 * 4) +
          " }}{% endfor %}",
  };
  for (const std::string& t : deep_macros) cases.push_back({t, kLimit, ""});
  cases.insert(
      cases.end(),
      {
          {"{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", kLimit, "recursion"},
          {"{% macro m(n) %}{% call m(n) %}x{% endcall %}{{ caller() }}{% endmacro %}{{ m(0) }}",
           kLimit, "recursion"},
          {"{% for x in [[1]] recursive %}{{ loop([x]) }}{% endfor %}", kLimit, "recursion"},
          {"{% include 'self.j2' %}", kLimit, "recursion"},
          {"{% import 'macros.j2' as x %}{{ x.m(0) }}", kLimit, "recursion"},
          {"{% set ns = namespace(v=[]) %}{% for i in range(100000) %}{% set ns.v = [ns.v] %}{% "
           "endfor %}{{ ns.v }}",
           "RecursionError", "repr"},
          {"{% set ns = namespace(v=[]) %}{% for i in range(100000) %}{% set ns.v = [ns.v] %}{% "
           "endfor %}{{ ns.v|tojson }}",
           "RecursionError", "JSON"},
          {"{% set ns = namespace(v=[]) %}{% for i in range(100000) %}{% set ns.v = [ns.v] %}{% "
           "endfor %}{{ ns.v|pprint }}",
           "RecursionError", ""},
          {"{% set ns = namespace(a=[], b=[]) %}{% for i in range(100000) %}{% set ns.a = [ns.a] "
           "%}{% set ns.b = [ns.b] %}"
           "{% endfor %}{{ ns.a == ns.b }}",
           "RecursionError", "comparison"},
          {"{% set ns = namespace(v=()) %}{% for i in range(100000) %}{% set ns.v = (ns.v,) %}{% "
           "endfor %}{{ {ns.v: 1} }}",
           "RecursionError", ""},
          {"{% set ns = namespace(v=1) %}{% for i in range(100000) %}{% set ns.v = "
           "namespace(v=ns.v) %}{% endfor %}{{ ns.v }}",
           "RecursionError", ""},
      });
  return With(true, std::move(cases));
}

// Renders the case in a child; it must end with its error, never with an allocation that came
// before a limit refused it.
class JinjaHostile : public ::testing::TestWithParam<HostileCase> {};

TEST_P(JinjaHostile, EndsWithTheNamedError) {
  const Hostile& h = GetParam().h;
  std::string got = RenderInChild(h.tmpl, GetParam().long_deadline ? LongDeadline() : Options{});
  std::string shown = h.tmpl.substr(0, 120) + "\n  got: " + got.substr(0, 300);
  EXPECT_TRUE(TypeMatches(got, h.type)) << shown << "\n  want: " << h.type;
  EXPECT_NE(got.find(h.message), std::string::npos) << shown << "\n  want message: " << h.message;
  // A limit must refuse before allocating: running out of memory under the address-space
  // cap (bad_alloc turned into an error) means the allocation came first.
  EXPECT_EQ(got.find("out of memory"), std::string::npos) << shown;
}

INSTANTIATE_TEST_SUITE_P(CyclicStructures, JinjaHostile, ::testing::ValuesIn(CyclicStructures()));
INSTANTIATE_TEST_SUITE_P(HugeWidthsAndCounts, JinjaHostile,
                         ::testing::ValuesIn(HugeWidthsAndCounts()));
INSTANTIATE_TEST_SUITE_P(ManyValuesHitTheAllocationBudget, JinjaHostile,
                         ::testing::ValuesIn(ManyValuesHitTheAllocationBudget()));
INSTANTIATE_TEST_SUITE_P(WidthsPastTheStringLimitAreRefusedFirst, JinjaHostile,
                         ::testing::ValuesIn(WidthsPastTheStringLimitAreRefusedFirst()));
INSTANTIATE_TEST_SUITE_P(DeepNestingAndRecursion, JinjaHostile,
                         ::testing::ValuesIn(DeepNestingAndRecursion()));

}  // namespace
}  // namespace herald::jinja
