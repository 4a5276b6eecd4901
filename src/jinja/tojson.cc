#include "jinja/tojson.h"

#include <algorithm>
#include <cmath>

#include "jinja/errors.h"
#include "jinja/limits.h"
#include "jinja/objects.h"
#include "jinja/pyops.h"
#include "value/json.h"
#include "value/unicode.h"

namespace herald::jinja {

namespace {

// json.dumps string encoding with ensure_ascii=True plus Jinja2's HTML-safe escapes. (Python
// escapes everything outside ' '..'~', including DEL.)
void JsonString(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  auto u4 = [&](uint32_t v) {
    char b[6] = {'\\', 'u', kHex[(v >> 12) & 15], kHex[(v >> 8) & 15], kHex[(v >> 4) & 15], kHex[v & 15]};
    out.append(b, 6);
  };
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != '\'') {
      size_t j = i + 1;
      while (j < s.size()) {
        unsigned char d = static_cast<unsigned char>(s[j]);
        if (d < 0x20 || d >= 0x7f || d == '"' || d == '\\' || d == '<' || d == '>' || d == '&' || d == '\'') break;
        ++j;
      }
      out.append(s.data() + i, j - i);
      i = j;
      continue;
    }
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default: u4(c);
      }
      continue;
    }
    uint32_t cp = DecodeUtf8(s, i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      u4(0xD800 + (cp >> 10));
      u4(0xDC00 + (cp & 0x3FF));
    } else {
      u4(cp);
    }
  }
  out += '"';
}

void Newline(std::string& out, int indent, int level) {
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

void Dump(const Value& v, int indent, std::string& out, int level) {
  if (level > 200) Throw("RecursionError", "maximum recursion depth exceeded while encoding a JSON object");
  switch (v.kind()) {
    case Kind::None: out += "null"; return;
    case Kind::Bool: out += v.as_bool() ? "true" : "false"; return;
    case Kind::Int: out += std::to_string(v.as_int()); return;
    case Kind::Float: Float(out, v.as_float()); return;
    case Kind::Str: JsonString(out, v.as_str()); return;
    case Kind::List:
    case Kind::Tuple: {
      const List& l = v.as_list();
      if (l.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < l.size(); ++i) {
        if (i) out += indent >= 0 ? "," : ", ";
        if (indent >= 0) Newline(out, indent, level + 1);
        Dump(l[i], indent, out, level + 1);
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
      std::vector<const Dict::Entry*> entries;
      entries.reserve(d.size());
      bool all_str = true;
      for (const auto& e : d) {
        entries.push_back(&e);
        if (!e.first.is_str()) all_str = false;
      }
      if (all_str) {
        std::sort(entries.begin(), entries.end(),
                  [](const Dict::Entry* a, const Dict::Entry* b) { return a->first.as_str() < b->first.as_str(); });
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
      out += '{';
      bool first = true;
      for (const auto* e : entries) {
        if (!first) out += indent >= 0 ? "," : ", ";
        first = false;
        if (indent >= 0) Newline(out, indent, level + 1);
        if (e->first.is_str()) JsonString(out, e->first.as_str());
        else JsonString(out, KeyText(e->first));
        out += ": ";
        Dump(e->second, indent, out, level + 1);
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

void ToJson(const Value& v, int indent, std::string& out) { Dump(v, indent, out, 0); }

}  // namespace herald::jinja
