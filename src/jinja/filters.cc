// The built-in filters (jinja2.filters.FILTERS, 54 names) plus NetBox's `env`. Each follows
// Jinja2 3.1's implementation semantics with Python value rules. NetBox's `header_safe` is not
// built in: AddHeaderSafeFilter (environment.cc) adds it to the header environment only. The
// Python library ports the filters rest on live beside them: textwrap.cc (wordwrap, indent),
// urls.cc (urlize, urlencode), pprint.cc (pprint), tojson.cc (tojson).
#include <fnmatch.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include "jinja/errors.h"
#include "jinja/format.h"
#include "jinja/limits.h"
#include "jinja/pprint.h"
#include "jinja/pyops.h"
#include "jinja/render.h"
#include "jinja/striptags.h"
#include "jinja/textwrap.h"
#include "jinja/tojson.h"
#include "jinja/ucd.h"
#include "jinja/urls.h"
#include "value/pystr.h"
#include "value/unicode.h"

namespace herald::jinja {

namespace {

// Python's AttributeError for a missing method; a Jinja2 Namespace raises it with the bare name.
[[noreturn]] void ThrowNoAttr(const Value& v, const char* name) {
  if (IsObj(v, OK::kNamespace)) Throw("AttributeError", name);
  Throw("AttributeError", "'" + TypeName(v) + "' object has no attribute '" + name + "'");
}

using Args = CallValues;
using P = std::vector<const Value*>;

[[noreturn]] void FilterArgError(const std::string& m) { Throw("FilterArgumentError", m); }

void FailIfUndef(const Value& v) {
  if (IsUndefined(v)) ObjAs<UndefinedObj>(v)->Fail();
}

// soft_str: Markup stays Markup, everything else str().
Value SoftStr(const Value& v) {
  if (v.is_str() || IsMarkup(v)) return v;
  return Value(ToStr(v));
}
const std::string& S(const Value& soft) { return *StrLike(soft); }
Value Wrap(const Value& like, std::string s) {
  return IsMarkup(like) ? MakeMarkup(std::move(s)) : Value(std::move(s));
}

int64_t IntParam(const Value* v, int64_t dflt, const char* what = "") {
  if (!v) return dflt;
  int64_t i;
  if (v->is_float()) return static_cast<int64_t>(v->as_float());
  if (!AsInt64(*v, &i)) {
    FailIfUndef(*v);
    ThrowType("'" + TypeName(*v) + "' object cannot be interpreted as an integer");
  }
  return i;
}

bool BoolParam(const Value* v, bool dflt) { return v ? Truthy(*v) : dflt; }

// attribute "a.b.0" -> parts (ints for digit parts)
std::vector<Value> AttrParts(const Value& attr) {
  std::vector<Value> parts;
  if (attr.is_none()) return parts;
  if (const std::string* s = StrLike(attr)) {
    size_t i = 0;
    while (true) {
      size_t j = s->find('.', i);
      std::string part = s->substr(i, j == std::string::npos ? std::string::npos : j - i);
      bool digits = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
      if (digits) parts.push_back(IntFromLiteral(part));
      else parts.emplace_back(part);
      if (j == std::string::npos) break;
      i = j + 1;
    }
    return parts;
  }
  parts.push_back(attr);
  return parts;
}

Value IgnoreCase(const Value& v) {
  if (v.is_str()) return Value(ucd::Lower(v.as_str()));
  if (IsMarkup(v)) return MakeMarkup(ucd::Lower(ObjAs<MarkupObj>(v)->s));
  return v;
}

struct AttrGetter {
  std::vector<Value> parts;
  bool lower = false;
  const Value* dflt = nullptr;
  Value operator()(Interp& in, const Value& item) const {
    Value cur = item;
    for (const Value& p : parts) {
      cur = in.GetItem(cur, p);
      if (dflt && IsUndefined(cur)) cur = *dflt;
    }
    if (lower) cur = IgnoreCase(cur);
    return cur;
  }
};

// ---- string filters ----

Value FUpper(Interp&, const Value& v, Args& a) {
  return Wrap(SoftStr(v), ucd::Upper(S(SoftStr(v))));
}
Value FLower(Interp&, const Value& v, Args& a) {
  return Wrap(SoftStr(v), ucd::Lower(S(SoftStr(v))));
}
Value FCapitalize(Interp&, const Value& v, Args& a) {
  Value s = SoftStr(v);
  return Wrap(s, ucd::Capitalize(S(s)));
}

Value FTitle(Interp&, const Value& v, Args& a) {
  Value sv = SoftStr(v);
  std::vector<uint32_t> cps = ucd::Decode(S(sv));
  auto is_sep = [](uint32_t c) {
    return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || ucd::IsSpace(c);
  };
  std::string out;
  size_t i = 0;
  while (i < cps.size()) {
    size_t j = i;
    bool sep = is_sep(cps[i]);
    while (j < cps.size() && is_sep(cps[j]) == sep) ++j;
    // item = cps[i, j): first upper, rest lower
    ucd::AppendUpper(out, cps[i]);
    out += ucd::Lower(ucd::Encode(cps.data() + i + 1, j - i - 1));
    i = j;
  }
  return Wrap(sv, std::move(out));
}

Value FTrim(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_trim", a, {"chars"}, p);
  Value sv = SoftStr(v);
  CallValues ca;
  if (p[0]) ca.args.push_back(*p[0]);
  std::vector<uint32_t> cps = ucd::Decode(S(sv));
  std::vector<uint32_t> set;
  bool ws = !p[0] || p[0]->is_none();
  if (!ws) set = ucd::Decode(ToStr(*p[0]));
  auto strip = [&](uint32_t c) {
    return ws ? ucd::IsSpace(c) : std::find(set.begin(), set.end(), c) != set.end();
  };
  size_t b = 0, e = cps.size();
  while (b < e && strip(cps[b])) ++b;
  while (e > b && strip(cps[e - 1])) --e;
  return Wrap(sv, ucd::Encode(cps.data() + b, e - b));
}

Value FCenter(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_center", a, {"width"}, p);
  Value sv = SoftStr(v);
  CallValues ca;
  ca.args.push_back(p[0] ? *p[0] : Value(80));
  return CallMethod(in, sv, "center", ca);
}

Value FReplace(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_replace", a, {"old", "new", "count"}, p);
  if (!p[0] || !p[1]) ThrowType("do_replace() missing required argument");
  CallValues ca;
  ca.args.push_back(Value(ToStr(*p[0])));
  ca.args.push_back(Value(ToStr(*p[1])));
  if (p[2] && !p[2]->is_none()) ca.args.push_back(*p[2]);
  if (in.autoescape()) {
    // Markup-aware replace
    Value sv = IsMarkup(v) ? v : MakeMarkup(HtmlEscape(ToStr(v)));
    ca.args[0] = *p[0];
    ca.args[1] = *p[1];
    return CallMethod(in, sv, "replace", ca);
  }
  return CallMethod(in, Value(ToStr(v)), "replace", ca);
}

Value FFormat(Interp& in, const Value& v, Args& a) {
  if (!a.args.empty() && !a.kwargs.empty()) {
    FilterArgError("can't handle positional and keyword arguments at the same time");
  }
  Value sv = SoftStr(v);
  Value args;
  if (!a.kwargs.empty()) {
    Dict d;
    for (auto& [k, x] : a.kwargs) d.set(k, x);
    args = Value(std::move(d));
  } else {
    args = Value::MakeTuple(a.args);
  }
  return BinaryOp(BinOp::kMod, sv, args);
}

Value FString(Interp&, const Value& v, Args& a) { return SoftStr(v); }

Value FStriptags(Interp&, const Value& v, Args& a) { return Value(StripTags(ToStr(v))); }

Value FTruncate(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_truncate", a, {"length", "killwords", "end", "leeway"}, p);
  int64_t length = IntParam(p[0], 255);
  bool killwords = BoolParam(p[1], false);
  std::string end = p[2] ? ToStr(*p[2]) : "...";
  int64_t leeway = p[3] && !p[3]->is_none() ? IntParam(p[3], 5) : 5;
  int64_t end_len = static_cast<int64_t>(Utf8Length(end));
  if (!StrLike(v)) {
    int64_t n = static_cast<int64_t>(Len(v));
    if (n <= length + leeway) return v;
    if (killwords) {
      Value head = v;
      if (v.is_list() || v.is_tuple()) {
        List h(v.as_list().begin(),
               v.as_list().begin() + std::max<int64_t>(0, std::min<int64_t>(n, length - end_len)));
        head = v.is_tuple() ? Value::MakeTuple(std::move(h)) : Value(std::move(h));
      }
      return BinaryOp(BinOp::kAdd, head, Value(end));
    }
    ThrowNoAttr(v, "rsplit");
  }
  std::string s = *StrLike(v);
  if (length < end_len)
    Throw("AssertionError",
          "expected length >= " + std::to_string(end_len) + ", got " + std::to_string(length));
  if (leeway < 0) Throw("AssertionError", "expected leeway >= 0, got " + std::to_string(leeway));
  std::vector<uint32_t> cps = ucd::Decode(s);
  if (static_cast<int64_t>(cps.size()) <= length + leeway) return Value(s);
  std::string head = ucd::Encode(cps.data(), static_cast<size_t>(length - end_len));
  if (killwords) return Value(head + end);
  size_t sp = head.rfind(' ');
  if (sp != std::string::npos) head = head.substr(0, sp);
  return Value(head + end);
}

Value FWordcount(Interp&, const Value& v, Args& a) {
  std::string s = ToStr(v);
  int64_t n = 0;
  bool in_word = false;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t c = DecodeUtf8(s, i);
    bool w = c == '_' || ucd::Has(c, ucd::kAlpha | ucd::kDecimal | ucd::kDigit | ucd::kNumeric);
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value(n);
}

Value FWordwrap(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_wordwrap", a, {"width", "break_long_words", "wrapstring", "break_on_hyphens"}, p);
  std::string s = StrLike(v) ? *StrLike(v) : std::string();
  int64_t width = IntParam(p[0], 79);
  bool blw = BoolParam(p[1], true);
  std::string wrap = p[2] && !p[2]->is_none() ? ToStr(*p[2]) : "\n";
  bool boh = BoolParam(p[3], true);
  if (!StrLike(v)) {
    FailIfUndef(v);
    ThrowNoAttr(v, "splitlines");
  }
  return Value(WordWrap(s, width, blw, wrap, boh));
}

Value FIndent(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_indent", a, {"width", "first", "blank"}, p);
  std::string ind;
  if (p[0] && StrLike(*p[0])) {
    ind = *StrLike(*p[0]);
  } else {
    int64_t w = 4;
    if (p[0]) {
      if (IsBigInt(*p[0])) Throw("OverflowError", "cannot fit 'int' into an index-sized integer");
      if (!AsInt64(*p[0], &w) || p[0]->is_float()) {
        ThrowType("can't multiply sequence by non-int of type '" + TypeName(*p[0]) + "'");
      }
    }
    CheckSize(static_cast<size_t>(std::max<int64_t>(w, 0)));
    ind = std::string(static_cast<size_t>(std::max<int64_t>(w, 0)), ' ');
  }
  bool first = BoolParam(p[1], false), blank = BoolParam(p[2], false);
  if (!StrLike(v)) {
    if (v.is_list()) Throw("AttributeError", "'list' object has no attribute 'splitlines'");
    try {
      BinaryOp(BinOp::kAdd, v, Value("\n"));
    } catch (PyError& e) {
      size_t at = e.message.find("for +:");
      if (at != std::string::npos) e.message.replace(at, 6, "for +=:");
      throw;
    }
    ThrowNoAttr(v, "splitlines");
  }
  Value sv = SoftStr(v);
  std::string s = S(sv) + "\n";
  std::vector<std::string_view> lines = SplitLines(s);
  std::string rv;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i) rv += "\n" + ind;
      rv += lines[i];
      CheckSize(rv.size());
    }
  } else {
    rv = lines.empty() ? "" : lines[0];
    if (lines.size() > 1) {
      rv += "\n";
      for (size_t i = 1; i < lines.size(); ++i) {
        if (i > 1) rv += "\n";
        if (!lines[i].empty()) rv += ind;
        rv += lines[i];
        CheckSize(rv.size());
      }
    }
  }
  if (first) {
    CheckSize(rv.size() + ind.size());
    rv = ind + rv;
  }
  CheckSize(rv.size());
  return Wrap(sv, std::move(rv));
}

