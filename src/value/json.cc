#include "value/json.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "common/strings.h"
#include "value/bigint.h"
#include "value/unicode.h"

namespace herald {

namespace {

// A number set aside for the second parse (see RewriteOversized), by its ordinal among the
// document's number tokens.
struct Oversized {
  size_t ordinal;
  Value value;
};

// Replaces the numbers of a parsed document with the oversized ones recorded for it, counting
// number elements in document order (the order RewriteOversized counted the tokens in).
struct OversizedFill {
  const std::vector<Oversized>& items;
  size_t ordinal = 0, next = 0;

  bool Take(Value* out) {
    size_t n = ordinal++;
    if (next >= items.size() || items[next].ordinal != n) return false;
    *out = items[next++].value;
    return true;
  }
};

Value FromElement(simdjson::dom::element el, OversizedFill* fill) {
  using T = simdjson::dom::element_type;
  switch (el.type()) {
    case T::OBJECT: {
      Dict d;
      auto obj = el.get_object().value_unsafe();
      d.reserve(obj.size());
      for (auto field : obj) d.set(std::string_view(field.key), FromElement(field.value, fill));
      return Value(std::move(d));
    }
    case T::ARRAY: {
      List l;
      auto arr = el.get_array();
      l.reserve(arr.size());
      for (auto item : arr) l.push_back(FromElement(item, fill));
      return Value(std::move(l));
    }
    case T::STRING: return Value(std::string_view(el.get_string().value_unsafe()));
    case T::BOOL: return Value(el.get_bool().value_unsafe());
    case T::NULL_VALUE: return Value();
    default: break;
  }
  Value number;
  if (fill && fill->Take(&number)) return number;
  switch (el.type()) {
    case T::INT64: return Value(static_cast<int64_t>(el.get_int64().value_unsafe()));
    case T::UINT64: return MakeInt(BigInt::FromUint64(el.get_uint64().value_unsafe()));
    case T::DOUBLE: return Value(el.get_double().value_unsafe());
    default: return Value();
  }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The length of the JSON number at the start of `s` (RFC 8259 grammar), 0 when there is none;
// *integer tells whether it has neither fraction nor exponent.
size_t JsonNumberLength(std::string_view s, bool* integer) {
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n || !IsDigit(s[i])) return 0;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < n && IsDigit(s[i])) ++i;
  }
  *integer = true;
  if (i < n && s[i] == '.') {
    *integer = false;
    size_t start = ++i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == start) return 0;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    *integer = false;
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t start = i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == start) return 0;
  }
  return i;
}

// The value of a number token for the second parse: every float (strtod rounds as Python's
// float() does, gives inf past the double range as Python does for 1e400, and takes exponents of
// any length, which simdjson refuses), and the ints beyond 64 bits; None for the other ints,
// which simdjson takes.
Result<Value> OversizedValue(std::string_view token, bool integer) {
  bool neg = token[0] == '-';
  std::string_view digits = token.substr(neg ? 1 : 0);
  if (!integer) return Value(std::strtod(std::string(token).c_str(), nullptr));
  if (digits.size() <= 18) return Value();  // fits in 64 bits
  if (digits.size() > kMaxIntStrDigits) {
    return Status::Error(Code::kInvalidArgument, "ValueError",
                         "Exceeds the limit (" + std::to_string(kMaxIntStrDigits) +
                             " digits) for integer string conversion: value has " +
                             std::to_string(digits.size()) + " digits");
  }
  std::optional<BigInt> b = BigInt::Parse(digits, 10);
  if (!b) return Value();
  if (neg) *b = b->Neg();
  int64_t i64;
  if (b->ToInt64(&i64)) return Value();
  if (!neg && b->Compare(BigInt::FromUint64(UINT64_MAX)) <= 0) return Value();
  return MakeInt(std::move(*b));
}

// Python's json.loads also reads NaN, Infinity and -Infinity (what json.dumps writes for them):
// the value of such a literal at the start of `s`, and its length in *len.
std::optional<double> SpecialFloat(std::string_view s, size_t* len) {
  static constexpr std::pair<std::string_view, double> kLiterals[] = {
      {"NaN", std::numeric_limits<double>::quiet_NaN()},
      {"Infinity", std::numeric_limits<double>::infinity()},
      {"-Infinity", -std::numeric_limits<double>::infinity()}};
  for (const auto& [literal, value] : kLiterals) {
    if (s.substr(0, literal.size()) == literal) {
      *len = literal.size();
      return value;
    }
  }
  return std::nullopt;
}

