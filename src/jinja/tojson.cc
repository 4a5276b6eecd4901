#include "jinja/tojson.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "jinja/errors.h"
#include "jinja/limits.h"
#include "jinja/objects.h"
#include "jinja/pyops.h"
#include "value/json.h"

namespace herald::jinja {

namespace {

// json.dumps string encoding with ensure_ascii=True plus Jinja2's HTML-safe escapes (the shared
// JSON writer; Python escapes everything outside ' '..'~', including DEL).
void JsonString(std::string& out, std::string_view s) {
  AppendJsonString(out, s, /*ensure_ascii=*/true, /*html_safe=*/true);
}

void Newline(std::string& out, int indent, int level) {
  CheckSizeMul(static_cast<uint64_t>(indent), static_cast<uint64_t>(level));
  CheckSize(out.size() + 1 + static_cast<size_t>(indent) * level);
  out += '\n';
  out.append(static_cast<size_t>(indent) * level, ' ');
}

void Float(std::string& out, double d) {
  if (std::isnan(d)) out += "NaN";
  else if (std::isinf(d)) out += d > 0 ? "Infinity" : "-Infinity";
  else out += FloatRepr(d);
}

std::string KeyText(const Value& k) {
  switch (k.kind()) {
    case Kind::Str: return k.as_str();
    case Kind::Bool: return k.as_bool() ? "true" : "false";
    case Kind::None: return "null";
    case Kind::Int: return std::to_string(k.as_int());
    case Kind::Float: {
      std::string s;
      Float(s, k.as_float());
      return s;
    }
    default:
      if (IsMarkup(k)) return ObjAs<MarkupObj>(k)->s;
      if (IsBigInt(k)) return ObjAs<BigIntObj>(k)->v.ToString();
      ThrowType("keys must be str, int, float, bool or None, not " + TypeName(k));
  }
}

// Containers being encoded (Python json's check_circular markers).
using Markers = std::vector<const void*>;

struct MarkerScope {
  MarkerScope(Markers& m, const void* id) : markers(m) {
    if (std::find(m.begin(), m.end(), id) != m.end()) ThrowValue("Circular reference detected");
    m.push_back(id);
  }
  ~MarkerScope() { markers.pop_back(); }
  Markers& markers;
};

void Dump(const Value& v, int indent, std::string& out, int level, Markers& markers) {
  ValueRecursionGuard guard(" while encoding a JSON object");
  switch (v.kind()) {
    case Kind::None: out.append("null", 4); return;
    case Kind::Bool:
      if (v.as_bool()) out.append("true", 4);
      else out.append("false", 5);
      return;
    case Kind::Int: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
      out.append(buf, r.ptr - buf);
      return;
    }
    case Kind::Float: Float(out, v.as_float()); return;
    case Kind::Str: JsonString(out, v.as_str()); return;
    case Kind::List:
    case Kind::Tuple: {
      const List& l = v.as_list();
      if (l.empty()) {
        out += "[]";
        return;
      }
      MarkerScope mark(markers, v.list_ptr().get());
      out += '[';
      for (size_t i = 0; i < l.size(); ++i) {
        if (i) {
          if (indent >= 0) out += ',';
          else out.append(", ", 2);
        }
        if (indent >= 0) Newline(out, indent, level + 1);
        Dump(l[i], indent, out, level + 1, markers);
        CheckSize(out.size());
      }
      if (indent >= 0) Newline(out, indent, level);
      out += ']';
      CheckSize(out.size());
      return;
    }
    case Kind::Dict: {
      const Dict& d = v.as_dict();
      if (d.empty()) {
        out += "{}";
        return;
      }
      // Small dicts sort on the stack.
      std::vector<const Dict::Entry*> entries;
      entries.reserve(d.size());
      bool all_str = true;
      for (const auto& e : d) {
        entries.push_back(&e);
        if (!e.first.is_str()) all_str = false;
      }
      if (all_str) {
        std::sort(entries.begin(), entries.end(), [](const Dict::Entry* a, const Dict::Entry* b) {
          const std::string& x = a->first.as_str();
          const std::string& y = b->first.as_str();
          return x < y;
        });
      } else {
        std::vector<Value> keys;
        for (const auto* e : entries) keys.push_back(e->first);
        std::vector<size_t> idx(keys.size());
        std::vector<Value> tagged;
        for (size_t i = 0; i < keys.size(); ++i) tagged.push_back(Value::MakeTuple({keys[i], Value(static_cast<int64_t>(i))}));
        PySort(tagged, nullptr, false);
        std::vector<const Dict::Entry*> sorted;
        for (const Value& t : tagged) sorted.push_back(entries[t.as_list()[1].as_int()]);
        entries = std::move(sorted);
      }
      MarkerScope mark(markers, v.dict_ptr().get());
      out += '{';
      bool first = true;
      for (const auto* e : entries) {
        if (!first) {
          if (indent >= 0) out += ',';
          else out.append(", ", 2);
        }
        first = false;
        if (indent >= 0) Newline(out, indent, level + 1);
        if (e->first.is_str()) JsonString(out, e->first.as_str());
        else JsonString(out, KeyText(e->first));
        out.append(": ", 2);
        Dump(e->second, indent, out, level + 1, markers);
        CheckSize(out.size());
      }
      if (indent >= 0) Newline(out, indent, level);
      out += '}';
      CheckSize(out.size());
      return;
    }
    case Kind::Object: {
      if (IsMarkup(v)) {
        JsonString(out, ObjAs<MarkupObj>(v)->s);
        return;
      }
      if (IsBigInt(v)) {
        out += ObjAs<BigIntObj>(v)->v.ToString();
        return;
      }
      ThrowType("Object of type " + TypeName(v) + " is not JSON serializable");
    }
  }
}

}  // namespace

void ToJson(const Value& v, int indent, std::string& out) {
  out.reserve(out.size() + 256);
  Markers markers;
  Dump(v, indent, out, 0, markers);
}

}  // namespace herald::jinja
