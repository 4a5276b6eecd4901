#include "jinja/format.h"

#include <cmath>
#include <cstring>

#include "common/strings.h"
#include "jinja/errors.h"
#include "jinja/limits.h"
#include "jinja/pyops.h"
#include "value/bigint.h"
#include "value/unicode.h"

namespace herald::jinja {

namespace {

size_t CpLen(std::string_view s) { return Utf8Length(s); }

std::string CpTruncate(std::string_view s, size_t n) {
  size_t i = 0, count = 0;
  while (i < s.size() && count < n) {
    DecodeUtf8(s, i);
    ++count;
  }
  return std::string(s.substr(0, i));
}

void AppendFill(std::string& out, uint32_t fill, size_t n) {
  CheckSize(out.size() + n);
  for (size_t i = 0; i < n; ++i) AppendUtf8(out, fill);
}

struct Spec {
  uint32_t fill = ' ';
  char align = 0;
  char sign = 0;
  bool alt = false;
  bool zero = false;
  bool z = false;
  int64_t width = -1;
  char grouping = 0;
  int64_t precision = -1;
  char type = 0;
};

bool IsAlign(uint32_t c) { return c == '<' || c == '>' || c == '=' || c == '^'; }

Spec ParseSpec(std::string_view s) {
  Spec sp;
  size_t i = 0;
  // [[fill]align]
  {
    size_t j = 0;
    uint32_t first = s.empty() ? 0 : DecodeUtf8(s, j);
    if (j < s.size() && IsAlign(static_cast<unsigned char>(s[j]))) {
      sp.fill = first;
      sp.align = s[j];
      i = j + 1;
    } else if (!s.empty() && IsAlign(first)) {
      sp.align = static_cast<char>(first);
      i = 1;
    }
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) sp.sign = s[i++];
  if (i < s.size() && s[i] == 'z') {
    sp.z = true;
    ++i;
  }
  if (i < s.size() && s[i] == '#') {
    sp.alt = true;
    ++i;
  }
  if (i < s.size() && s[i] == '0') {
    sp.zero = true;
    if (!sp.align) {
      sp.fill = '0';
      sp.align = '=';
    }
    ++i;
  }
  if (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    sp.width = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      sp.width = sp.width * 10 + (s[i++] - '0');
      if (sp.width > 100000000) ThrowValue("Too many decimal digits in format string");
    }
  }
  if (i < s.size() && (s[i] == ',' || s[i] == '_')) sp.grouping = s[i++];
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || s[i] < '0' || s[i] > '9') ThrowValue("Format specifier missing precision");
    sp.precision = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      sp.precision = sp.precision * 10 + (s[i++] - '0');
      if (sp.precision > 100000000) ThrowValue("Too many decimal digits in format string");
    }
  }
  if (i < s.size()) sp.type = s[i++];
  if (i < s.size()) ThrowValue("Invalid format specifier");
  CheckSize(static_cast<size_t>(std::max<int64_t>(sp.width, 0)));
  CheckSize(static_cast<size_t>(std::max<int64_t>(sp.precision, 0)));
  return sp;
}

// Pads `body` (with an optional sign/prefix kept before '=' padding).
std::string Pad(const std::string& prefix, const std::string& body, const Spec& sp,
                char default_align) {
  char align = sp.align ? sp.align : default_align;
  size_t len = CpLen(prefix) + CpLen(body);
  std::string out;
  if (sp.width < 0 || static_cast<size_t>(sp.width) <= len) return prefix + body;
  size_t pad = sp.width - len;
  if (align == '<') {
    out = prefix + body;
    AppendFill(out, sp.fill, pad);
  } else if (align == '>') {
    AppendFill(out, sp.fill, pad);
    out += prefix + body;
  } else if (align == '^') {
    AppendFill(out, sp.fill, pad / 2);
    out += prefix + body;
    AppendFill(out, sp.fill, pad - pad / 2);
  } else {  // '='
    out = prefix;
    AppendFill(out, sp.fill, pad);
    out += body;
  }
  return out;
}

std::string Group(const std::string& digits, char sep, int every) {
  if (!sep) return digits;
  std::string out;
  int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % every == 0) out += sep;
    out += digits[i];
  }
  return out;
}

std::string SignPrefix(bool neg, char sign) {
  if (neg) return "-";
  if (sign == '+') return "+";
  if (sign == ' ') return " ";
  return "";
}

