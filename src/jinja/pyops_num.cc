// Python's number rules for the template engine (see pyops.h): int/float/bool arithmetic with
// CPython 3.11's results and messages (big integers where Python would overflow into them, floor
// division and modulo with Python's signs, sequence repetition by `*`, `%` on strings through
// format.cc), unary -, + and abs(), conversions to int64 and double, and float()/int() parsing of
// strings. The other value rules (str, len, iteration, comparisons, sort) are in pyops.cc.
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "jinja/errors.h"
#include "jinja/format.h"
#include "jinja/limits.h"
#include "jinja/pyops.h"
#include "value/pystr.h"

namespace herald::jinja {

namespace {
[[noreturn]] void FailUndef(const Value& v) { ObjAs<UndefinedObj>(v)->Fail(); }
}  // namespace

bool IsNumber(const Value& v) { return v.is_int() || v.is_float() || v.is_bool() || IsBigInt(v); }

bool AsInt64(const Value& v, int64_t* out) {
  if (v.is_int()) {
    *out = v.as_int();
    return true;
  }
  if (v.is_bool()) {
    *out = v.as_bool();
    return true;
  }
  if (IsBigInt(v)) return BigIntOf(v).ToInt64(out);
  return false;
}

double ToDouble(const Value& v) {
  if (v.is_float()) return v.as_float();
  if (v.is_int()) return static_cast<double>(v.as_int());
  if (v.is_bool()) return v.as_bool() ? 1.0 : 0.0;
  if (IsBigInt(v)) {
    double d = BigIntOf(v).ToDouble();
    if (std::isinf(d)) Throw("OverflowError", "int too large to convert to float");
    return d;
  }
  return 0.0;
}

namespace {

bool IsIntegral(const Value& v) { return v.is_int() || v.is_bool() || IsBigInt(v); }

[[noreturn]] void Unsupported(const char* op, const Value& a, const Value& b) {
  ThrowType(std::string("unsupported operand type(s) for ") + op + ": '" + TypeName(a) + "' and '" +
            TypeName(b) + "'");
}

const char* OpSym(BinOp op) {
  switch (op) {
    case BinOp::kAdd: return "+";
    case BinOp::kSub: return "-";
    case BinOp::kMul: return "*";
    case BinOp::kDiv: return "/";
    case BinOp::kFloorDiv: return "//";
    case BinOp::kMod: return "%";
    case BinOp::kPow: return "** or pow()";
  }
  return "?";
}

Value BigOp(BinOp op, const Value& a, const Value& b) {
  BigInt x, y;
  ToBigInt(a, &x);
  ToBigInt(b, &y);
  switch (op) {
    case BinOp::kAdd: return MakeInt(BigInt::Add(x, y));
    case BinOp::kSub: return MakeInt(BigInt::Sub(x, y));
    case BinOp::kMul: {
      if (x.limbs() + y.limbs() > BigInt::kMaxLimbs) ThrowLimit("integer too large");
      return MakeInt(BigInt::Mul(x, y));
    }
    case BinOp::kFloorDiv:
    case BinOp::kMod: {
      if (y.is_zero()) {
        Throw("ZeroDivisionError",
              op == BinOp::kMod ? "integer modulo by zero" : "integer division or modulo by zero");
      }
      BigInt q, r;
      BigInt::DivMod(x, y, &q, &r);
      return MakeInt(op == BinOp::kMod ? r : q);
    }
    case BinOp::kPow: {
      if (y.negative()) {
        double bx = x.ToDouble(), by = y.ToDouble();
        if (bx == 0) Throw("ZeroDivisionError", "0.0 cannot be raised to a negative power");
        return Value(std::pow(bx, by));
      }
      int64_t e;
      if (!y.ToInt64(&e)) {
        if (x.is_zero()) return Value(0);
        ThrowLimit("integer too large");
      }
      // Cheap cases first.
      int64_t xs;
      if (x.ToInt64(&xs) && (xs == 0 || xs == 1 || xs == -1)) {
        if (xs == 0) return Value(e == 0 ? 1 : 0);
        if (xs == 1) return Value(1);
        return Value((e % 2) ? -1 : 1);
      }
      auto r = BigInt::Pow(x, static_cast<uint64_t>(e));
      if (!r) ThrowLimit("integer too large");
      return MakeInt(std::move(*r));
    }
    default: break;
  }
  return Value();
}

Value IntOp(BinOp op, int64_t x, int64_t y, const Value& a, const Value& b) {
  int64_t r;
  switch (op) {
    case BinOp::kAdd:
      if (!__builtin_add_overflow(x, y, &r)) return Value(r);
      return BigOp(op, a, b);
    case BinOp::kSub:
      if (!__builtin_sub_overflow(x, y, &r)) return Value(r);
      return BigOp(op, a, b);
    case BinOp::kMul:
      if (!__builtin_mul_overflow(x, y, &r)) return Value(r);
      return BigOp(op, a, b);
    case BinOp::kFloorDiv:
    case BinOp::kMod: {
      if (y == 0) {
        Throw("ZeroDivisionError",
              op == BinOp::kMod ? "integer modulo by zero" : "integer division or modulo by zero");
      }
      if (x == INT64_MIN && y == -1) return BigOp(op, a, b);
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        q -= 1;
        m += y;
      }
      return Value(op == BinOp::kMod ? m : q);
    }
    case BinOp::kPow: {
      if (y < 0) {
        if (x == 0) Throw("ZeroDivisionError", "0.0 cannot be raised to a negative power");
        return Value(std::pow(static_cast<double>(x), static_cast<double>(y)));
      }
      int64_t result = 1, base = x;
      int64_t e = y;
      bool overflow = false;
      while (e) {
        if (e & 1) overflow |= __builtin_mul_overflow(result, base, &result);
        e >>= 1;
        if (e) overflow |= __builtin_mul_overflow(base, base, &base);
        if (overflow) break;
      }
      if (!overflow) return Value(result);
      return BigOp(op, a, b);
    }
    case BinOp::kDiv: {
      if (y == 0) Throw("ZeroDivisionError", "division by zero");
      if (std::llabs(x) < (1LL << 53) && std::llabs(y) < (1LL << 53)) {
        return Value(static_cast<double>(x) / static_cast<double>(y));
      }
      return Value(static_cast<double>(static_cast<long double>(x) / static_cast<long double>(y)));
    }
  }
  return Value();
}

// CPython's float_divmod.
void FloatDivMod(double vx, double wx, double* floordiv, double* mod) {
  double m = std::fmod(vx, wx);
  double div = (vx - m) / wx;
  if (m) {
    if ((wx < 0) != (m < 0)) {
      m += wx;
      div -= 1.0;
    }
  } else {
    m = std::copysign(0.0, wx);
  }
  double fd;
  if (div) {
    fd = std::floor(div);
    if (div - fd > 0.5) fd += 1.0;
  } else {
    fd = std::copysign(0.0, vx / wx);
  }
  *floordiv = fd;
  *mod = m;
}

Value FloatOp(BinOp op, double x, double y) {
  switch (op) {
    case BinOp::kAdd: return Value(x + y);
    case BinOp::kSub: return Value(x - y);
    case BinOp::kMul: return Value(x * y);
    case BinOp::kDiv:
      if (y == 0) Throw("ZeroDivisionError", "float division by zero");
      return Value(x / y);
    case BinOp::kFloorDiv:
    case BinOp::kMod: {
      if (y == 0) {
        Throw("ZeroDivisionError",
              op == BinOp::kMod ? "float modulo" : "float floor division by zero");
      }
      double fd, m;
      FloatDivMod(x, y, &fd, &m);
      return Value(op == BinOp::kMod ? m : fd);
    }
    case BinOp::kPow: {
      if (x == 0 && y < 0) Throw("ZeroDivisionError", "0.0 cannot be raised to a negative power");
      if (x < 0 && std::isfinite(y) && y != std::floor(y)) {
        ThrowValue("math domain error");  // CPython would produce a complex number
      }
      double r = std::pow(x, y);
      if (std::isinf(r) && std::isfinite(x) && std::isfinite(y)) {
        Throw("OverflowError", "(34, 'Numerical result out of range')");
      }
      return Value(r);
    }
  }
  return Value();
}

Value RepeatSeq(const Value& seq, const Value& count) {
  int64_t n;
  if (!AsInt64(count, &n)) {
    if (IsBigInt(count)) Throw("OverflowError", "cannot fit 'int' into an index-sized integer");
    ThrowType("can't multiply sequence by non-int of type '" + TypeName(count) + "'");
  }
  if (n < 0) n = 0;
  if (const std::string* s = StrLike(seq)) {
    CheckSizeMul(s->size(), static_cast<uint64_t>(n));
    std::string out;
    out.reserve(s->size() * n);
    for (int64_t i = 0; i < n; ++i) out += *s;
    if (IsMarkup(seq)) return MakeMarkup(std::move(out));
    return Value(std::move(out));
  }
  const List& l = seq.as_list();
  CheckItemsMul(l.size(), static_cast<uint64_t>(n));
  List out;
  out.reserve(l.size() * n);
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), l.begin(), l.end());
  return seq.is_tuple() ? Value::MakeTuple(std::move(out)) : Value(std::move(out));
}

