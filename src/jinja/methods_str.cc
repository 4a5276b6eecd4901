// The methods of str (and Markup) that templates call: case mapping, strip, split, find and
// count with Python's code-point indices, replace, join, padding, partition, expandtabs, the is*
// predicates, encode, and format/format_map through the sandboxed formatter (format.cc).
// Behaviour and error messages follow CPython 3.11; every size is checked against the render
// limits. The other types' methods and the dispatcher are in methods.cc.
#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

#include "jinja/errors.h"
#include "jinja/format.h"
#include "jinja/limits.h"
#include "jinja/method_support.h"
#include "jinja/pyops.h"
#include "jinja/ucd.h"
#include "value/pystr.h"
#include "value/unicode.h"

namespace herald::jinja::methods {

namespace {

const std::string& StrArg(const char* method, const Value& v) {
  const std::string* s = StrLike(v);
  if (!s) {
    if (IsUndefined(v)) ObjAs<UndefinedObj>(v)->Fail();
    ThrowType(std::string("must be str, not ") + TypeName(v));
  }
  return *s;
}

size_t CpIndex(std::string_view s, size_t byte_pos) { return Utf8Length(s.substr(0, byte_pos)); }

// Byte offset of code point index cp (clamped).
size_t ByteOfCp(std::string_view s, int64_t cp) {
  size_t i = 0;
  int64_t n = 0;
  while (i < s.size() && n < cp) {
    DecodeUtf8(s, i);
    ++n;
  }
  return i;
}

// Python start/end slice arguments for find/count/startswith...
void Range(std::string_view s, const Args& a, size_t first, size_t* b0, size_t* b1) {
  int64_t len = static_cast<int64_t>(Utf8Length(s));
  int64_t start = 0, end = len;
  if (a.args.size() > first && !a.args[first].is_none()) start = IntArg(a.args[first]);
  if (a.args.size() > first + 1 && !a.args[first + 1].is_none()) end = IntArg(a.args[first + 1]);
  if (start < 0) start = std::max<int64_t>(0, start + len);
  if (end < 0) end = std::max<int64_t>(0, end + len);
  start = std::min(start, len);
  end = std::min(end, len);
  *b0 = ByteOfCp(s, start);
  *b1 = end < start ? *b0 : ByteOfCp(s, end);
}

std::string Strip(std::string_view s, const Value* chars, bool left, bool right) {
  std::vector<uint32_t> cps = ucd::Decode(s);
  std::vector<uint32_t> set;
  bool ws = !chars || chars->is_none();
  if (!ws) set = ucd::Decode(StrArg("strip", *chars));
  auto strip_it = [&](uint32_t c) {
    return ws ? ucd::IsSpace(c) : std::find(set.begin(), set.end(), c) != set.end();
  };
  size_t b = 0, e = cps.size();
  if (left)
    while (b < e && strip_it(cps[b])) ++b;
  if (right)
    while (e > b && strip_it(cps[e - 1])) --e;
  return ucd::Encode(cps.data() + b, e - b);
}

Value StrList(std::vector<std::string> parts, bool markup) {
  List out;
  out.reserve(parts.size());
  for (auto& p : parts) out.push_back(markup ? MakeMarkup(std::move(p)) : Value(std::move(p)));
  return Value(std::move(out));
}

std::vector<std::string> SplitWs(std::string_view s, int64_t maxsplit) {
  std::vector<std::string> out;
  size_t i = 0, len;
  while (i < s.size()) {
    while (i < s.size() && PySpaceAt(s, i, &len)) i += len;
    if (i >= s.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      // rest, with trailing whitespace stripped
      std::string rest(s.substr(i));
      out.push_back(Strip(rest, nullptr, false, true));
      return out;
    }
    size_t j = i;
    while (j < s.size() && !PySpaceAt(s, j, &len)) {
      size_t k = j;
      DecodeUtf8(s, k);
      j = k;
    }
    out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::vector<std::string> RSplitWs(std::string_view s, int64_t maxsplit) {
  std::vector<uint32_t> cps = ucd::Decode(s);
  std::vector<std::string> out;
  int64_t e = static_cast<int64_t>(cps.size());
  while (e > 0) {
    while (e > 0 && ucd::IsSpace(cps[e - 1])) --e;
    if (e <= 0) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      int64_t b = 0;
      while (b < e && ucd::IsSpace(cps[b])) ++b;
      out.push_back(ucd::Encode(cps.data() + b, e - b));
      break;
    }
    int64_t b = e;
    while (b > 0 && !ucd::IsSpace(cps[b - 1])) --b;
    out.push_back(ucd::Encode(cps.data() + b, e - b));
    e = b;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::string> SplitSep(std::string_view s, std::string_view sep, int64_t maxsplit) {
  if (sep.empty()) ThrowValue("empty separator");
  std::vector<std::string> out;
  size_t i = 0;
  while (true) {
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) break;
    size_t j = s.find(sep, i);
    if (j == std::string_view::npos) break;
    out.emplace_back(s.substr(i, j - i));
    i = j + sep.size();
  }
  out.emplace_back(s.substr(i));
  return out;
}

std::vector<std::string> RSplitSep(std::string_view s, std::string_view sep, int64_t maxsplit) {
  if (sep.empty()) ThrowValue("empty separator");
  std::vector<std::string> out;
  size_t end = s.size();
  while (true) {
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) break;
    if (end < sep.size()) break;
    size_t j = s.rfind(sep, end - sep.size());
    if (j == std::string_view::npos) break;
    out.emplace_back(s.substr(j + sep.size(), end - j - sep.size()));
    end = j;
  }
  out.emplace_back(s.substr(0, end));
  std::reverse(out.begin(), out.end());
  return out;
}

std::string Pad(std::string_view s, int64_t width, uint32_t fill, char how) {
  int64_t len = static_cast<int64_t>(Utf8Length(s));
  if (width <= len) return std::string(s);
  CheckSizeI(width);  // at least one byte per fill character
  CheckSizeMul(static_cast<uint64_t>(width - len), fill < 0x80      ? 1
                                                   : fill < 0x800   ? 2
                                                   : fill < 0x10000 ? 3
                                                                    : 4);
  int64_t pad = width - len;
  int64_t left = how == 'l' ? 0 : how == 'r' ? pad : pad / 2 + (pad & width & 1);
  std::string out;
  for (int64_t i = 0; i < left; ++i) AppendUtf8(out, fill);
  out += s;
  for (int64_t i = 0; i < pad - left; ++i) AppendUtf8(out, fill);
  return out;
}

uint32_t FillArg(const Args& a, size_t i) {
  if (a.args.size() <= i) return ' ';
  const std::string& f = StrArg("fill", a.args[i]);
  if (Utf8Length(f) != 1) ThrowType("The fill character must be exactly one character long");
  size_t k = 0;
  return DecodeUtf8(f, k);
}

}  // namespace

Value StrMethod(Interp& in, const Value& recv, const std::string& s, const std::string& name,
                Args& a) {
  bool markup = IsMarkup(recv);
  auto wrap = [&](std::string r) {
    return markup ? MakeMarkup(std::move(r)) : Value(std::move(r));
  };
  // The case conversions: no arguments; Markup stays Markup.
  static constexpr std::pair<const char*, std::string (*)(std::string_view)> kCaseMaps[] = {
      {"upper", ucd::Upper},           {"lower", ucd::Lower},       {"title", ucd::Title},
      {"capitalize", ucd::Capitalize}, {"swapcase", ucd::SwapCase}, {"casefold", ucd::CaseFold}};
  for (const auto& [method, convert] : kCaseMaps) {
    if (name == method) {
      ArgCount(method, a, 0, 0);
      return wrap(convert(s));
    }
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    ArgCount(name.c_str(), a, 0, 1);
    const Value* chars = a.args.empty() ? nullptr : &a.args[0];
    return wrap(Strip(s, chars, name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    ArgSlots p;
    BindArgs(name.c_str(), a, {"sep", "maxsplit"}, p);
    int64_t maxsplit = p[1] ? IntArg(*p[1]) : -1;
    bool r = name == "rsplit";
    if (!p[0] || p[0]->is_none())
      return StrList(r ? RSplitWs(s, maxsplit) : SplitWs(s, maxsplit), markup);
    const std::string& sep = StrArg(name.c_str(), *p[0]);
    return StrList(r ? RSplitSep(s, sep, maxsplit) : SplitSep(s, sep, maxsplit), markup);
  }
  if (name == "splitlines") {
    ArgSlots p;
    BindArgs("splitlines", a, {"keepends"}, p);
    std::vector<std::string> lines;
    for (std::string_view line : SplitLines(s, p[0] && Truthy(*p[0]))) lines.emplace_back(line);
    return StrList(std::move(lines), markup);
  }
  if (name == "startswith" || name == "endswith") {
    ArgCount(name.c_str(), a, 1, 3);
    size_t b0, b1;
    Range(s, a, 1, &b0, &b1);
    std::string_view sub = std::string_view(s).substr(b0, b1 - b0);
    std::vector<Value> prefixes;
    if (a.args[0].is_tuple()) prefixes = a.args[0].as_list();
    else prefixes.push_back(a.args[0]);
    for (const Value& pv : prefixes) {
      const std::string* ps = StrLike(pv);
      if (!ps) {
        ThrowType(std::string(name) + " first arg must be str or a tuple of str, not " +
                  TypeName(pv));
      }
      if (name == "startswith"
              ? sub.substr(0, ps->size()) == *ps
              : (sub.size() >= ps->size() && sub.substr(sub.size() - ps->size()) == *ps)) {
        return Value(true);
      }
    }
    return Value(false);
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    ArgCount(name.c_str(), a, 1, 3);
    const std::string& sub = StrArg(name.c_str(), a.args[0]);
    size_t b0, b1;
    Range(s, a, 1, &b0, &b1);
    std::string_view hay = std::string_view(s).substr(b0, b1 - b0);
    if (name == "count") {
      if (sub.empty()) return Value(static_cast<int64_t>(Utf8Length(hay) + 1));
      int64_t n = 0;
      size_t i = 0;
      while ((i = hay.find(sub, i)) != std::string_view::npos) {
        ++n;
        i += sub.size();
      }
      return Value(n);
    }
    bool rev = name[0] == 'r';
    size_t pos = rev ? hay.rfind(sub) : hay.find(sub);
    if (pos == std::string_view::npos) {
      if (name == "index" || name == "rindex") ThrowValue("substring not found");
      return Value(-1);
    }
    return Value(static_cast<int64_t>(CpIndex(s, b0 + pos)));
  }
  if (name == "replace") {
    ArgCount("replace", a, 2, 3);
    const std::string& old = StrArg("replace", a.args[0]);
    const std::string& neu = StrArg("replace", a.args[1]);
    int64_t count = a.args.size() > 2 ? IntArg(a.args[2]) : -1;
    std::string n_old = old, n_new = neu;
    if (markup) {
      if (!IsMarkup(a.args[0])) n_old = HtmlEscape(old);
      if (!IsMarkup(a.args[1])) n_new = HtmlEscape(neu);
    }
    std::string out;
    if (n_old.empty()) {
      std::vector<Value> chars = Iterate(Value(s));
      int64_t done = 0;
      for (size_t i = 0; i <= chars.size(); ++i) {
        if (count < 0 || done < count) {
          out += n_new;
          ++done;
        }
        if (i < chars.size()) out += chars[i].as_str();
        CheckSize(out.size());
      }
      return wrap(std::move(out));
    }
    size_t i = 0;
    int64_t done = 0;
    while (count < 0 || done < count) {
      size_t j = s.find(n_old, i);
      if (j == std::string::npos) break;
      out.append(s, i, j - i);
      out += n_new;
      CheckSize(out.size());
      i = j + n_old.size();
      ++done;
    }
    out.append(s, i, std::string::npos);
    return wrap(std::move(out));
  }
  if (name == "join") {
    ArgCount("join", a, 1, 1);
    std::vector<Value> items = Iterate(a.args[0]);
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string* p = StrLike(items[i]);
      if (!p) {
        ThrowType("sequence item " + std::to_string(i) + ": expected str instance, " +
                  TypeName(items[i]) + " found");
      }
      if (i) out += s;
      out += (markup && !IsMarkup(items[i])) ? HtmlEscape(*p) : *p;
      CheckSize(out.size());
    }
    return wrap(std::move(out));
  }
  if (name == "center" || name == "ljust" || name == "rjust") {
    ArgCount(name.c_str(), a, 1, 2);
    int64_t w = IntArg(a.args[0]);
    return wrap(Pad(s, w, FillArg(a, 1), name == "center" ? 'c' : name == "ljust" ? 'l' : 'r'));
  }
  if (name == "zfill") {
    ArgCount("zfill", a, 1, 1);
    int64_t w = IntArg(a.args[0]);
    int64_t len = static_cast<int64_t>(Utf8Length(s));
    if (w <= len) return wrap(s);
    CheckSizeI(w);
    std::string out;
    size_t start = 0;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
      out += s[0];
      start = 1;
    }
    out += std::string(w - len, '0');
    out += s.substr(start);
    return wrap(std::move(out));
  }
  if (name == "partition" || name == "rpartition") {
    ArgCount(name.c_str(), a, 1, 1);
    const std::string& sep = StrArg(name.c_str(), a.args[0]);
    if (sep.empty()) ThrowValue("empty separator");
    size_t pos = name == "partition" ? s.find(sep) : s.rfind(sep);
    List out;
    if (pos == std::string::npos) {
      if (name == "partition") out = {wrap(s), wrap(""), wrap("")};
      else out = {wrap(""), wrap(""), wrap(s)};
    } else {
      out = {wrap(s.substr(0, pos)), wrap(sep), wrap(s.substr(pos + sep.size()))};
    }
    return Value::MakeTuple(std::move(out));
  }
  if (name == "removeprefix" || name == "removesuffix") {
    ArgCount(name.c_str(), a, 1, 1);
    const std::string& x = StrArg(name.c_str(), a.args[0]);
    if (name == "removeprefix" && s.compare(0, x.size(), x) == 0) return wrap(s.substr(x.size()));
    if (name == "removesuffix" && !x.empty() && s.size() >= x.size() &&
        s.compare(s.size() - x.size(), x.size(), x) == 0) {
      return wrap(s.substr(0, s.size() - x.size()));
    }
    return wrap(s);
  }
  if (name == "expandtabs") {
    ArgSlots p;
    BindArgs("expandtabs", a, {"tabsize"}, p);
    int64_t ts = p[0] ? IntArg(*p[0]) : 8;
    std::string out;
    int64_t col = 0;
    size_t i = 0;
    while (i < s.size()) {
      size_t st = i;
      uint32_t c = DecodeUtf8(s, i);
      if (c == '\t') {
        if (ts > 0) {
          int64_t n = ts - (col % ts);
          CheckSizeI(static_cast<int64_t>(out.size()) + n);
          out.append(n, ' ');
          col += n;
        }
      } else {
        out.append(s, st, i - st);
        col = (c == '\n' || c == '\r') ? 0 : col + 1;
      }
      CheckSize(out.size());
    }
    return wrap(std::move(out));
  }
  // The Unicode predicates: no arguments. A character class holds when the string is not empty
  // and every character is in it.
  using Predicate = bool (*)(std::string_view);
  static constexpr std::pair<const char*, Predicate> kPredicates[] = {
      {"isdigit", [](std::string_view v) { return ucd::StrAll(v, ucd::kDigit); }},
      {"isdecimal", [](std::string_view v) { return ucd::StrAll(v, ucd::kDecimal); }},
      {"isnumeric", [](std::string_view v) { return ucd::StrAll(v, ucd::kNumeric); }},
      {"isalpha", [](std::string_view v) { return ucd::StrAll(v, ucd::kAlpha); }},
      {"isalnum",
       [](std::string_view v) {
         return ucd::StrAll(v, ucd::kAlpha | ucd::kDecimal | ucd::kDigit | ucd::kNumeric);
       }},
      {"isspace", [](std::string_view v) { return ucd::StrAll(v, ucd::kSpace); }},
      {"isupper", ucd::StrIsUpper},
      {"islower", ucd::StrIsLower},
      {"istitle", ucd::StrIsTitle}};
  for (const auto& [method, holds] : kPredicates) {
    if (name == method) {
      ArgCount(method, a, 0, 0);
      return Value(holds(s));
    }
  }
  if (name == "isascii") {
    ArgCount(name.c_str(), a, 0, 0);
    for (unsigned char c : s)
      if (c >= 0x80) return Value(false);
    return Value(true);
  }
  if (name == "isprintable") {
    ArgCount(name.c_str(), a, 0, 0);
    size_t i = 0;
    while (i < s.size())
      if (!ucd::Has(DecodeUtf8(s, i), ucd::kPrintable)) return Value(false);
    return Value(true);
  }
  if (name == "isidentifier") {
    ArgCount(name.c_str(), a, 0, 0);
    if (s.empty()) return Value(false);
    size_t i = 0;
    bool first = true;
    while (i < s.size()) {
      uint32_t c = DecodeUtf8(s, i);
      bool ok = c < 0x80 ? ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                            (!first && c >= '0' && c <= '9'))
                         : ucd::Has(c, first ? ucd::kIdStart : ucd::kIdCont);
      if (!ok) return Value(false);
      first = false;
    }
    return Value(true);
  }
  if (name == "encode") {
    ArgSlots p;
    BindArgs("encode", a, {"encoding", "errors"}, p);
    std::string enc = p[0] ? ucd::Lower(StrArg("encode", *p[0])) : "utf-8";
    if (enc == "utf-8" || enc == "utf8" || enc == "utf_8") {
      return Value(std::shared_ptr<Object>(std::make_shared<BytesObj>(s)));
    }
    if (enc == "ascii" || enc == "latin-1" || enc == "latin1" || enc == "iso-8859-1") {
      uint32_t lim = enc == "ascii" ? 0x80 : 0x100;
      std::string out;
      size_t i = 0, pos = 0;
      while (i < s.size()) {
        uint32_t c = DecodeUtf8(s, i);
        if (c >= lim) {
          Throw("UnicodeEncodeError", "'" + std::string(enc == "ascii" ? "ascii" : "latin-1") +
                                          "' codec can't encode character '\\x" + "' in position " +
                                          std::to_string(pos) + ": ordinal not in range(" +
                                          std::to_string(lim) + ")");
        }
        out += static_cast<char>(c);
        ++pos;
      }
      return Value(std::shared_ptr<Object>(std::make_shared<BytesObj>(out)));
    }
    Throw("LookupError", "unknown encoding: " + enc);
  }
  if (name == "format" || name == "format_map") {
    AttrFn getattr = [&in](const Value& o, const std::string& attr) { return in.GetAttr(o, attr); };
    if (name == "format_map") {
      ArgCount("format_map", a, 1, 1);
      CallValues kw;
      if (!a.args[0].is_dict()) ThrowType("format_map() argument must be a mapping");
      for (const auto& [k, v] : a.args[0].as_dict()) kw.kwargs.emplace_back(ToStr(k), v);
      return wrap(StrFormat(s, kw, getattr, markup));
    }
    return wrap(StrFormat(s, a, getattr, markup));
  }
  if (markup && name == "striptags") {
    CallValues none;
    return in.CallFilter("striptags", recv, none);
  }
  if (markup && name == "unescape") {
    std::string out = s;
    const std::pair<const char*, const char*> ents[] = {{"&lt;", "<"},    {"&gt;", ">"},
                                                        {"&#34;", "\""},  {"&#39;", "'"},
                                                        {"&quot;", "\""}, {"&amp;", "&"}};
    for (const auto& [e, r] : ents) {
      size_t p = 0;
      while ((p = out.find(e, p)) != std::string::npos) {
        out.replace(p, std::strlen(e), r);
        p += std::strlen(r);
      }
    }
    return Value(out);
  }
  if (markup && name == "escape") return recv;
  ThrowType("str." + name + "() is not supported in templates");
}

}  // namespace herald::jinja::methods