Value FUrlencode(Interp&, const Value& v, Args& a) { return Value(UrlEncode(v)); }

Value FUrlize(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_urlize", a, {"trim_url_limit", "nofollow", "target", "rel", "extra_schemes"}, p);
  std::string text = HtmlEscape(ToStr(v));
  if (IsMarkup(v)) text = ObjAs<MarkupObj>(v)->s;
  int64_t limit = -1;
  if (p[0] && !p[0]->is_none()) limit = IntParam(p[0], -1);
  std::string rel, target;
  bool has_rel = p[3] && !p[3]->is_none();
  if (has_rel) {
    for (const auto& x : Iterate(Value(ToStr(*p[3])))) (void)x;
    rel = ToStr(*p[3]);
  }
  bool nofollow = BoolParam(p[1], false);
  bool has_target = p[2] && !p[2]->is_none();
  if (has_target) target = ToStr(*p[2]);
  std::string out =
      Urlize(text, limit, has_rel ? &rel : nullptr, nofollow, has_target ? &target : nullptr);
  if (in.autoescape()) return MakeMarkup(std::move(out));
  return Value(std::move(out));
}

Value FXmlattr(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_xmlattr", a, {"autospace"}, p);
  if (!v.is_dict()) {
    FailIfUndef(v);
    ThrowNoAttr(v, "items");
  }
  std::string rv;
  for (const auto& [k, x] : v.as_dict()) {
    if (x.is_none() || IsUndefined(x)) continue;
    std::string key = ToStr(k);
    for (char c : key) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '/' ||
          c == '>' || c == '=') {
        ThrowValue("Invalid character in attribute name: " + StrRepr(key));
      }
    }
    if (!rv.empty()) rv += ' ';
    rv += HtmlEscape(key) + "=\"" + (IsMarkup(x) ? ObjAs<MarkupObj>(x)->s : HtmlEscape(ToStr(x))) +
          "\"";
  }
  if (BoolParam(p[0], true) && !rv.empty()) rv = " " + rv;
  if (in.autoescape()) return MakeMarkup(std::move(rv));
  return Value(std::move(rv));
}