bool IsSeqForMul(const Value& v) {
  return v.is_str() || v.is_list() || v.is_tuple() || IsMarkup(v);
}

// a + b for a list or tuple `a` (`same_kind`: b is one too): the items of both, else Python's
// "can only concatenate list (not "int") to list".
List ConcatItems(const Value& a, const Value& b, bool same_kind) {
  if (!same_kind) {
    const std::string kind = a.is_tuple() ? "tuple" : "list";
    ThrowType("can only concatenate " + kind + " (not \"" + TypeName(b) + "\") to " + kind);
  }
  List out = a.as_list();
  CheckItems(out.size() + b.as_list().size());
  out.insert(out.end(), b.as_list().begin(), b.as_list().end());
  return out;
}

}  // namespace

Value BinaryOp(BinOp op, const Value& a, const Value& b) {
  // Fast paths.
  if (a.is_int() && b.is_int()) return IntOp(op, a.as_int(), b.as_int(), a, b);
  if (op == BinOp::kMod && a.is_str()) return Value(PercentFormat(a.as_str(), b, false));
  if (op == BinOp::kMod && IsMarkup(a))
    return MakeMarkup(PercentFormat(ObjAs<MarkupObj>(a)->s, b, true));
  if (IsUndefined(a)) FailUndef(a);
  if (IsUndefined(b)) FailUndef(b);
  bool an = IsNumber(a), bn = IsNumber(b);
  if (an && bn) {
    if (a.is_float() || b.is_float()) return FloatOp(op, ToDouble(a), ToDouble(b));
    if (IsBigInt(a) || IsBigInt(b)) {
      if (op == BinOp::kDiv) {
        BigInt y;
        ToBigInt(b, &y);
        if (y.is_zero()) Throw("ZeroDivisionError", "division by zero");
        return Value(ToDouble(a) / ToDouble(b));
      }
      return BigOp(op, a, b);
    }
    int64_t x, y;
    AsInt64(a, &x);
    AsInt64(b, &y);
    return IntOp(op, x, y, a, b);
  }
  switch (op) {
    case BinOp::kAdd: {
      bool am = IsMarkup(a), bm = IsMarkup(b);
      if (am || (bm && a.is_str())) {
        const std::string* sa = StrLike(a);
        const std::string* sb = StrLike(b);
        if (sa && sb) {
          std::string out = am ? *sa : HtmlEscape(*sa);
          out += bm ? *sb : HtmlEscape(*sb);
          CheckSize(out.size());
          return MakeMarkup(std::move(out));
        }
        Unsupported("+", a, b);
      }
      if (bm && !a.is_list() && !a.is_tuple()) Unsupported("+", a, b);
      if (a.is_str()) {
        if (!b.is_str()) ThrowType("can only concatenate str (not \"" + TypeName(b) + "\") to str");
        CheckSize(a.as_str().size() + b.as_str().size());
        return Value(a.as_str() + b.as_str());
      }
      if (a.is_list()) return Value(ConcatItems(a, b, b.is_list()));
      if (a.is_tuple()) return Value::MakeTuple(ConcatItems(a, b, b.is_tuple()));
      Unsupported("+", a, b);
    }
    case BinOp::kMul:
      // Markup overrides __mul__: only ints repeat it; lists still complain as sequences.
      if (IsMarkup(a) && !b.is_list() && !b.is_tuple() && !IsIntegral(b)) Unsupported("*", a, b);
      if (IsMarkup(b) && !a.is_list() && !a.is_tuple() && !IsIntegral(a)) Unsupported("*", a, b);
      if (IsSeqForMul(a)) {
        if (!IsIntegral(b))
          ThrowType("can't multiply sequence by non-int of type '" + TypeName(b) + "'");
        return RepeatSeq(a, b);
      }
      if (IsSeqForMul(b)) {
        if (!IsIntegral(a))
          ThrowType("can't multiply sequence by non-int of type '" + TypeName(a) + "'");
        return RepeatSeq(b, a);
      }
      Unsupported("*", a, b);
    case BinOp::kMod:
      if (a.is_str()) return Value(PercentFormat(a.as_str(), b, false));
      if (IsMarkup(a)) return MakeMarkup(PercentFormat(ObjAs<MarkupObj>(a)->s, b, true));
      Unsupported("%", a, b);
    default: Unsupported(OpSym(op), a, b);
  }
}

