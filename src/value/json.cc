#include "value/json.h"

#include <simdjson.h>

#include <cmath>

#include "value/unicode.h"

namespace herald {

namespace {

Value FromElement(simdjson::dom::element el) {
  using T = simdjson::dom::element_type;
  switch (el.type()) {
    case T::OBJECT: {
      Dict d;
      auto obj = el.get_object().value_unsafe();
      d.reserve(obj.size());
      for (auto field : obj) d.set(std::string_view(field.key), FromElement(field.value));
      return Value(std::move(d));
    }
    case T::ARRAY: {
      List l;
      auto arr = el.get_array();
      l.reserve(arr.size());
      for (auto item : arr) l.push_back(FromElement(item));
      return Value(std::move(l));
    }
    case T::STRING: return Value(std::string_view(el.get_string().value_unsafe()));
    case T::INT64: return Value(static_cast<int64_t>(el.get_int64().value_unsafe()));
    case T::UINT64: return Value(static_cast<double>(el.get_uint64().value_unsafe()));
    case T::DOUBLE: return Value(el.get_double().value_unsafe());
    case T::BOOL: return Value(el.get_bool().value_unsafe());
    case T::NULL_VALUE: return Value();
  }
  return Value();
}

}  // namespace

Result<Value> ParseJson(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  auto doc = parser.parse(padded);
  if (doc.error()) {
    return Status::Error(Code::kInvalidArgument, "JSONDecodeError", simdjson::error_message(doc.error()));
  }
  return FromElement(doc.value_unsafe());
}

void AppendJsonString(std::string& out, std::string_view s, bool ensure_ascii, bool html_safe) {
  static const char* kHex = "0123456789abcdef";
  auto u4 = [&](uint32_t v) {
    out += "\\u";
    out += kHex[(v >> 12) & 15];
    out += kHex[(v >> 8) & 15];
    out += kHex[(v >> 4) & 15];
    out += kHex[v & 15];
  };
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    // Copy a run of characters that need no escaping in one go.
    size_t run = i;
    while (run < s.size()) {
      unsigned char r = static_cast<unsigned char>(s[run]);
      if (r < 0x20 || r >= 0x7f || r == '"' || r == '\\' ||
          (html_safe && (r == '<' || r == '>' || r == '&' || r == '\''))) break;
      ++run;
    }
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      if (i >= s.size()) break;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
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
        default:
          // Python escapes everything outside ' '..'~' when ensure_ascii (DEL included).
          if (c < 0x20 || (c == 0x7f && ensure_ascii)) {
            u4(c);
          } else if (html_safe && (c == '<' || c == '>' || c == '&' || c == '\'')) {
            u4(c);
          } else {
            out += static_cast<char>(c);
          }
      }
      continue;
    }
    if (!ensure_ascii) {
      // Re-encode so that invalid UTF-8 (e.g. a receiver's binary response) becomes U+FFFD and
      // the output stays valid JSON.
      AppendUtf8(out, DecodeUtf8(s, i));
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

namespace {

void Newline(std::string& out, const JsonDumpOptions& o, int level) {
  out += '\n';
  out.append(static_cast<size_t>(o.indent) * level, ' ');
}

std::string KeyString(const Value& k) {
  switch (k.kind()) {
    case Kind::Str: return k.as_str();
    case Kind::Bool: return k.as_bool() ? "true" : "false";
    case Kind::None: return "null";
    case Kind::Float: {
      double d = k.as_float();
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
      return FloatRepr(d);
    }
    default: return k.str();
  }
}

void Dump(const Value& v, const JsonDumpOptions& o, std::string& out, int level) {
  ValueRecursionGuard guard(" while encoding a JSON object");
  const char* item_sep = o.indent >= 0 ? "," : o.item_sep;
  switch (v.kind()) {
    case Kind::None: out += "null"; return;
    case Kind::Bool: out += v.as_bool() ? "true" : "false"; return;
    case Kind::Int: out += std::to_string(v.as_int()); return;
    case Kind::Float: {
      double d = v.as_float();
      if (std::isnan(d)) out += "NaN";
      else if (std::isinf(d)) out += d > 0 ? "Infinity" : "-Infinity";
      else out += FloatRepr(d);
      return;
    }
    case Kind::Str: AppendJsonString(out, v.as_str(), o.ensure_ascii, false); return;
    case Kind::List:
    case Kind::Tuple: {
      const List& l = v.as_list();
      if (l.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < l.size(); ++i) {
        if (i) out += item_sep;
        if (o.indent >= 0) Newline(out, o, level + 1);
        Dump(l[i], o, out, level + 1);
      }
      if (o.indent >= 0) Newline(out, o, level);
      out += ']';
      return;
    }
    case Kind::Dict: {
      const Dict& d = v.as_dict();
      if (d.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, value] : d) {
        if (!first) out += item_sep;
        first = false;
        if (o.indent >= 0) Newline(out, o, level + 1);
        AppendJsonString(out, KeyString(key), o.ensure_ascii, false);
        out += o.key_sep;
        Dump(value, o, out, level + 1);
      }
      if (o.indent >= 0) Newline(out, o, level);
      out += '}';
      return;
    }
    case Kind::Object: AppendJsonString(out, v.str(), o.ensure_ascii, false); return;
  }
}

}  // namespace

void DumpJsonTo(const Value& value, const JsonDumpOptions& options, std::string& out) {
  Dump(value, options, out, 0);
}

std::string DumpJson(const Value& value, const JsonDumpOptions& options) {
  std::string out;
  Dump(value, options, out, 0);
  return out;
}

std::string DumpJsonCompact(const Value& value) {
  JsonDumpOptions o;
  o.item_sep = ",";
  o.key_sep = ":";
  o.ensure_ascii = false;
  std::string out;
  Dump(value, o, out, 0);
  return out;
}

}  // namespace herald