Value FFilesizeformat(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_filesizeformat", a, {"binary"}, p);
  bool binary = BoolParam(p[0], false);
  double bytes;
  if (const std::string* s = StrLike(v)) {
    if (!ParseFloat(*s, &bytes)) ThrowValue("could not convert string to float: " + StrRepr(*s));
  } else if (IsNumber(v)) {
    bytes = ToDouble(v);
  } else {
    FailIfUndef(v);
    ThrowType("float() argument must be a string or a real number, not '" + TypeName(v) + "'");
  }
  double base = binary ? 1024 : 1000;
  const char* prefixes[] = {binary ? "KiB" : "kB", binary ? "MiB" : "MB", binary ? "GiB" : "GB",
                            binary ? "TiB" : "TB", binary ? "PiB" : "PB", binary ? "EiB" : "EB",
                            binary ? "ZiB" : "ZB", binary ? "YiB" : "YB"};
  if (bytes == 1) return Value("1 Byte");
  if (bytes < base) {
    return Value(
        BinaryOp(BinOp::kAdd, Value(ToStr(MakeInt(BigInt::FromDouble(bytes)))), Value(" Bytes")));
  }
  double unit = 0;
  const char* prefix = "";
  for (int i = 0; i < 8; ++i) {
    unit = std::pow(base, i + 2);
    prefix = prefixes[i];
    if (bytes < unit) break;
  }
  char buf[64];
  snprintf(buf, sizeof buf, "%.1f %s", base * bytes / unit, prefix);
  return Value(std::string(buf));
}