Value Negate(const Value& v) {
  if (v.is_int()) {
    if (v.as_int() == INT64_MIN) return MakeInt(BigInt::FromInt64(v.as_int()).Neg());
    return Value(-v.as_int());
  }
  if (v.is_float()) return Value(-v.as_float());
  if (v.is_bool()) return Value(static_cast<int64_t>(v.as_bool() ? -1 : 0));
  if (IsBigInt(v)) return MakeInt(BigIntOf(v).Neg());
  if (IsUndefined(v)) FailUndef(v);
  ThrowType("bad operand type for unary -: '" + TypeName(v) + "'");
}

Value Positive(const Value& v) {
  if (v.is_int() || v.is_float() || IsBigInt(v)) return v;
  if (v.is_bool()) return Value(static_cast<int64_t>(v.as_bool()));
  if (IsUndefined(v)) FailUndef(v);
  ThrowType("bad operand type for unary +: '" + TypeName(v) + "'");
}

Value Abs(const Value& v) {
  if (v.is_int()) {
    if (v.as_int() == INT64_MIN) return MakeInt(BigInt::FromInt64(v.as_int()).Abs());
    return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
  }
  if (v.is_float()) return Value(std::fabs(v.as_float()));
  if (v.is_bool()) return Value(static_cast<int64_t>(v.as_bool()));
  if (IsBigInt(v)) return MakeInt(BigIntOf(v).Abs());
  ThrowType("bad operand type for abs(): '" + TypeName(v) + "'");
}