// Copies `text` to *out with the number tokens simdjson may refuse but Python takes (see
// OversizedValue, SpecialFloat) replaced by " 0 ", recording their values in *items. Strings are
// copied untouched; anything malformed is left for simdjson to report. Errors: "ValueError" for an
// int past kMaxIntStrDigits digits.
Status RewriteOversized(std::string_view text, std::string* out, std::vector<Oversized>* items) {
  out->reserve(text.size());
  size_t ordinal = 0, i = 0, n = text.size(), len = 0;
  while (i < n) {
    char c = text[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < n && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, n);
      out->append(text.substr(i, j - i));
      i = j;
      continue;
    }
    if (std::optional<double> special = SpecialFloat(text.substr(i), &len)) {
      items->push_back({ordinal++, Value(*special)});
      *out += " 0 ";  // spaced: never merges with what stands next to it
      i += len;
      continue;
    }
    if (c != '-' && !IsDigit(c)) {
      *out += c;
      ++i;
      continue;
    }
    bool integer = false;
    len = JsonNumberLength(text.substr(i), &integer);
    if (len == 0) {  // not a number: simdjson reports it
      *out += c;
      ++i;
      continue;
    }
    std::string_view token = text.substr(i, len);
    Result<Value> v = OversizedValue(token, integer);
    if (!v.ok()) return v.status();
    if (v->is_none()) {
      out->append(token);
    } else {
      items->push_back({ordinal, std::move(*v)});
      *out += " 0 ";  // spaced: never merges with what stands next to it
    }
    ++ordinal;
    i += len;
  }
  return Status::Ok();
}

}  // namespace

namespace {

// Whether every float in v (a parsed document: acyclic, its depth bounded by the parser) is
// finite.
bool AllFloatsFinite(const Value& v) {
  if (v.is_float()) return std::isfinite(v.as_float());
  if (v.is_list()) {
    for (const Value& item : v.as_list()) {
      if (!AllFloatsFinite(item)) return false;
    }
  } else if (v.is_dict()) {
    for (const auto& [key, item] : v.as_dict()) {
      if (!AllFloatsFinite(item)) return false;
    }
  }
  return true;
}

}  // namespace

Result<Value> ParseStrictJson(std::string_view text) {
  auto v = ParseJson(text);
  if (v.ok() && !AllFloatsFinite(*v))
    return Status::Error(Code::kInvalidArgument, "ValueError",
                         "Out of range float values are not JSON compliant");
  return v;
}

Result<Value> ParseJson(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  auto doc = parser.parse(padded);
  if (!doc.error()) return FromElement(doc.value_unsafe(), nullptr);
  // Maybe numbers beyond what simdjson holds (ints past 64 bits, floats past the double range,
  // NaN and Infinity): parse again with those numbers set aside.
  std::string rewritten;
  std::vector<Oversized> items;
  Status st = RewriteOversized(text, &rewritten, &items);
  if (!st.ok()) return st;
  if (!items.empty()) {
    simdjson::padded_string padded2(rewritten);
    auto doc2 = parser.parse(padded2);
    if (!doc2.error()) {
      OversizedFill fill{items};
      return FromElement(doc2.value_unsafe(), &fill);
    }
  }
  return Status::Error(Code::kInvalidArgument, "JSONDecodeError",
                       simdjson::error_message(doc.error()));
}

namespace {
// Bytes a JSON string literal cannot copy as they are: bit 1 always (controls, DEL and above,
// '"', '\\'), bit 2 also when html_safe (< > & ').
struct EscapeTable {
  uint8_t t[256] = {};
  constexpr EscapeTable() {
    for (int c = 0; c < 256; ++c)
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') t[c] = 3;
    t[static_cast<int>('<')] = t[static_cast<int>('>')] = 2;
    t[static_cast<int>('&')] = t[static_cast<int>('\'')] = 2;
  }
};
constexpr EscapeTable kEscape;
}  // namespace

