// Template engine benchmark: Herald vs Python Jinja2 in the same run.
//
// Workload: three webhook templates rendered on the same ~1.5 KB NetBox device event context,
// each compiled once and rendered repeatedly for HERALD_BENCH_SECONDS (default 1 s) on one
// thread: (1) the Slack one-liner from the NetBox docs, (2) a 40-line JSON body looping over
// interfaces and tags with default/upper/join/tojson, (3) `{{ data | tojson }}`. The Python side
// (bench/jinja_bench.py, /usr/bin/python3 + Jinja2, SandboxedEnvironment) renders the same
// templates; the bench prints renders/s for both, the ratio, and checks that outputs agree.
// Then every bench/templates/*.j2 (Slack Block Kit, Teams card, PagerDuty, ServiceNow issue...)
// renders 1,000 distinct generated contexts in turn (bench/templates/gen_contexts.py), on both
// sides, so no result can come from a cache of earlier renders; outputs are compared on the
// first ten contexts.
// Run: ninja -C build jinja_bench && ./build/bench/jinja_bench
// (HERALD_BENCH_ONLY=<template> skips Python and measures one template, for profiling.)
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "jinja/jinja.h"
#include "support/files.h"
#include "support/temp_dir.h"
#include "value/json.h"

namespace {

const char* kContext = R"({
  "event": "updated",
  "timestamp": "2024-05-02T09:41:27.129871+00:00",
  "model": "device",
  "object_type": "dcim.device",
  "username": "jdoe",
  "request_id": "6f1f6a3e-0c39-4b8e-9d41-6c2f0b1f1a52",
  "data": {
    "id": 142, "url": "/api/dcim/devices/142/", "display": "ams1-leaf-01", "name": "ams1-leaf-01",
    "address": "10.12.0.11/24",
    "device_type": {"id": 7, "manufacturer": {"id": 2, "name": "Arista", "slug": "arista"}, "model": "7050SX3-48YC8", "slug": "7050sx3-48yc8"},
    "role": {"id": 3, "name": "Leaf", "slug": "leaf"},
    "tenant": null, "platform": {"id": 1, "name": "EOS", "slug": "eos"},
    "serial": "JPE2044X1AB", "asset_tag": null,
    "site": {"id": 4, "name": "AMS1", "slug": "ams1"},
    "rack": {"id": 12, "name": "R12"}, "position": 38.0, "face": {"value": "front", "label": "Front"},
    "status": {"value": "active", "label": "Active"},
    "primary_ip4": {"id": 501, "address": "10.12.0.11/24"},
    "interfaces": [
      {"name": "Ethernet1", "enabled": true, "mtu": 9214, "description": "uplink spine1"},
      {"name": "Ethernet2", "enabled": true, "mtu": 9214, "description": "uplink spine2"},
      {"name": "Ethernet3", "enabled": false, "mtu": null, "description": ""},
      {"name": "Management1", "enabled": true, "mtu": 1500, "description": null}
    ],
    "tags": [{"id": 1, "name": "Monitoring", "slug": "monitoring"}, {"id": 2, "name": "Production", "slug": "production"}],
    "custom_fields": {"nms_id": "4711", "owner_email": "noc@example.net", "sla_hours": 4.5, "maintenance": false},
    "comments": "Replaced PSU2 on 2024-03-02.", "created": "2023-11-08T10:12:44.101Z", "last_updated": "2024-05-02T09:41:27.021Z"
  },
  "snapshots": {"prechange": {"status": "planned", "serial": "JPE2044X1AB"}, "postchange": {"status": "active", "serial": "JPE2044X1AB"}}
})";

const char* kSlack =
    R"({"text": "IP address {{ data['address'] }} was created by {{ username }}!"})";

