// Template engine benchmark: Herald vs Python Jinja2 in the same run.
//
// Workload: three webhook templates, (1) the Slack one-liner from the NetBox docs, (2) a 40-line
// JSON body looping over interfaces and tags with default/upper/join/tojson, (3)
// `{{ data | tojson }}`, then every bench/templates/*.j2 (Slack Block Kit, Teams card, PagerDuty,
// ServiceNow issue...). Each is compiled once, as delivery compiles a body template
// (delivery::Renderer::CompileBody with the default TemplateOptions), and renders 1,000 distinct
// generated NetBox device events in turn (bench/templates/gen_contexts.py) for
// HERALD_BENCH_SECONDS (default 1 s) on one thread, so no result can come from a cache of
// earlier renders. The Python side (bench/jinja_bench.py, /usr/bin/python3 + Jinja2,
// SandboxedEnvironment) renders the same templates on the same contexts; the bench prints
// renders/s for both, the ratio, and checks that the outputs of the first ten contexts agree.
// Run: ninja -C build jinja_bench && ./build/bench/jinja_bench
// (HERALD_BENCH_ONLY=<template> skips Python and measures one template, for profiling.)
// The allocs/render column counts the heap allocations (operator new, replaced in this binary
// only) of one render, averaged over the 1,000 contexts, output string included.
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "app/app.h"
#include "delivery/renderer.h"
#include "jinja/jinja.h"
#include "support/files.h"
#include "support/temp_dir.h"
#include "value/json.h"

// Counting allocator: every operator new of this binary goes through here.
namespace {
std::atomic<uint64_t> g_allocs{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

const char* kSlack = R"({"text": "Device {{ data['name'] }} was {{ event }} by {{ username }}!"})";

const char* kBody = R"({
  "event": "{{ event }}",
  "model": "{{ model|upper }}",
  "device": {
    "id": {{ data.id }},
    "name": {{ data.name|tojson }},
    "site": "{{ data.site.name|upper }}",
    "role": "{{ data.role.name|default('unknown') }}",
    "tenant": "{{ data.tenant.name|default('none') }}",
    "platform": "{{ data.platform.name|default('n/a')|upper }}",
    "serial": {{ data.serial|default('')|tojson }},
    "asset_tag": {{ data.asset_tag|default(none)|tojson }},
    "status": "{{ data.status.value }}"
  },
  "interfaces": [
  {%- for iface in data.interfaces %}
    {
      "name": "{{ iface.name|upper }}",
      "enabled": {{ iface.enabled|tojson }},
      "mtu": {{ iface.mtu|default(1500, true) }},
      "description": {{ iface.description|default('', true)|tojson }}
    }{{ "," if not loop.last }}
  {%- endfor %}
  ],
  "tags": [{% for tag in data.tags %}"{{ tag|upper }}"{% if not loop.last %}, {% endif %}{% endfor %}],
  "tag_names": "{{ data.tags|join(', ') }}",
  "custom_fields": {{ data.custom_fields|tojson }},
  "changed": {
    "status": ["{{ snapshots.prechange.status.value if snapshots.prechange else '' }}", "{{ snapshots.postchange.status.value if snapshots.postchange else '' }}"]
  },
  "user": "{{ username|default('system') }}",
  "request_id": "{{ request_id }}",
  "timestamp": "{{ timestamp }}"
})";

const char* kToJson = "{{ data | tojson }}";

// Heap allocations per render of `t`, averaged over every context once.
double AllocsPerRender(const herald::jinja::Template& t, const std::vector<herald::Value>& ctxs) {
  uint64_t before = g_allocs.load();
  for (const auto& c : ctxs) {
    if (!t.Render(c).ok()) std::abort();
  }
  return static_cast<double>(g_allocs.load() - before) / static_cast<double>(ctxs.size());
}

double Seconds() {
  if (const char* s = std::getenv("HERALD_BENCH_SECONDS")) return std::atof(s);
  return 1.0;
}

