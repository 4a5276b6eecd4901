// libFuzzer target for the template engine: parse + render of arbitrary input.
// Input: byte 0 selects options (bit 0 strict undefined, bit 1 trim_blocks, bit 2 lstrip_blocks,
// bit 3 keep_trailing_newline); the rest is the template source, rendered against a fixed
// NetBox-shaped context with small limits so that every input finishes quickly. Any crash,
// sanitizer report, hang or leak is a bug; template errors are expected results.
#include <cstddef>
#include <cstdint>
#include <string>

#include "jinja/jinja.h"
#include "value/json.h"

namespace {

const herald::Value& Context() {
  static const herald::Value ctx = *herald::ParseJson(R"({
    "event": "created", "username": "jdoe", "model": "device", "timestamp": "2024-01-01T00:00:00Z",
    "data": {"id": 142, "name": "ams1-leaf-01", "tags": [{"name": "Prod", "slug": "prod"}],
             "status": {"value": "active", "label": "Active"}, "tenant": null, "vid": 120,
             "custom_fields": {"a": 1.5, "b": [1, 2, 3], "c": "x<y>&'z"}},
    "snapshots": {"prechange": null, "postchange": {"name": "x"}},
    "lst": [3, 1, 2], "words": ["b", "A", "c"], "s": "Zürich 東京", "n": -7, "f": 0.1, "big": 9007199254740993
  })");
  return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  herald::jinja::Options o;
  o.strict_undefined = data[0] & 1;
  o.trim_blocks = data[0] & 2;
  o.lstrip_blocks = data[0] & 4;
  o.keep_trailing_newline = data[0] & 8;
  o.limits.max_steps = 200000;
  o.limits.max_output_bytes = 1 << 16;
  o.limits.deadline = std::chrono::milliseconds(500);
  herald::jinja::Environment env(o);
  env.AddTemplate("inc.j2", "[{{ data.name }}]{% macro m(x) %}<{{ x }}>{% endmacro %}");
  env.AddTemplate("base.j2", "<{% block a %}A{% endblock %}|{% block b %}B{% endblock %}>");
  std::string src(reinterpret_cast<const char*>(data + 1), size - 1);
  auto t = env.Compile(src);
  if (!t.ok()) return 0;
  auto r = t.value()->Render(Context());
  (void)r;
  return 0;
}