// ---- escaping ----

Value FEscape(Interp&, const Value& v, Args& a) {
  if (IsMarkup(v)) return v;
  return MakeMarkup(HtmlEscape(ToStr(v)));
}
Value FForceescape(Interp&, const Value& v, Args& a) { return MakeMarkup(HtmlEscape(ToStr(v))); }
Value FSafe(Interp&, const Value& v, Args& a) {
  if (IsMarkup(v)) return v;
  return MakeMarkup(ToStr(v));
}

Value FTojson(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_tojson", a, {"indent"}, p);
  int indent = -1;
  if (p[0] && !p[0]->is_none()) {
    // Python's json treats a negative indent as 0 (newlines only); a huge one is refused by the
    // size check before any line is padded.
    int64_t ind = IntParam(p[0], -1);
    indent = static_cast<int>(std::clamp<int64_t>(ind, 0, INT32_MAX));
  }
  return MakeMarkup(ToJson(v, indent));
}

// ---- numbers ----

Value FAbs(Interp&, const Value& v, Args& a) { return Abs(v); }

Value FInt(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_int", a, {"default", "base"}, p);
  Value dflt = p[0] ? *p[0] : Value(0);
  FailIfUndef(v);
  auto from_float = [&](double d, Value* out) {
    if (std::isnan(d)) return false;
    if (std::isinf(d)) Throw("OverflowError", "cannot convert float infinity to integer");
    *out = MakeInt(BigInt::FromDouble(d));
    return true;
  };
  Value out;
  if (const std::string* s = StrLike(v)) {
    int64_t base = 10;
    bool base_ok = true;
    if (p[1]) {
      if (!AsInt64(*p[1], &base) || p[1]->is_float()) base_ok = false;
    }
    if (base_ok && (base == 0 || (base >= 2 && base <= 36)) &&
        ParseInt(*s, static_cast<int>(base), &out))
      return out;
    double d;
    if (ParseFloat(*s, &d) && from_float(d, &out)) return out;
    return dflt;
  }
  if (v.is_float()) {
    if (from_float(v.as_float(), &out)) return out;
    return dflt;
  }
  if (IsIntLike(v)) return v.is_bool() ? Value(static_cast<int64_t>(v.as_bool())) : v;
  return dflt;
}

Value FFloat(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_float", a, {"default"}, p);
  Value dflt = p[0] ? *p[0] : Value(0.0);
  FailIfUndef(v);
  if (const std::string* s = StrLike(v)) {
    double d;
    if (ParseFloat(*s, &d)) return Value(d);
    return dflt;
  }
  if (IsNumber(v)) return Value(ToDouble(v));
  return dflt;
}

double PyRound(double x, int64_t n) {
  if (!std::isfinite(x)) return x;
  if (n > 300) return x;
  if (n >= 0) {
    char buf[512];
    snprintf(buf, sizeof buf, "%.*f", static_cast<int>(n), x);
    return std::strtod(buf, nullptr);
  }
  double p = std::pow(10.0, static_cast<double>(-n));
  double y = x / p;
  double r = std::nearbyint(y);
  return r * p;
}