// Renders/s of `t` over `ctxs` in turn; `out` gets the first ten outputs joined by NUL (as
// jinja_bench.py joins them).
double HeraldRps(const herald::jinja::Template& t, const std::vector<herald::Value>& ctxs,
                 std::string* out) {
  for (size_t i = 0; i < ctxs.size() && i < 10; ++i) {
    auto r = t.Render(ctxs[i]);
    if (!r.ok()) {
      *out = r.error().ToString();
      return 0;
    }
    if (i) out->push_back('\0');
    *out += r.value();
  }
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(Seconds());
  uint64_t n = 0;
  Clock::time_point now;
  size_t next = 0;
  do {
    for (int i = 0; i < 1000; ++i) {
      auto r = t.Render(ctxs[next]);
      if (!r.ok()) std::abort();
      next = next + 1 == ctxs.size() ? 0 : next + 1;
    }
    n += 1000;
    now = Clock::now();
  } while (now < deadline);
  return n / std::chrono::duration<double>(now - start).count();
}

// bench/templates/*.j2, by file stem, sorted.
std::vector<std::pair<std::string, std::string>> BenchTemplates() {
  std::vector<std::pair<std::string, std::string>> found;
  const std::string dir = herald::testing::SourcePath("bench/templates");
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".j2") continue;
    found.emplace_back(e.path().stem().string(), herald::testing::ReadFile(e.path().string()));
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

int main() {
  herald::testing::TempDir dir("jinja-bench");
  // 1,000 generated NetBox device events, rendered in turn by every template on both sides.
  const std::string contexts_path = dir.File("contexts.json");
  const std::string gen = "/usr/bin/python3 " +
                          herald::testing::SourcePath("bench/templates/gen_contexts.py") + " " +
                          contexts_path + " 1000";
  std::vector<herald::Value> contexts;
  if (std::system(gen.c_str()) == 0) {
    auto parsed = herald::ParseJson(herald::testing::ReadFile(contexts_path));
    if (parsed.ok() && parsed->is_list()) contexts = parsed->as_list();
  }
  if (contexts.empty()) {
    std::printf("cannot generate the contexts (%s)\n", gen.c_str());
    return 1;
  }
  std::vector<std::pair<std::string, std::string>> templates = {
      {"slack_one_liner", kSlack}, {"body_40_lines", kBody}, {"data_tojson", kToJson}};
  const size_t fixed = templates.size();
  for (auto& t : BenchTemplates()) templates.push_back(std::move(t));
  std::printf("%zu contexts (%zu bytes of JSON) rendered in turn; %.1f s per measurement\n",
              contexts.size(), herald::testing::ReadFile(contexts_path).size(), Seconds());

  // Python Jinja2 in the same run.
  herald::Dict spec;
  herald::Dict tm;
  for (auto& [n, s] : templates) tm.set(n, herald::Value(s));
  spec.set("templates", herald::Value(tm));
  spec.set("seconds", herald::Value(Seconds()));
  spec.set("contexts_file", herald::Value(contexts_path));
  const std::string path = dir.File("spec.json");
  if (!herald::testing::WriteFile(path, herald::DumpJson(herald::Value(spec)))) return 1;
  std::string cmd =
      "/usr/bin/python3 " + herald::testing::SourcePath("bench/jinja_bench.py") + " " + path;
  std::string py_out;
  const char* only = std::getenv("HERALD_BENCH_ONLY");  // profile one template, Herald only
  if (only) cmd = "true";
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, p)) > 0) py_out.append(buf, k);
    pclose(p);
  }
  auto py = herald::ParseJson(py_out);

  // Compiled as delivery compiles a body template: same environment and default options.
  herald::delivery::Renderer renderer(herald::TemplateOptions(herald::Settings{}));
  std::printf("%-16s %14s %14s %8s %13s  %s\n", "template", "herald r/s", "jinja2 r/s", "ratio",
              "allocs/render", "outputs");
  for (size_t i = 0; i < templates.size(); ++i) {
    const auto& [name, src] = templates[i];
    if (i == fixed) std::printf("bench/templates:\n");
    if (only && name != only) continue;
    auto t = renderer.CompileBody(src);
    if (!t.ok()) {
      std::printf("%s: %s\n", name.c_str(), t.error().ToString().c_str());
      return 1;
    }
    std::string out;
    double h = HeraldRps(*t.value(), contexts, &out);
    double p = 0;
    std::string match = "python unavailable";
    if (py.ok() && py->get(name)) {
      p = py->get(name)->get("rps")->to_double();
      match = py->get(name)->get("output")->as_str() == out ? "identical" : "DIFFER";
    }
    double allocs = AllocsPerRender(*t.value(), contexts);
    std::printf("%-16s %14.0f %14.0f %7.1fx %13.1f  %s\n", name.c_str(), h, p, p > 0 ? h / p : 0.0,
                allocs, match.c_str());
  }
  return 0;
}
