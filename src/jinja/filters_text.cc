// The built-in string filters (upper, title, trim, replace, format, truncate, wordwrap, indent,
// urlize, xmlattr, filesizeformat, ...) and the escaping ones (escape, forceescape, safe,
// tojson), with Jinja2 3.1's semantics: Markup in gives Markup out where Jinja2's soft_str
// does, and every width or count is checked against the limits before text is built. The
// Python library ports they use live beside them: textwrap.cc, urls.cc, striptags.cc, tojson.cc.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "jinja/filter_support.h"
#include "jinja/limits.h"
#include "jinja/striptags.h"
#include "jinja/textwrap.h"
#include "jinja/tojson.h"
#include "jinja/ucd.h"
#include "jinja/urls.h"
#include "value/pystr.h"
#include "value/unicode.h"

namespace herald::jinja::filters {

// ---- string filters ----

Value FUpper(Interp&, const Value& v, Args& a) {
  return Wrap(SoftStr(v), ucd::Upper(S(SoftStr(v))));
}
void AUpper(Interp&, const Value& v, Args& a, std::string& out) {
  if (const std::string* s = StrLike(v)) out += ucd::Upper(*s);
  else out += ucd::Upper(S(SoftStr(v)));
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

namespace {
// tojson's indent argument (-1: none).
int TojsonIndent(Args& a) {
  P p;
  BindArgs("do_tojson", a, {"indent"}, p);
  int indent = -1;
  if (p[0] && !p[0]->is_none()) {
    // Python's json treats a negative indent as 0 (newlines only); a huge one is refused by the
    // size check before any line is padded.
    int64_t ind = IntParam(p[0], -1);
    indent = static_cast<int>(std::clamp<int64_t>(ind, 0, INT32_MAX));
  }
  return indent;
}
}  // namespace

Value FTojson(Interp&, const Value& v, Args& a) { return MakeMarkup(ToJson(v, TojsonIndent(a))); }
void ATojson(Interp&, const Value& v, Args& a, std::string& out) {
  ToJsonTo(v, TojsonIndent(a), out);
}

}  // namespace herald::jinja::filters