Value FRound(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_round", a, {"precision", "method"}, p);
  int64_t prec = IntParam(p[0], 0);
  std::string method = p[1] ? ToStr(*p[1]) : "common";
  if (method != "common" && method != "ceil" && method != "floor") {
    FilterArgError("method must be common, ceil or floor");
  }
  if (method == "common") {
    if (!IsNumber(v)) ThrowType("type " + TypeName(v) + " doesn't define __round__ method");
    if (v.is_float()) return Value(PyRound(v.as_float(), prec));
    if (prec >= 0) return v.is_bool() ? Value(static_cast<int64_t>(v.as_bool())) : v;
    BigInt b, pw, q, r;
    ToBigInt(v, &b);
    pw = *BigInt::Pow(BigInt::FromInt64(10), static_cast<uint64_t>(-prec));
    BigInt::DivMod(b, pw, &q, &r);
    BigInt twice = BigInt::Add(r, r);
    int c = twice.Compare(pw);
    if (c > 0 || (c == 0 && q.IsOdd())) q = BigInt::Add(q, BigInt::FromInt64(1));
    return MakeInt(BigInt::Mul(q, pw));
  }
  Value scale = BinaryOp(BinOp::kPow, Value(10), Value(prec));
  Value x = BinaryOp(BinOp::kMul, v, scale);
  if (!IsNumber(x)) ThrowType("must be real number, not " + TypeName(x));
  Value f;
  if (x.is_float()) {
    double d = x.as_float();
    if (std::isinf(d)) Throw("OverflowError", "cannot convert float infinity to integer");
    if (std::isnan(d)) ThrowValue("cannot convert float NaN to integer");
    f = MakeInt(BigInt::FromDouble(method == "ceil" ? std::ceil(d) : std::floor(d)));
  } else {
    f = x.is_bool() ? Value(static_cast<int64_t>(x.as_bool())) : x;
  }
  return BinaryOp(BinOp::kDiv, f, scale);
}

Value FSum(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_sum", a, {"attribute", "start"}, p);
  Value total = p[1] ? *p[1] : Value(0);
  AttrGetter get;
  bool use_attr = p[0] && !p[0]->is_none();
  if (use_attr) get.parts = AttrParts(*p[0]);
  for (const Value& item : Iterate(v)) {
    in.Step();
    total = BinaryOp(BinOp::kAdd, total, use_attr ? get(in, item) : item);
  }
  return total;
}

// ---- sequences ----

Value FLength(Interp&, const Value& v, Args& a) { return Value(static_cast<int64_t>(Len(v))); }

Value FList(Interp&, const Value& v, Args& a) { return Value(Iterate(v)); }

Value FFirst(Interp& in, const Value& v, Args& a) {
  if (IsObj(v, OK::kGenerator)) {
    GeneratorObj* g = ObjAs<GeneratorObj>(v);
    if (g->items.empty()) return in.UndefinedHint("No first item, sequence was empty.");
    Value f = g->items.front();
    g->items.erase(g->items.begin());
    return f;
  }
  std::vector<Value> items = Iterate(v);
  if (items.empty()) return in.UndefinedHint("No first item, sequence was empty.");
  return items.front();
}

std::vector<Value> Reversed(const Value& v, bool for_last) {
  if (v.is_str() || IsMarkup(v) || v.is_list() || v.is_tuple() || v.is_dict() ||
      IsObj(v, OK::kRange) || IsObj(v, OK::kUndefined) || IsObj(v, OK::kDictView) ||
      IsObj(v, OK::kGroupTuple)) {
    std::vector<Value> items = Iterate(v);
    std::reverse(items.begin(), items.end());
    return items;
  }
  if (for_last) ThrowType("'" + TypeName(v) + "' object is not reversible");
  if (!IsIterable(v)) FilterArgError("argument must be iterable");
  std::vector<Value> items = Iterate(v);
  std::reverse(items.begin(), items.end());
  return items;
}

Value FLast(Interp& in, const Value& v, Args& a) {
  std::vector<Value> items = Reversed(v, true);
  if (items.empty()) return in.UndefinedHint("No last item, sequence was empty.");
  return items.front();
}

Value FRandom(Interp& in, const Value& v, Args& a) {
  std::vector<Value> items;
  if (v.is_str() || v.is_list() || v.is_tuple() || IsMarkup(v) || IsObj(v, OK::kRange)) {
    items = Iterate(v);
  } else if (IsUndefined(v)) {
    items = Iterate(v);
  } else {
    Len(v);  // raises TypeError for non-sequences
    ThrowType("'" + TypeName(v) + "' object is not subscriptable");
  }
  if (items.empty()) return in.UndefinedHint("No random item, sequence was empty.");
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return items[rng() % items.size()];
}

Value FReverse(Interp&, const Value& v, Args& a) {
  if (v.is_str()) {
    std::vector<uint32_t> cps = ucd::Decode(v.as_str());
    std::reverse(cps.begin(), cps.end());
    return Value(ucd::Encode(cps));
  }
  if (IsMarkup(v)) {
    std::vector<uint32_t> cps = ucd::Decode(ObjAs<MarkupObj>(v)->s);
    std::reverse(cps.begin(), cps.end());
    return MakeMarkup(ucd::Encode(cps));
  }
  bool lazy = !IsObj(v, OK::kGenerator);
  std::vector<Value> items = Reversed(v, false);
  if (!lazy) return Value(std::move(items));
  return MakeGenerator(std::move(items),
                       v.is_dict() ? "dict_reversekeyiterator" : "list_reverseiterator");
}

