// Jinja2's tojson on the shared JSON writer (value/json.h): the hooks below are what Jinja2's
// htmlsafe_json_dumps adds to json.dumps. See tojson.h.
#include "jinja/tojson.h"

#include "jinja/errors.h"
#include "jinja/limits.h"
#include "jinja/objects.h"
#include "jinja/pyops.h"
#include "value/json.h"

namespace herald::jinja {

namespace {

class ToJsonHooks : public JsonHooks {
 public:
  // Markup is a str to Python's json; anything else is a TypeError (big ints are ints, written
  // by DumpJson itself).
  void Object(std::string& out, const Value& v, const JsonDumpOptions& o) const override {
    if (IsMarkup(v)) {
      AppendJsonString(out, ObjAs<MarkupObj>(v)->s, o.ensure_ascii, o.html_safe);
      return;
    }
    ThrowType("Object of type " + TypeName(v) + " is not JSON serializable");
  }

  std::string Key(const Value& k) const override {
    if (IsMarkup(k)) return ObjAs<MarkupObj>(k)->s;
    ThrowType("keys must be str, int, float, bool or None, not " + TypeName(k));
  }

  // sorted(d.items()) for keys other than str: Python's ordering, a TypeError for keys that do
  // not compare.
  void SortItems(std::vector<const Dict::Entry*>& items) const override {
    std::vector<Value> tagged;  // (key, position): equal keys keep their order
    tagged.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i)
      tagged.push_back(Value::MakeTuple({items[i]->first, Value(static_cast<int64_t>(i))}));
    PySort(tagged, nullptr, false);
    std::vector<const Dict::Entry*> sorted;
    sorted.reserve(items.size());
    for (const Value& t : tagged) sorted.push_back(items[t.as_list()[1].as_int()]);
    items = std::move(sorted);
  }

  void Grow(size_t bytes) const override { CheckSize(bytes); }
};

const ToJsonHooks kToJsonHooks;

}  // namespace

std::string ToJson(const Value& v, int indent) {
  std::string out;
  ToJsonTo(v, indent, out);
  return out;
}

void ToJsonTo(const Value& v, int indent, std::string& out) {
  JsonDumpOptions o;
  o.sort_keys = true;
  o.indent = indent;
  o.html_safe = true;
  o.check_circular = true;
  o.hooks = &kToJsonHooks;
  try {
    DumpJsonTo(v, o, out);
  } catch (const JsonCircularError& e) {
    ThrowValue(e.what());
  }
}

}  // namespace herald::jinja