std::string FormatStrSpec(const std::string& s, const Spec& sp) {
  if (sp.type && sp.type != 's') {
    ThrowValue(std::string("Unknown format code '") + sp.type + "' for object of type 'str'");
  }
  if (sp.sign) ThrowValue("Sign not allowed in string format specifier");
  if (sp.alt) ThrowValue("Alternate form (#) not allowed in string format specifier");
  if (sp.align == '=') ThrowValue("'=' alignment not allowed in string format specifier");
  std::string body = sp.precision >= 0 ? CpTruncate(s, static_cast<size_t>(sp.precision)) : s;
  return Pad("", body, sp, '<');
}

std::string FloatBody(double d, const Spec& sp, char type) {
  // Returns the formatted magnitude (no sign).
  double a = std::fabs(d);
  std::string body;
  if (std::isinf(a) || std::isnan(a)) {
    body = std::isnan(a) ? "nan" : "inf";
    if (type == 'E' || type == 'F' || type == 'G') {
      for (char& c : body) c = static_cast<char>(std::toupper(c));
    }
    return body;
  }
  int64_t prec = sp.precision;
  bool add_dot0 = false;
  char t = type;
  if (t == 0) {
    if (prec < 0) {
      std::string r = FloatRepr(a);
      return r;
    }
    t = 'g';
    add_dot0 = true;
  }
  if (t == 'n') t = 'g';
  if (prec < 0) prec = 6;
  if ((t == 'g' || t == 'G') && prec == 0) prec = 1;
  double v = a;
  if (t == '%') {
    v = a * 100;
    t = 'f';
  }
  char fmt[32];  // "%#.<19 digits>g": room for any int64 precision (parsing caps it at 1e8)
  snprintf(fmt, sizeof fmt, "%%%s.%lld%c", sp.alt ? "#" : "", static_cast<long long>(prec), t);
  int n = snprintf(nullptr, 0, fmt, v);
  CheckSize(static_cast<size_t>(n));
  body.resize(n + 1);
  snprintf(body.data(), n + 1, fmt, v);
  body.resize(n);
  if (add_dot0 && body.find_first_of(".eE") == std::string::npos) body += ".0";
  if (sp.grouping) {
    size_t end = body.find_first_of(".eE");
    std::string ip = body.substr(0, end == std::string::npos ? body.size() : end);
    std::string rest = end == std::string::npos ? "" : body.substr(end);
    body = Group(ip, sp.grouping, 3) + rest;
  }
  if (type == '%') body += '%';
  return body;
}

std::string FormatFloatSpec(double d, const Spec& sp) {
  char t = sp.type;
  if (t && !std::strchr("eEfFgGn%", t)) {
    ThrowValue(std::string("Unknown format code '") + t + "' for object of type 'float'");
  }
  bool neg = std::signbit(d) && !std::isnan(d);
  std::string body = FloatBody(d, sp, t);
  if (sp.z && neg && std::strtod(body.c_str(), nullptr) == 0) neg = false;
  return Pad(SignPrefix(neg, sp.sign), body, sp, '>');
}

std::string FormatIntSpec(const BigInt& v, const Spec& sp, const char* tname) {
  char t = sp.type ? sp.type : 'd';
  if (std::strchr("eEfFgG%", t)) return FormatFloatSpec(v.ToDouble(), sp);
  if (!std::strchr("bcdoxXn", t)) {
    ThrowValue(std::string("Unknown format code '") + t + "' for object of type '" + tname + "'");
  }
  if (sp.precision >= 0) ThrowValue("Precision not allowed in integer format specifier");
  if (t == 'c') {
    int64_t cp;
    if (!v.ToInt64(&cp) || cp < 0 || cp > 0x10FFFF)
      Throw("OverflowError", "%c arg not in range(0x110000)");
    std::string s;
    AppendUtf8(s, static_cast<uint32_t>(cp));
    return Pad("", s, sp, '>');
  }
  BigInt mag = v.Abs();
  std::string digits;
  std::string prefix;
  int every = 3;
  if (t == 'd' || t == 'n') {
    if (mag.DecimalDigits() > kMaxIntStrDigits) ThrowValue(IntStrDigitsMessage());
    digits = mag.ToString();
  } else {
    int base = t == 'b' ? 2 : t == 'o' ? 8 : 16;
    every = 4;
    BigInt b = BigInt::FromInt64(base);
    BigInt cur = mag;
    if (cur.is_zero()) digits = "0";
    while (!cur.is_zero()) {
      BigInt q, r;
      BigInt::DivMod(cur, b, &q, &r);
      int64_t d;
      r.ToInt64(&d);
      digits += HexDigit(static_cast<unsigned>(d), /*upper=*/t == 'X');
      cur = q;
    }
    std::reverse(digits.begin(), digits.end());
    if (sp.alt) prefix = t == 'b' ? "0b" : t == 'o' ? "0o" : t == 'x' ? "0x" : "0X";
  }
  digits = Group(digits, sp.grouping, every);
  return Pad(SignPrefix(v.negative(), sp.sign) + prefix, digits, sp, '>');
}

}  // namespace