Value FJoin(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_join", a, {"d", "attribute"}, p);
  std::string d = p[0] ? ToStr(*p[0]) : "";
  std::vector<Value> items = Iterate(v);
  if (p[1] && !p[1]->is_none()) {
    AttrGetter get;
    get.parts = AttrParts(*p[1]);
    for (Value& x : items) x = get(in, x);
  }
  if (in.autoescape()) {
    bool any_markup = p[0] && IsMarkup(*p[0]);
    for (const Value& x : items)
      if (IsMarkup(x)) any_markup = true;
    if (any_markup) {
      std::string sep = p[0] && IsMarkup(*p[0]) ? d : HtmlEscape(d);
      std::string out;
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += sep;
        out += IsMarkup(items[i]) ? ToStr(items[i]) : HtmlEscape(ToStr(items[i]));
      }
      return MakeMarkup(std::move(out));
    }
  }
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += d;
    AppendStr(out, items[i]);
    CheckSize(out.size());
  }
  return Value(std::move(out));
}

Value FBatch(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_batch", a, {"linecount", "fill_with"}, p);
  if (!p[0]) ThrowType("do_batch() missing 1 required positional argument: 'linecount'");
  // Python compares the batch length with any int; a huge one just means "one batch".
  int64_t n = p[0] && IsBigInt(*p[0])
                  ? (ObjAs<BigIntObj>(*p[0])->v.negative() ? INT64_MIN : INT64_MAX)
                  : IntParam(p[0], 1);
  std::vector<Value> out;
  List cur;
  for (Value& item : Iterate(v)) {
    if (static_cast<int64_t>(cur.size()) == n) {
      out.push_back(Value(std::move(cur)));
      cur.clear();
    }
    cur.push_back(std::move(item));
  }
  if (!cur.empty()) {
    if (p[1] && !p[1]->is_none() && static_cast<int64_t>(cur.size()) < n) {
      CheckItems(static_cast<size_t>(n));
      while (static_cast<int64_t>(cur.size()) < n) cur.push_back(*p[1]);
    }
    out.push_back(Value(std::move(cur)));
  }
  return MakeGenerator(std::move(out));
}

Value FSlice(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_slice", a, {"slices", "fill_with"}, p);
  if (!p[0]) ThrowType("do_slice() missing 1 required positional argument: 'slices'");
  int64_t slices = IntParam(p[0], 1);
  std::vector<Value> seq = Iterate(v);
  int64_t length = static_cast<int64_t>(seq.size());
  if (slices == 0) Throw("ZeroDivisionError", "integer division or modulo by zero");
  if (slices < 0 || slices > 100000) ThrowLimit("slice count too large");
  int64_t per = length / slices, extra = length % slices;
  if (per * slices > length) {
    --per;
    extra += slices;
  }
  int64_t offset = 0;
  std::vector<Value> out;
  for (int64_t n = 0; n < slices; ++n) {
    int64_t start = offset + n * per;
    if (n < extra) ++offset;
    int64_t end = offset + (n + 1) * per;
    List tmp;
    for (int64_t i = std::max<int64_t>(start, 0); i < std::min(end, length); ++i)
      tmp.push_back(seq[i]);
    if (p[1] && !p[1]->is_none() && n >= extra) tmp.push_back(*p[1]);
    out.push_back(Value(std::move(tmp)));
  }
  return MakeGenerator(std::move(out));
}

Value FSort(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_sort", a, {"reverse", "case_sensitive", "attribute"}, p);
  bool reverse = BoolParam(p[0], false), cs = BoolParam(p[1], false);
  std::vector<AttrGetter> getters;
  if (p[2] && !p[2]->is_none() && StrLike(*p[2])) {
    const std::string& s = *StrLike(*p[2]);
    size_t i = 0;
    while (true) {
      size_t j = s.find(',', i);
      AttrGetter g;
      g.parts = AttrParts(Value(s.substr(i, j == std::string::npos ? std::string::npos : j - i)));
      g.lower = !cs;
      getters.push_back(g);
      if (j == std::string::npos) break;
      i = j + 1;
    }
  } else {
    AttrGetter g;
    if (p[2] && !p[2]->is_none()) g.parts = AttrParts(*p[2]);
    g.lower = !cs;
    getters.push_back(g);
  }
  std::vector<Value> items = Iterate(v);
  PySort(
      items,
      [&](const Value& x) {
        List k;
        for (const auto& g : getters) k.push_back(g(in, x));
        return Value(std::move(k));
      },
      reverse);
  return Value(std::move(items));
}

