// Differential test: templates generated from a grammar (random expressions, filters, tests,
// methods and statements over random contexts) are rendered by Herald and by Python Jinja2
// (/usr/bin/python3, the oracle) in the same run; any divergence is reported with the template
// and context. Bounded per run: HERALD_JINJA_DIFF_COUNT (default 400) cases from seed
// HERALD_JINJA_DIFF_SEED (default: fixed 20240601; "random" picks one and prints it).
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "jinja/conformance.h"
#include "support/files.h"
#include "support/temp_dir.h"
#include "value/json.h"

namespace herald::jinja {
namespace {

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  int R(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  bool P(int pct) { return R(100) < pct; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[R(static_cast<int>(v.size()))];
  }

  std::string Str() {
    static const std::vector<std::string> words = {"ams1-leaf-01",
                                                   "Hello World",
                                                   "",
                                                   "x",
                                                   "a,b, c",
                                                   "  padded  ",
                                                   "Zürich",
                                                   "東京",
                                                   "it's",
                                                   "say \"hi\"",
                                                   "<b>&</b>",
                                                   "10.0.0.1/24",
                                                   "MiXeD Case",
                                                   "tab\there",
                                                   "line\nbreak",
                                                   "ß",
                                                   "42",
                                                   "3.5"};
    return Pick(words);
  }

  std::string Lit(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
      if (c == '\'' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      if (c == '\t') {
        out += "\\t";
        continue;
      }
      out += c;
    }
    return out + "'";
  }

  Value Context() {
    Dict d;
    d.set("s", Value(Str()));
    d.set("name", Value(Str()));
    d.set("n", Value(static_cast<int64_t>(R(41) - 20)));
    d.set("big", Value(static_cast<int64_t>(R(2) ? 9007199254740993LL : 4294967296LL)));
    static const double floats[] = {0.5, -2.5, 3.14159, 1e20, 0.1, -0.0, 2.0, 1e-5, 123456.789};
    d.set("f", Value(floats[R(9)]));
    d.set("t", Value(P(50)));
    d.set("nil", Value());
    List lst;
    for (int i = 0, k = R(5); i < k; ++i) lst.emplace_back(static_cast<int64_t>(R(10)));
    d.set("lst", Value(lst));
    List words;
    for (int i = 0, k = R(4) + 1; i < k; ++i) words.emplace_back(Str());
    d.set("words", Value(words));
    Dict m;
    m.set("a", Value(static_cast<int64_t>(R(5))));
    m.set("b", Value(Str()));
    m.set("C", Value(List{Value(1), Value("x")}));
    if (P(50)) m.set("tenant", Value());
    d.set("d", Value(m));
    List users;
    static const std::vector<std::string> names = {"alice", "Bob", "carol", "dave"};
    for (int i = 0, k = R(4); i < k; ++i) {
      Dict u;
      u.set("name", Value(Pick(names)));
      u.set("age", Value(static_cast<int64_t>(20 + R(30))));
      u.set("admin", Value(P(50)));
      Dict team;
      team.set("name", Value(std::string(P(50) ? "net" : "sys")));
      u.set("team", Value(team));
      users.push_back(Value(u));
    }
    d.set("users", Value(users));
    return Value(d);
  }

  std::string Var() {
    static const std::vector<std::string> vars = {"s",
                                                  "name",
                                                  "n",
                                                  "big",
                                                  "f",
                                                  "t",
                                                  "nil",
                                                  "lst",
                                                  "words",
                                                  "d",
                                                  "users",
                                                  "missing",
                                                  "d.a",
                                                  "d.b",
                                                  "d['C']",
                                                  "d.tenant",
                                                  "d.zz",
                                                  "lst[0]",
                                                  "lst[-1]",
                                                  "words[0]",
                                                  "users[0]",
                                                  "users[0].name",
                                                  "users[0].team.name",
                                                  "d.tenant.name",
                                                  "s[1:3]",
                                                  "s[::-1]",
                                                  "lst[1:]",
                                                  "words|first",
                                                  "d.items()|list",
                                                  "d.keys()|list"};
    return Pick(vars);
  }

  std::string Atom(int depth) {
    switch (R(10)) {
      case 0: return std::to_string(R(200) - 100);
      case 1: {
        static const std::vector<std::string> fl = {"0.5", "1.0", "2.5",  "1e3",
                                                    "0.1", "3.0", "1e-7", "100.25"};
        return Pick(fl);
      }
      case 2: return Lit(Str());
      case 3: {
        static const std::vector<std::string> c = {"true", "false", "none", "True", "None"};
        return Pick(c);
      }
      case 4:
        if (depth > 0) return "[" + Expr(depth - 1) + ", " + Expr(depth - 1) + "]";
        return "[]";
      case 5:
        if (depth > 0) return "{'k': " + Expr(depth - 1) + ", 'a': " + Expr(depth - 1) + "}";
        return "{}";
      case 6:
        if (depth > 0) return "(" + Expr(depth - 1) + ", " + Expr(depth - 1) + ")";
        return "()";
      default: return Var();
    }
  }

  std::string Filter(const std::string& x) {
    static const std::vector<std::string> f = {
        "upper",
        "lower",
        "title",
        "capitalize",
        "trim",
        "length",
        "first",
        "last",
        "join(', ')",
        "join",
        "sort",
        "sort(reverse=true)",
        "reverse|list",
        "unique|list",
        "default('dflt')",
        "d('x', true)",
        "int",
        "float",
        "string",
        "abs",
        "round",
        "round(1, 'floor')",
        "sum",
        "min",
        "max",
        "list",
        "tojson",
        "replace('a', 'b')",
        "truncate(9)",
        "center(12)",
        "indent(2)",
        "wordcount",
        "e",
        "safe",
        "count",
        "batch(2)|list",
        "slice(2)|list",
        "map('upper')|list",
        "map('string')|join('+')",
        "select('odd')|list",
        "reject('even')|list",
        "select|list",
        "dictsort",
        "items|list",
        "urlencode",
        "wordwrap(5)",
        "striptags",
        "filesizeformat",
        "pprint",
        "attr('a')",
        "map(attribute='name')|list",
        "selectattr('admin')|list",
        "rejectattr('age', 'gt', 30)|list",
        "groupby('team.name')|list",
        "sum(attribute='age')",
        "sort(attribute='age')|map(attribute='name')|join(',')",
        "xmlattr",
        "format(1, 2)",
        "int(7)",
        "float(1.5)",
        "forceescape",
        "capitalize|center(7)",
        "lower|replace(' ', '_')",
        "list|length"};
    return x + "|" + Pick(f);
  }

  std::string Test(const std::string& x) {
    static const std::vector<std::string> t = {
        "defined",  "undefined",     "none",         "odd",     "even",     "string",
        "number",   "integer",       "float",        "mapping", "sequence", "iterable",
        "callable", "boolean",       "true",         "false",   "lower",    "upper",
        "escaped",  "divisibleby 3", "in [1, 2, 3]", "eq 1",    "ne 2",     "gt 0",
        "lt 5",     "sameas none",   "filter",       "test"};
    return x + (P(20) ? " is not " : " is ") + Pick(t);
  }

  std::string Method(const std::string& x) {
    static const std::vector<std::string> m = {
        ".upper()",        ".lower()",           ".split()",         ".split(',')",
        ".strip()",        ".replace('a', 'X')", ".startswith('a')", ".endswith('1')",
        ".title()",        ".count('a')",        ".find('l')",       ".zfill(6)",
        ".center(9, '*')", ".partition('/')",    ".isdigit()",       ".splitlines()",
        ".get('a')",       ".get('zz', 0)",      ".items()|list",    ".keys()|list",
        ".index(1)",       ".count(1)",          ".capitalize()",    ".swapcase()",
        ".rjust(8)",       ".rsplit(' ', 1)",    ".format(1, 'x')",  ".join(['a', 'b'])",
        ".lstrip('a')",    ".isupper()",         ".is_integer()",    ".bit_length()"};
    return x + Pick(m);
  }

  std::string Expr(int depth) {
    if (depth <= 0) return Atom(0);
    switch (R(16)) {
      case 0:
      case 1: return Atom(depth);
      case 2: {
        static const std::vector<std::string> ops = {" + ",  " - ", " * ",  " / ",
                                                     " // ", " % ", " ** ", " ~ "};
        return Expr(depth - 1) + Pick(ops) + Expr(depth - 1);
      }
      case 3: {
        static const std::vector<std::string> ops = {
            " == ", " != ", " < ", " <= ", " > ", " >= ", " in ", " not in "};
        return Expr(depth - 1) + Pick(ops) + Expr(depth - 1);
      }
      case 4: return Expr(depth - 1) + (P(50) ? " and " : " or ") + Expr(depth - 1);
      case 5: return (P(50) ? "not " : "-") + Atom(depth - 1);
      case 6:
      case 7:
      case 8: return Filter(Atom(depth - 1));
      case 9: return Test(Atom(depth - 1));
      case 10: return Expr(depth - 1) + " if " + Expr(depth - 1) + " else " + Expr(depth - 1);
      case 11: return "(" + Expr(depth - 1) + ")";
      case 12: return Method(Atom(depth - 1));
      case 13: return "'%s-%s' % (" + Expr(depth - 1) + ", " + Expr(depth - 1) + ")";
      case 14: return "'{}|{:>6}'.format(" + Expr(depth - 1) + ", " + Expr(depth - 1) + ")";
      default: return Filter(Expr(depth - 1));
    }
  }

  std::string Stmt(int depth) {
    std::string ws1 = P(15) ? "-" : "", ws2 = P(15) ? "-" : "";
    if (depth <= 0 || P(35)) return "{{" + ws1 + " " + Expr(2) + " " + ws2 + "}}";
    switch (R(11)) {
      case 0:
        return "{%" + ws1 + " if " + Expr(2) + " %}" + Body(depth - 1) +
               (P(50) ? "{% elif " + Expr(1) + " %}" + Body(depth - 1) : "") +
               (P(50) ? "{% else %}" + Body(depth - 1) : "") + "{% endif " + ws2 + "%}";
      case 1: {
        static const std::vector<std::string> it = {
            "lst",      "words",   "users",     "d",        "s",
            "range(3)", "missing", "d.items()", "lst|sort", "users|groupby('team.name')"};
        std::string target = P(20) ? "k, v" : "x";
        std::string body =
            "{{ " + std::string(P(50) ? "loop.index" : "loop.revindex0") +
            " }}:" + (target == "x" ? "{{ x }}" : "{{ k }}={{ v }}") + Body(depth - 1) +
            (P(50) ? "{% if not loop.last %},{% endif %}" : "{{ loop.cycle('a', 'b') }}");
        return "{% for " + target + " in " + Pick(it) + (P(20) ? " if x" : "") + " %}" + body +
               (P(30) ? "{% else %}empty" : "") + "{% endfor %}";
      }
      case 2: return "{% set v1 = " + Expr(2) + " %}{{ v1 }}";
      case 3: return "{% set blk %}" + Body(depth - 1) + "{% endset %}[{{ blk|trim }}]";
      case 4: return "{% with w = " + Expr(1) + " %}{{ w }}" + Body(depth - 1) + "{% endwith %}";
      case 5:
        return "{% macro m(a, b='B') %}<{{ a }}|{{ b }}>{% endmacro %}{{ m(" + Expr(1) +
               ") }}{{ m(1, b=" + Expr(1) + ") }}";
      case 6: return "{% filter upper %}" + Body(depth - 1) + "{% endfilter %}";
      case 7:
        return "{% set ns = namespace(c=0) %}{% for x in lst %}{% set ns.c = ns.c + x %}{% endfor "
               "%}{{ ns.c }}";
      case 8:  // read before set: in a loop body, each iteration starts from the outer value
        return "[{{ v1 }}]{% set v1 = " + Expr(1) + " %}" + Body(depth - 1);
      case 9:
        return "{% autoescape " + std::string(P(50) ? "true" : "false") + " %}" + Body(depth - 1) +
               "{% endautoescape %}";
      default: return "{# comment #}\n" + Body(depth - 1) + "\n";
    }
  }

  std::string Body(int depth) {
    std::string out;
    for (int i = 0, k = R(3) + 1; i < k; ++i) {
      if (P(30)) out += Pick(std::vector<std::string>{" ", "\n", "text ", "  \n  ", "|"});
      out += Stmt(depth);
    }
    return out;
  }

 private:
  std::mt19937_64 rng_;
};

bool HaveOracle() {
  return std::system("/usr/bin/python3 -c 'import jinja2' >/dev/null 2>&1") == 0;
}

TEST(JinjaDifferential, MatchesPythonJinja2OnGeneratedTemplates) {
  if (!HaveOracle()) GTEST_SKIP() << "/usr/bin/python3 with jinja2 not available";
  int count = 400;
  if (const char* c = std::getenv("HERALD_JINJA_DIFF_COUNT")) count = std::atoi(c);
  uint64_t seed = 20240601;
  if (const char* s = std::getenv("HERALD_JINJA_DIFF_SEED")) {
    seed = std::string(s) == "random" ? std::random_device{}() : std::strtoull(s, nullptr, 10);
  }
  std::cout << "differential seed=" << seed << " count=" << count << "\n";
  Gen g(seed);
  List batch;
  for (int i = 0; i < count; ++i) {
    Dict c;
    c.set("name", Value("gen." + std::to_string(i)));
    c.set("template", Value(g.Body(2)));
    c.set("context", g.Context());
    c.set("undefined", Value(g.P(20) ? "strict" : "default"));
    batch.push_back(Value(c));
  }
  testing::TempDir dir("jinja-diff");
  ASSERT_TRUE(dir.ok());
  const std::string in_path = dir.File("cases.json"), out_path = dir.File("cases.out");
  ASSERT_TRUE(testing::WriteFile(in_path, DumpJson(Value(batch))));
  // The oracle runs under a 4 GB address-space limit: a generated template that makes Python
  // build a huge value then raises MemoryError (the case is skipped) instead of filling the
  // machine's memory.
  std::string cmd = "ulimit -v 4000000; /usr/bin/python3 " +
                    testing::SourcePath("tests/conformance/jinja/jinja2_oracle.py") + " " +
                    in_path + " > " + out_path;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto cases = ParseConformanceCases(testing::ReadFile(out_path));
  ASSERT_TRUE(cases.ok()) << cases.status().ToString();
  int diverged = 0, skipped = 0;
  for (const auto& c : *cases) {
    // Outputs with object addresses (generators, functions) are not comparable; MemoryError and
    // RecursionError are where Herald's named limits apply instead.
    if (c.output.find(" at 0x") != std::string::npos || c.err_type == "RecursionError" ||
        c.err_type == "MemoryError") {
      ++skipped;
      continue;
    }
    CaseResult r = RunConformanceCase(c);
    if (!r.passed) {
      ++diverged;
      ADD_FAILURE() << "divergence in " << c.name << "\n  template: " << DumpJson(Value(c.tmpl))
                    << "\n  context:  " << DumpJson(c.context)
                    << "\n  undefined: " << (c.strict ? "strict" : "default")
                    << "\n  jinja2:   " << r.expected << "\n  herald:   " << r.got;
    }
  }
  std::cout << cases->size() - diverged - skipped << " agreed, " << diverged << " diverged, "
            << skipped << " skipped\n";
  EXPECT_EQ(diverged, 0);
}

}  // namespace
}  // namespace herald::jinja