std::string FormatValue(const Value& v, std::string_view spec_text) {
  if (IsUndefined(v)) {
    if (spec_text.empty()) return ToStr(v);
    ThrowType("unsupported format string passed to " + TypeName(v) + ".__format__");
  }
  if (spec_text.empty()) return ToStr(v);
  Spec sp = ParseSpec(spec_text);
  if (const std::string* s = StrLike(v)) return FormatStrSpec(*s, sp);
  if (v.is_float()) return FormatFloatSpec(v.as_float(), sp);
  BigInt b;
  if (ToBigInt(v, &b)) return FormatIntSpec(b, sp, v.is_bool() ? "bool" : "int");
  ThrowType("unsupported format string passed to " + TypeName(v) + ".__format__");
}

// ---- printf-style ----

namespace {

std::string PercentNumber(const Value& arg, char conv, const std::string& flags, int64_t width,
                          int64_t prec) {
  bool left = flags.find('-') != std::string::npos;
  bool zero = flags.find('0') != std::string::npos && !left;
  bool plus = flags.find('+') != std::string::npos;
  bool space = flags.find(' ') != std::string::npos;
  bool alt = flags.find('#') != std::string::npos;
  std::string body;
  bool neg = false;
  if (std::strchr("diuoxX", conv)) {
    BigInt b;
    if (!ToBigInt(arg, &b)) {
      if (arg.is_float() && std::strchr("diu", conv)) {
        double d = arg.as_float();
        if (std::isnan(d)) ThrowValue("cannot convert float NaN to integer");
        if (std::isinf(d)) Throw("OverflowError", "cannot convert float infinity to integer");
        b = BigInt::FromDouble(d);
      } else if (std::strchr("diu", conv)) {
        ThrowType(std::string("%") + conv + " format: a real number is required, not " +
                  TypeName(arg));
      } else {
        ThrowType(std::string("%") + conv + " format: an integer is required, not " +
                  TypeName(arg));
      }
    }
    neg = b.negative();
    Spec sp;
    sp.type = (conv == 'i' || conv == 'u') ? 'd' : conv;
    sp.alt = alt;
    body = FormatIntSpec(b.Abs(), sp, "int");
    if (prec >= 0 && static_cast<int64_t>(body.size()) < prec) {
      // precision pads digits with zeros (after any 0x prefix)
      size_t pl = (alt && conv != 'd') ? 2 : 0;
      body.insert(pl, std::string(prec - body.size(), '0'));
    }
  } else {
    if (!IsNumber(arg)) {
      ThrowType(std::string("must be real number, not ") + TypeName(arg));
    }
    double d = ToDouble(arg);
    neg = std::signbit(d) && !std::isnan(d);
    Spec sp;
    sp.type = conv;
    sp.alt = alt;
    sp.precision = prec < 0 ? 6 : prec;
    body = FloatBody(d, sp, conv);
  }
  std::string sign = neg ? "-" : plus ? "+" : space ? " " : "";
  size_t len = sign.size() + body.size();
  if (width < 0 || static_cast<size_t>(width) <= len) return sign + body;
  size_t pad = width - len;
  CheckSize(pad);
  if (left) return sign + body + std::string(pad, ' ');
  if (zero) {
    size_t pl = 0;
    if (alt && (conv == 'x' || conv == 'X' || conv == 'o')) pl = 2;
    return sign + body.substr(0, pl) + std::string(pad, '0') + body.substr(pl);
  }
  return std::string(pad, ' ') + sign + body;
}

}  // namespace