Value FDictsort(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_dictsort", a, {"case_sensitive", "by", "reverse"}, p);
  bool cs = BoolParam(p[0], false), reverse = BoolParam(p[2], false);
  std::string by = p[1] ? ToStr(*p[1]) : "key";
  int pos;
  if (by == "key") pos = 0;
  else if (by == "value") pos = 1;
  else FilterArgError("You can only sort by either \"key\" or \"value\"");
  if (!v.is_dict()) {
    FailIfUndef(v);
    ThrowNoAttr(v, "items");
  }
  std::vector<Value> items;
  for (const auto& [k, x] : v.as_dict()) items.push_back(Value::MakeTuple({k, x}));
  PySort(
      items,
      [&](const Value& t) {
        Value x = t.as_list()[pos];
        return cs ? x : IgnoreCase(x);
      },
      reverse);
  return Value(std::move(items));
}

Value FItems(Interp&, const Value& v, Args& a) {
  if (IsUndefined(v)) return MakeGenerator({});
  if (!v.is_dict()) ThrowType("Can only get item pairs from a mapping.");
  std::vector<Value> items;
  for (const auto& [k, x] : v.as_dict()) items.push_back(Value::MakeTuple({k, x}));
  return MakeGenerator(std::move(items));
}

Value FUnique(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_unique", a, {"case_sensitive", "attribute"}, p);
  AttrGetter get;
  get.lower = !BoolParam(p[0], false);
  if (p[1] && !p[1]->is_none()) get.parts = AttrParts(*p[1]);
  std::vector<Value> seen, out;
  for (const Value& item : Iterate(v)) {
    Value key = get(in, item);
    CheckHashable(key);
    bool dup = false;
    for (const Value& s : seen)
      if (Eq(s, key)) {
        dup = true;
        break;
      }
    if (!dup) {
      seen.push_back(key);
      out.push_back(item);
    }
  }
  return MakeGenerator(std::move(out));
}

Value MinMax(Interp& in, const Value& v, Args& a, bool is_max) {
  P p;
  BindArgs(is_max ? "do_max" : "do_min", a, {"case_sensitive", "attribute"}, p);
  std::vector<Value> items = Iterate(v);
  if (items.empty()) return in.UndefinedHint("No aggregated item, sequence was empty.");
  AttrGetter get;
  get.lower = !BoolParam(p[0], false);
  if (p[1] && !p[1]->is_none()) get.parts = AttrParts(*p[1]);
  size_t best = 0;
  Value best_key = get(in, items[0]);
  for (size_t i = 1; i < items.size(); ++i) {
    Value k = get(in, items[i]);
    if (CompareOp(is_max ? CmpOp::kGt : CmpOp::kLt, k, best_key)) {
      best = i;
      best_key = k;
    }
  }
  return items[best];
}
Value FMax(Interp& in, const Value& v, Args& a) { return MinMax(in, v, a, true); }
Value FMin(Interp& in, const Value& v, Args& a) { return MinMax(in, v, a, false); }

Value FGroupby(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_groupby", a, {"attribute", "default", "case_sensitive"}, p);
  if (!p[0]) ThrowType("do_groupby() missing 1 required positional argument: 'attribute'");
  bool cs = BoolParam(p[2], false);
  AttrGetter key;
  key.parts = AttrParts(*p[0]);
  key.lower = !cs;
  key.dflt = p[1] && !p[1]->is_none() ? p[1] : nullptr;
  AttrGetter out_key = key;
  out_key.lower = false;
  std::vector<Value> items = Iterate(v);
  PySort(
      items, [&](const Value& x) { return key(in, x); }, false);
  std::vector<Value> groups;
  size_t i = 0;
  while (i < items.size()) {
    Value k = key(in, items[i]);
    List members{items[i]};
    size_t j = i + 1;
    while (j < items.size() && Eq(key(in, items[j]), k)) members.push_back(items[j++]);
    Value grouper = cs ? k : out_key(in, items[i]);
    groups.push_back(Value(std::shared_ptr<Object>(
        std::make_shared<GroupTupleObj>(grouper, Value(std::move(members))))));
    i = j;
  }
  return Value(std::move(groups));
}

Value FMap(Interp& in, const Value& v, Args& a) {
  std::vector<Value> out;
  if (!Truthy(v)) return MakeGenerator({});
  if (a.args.empty() && a.Kw("attribute")) {
    AttrGetter get;
    get.parts = AttrParts(*a.Kw("attribute"));
    get.dflt = a.Kw("default");
    for (const auto& [k, x] : a.kwargs) {
      if (k != "attribute" && k != "default")
        FilterArgError("Unexpected keyword argument " + StrRepr(k));
    }
    for (const Value& item : Iterate(v)) out.push_back(get(in, item));
    return MakeGenerator(std::move(out));
  }
  if (a.args.empty()) FilterArgError("map requires a filter argument");
  std::string name = ToStr(a.args[0]);
  CallValues rest;
  rest.args.assign(a.args.begin() + 1, a.args.end());
  rest.kwargs = a.kwargs;
  for (const Value& item : Iterate(v)) {
    CallValues copy = rest;
    out.push_back(in.CallFilter(name, item, copy));
  }
  return MakeGenerator(std::move(out));
}