const char* kBody = R"({
  "event": "{{ event }}",
  "model": "{{ model|upper }}",
  "device": {
    "id": {{ data.id }},
    "name": {{ data.name|tojson }},
    "site": "{{ data.site.slug|upper }}",
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
  "tags": [{% for tag in data.tags %}"{{ tag.slug|upper }}"{% if not loop.last %}, {% endif %}{% endfor %}],
  "tag_names": "{{ data.tags|map(attribute='name')|join(', ') }}",
  "custom_fields": {{ data.custom_fields|tojson }},
  "changed": {
    "status": ["{{ snapshots.prechange.status|default('') }}", "{{ snapshots.postchange.status|default('') }}"]
  },
  "user": "{{ username|default('system') }}",
  "request_id": "{{ request_id }}",
  "timestamp": "{{ timestamp }}"
})";

const char* kToJson = "{{ data | tojson }}";

double Seconds() {
  if (const char* s = std::getenv("HERALD_BENCH_SECONDS")) return std::atof(s);
  return 1.0;
}

// Renders/s of `t` over `ctxs` in turn; `out` gets the first ten outputs joined by NUL (as
// jinja_bench.py joins them; one context: its output).
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
  herald::Value ctx = *herald::ParseJson(kContext);
  std::vector<std::pair<std::string, std::string>> templates = {
      {"slack_one_liner", kSlack}, {"body_40_lines", kBody}, {"data_tojson", kToJson}};
  std::printf("context: %zu bytes of JSON; %.1f s per measurement\n",
              herald::DumpJsonCompact(ctx).size(), Seconds());

  // Python Jinja2 in the same run.
  herald::Dict spec;
  spec.set("context", ctx);
  herald::Dict tm;
  for (auto& [n, s] : templates) tm.set(n, herald::Value(s));
  spec.set("templates", herald::Value(tm));
  spec.set("seconds", herald::Value(Seconds()));
  herald::testing::TempDir dir("jinja-bench");
  // The real-world shapes, on 1,000 generated contexts rendered in turn.
  const std::string contexts_path = dir.File("contexts.json");
  const std::string gen = "/usr/bin/python3 " +
                          herald::testing::SourcePath("bench/templates/gen_contexts.py") + " " +
                          contexts_path + " 1000";
  std::vector<herald::Value> contexts;
  if (std::system(gen.c_str()) == 0) {
    auto parsed = herald::ParseJson(herald::testing::ReadFile(contexts_path));
    if (parsed.ok() && parsed->is_list()) contexts = parsed->as_list();
  }
  std::vector<std::pair<std::string, std::string>> rotating;
  if (!contexts.empty()) rotating = BenchTemplates();
  herald::Dict rot;
  for (auto& [n, s] : rotating) rot.set(n, herald::Value(s));
  spec.set("rotating", herald::Value(rot));
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

  herald::jinja::Environment env;
  std::printf("%-16s %14s %14s %8s  %s\n", "template", "herald r/s", "jinja2 r/s", "ratio",
              "outputs");
  auto report = [&](const std::string& name, const std::string& src,
                    const std::vector<herald::Value>& ctxs) {
    if (only && name != only) return true;
    auto t = env.Compile(src);
    if (!t.ok()) {
      std::printf("%s: %s\n", name.c_str(), t.error().ToString().c_str());
      return false;
    }
    std::string out;
    double h = HeraldRps(*t.value(), ctxs, &out);
    double p = 0;
    std::string match = "python unavailable";
    if (py.ok() && py->get(name)) {
      p = py->get(name)->get("rps")->to_double();
      match = py->get(name)->get("output")->as_str() == out ? "identical" : "DIFFER";
    }
    std::printf("%-16s %14.0f %14.0f %7.1fx  %s\n", name.c_str(), h, p, p > 0 ? h / p : 0.0,
                match.c_str());
    return true;
  };
  for (auto& [name, src] : templates) {
    if (!report(name, src, std::vector<herald::Value>{ctx})) return 1;
  }
  if (!rotating.empty())
    std::printf("bench/templates, %zu contexts rendered in turn:\n", contexts.size());
  for (auto& [name, src] : rotating) {
    if (!report(name, src, contexts)) return 1;
  }
  return 0;
}