// ---- parsing numbers from strings ----

namespace {
// Removes underscores that sit between two digits; false if any other underscore.
bool StripUnderscores(std::string_view s, std::string* out, bool hex) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      auto isd = [&](char c) {
        return (c >= '0' && c <= '9') ||
               (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
      };
      if (i == 0 || i + 1 >= s.size() || !isd(s[i - 1]) || !isd(s[i + 1])) return false;
      continue;
    }
    *out += s[i];
  }
  return true;
}
}  // namespace

bool ParseFloat(std::string_view raw, double* out) {
  std::string_view s = PyStrip(raw);
  if (s.empty()) return false;
  std::string t;
  if (!StripUnderscores(s, &t, false)) return false;
  std::string lower;
  for (char c : t) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view body = lower;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "inf" || body == "infinity") {
    *out = neg ? -INFINITY : INFINITY;
    return true;
  }
  if (body == "nan") {
    *out = neg ? -NAN : NAN;
    return true;
  }
  for (char c : body) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == '+' || c == '-')) return false;
  }
  if (body.empty()) return false;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return false;
  *out = d;
  return true;
}

bool ParseInt(std::string_view raw, int base, Value* out) {
  std::string_view s = PyStrip(raw);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    int pb = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (pb && (base == 0 || base == pb)) {
      base = pb;
      s.remove_prefix(2);
      if (!s.empty() && s[0] == '_') s.remove_prefix(1);
    }
  }
  if (base == 0) {
    base = 10;
    // Leading zeros are not allowed for base 0 unless the number is zero.
    if (s.size() > 1 && s[0] == '0') {
      for (char c : s)
        if (c != '0' && c != '_') return false;
    }
  }
  std::string t;
  if (!StripUnderscores(s, &t, base == 16)) return false;
  auto b = BigInt::Parse(t, base);
  if (!b) return false;
  *out = MakeInt(neg ? b->Neg() : *b);
  return true;
}

}  // namespace herald::jinja