std::string PercentFormat(std::string_view fmt, const Value& args, bool escape_args) {
  std::vector<Value> positional;
  bool is_tuple = args.is_tuple() || IsObj(args, OK::kGroupTuple);
  if (args.is_tuple()) positional = args.as_list();
  else if (is_tuple)
    positional = {ObjAs<GroupTupleObj>(args)->grouper, ObjAs<GroupTupleObj>(args)->list};
  else positional.push_back(args);
  // CPython treats any non-tuple, non-str argument with __getitem__ as a mapping.
  bool is_mapping = !is_tuple && !args.is_str() && !IsMarkup(args) &&
                    (args.is_dict() || args.is_list() || IsObj(args, OK::kRange) ||
                     IsObj(args, OK::kUndefined) || IsObj(args, OK::kBytes));
  size_t argi = 0;
  bool used_mapping = false;
  std::string out;
  auto next_arg = [&]() -> Value {
    if (argi >= positional.size()) ThrowType("not enough arguments for format string");
    return positional[argi++];
  };
  size_t i = 0;
  while (i < fmt.size()) {
    char c = fmt[i];
    if (c != '%') {
      size_t j = fmt.find('%', i);
      if (j == std::string_view::npos) j = fmt.size();
      out.append(fmt.substr(i, j - i));
      i = j;
      continue;
    }
    size_t start = i;
    ++i;
    if (i >= fmt.size()) ThrowValue("incomplete format");
    Value mapped;
    bool has_key = false;
    if (fmt[i] == '(') {
      if (!is_mapping) ThrowType("format requires a mapping");
      int depth = 1;
      size_t k = i + 1;
      while (k < fmt.size() && depth) {
        if (fmt[k] == '(') ++depth;
        else if (fmt[k] == ')') --depth;
        ++k;
      }
      if (depth) ThrowValue("incomplete format key");
      std::string key(fmt.substr(i + 1, k - i - 2));
      if (!args.is_dict())
        ThrowType(std::string(args.is_list() ? "list" : TypeName(args)) +
                  " indices must be integers or slices, not str");
      const Value* v = args.as_dict().find(key);
      if (!v) Throw("KeyError", StrRepr(key));
      mapped = *v;
      has_key = true;
      used_mapping = true;
      i = k;
    }
    std::string flags;
    while (i < fmt.size() && std::strchr("-+ #0", fmt[i])) flags += fmt[i++];
    int64_t width = -1, prec = -1;
    if (i < fmt.size() && fmt[i] == '*') {
      Value w = next_arg();
      if (!AsInt64(w, &width)) ThrowType("* wants int");
      if (width < 0) {
        flags += '-';
        width = width == INT64_MIN ? INT64_MAX : -width;
      }
      if (width > 100000000) ThrowValue("width too big");
      ++i;
    } else {
      while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
        width = (width < 0 ? 0 : width) * 10 + (fmt[i++] - '0');
        if (width > 100000000) ThrowValue("width too big");
      }
    }
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      prec = 0;
      if (i < fmt.size() && fmt[i] == '*') {
        Value p = next_arg();
        if (!AsInt64(p, &prec)) ThrowType("* wants int");
        if (prec < 0) prec = 0;  // as CPython: a negative '*' precision counts as 0
        if (prec > 100000000) ThrowValue("precision too big");
        ++i;
      } else {
        while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
          prec = prec * 10 + (fmt[i++] - '0');
          if (prec > 100000000) ThrowValue("precision too big");
        }
      }
    }
    while (i < fmt.size() && (fmt[i] == 'h' || fmt[i] == 'l' || fmt[i] == 'L')) ++i;
    if (i >= fmt.size()) ThrowValue("incomplete format");
    char conv = fmt[i++];
    // Every conversion but %s/%r/%a (where a precision truncates) produces at least `width`
    // bytes and, for numbers, `precision` digits: refuse before building them.
    CheckSizeI(width);
    if (conv != 's' && conv != 'r' && conv != 'a') CheckSizeI(prec);
    if (conv == '%') {
      out += '%';
      continue;
    }
    Value arg = has_key ? mapped : Value();
    auto get = [&]() { return has_key ? mapped : next_arg(); };
    std::string piece;
    switch (conv) {
      case 's':
      case 'r':
      case 'a': {
        arg = get();
        std::string s = conv == 's' ? ToStr(arg) : Repr(arg);
        if (escape_args && !IsMarkup(arg)) s = HtmlEscape(s);
        if (prec >= 0) s = CpTruncate(s, static_cast<size_t>(prec));
        size_t len = CpLen(s);
        if (width > 0 && static_cast<size_t>(width) > len) {
          CheckSize(width);
          if (flags.find('-') != std::string::npos) piece = s + std::string(width - len, ' ');
          else piece = std::string(width - len, ' ') + s;
        } else {
          piece = s;
        }
        break;
      }
      case 'c': {
        arg = get();
        std::string s;
        if (const std::string* str = StrLike(arg)) {
          if (CpLen(*str) != 1) ThrowType("%c requires int or char");
          s = *str;
        } else {
          int64_t cp;
          if (!AsInt64(arg, &cp)) ThrowType("%c requires int or char");
          if (cp < 0 || cp > 0x10FFFF) Throw("OverflowError", "%c arg not in range(0x110000)");
          AppendUtf8(s, static_cast<uint32_t>(cp));
        }
        size_t len = CpLen(s);
        if (width > 0 && static_cast<size_t>(width) > len) {
          if (flags.find('-') != std::string::npos) piece = s + std::string(width - len, ' ');
          else piece = std::string(width - len, ' ') + s;
        } else {
          piece = s;
        }
        break;
      }
      case 'd':
      case 'i':
      case 'u':
      case 'o':
      case 'x':
      case 'X':
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G':
        arg = get();
        piece = PercentNumber(arg, conv, flags, width, prec);
        break;
      default: {
        char buf[96];
        snprintf(buf, sizeof buf, "unsupported format character '%c' (0x%x) at index %zu", conv,
                 static_cast<unsigned char>(conv), Utf8Length(fmt.substr(0, i - 1)));
        ThrowValue(buf);
      }
    }
    (void)start;
    out += piece;
    CheckSize(out.size());
  }
  if (!used_mapping && !is_mapping && argi < positional.size()) {
    ThrowType("not all arguments converted during string formatting");
  }
  return out;
}