Value SelectReject(Interp& in, const Value& v, Args& a, bool select, bool attr) {
  if (!Truthy(v)) return MakeGenerator({});
  AttrGetter get;
  size_t off = 0;
  if (attr) {
    if (a.args.empty()) FilterArgError("Missing parameter for attribute name");
    get.parts = AttrParts(a.args[0]);
    off = 1;
  }
  bool has_test = a.args.size() > off;
  std::string test = has_test ? ToStr(a.args[off]) : "";
  CallValues rest;
  if (has_test) rest.args.assign(a.args.begin() + off + 1, a.args.end());
  rest.kwargs = a.kwargs;
  std::vector<Value> out;
  for (const Value& item : Iterate(v)) {
    Value x = attr ? get(in, item) : item;
    bool r;
    if (has_test) {
      CallValues copy = rest;
      r = in.CallTest(test, x, copy);
    } else {
      r = Truthy(x);
    }
    if (r == select) out.push_back(item);
  }
  return MakeGenerator(std::move(out));
}
Value FSelect(Interp& in, const Value& v, Args& a) { return SelectReject(in, v, a, true, false); }
Value FReject(Interp& in, const Value& v, Args& a) { return SelectReject(in, v, a, false, false); }
Value FSelectattr(Interp& in, const Value& v, Args& a) {
  return SelectReject(in, v, a, true, true);
}
Value FRejectattr(Interp& in, const Value& v, Args& a) {
  return SelectReject(in, v, a, false, true);
}

// ---- misc ----

Value FDefault(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_default", a, {"default_value", "boolean"}, p);
  if (IsUndefined(v) || (BoolParam(p[1], false) && !Truthy(v))) return p[0] ? *p[0] : Value("");
  return v;
}

Value FAttr(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_attr", a, {"name"}, p);
  if (!p[0]) ThrowType("do_attr() missing 1 required positional argument: 'name'");
  std::string name = ToStr(*p[0]);
  if (IsUndefined(v)) ObjAs<UndefinedObj>(v)->Fail();
  bool exists = HasMethod(v, name) || (name.size() > 4 && name.compare(0, 2, "__") == 0);
  if (!exists && AsJ(v)) {
    Value r = in.GetAttr(v, name);
    if (!IsUndefined(r) || !ObjAs<UndefinedObj>(r)->has_obj) return r;
  }
  if (!exists) return MakeUndefinedAttr(in.strict(), v, Value(name));
  return in.GetAttr(v, name);
}

Value FEnv(Interp& in, const Value& v, Args& a) {
  std::string name = ToStr(v);
  for (const auto& pat : in.env().options.env_filter_patterns) {
    if (fnmatch(pat.c_str(), name.c_str(), 0) == 0) {
      const char* val = std::getenv(name.c_str());
      if (val) return Value(std::string(val));
      return Value();
    }
  }
  return Value();
}

Value FPprint(Interp&, const Value& v, Args& a) { return Value(PPrint(v)); }

}  // namespace

void RegisterBuiltinFilters(std::map<std::string, FilterDef>& out) {
  auto add = [&](const char* name, BuiltinFilter f) { out[name] = FilterDef{name, f, nullptr}; };
  add("abs", FAbs);
  add("attr", FAttr);
  add("batch", FBatch);
  add("capitalize", FCapitalize);
  add("center", FCenter);
  add("count", FLength);
  add("d", FDefault);
  add("default", FDefault);
  add("dictsort", FDictsort);
  add("e", FEscape);
  add("escape", FEscape);
  add("filesizeformat", FFilesizeformat);
  add("first", FFirst);
  add("float", FFloat);
  add("forceescape", FForceescape);
  add("format", FFormat);
  add("groupby", FGroupby);
  add("indent", FIndent);
  add("int", FInt);
  add("items", FItems);
  add("join", FJoin);
  add("last", FLast);
  add("length", FLength);
  add("list", FList);
  add("lower", FLower);
  add("map", FMap);
  add("max", FMax);
  add("min", FMin);
  add("pprint", FPprint);
  add("random", FRandom);
  add("reject", FReject);
  add("rejectattr", FRejectattr);
  add("replace", FReplace);
  add("reverse", FReverse);
  add("round", FRound);
  add("safe", FSafe);
  add("select", FSelect);
  add("selectattr", FSelectattr);
  add("slice", FSlice);
  add("sort", FSort);
  add("string", FString);
  add("striptags", FStriptags);
  add("sum", FSum);
  add("title", FTitle);
  add("tojson", FTojson);
  add("trim", FTrim);
  add("truncate", FTruncate);
  add("unique", FUnique);
  add("upper", FUpper);
  add("urlencode", FUrlencode);
  add("urlize", FUrlize);
  add("wordcount", FWordcount);
  add("wordwrap", FWordwrap);
  add("xmlattr", FXmlattr);
  add("env", FEnv);  // NetBox: registered by default
}

}  // namespace herald::jinja