void AppendJsonString(std::string& out, std::string_view s, bool ensure_ascii, bool html_safe) {
  auto u4 = [&](uint32_t v) {
    out += "\\u";
    AppendHex(out, v, 4);
  };
  const uint8_t stop = html_safe ? 2 : 1;
  size_t i = 0;
  while (i < s.size() && !(kEscape.t[static_cast<unsigned char>(s[i])] & stop)) ++i;
  if (i == s.size()) {  // nothing to escape (most keys and values): one append
    const size_t at = out.size();
    out.resize(at + s.size() + 2);
    char* p = out.data() + at;
    p[0] = '"';
    std::memcpy(p + 1, s.data(), s.size());
    p[s.size() + 1] = '"';
    return;
  }
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  i = 0;
  while (i < s.size()) {
    // Copy a run of characters that need no escaping in one go.
    size_t run = i;
    while (run < s.size() && !(kEscape.t[static_cast<unsigned char>(s[run])] & stop)) ++run;
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

void JsonHooks::Object(std::string& out, const Value& v, const JsonDumpOptions& o) const {
  AppendJsonString(out, v.str(), o.ensure_ascii, o.html_safe);
}

std::string JsonHooks::Key(const Value& key) const { return key.str(); }

void JsonHooks::SortItems(std::vector<const Dict::Entry*>& items) const {
  std::stable_sort(items.begin(), items.end(), [](const Dict::Entry* a, const Dict::Entry* b) {
    auto r = PyCmp(a->first, b->first);
    return r.ok() && *r < 0;
  });
}

namespace {

const JsonHooks kDefaultHooks;

// Python's float.__repr__ with allow_nan: NaN, Infinity, -Infinity written bare.
void AppendFloat(std::string& out, double d) {
  if (std::isnan(d)) out += "NaN";
  else if (std::isinf(d)) out += d > 0 ? "Infinity" : "-Infinity";
  else out += FloatRepr(d);
}

// One json.dumps call: its options (copied into members for the hot loops), hooks and
// (check_circular) the containers being written.
class Dumper {
 public:
  Dumper(const JsonDumpOptions& o, std::string& out)
      : base_(out.size()),
        options_(o),
        hooks_(o.hooks ? *o.hooks : kDefaultHooks),
        limits_(o.hooks),
        out_(out),
        item_sep_(o.indent >= 0 ? "," : o.item_sep),
        key_sep_(o.key_sep),
        indent_(o.indent),
        ensure_ascii_(o.ensure_ascii),
        html_safe_(o.html_safe),
        sort_keys_(o.sort_keys),
        check_circular_(o.check_circular) {}

  void Dump(const Value& v, int level) {
    ValueRecursionGuard guard(" while encoding a JSON object");
    switch (v.kind()) {
      case Kind::None: out_ += "null"; return;
      case Kind::Bool: out_ += v.as_bool() ? "true" : "false"; return;
      case Kind::Int: {
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
        out_.append(buf, r.ptr - buf);
        return;
      }
      case Kind::Float: AppendFloat(out_, v.as_float()); return;
      case Kind::Str: String(v.as_str()); return;
      case Kind::List:
      case Kind::Tuple: {
        const List& l = v.as_list();
        if (l.empty()) {
          out_ += "[]";
          return;
        }
        Mark mark(*this, v.list_ptr().get());
        out_ += '[';
        for (size_t i = 0; i < l.size(); ++i) {
          if (i) out_ += item_sep_;
          if (indent_ >= 0) Newline(level + 1);
          Dump(l[i], level + 1);
          Grew();
        }
        if (indent_ >= 0) Newline(level);
        out_ += ']';
        Grew();
        return;
      }
      case Kind::Dict: {
        const Dict& d = v.as_dict();
        if (d.empty()) {
          out_ += "{}";
          return;
        }
        // Sorted item order: on the stack for small dicts (most are), else on the heap.
        constexpr size_t kSmall = 32;
        const Dict::Entry* small[kSmall];
        std::vector<const Dict::Entry*> sorted;
        const Dict::Entry* const* order = nullptr;
        if (sort_keys_) order = Sort(d, small, kSmall, sorted);
        Mark mark(*this, v.dict_ptr().get());
        out_ += '{';
        for (size_t i = 0; i < d.size(); ++i) {
          const Dict::Entry& e = sort_keys_ ? *order[i] : d.entries()[i];
          if (i) out_ += item_sep_;
          if (indent_ >= 0) Newline(level + 1);
          if (e.first.is_str()) String(e.first.as_str());
          else String(KeyText(e.first));
          out_ += key_sep_;
          Dump(e.second, level + 1);
          Grew();
        }
        if (indent_ >= 0) Newline(level);
        out_ += '}';
        Grew();
        return;
      }
      case Kind::Object:
        if (IsBigInt(v)) out_ += v.as_object()->repr();  // IntStrDigitsError past the limit
        else hooks_.Object(out_, v, options_);
        return;
    }
  }

 private:
  // Marks a container as being written (check_circular) for the scope's lifetime.
  class Mark {
   public:
    Mark(Dumper& d, const void* id) : d_(d) {
      if (!d_.check_circular_) return;
      const size_t n = d_.n_marks_;
      const size_t inline_n = std::min(n, kInlineMarks);
      if (std::find(d_.marks_, d_.marks_ + inline_n, id) != d_.marks_ + inline_n ||
          std::find(d_.more_marks_.begin(), d_.more_marks_.end(), id) != d_.more_marks_.end())
        throw JsonCircularError();
      if (n < kInlineMarks) d_.marks_[n] = id;
      else d_.more_marks_.push_back(id);
      d_.n_marks_ = n + 1;
    }
    ~Mark() {
      if (!d_.check_circular_) return;
      if (--d_.n_marks_ >= kInlineMarks) d_.more_marks_.pop_back();
    }

   private:
    Dumper& d_;
  };

  void Newline(int level) {
    size_t indent = static_cast<size_t>(indent_) * static_cast<size_t>(level);
    if (limits_) limits_->Grow(out_.size() - base_ + 1 + indent);
    out_ += '\n';
    out_.append(indent, ' ');
  }

  void Grew() {
    if (limits_) limits_->Grow(out_.size() - base_);
  }

  void String(std::string_view s) { AppendJsonString(out_, s, ensure_ascii_, html_safe_); }

  // The text of a key that is not a str: int, float, bool and None as in Python, others through
  // the hooks.
  std::string KeyText(const Value& k) const {
    switch (k.kind()) {
      case Kind::Bool: return k.as_bool() ? "true" : "false";
      case Kind::None: return "null";
      case Kind::Int: return std::to_string(k.as_int());
      case Kind::Float: {
        std::string text;
        AppendFloat(text, k.as_float());
        return text;
      }
      default: return IsBigInt(k) ? k.as_object()->repr() : hooks_.Key(k);
    }
  }

  // The dict's items in key order (str keys by code point, others as the hooks say): in `small`
  // (room for n_small) when all keys are str and fit, else in `sorted`.
  const Dict::Entry* const* Sort(const Dict& d, const Dict::Entry** small, size_t n_small,
                                 std::vector<const Dict::Entry*>& sorted) const {
    bool all_str = true;
    for (const auto& e : d) all_str = all_str && e.first.is_str();
    // UTF-8 byte order is code point order; keys are unique, so any sort is stable.
    auto less = [](const Dict::Entry* a, const Dict::Entry* b) {
      return a->first.as_str() < b->first.as_str();
    };
    if (all_str && d.size() <= n_small) {
      size_t n = 0;
      for (const auto& e : d) {  // insertion sort: few keys, often nearly in order
        size_t j = n++;
        for (; j > 0 && less(&e, small[j - 1]); --j) small[j] = small[j - 1];
        small[j] = &e;
      }
      return small;
    }
    sorted.reserve(d.size());
    for (const auto& e : d) sorted.push_back(&e);
    if (!all_str) hooks_.SortItems(sorted);
    else std::sort(sorted.begin(), sorted.end(), less);
    return sorted.data();
  }

  const size_t base_;  // size of the output before this dump
  const JsonDumpOptions& options_;
  const JsonHooks& hooks_;
  const JsonHooks* limits_;  // the caller's hooks, told as the output grows; null: none
  std::string& out_;
  const std::string_view item_sep_, key_sep_;
  const int indent_;
  const bool ensure_ascii_, html_safe_, sort_keys_, check_circular_;
  // The containers being written (check_circular): the first kInlineMarks in marks_.
  static constexpr size_t kInlineMarks = 32;
  const void* marks_[kInlineMarks];
  size_t n_marks_ = 0;
  std::vector<const void*> more_marks_;
};

}  // namespace

void DumpJsonTo(const Value& value, const JsonDumpOptions& options, std::string& out) {
  Dumper(options, out).Dump(value, 0);
}

std::string DumpJson(const Value& value, const JsonDumpOptions& options) {
  std::string out;
  out.reserve(256);  // fewer reallocations while small (most outputs here are larger)
  DumpJsonTo(value, options, out);
  return out;
}

std::string DumpJsonCompact(const Value& value) {
  JsonDumpOptions o;
  o.item_sep = ",";
  o.key_sep = ":";
  o.ensure_ascii = false;
  return DumpJson(value, o);
}

}  // namespace herald