// ---- str.format ----

namespace {

struct FormatState {
  const CallValues& args;
  const AttrFn& getattr;
  bool escape;
  size_t auto_index = 0;
  int numbering = 0;  // 0 unknown, 1 auto, 2 manual
};

Value GetItemPlain(const Value& obj, const std::string& key, bool numeric) {
  if (numeric && (obj.is_list() || obj.is_tuple() || obj.is_str())) {
    int64_t idx = std::stoll(key);
    if (obj.is_str()) {
      std::vector<Value> chars = Iterate(obj);
      if (idx >= static_cast<int64_t>(chars.size()))
        Throw("IndexError", "string index out of range");
      return chars[idx];
    }
    const List& l = obj.as_list();
    if (idx >= static_cast<int64_t>(l.size())) {
      Throw("IndexError", std::string(obj.is_tuple() ? "tuple" : "list") + " index out of range");
    }
    return l[idx];
  }
  if (obj.is_dict()) {
    const Value* v = numeric ? obj.as_dict().find_item(Value(static_cast<int64_t>(std::stoll(key))))
                             : obj.as_dict().find(key);
    if (!v) Throw("KeyError", numeric ? key : StrRepr(key));
    return *v;
  }
  if (obj.is_list() || obj.is_tuple()) {
    ThrowType(std::string(obj.is_tuple() ? "tuple" : "list") +
              " indices must be integers or slices, not str");
  }
  if (obj.is_str()) ThrowType("string indices must be integers, not 'str'");
  ThrowType("'" + TypeName(obj) + "' object is not subscriptable");
}

std::string VFormat(std::string_view fmt, FormatState& st, int depth);

std::string FormatField(std::string_view field, FormatState& st, int depth) {
  // field: name[.attr|[key]]*[!conv][:spec]
  size_t i = 0;
  // field name ends at '!' or ':' (not inside brackets)
  size_t name_end = 0;
  {
    int bracket = 0;
    for (name_end = 0; name_end < field.size(); ++name_end) {
      char c = field[name_end];
      if (c == '[') bracket++;
      else if (c == ']') bracket--;
      else if (!bracket && (c == '!' || c == ':')) break;
    }
  }
  std::string_view name = field.substr(0, name_end);
  char conv = 0;
  std::string_view spec;
  i = name_end;
  if (i < field.size() && field[i] == '!') {
    if (i + 1 >= field.size()) ThrowValue("end of string while looking for conversion specifier");
    conv = field[i + 1];
    i += 2;
    if (i < field.size() && field[i] != ':') ThrowValue("expected ':' after conversion specifier");
  }
  if (i < field.size() && field[i] == ':') spec = field.substr(i + 1);
  // first part of the name
  size_t k = 0;
  while (k < name.size() && name[k] != '.' && name[k] != '[') ++k;
  std::string first(name.substr(0, k));
  Value obj;
  bool first_numeric = !first.empty() && first.find_first_not_of("0123456789") == std::string::npos;
  if (first.empty()) {
    if (st.numbering == 2) {
      ThrowValue("cannot switch from manual field specification to automatic field numbering");
    }
    st.numbering = 1;
    size_t idx = st.auto_index++;
    if (idx >= st.args.args.size()) Throw("IndexError", "tuple index out of range");
    obj = st.args.args[idx];
  } else if (first_numeric) {
    if (st.numbering == 1) {
      ThrowValue("cannot switch from automatic field numbering to manual field specification");
    }
    st.numbering = 2;
    size_t idx = std::stoull(first);
    if (idx >= st.args.args.size()) Throw("IndexError", "tuple index out of range");
    obj = st.args.args[idx];
  } else {
    const Value* v = st.args.Kw(first);
    if (!v) Throw("KeyError", StrRepr(first));
    obj = *v;
  }
  while (k < name.size()) {
    if (name[k] == '.') {
      size_t e = k + 1;
      while (e < name.size() && name[e] != '.' && name[e] != '[') ++e;
      std::string attr(name.substr(k + 1, e - k - 1));
      if (attr.empty()) ThrowValue("Empty attribute in format string");
      obj = st.getattr(obj, attr);
      k = e;
    } else {
      size_t e = name.find(']', k);
      if (e == std::string_view::npos) ThrowValue("Missing ']' in format string");
      std::string key(name.substr(k + 1, e - k - 1));
      if (key.empty()) ThrowValue("Empty attribute in format string");
      bool numeric = key.find_first_not_of("0123456789") == std::string::npos;
      obj = GetItemPlain(obj, key, numeric);
      k = e + 1;
      if (k < name.size() && name[k] != '.' && name[k] != '[') {
        ThrowValue("Only '.' or '[' may follow ']' in format field specifier");
      }
    }
  }
  if (conv == 'r' || conv == 'a') obj = Value(Repr(obj));
  else if (conv == 's') obj = Value(ToStr(obj));
  else if (conv) ThrowValue(std::string("Unknown conversion specifier ") + conv);
  std::string spec_text(spec);
  if (spec_text.find('{') != std::string::npos) {
    if (depth >= 2) ThrowValue("Max string recursion exceeded");
    spec_text = VFormat(spec_text, st, depth + 1);
  }
  std::string rv = FormatValue(obj, spec_text);
  if (st.escape && !IsMarkup(obj)) rv = HtmlEscape(rv);
  return rv;
}

std::string VFormat(std::string_view fmt, FormatState& st, int depth) {
  std::string out;
  size_t i = 0;
  while (i < fmt.size()) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out += '}';
        i += 2;
        continue;
      }
      ThrowValue("Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      i += 2;
      continue;
    }
    // find matching '}'
    int level = 1;
    size_t j = i + 1;
    while (j < fmt.size() && level) {
      if (fmt[j] == '{') ++level;
      else if (fmt[j] == '}') --level;
      if (level) ++j;
    }
    if (level) {
      if (j >= fmt.size() && fmt.substr(i + 1).find('}') == std::string_view::npos && level == 1) {
        ThrowValue("Single '{' encountered in format string");
      }
      ThrowValue("expected '}' before end of string");
    }
    out += FormatField(fmt.substr(i + 1, j - i - 1), st, depth);
    CheckSize(out.size());
    i = j + 1;
  }
  return out;
}

}  // namespace

std::string StrFormat(std::string_view fmt, const CallValues& args, const AttrFn& getattr,
                      bool escape_fields) {
  FormatState st{args, getattr, escape_fields};
  return VFormat(fmt, st, 0);
}

}  // namespace herald::jinja
