#include "jinja/pyops.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "jinja/errors.h"
#include "jinja/format.h"
#include "jinja/limits.h"
#include "jinja/ucd.h"
#include "value/pystr.h"
#include "value/unicode.h"

namespace herald::jinja {

std::string TypeName(const Value& v) { return v.type_name(); }

std::string ObjectTypeRepr(const Value& v) {
  if (v.is_none()) return "None";
  if (const JObject* j = AsJ(v)) return j->TypeRepr();
  return v.type_name() + " object";
}

namespace {
[[noreturn]] void FailUndef(const Value& v) { ObjAs<UndefinedObj>(v)->Fail(); }
}  // namespace

void AppendStr(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::Str: out += v.as_str(); return;  // the common case, without a call
    case Kind::Object: {
      const JObject* j = AsJ(v);
      if (j && j->okind == OK::kUndefined) {
        if (static_cast<const UndefinedObj*>(j)->strict) FailUndef(v);
        return;
      }
      if (j && j->okind == OK::kMarkup) {
        out += static_cast<const MarkupObj*>(j)->s;
        return;
      }
      out += v.as_object()->str();
      return;
    }
    case Kind::List:
    case Kind::Tuple:
    case Kind::Dict: {
      size_t before = out.size();
      AppendPyStr(out, v);
      ChargeWork((out.size() - before) / 256);
      CheckSize(out.size());
      return;
    }
    default: AppendPyStr(out, v);
  }
}

std::string ToStr(const Value& v) {
  if (v.is_str()) return v.as_str();
  std::string s;
  AppendStr(s, v);
  return s;
}

std::string Repr(const Value& v) {
  std::string s = v.repr();
  ChargeWork(s.size() / 256);
  CheckSize(s.size());
  return s;
}

bool Truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::None: return false;
    case Kind::Bool: return v.as_bool();
    case Kind::Int: return v.as_int() != 0;
    case Kind::Str: return !v.as_str().empty();
    case Kind::Object:
      if (IsUndefined(v)) {
        if (ObjAs<UndefinedObj>(v)->strict) FailUndef(v);
        return false;
      }
      if (IsObj(v, OK::kGenerator)) return true;
      return v.truthy();
    default: return v.truthy();
  }
}

size_t Len(const Value& v) {
  switch (v.kind()) {
    case Kind::Str: return Utf8Length(v.as_str());
    case Kind::List:
    case Kind::Tuple: return v.as_list().size();
    case Kind::Dict: return v.as_dict().size();
    case Kind::Object: {
      const JObject* j = AsJ(v);
      if (j) {
        switch (j->okind) {
          case OK::kUndefined:
            if (static_cast<const UndefinedObj*>(j)->strict) FailUndef(v);
            return 0;
          case OK::kMarkup: return Utf8Length(static_cast<const MarkupObj*>(j)->s);
          case OK::kRange: return static_cast<size_t>(static_cast<const RangeObj*>(j)->size());
          case OK::kDictView: return static_cast<const DictViewObj*>(j)->dict.as_dict().size();
          case OK::kGroupTuple: return 2;
          case OK::kBytes: return static_cast<const BytesObj*>(j)->b.size();
          default: break;
        }
      }
      break;
    }
    default: break;
  }
  ThrowType("object of type '" + TypeName(v) + "' has no len()");
}

namespace {
std::vector<Value> Chars(const std::string& s) {
  std::vector<Value> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    DecodeUtf8(s, i);
    out.emplace_back(std::string_view(s).substr(start, i - start));
  }
  return out;
}
}  // namespace

bool IsIterable(const Value& v) {
  switch (v.kind()) {
    case Kind::Str:
    case Kind::List:
    case Kind::Tuple:
    case Kind::Dict: return true;
    case Kind::Object: {
      const JObject* j = AsJ(v);
      if (!j) return false;
      switch (j->okind) {
        case OK::kUndefined:
        case OK::kMarkup:
        case OK::kRange:
        case OK::kDictView:
        case OK::kGenerator:
        case OK::kGroupTuple:
        case OK::kBytes: return true;
        default: return false;
      }
    }
    default: return false;
  }
}

std::vector<Value> Iterate(const Value& v) {
  switch (v.kind()) {
    case Kind::Str: return Chars(v.as_str());
    case Kind::List:
    case Kind::Tuple: return v.as_list();
    case Kind::Dict: {
      std::vector<Value> out;
      out.reserve(v.as_dict().size());
      for (const auto& e : v.as_dict()) out.push_back(e.first);
      return out;
    }
    case Kind::Object: {
      const JObject* j = AsJ(v);
      if (!j) break;
      switch (j->okind) {
        case OK::kUndefined:
          if (static_cast<const UndefinedObj*>(j)->strict) FailUndef(v);
          return {};
        case OK::kMarkup: return Chars(static_cast<const MarkupObj*>(j)->s);
        case OK::kRange: {
          const RangeObj* r = static_cast<const RangeObj*>(j);
          int64_t n = r->size();
          CheckItems(static_cast<size_t>(n));
          std::vector<Value> out;
          out.reserve(n);
          for (int64_t i = 0; i < n; ++i) out.emplace_back(r->at(i));
          return out;
        }
        case OK::kDictView: return static_cast<const DictViewObj*>(j)->Items();
        case OK::kGenerator: return ObjAs<GeneratorObj>(v)->Take();
        case OK::kGroupTuple: {
          const GroupTupleObj* g = static_cast<const GroupTupleObj*>(j);
          return {g->grouper, g->list};
        }
        case OK::kBytes: {
          std::vector<Value> out;
          for (unsigned char c : static_cast<const BytesObj*>(j)->b)
            out.emplace_back(static_cast<int64_t>(c));
          return out;
        }
        default: break;
      }
      break;
    }
    default: break;
  }
  ThrowType("'" + TypeName(v) + "' object is not iterable");
}

// ---- numbers ----

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
  if (IsBigInt(v)) return ObjAs<BigIntObj>(v)->v.ToInt64(out);
  return false;
}

double ToDouble(const Value& v) {
  if (v.is_float()) return v.as_float();
  if (v.is_int()) return static_cast<double>(v.as_int());
  if (v.is_bool()) return v.as_bool() ? 1.0 : 0.0;
  if (IsBigInt(v)) {
    double d = ObjAs<BigIntObj>(v)->v.ToDouble();
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
  if (IsBigInt(v)) return MakeInt(ObjAs<BigIntObj>(v)->v.Neg());
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
  if (IsBigInt(v)) return MakeInt(ObjAs<BigIntObj>(v)->v.Abs());
  ThrowType("bad operand type for abs(): '" + TypeName(v) + "'");
}

// ---- comparisons ----

namespace {
int Cmp(const Value& a, const Value& b, const char* op);
}  // namespace

namespace {
// True when both are the same list, tuple or dict object (Python identity).
bool SameContainer(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  if (a.is_list() || a.is_tuple()) return a.list_ptr() == b.list_ptr();
  if (a.is_dict()) return a.dict_ptr() == b.dict_ptr();
  return false;
}
}  // namespace

bool Eq(const Value& a, const Value& b) {
  if ((a.is_float() && IsIntLike(b)) || (b.is_float() && IsIntLike(a))) {
    return Cmp(a, b, "==") == 0;
  }
  if (a.kind() != b.kind() || a.is_object()) {
    if (IsUndefined(a)) {
      if (ObjAs<UndefinedObj>(a)->strict) FailUndef(a);
      return IsUndefined(b) && !ObjAs<UndefinedObj>(b)->strict;
    }
    if (IsUndefined(b)) {
      if (ObjAs<UndefinedObj>(b)->strict) FailUndef(b);
      return false;
    }
    if (IsBigInt(b) && !a.is_object()) return b.as_object()->equals(a);
  }
  if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
    const List& x = a.as_list();
    const List& y = b.as_list();
    if (x.size() != y.size()) return false;
    ValueRecursionGuard guard(" in comparison");
    for (size_t i = 0; i < x.size(); ++i) {
      if (SameContainer(x[i], y[i])) continue;  // PyObject_RichCompareBool's identity short-cut
      if (!Eq(x[i], y[i])) return false;
    }
    return true;
  }
  return PyEquals(a, b);
}

namespace {

// Exact comparison of an integer with a double (Python semantics); 2 when d is NaN.
int CmpIntFloat(const Value& i, double d) {
  if (std::isnan(d)) return 2;
  if (std::isinf(d)) return d > 0 ? -1 : 1;
  BigInt bi;
  ToBigInt(i, &bi);
  double fl = std::floor(d);
  BigInt bd = BigInt::FromDouble(fl);
  int c = bi.Compare(bd);
  if (c != 0) return c;
  return fl == d ? 0 : -1;  // i == floor(d) < d
}

// -1/0/1; throws TypeError for incomparable values. Only meaningful for `<`-style ordering.
int Cmp(const Value& a, const Value& b, const char* op) {
  if (IsUndefined(a)) FailUndef(a);
  if (IsUndefined(b)) FailUndef(b);
  if (IsNumber(a) && IsNumber(b)) {
    if (a.is_float() && b.is_float()) {
      double x = a.as_float(), y = b.as_float();
      if (std::isnan(x) || std::isnan(y)) return 2;
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (a.is_float()) {
      int c = CmpIntFloat(b, a.as_float());
      return c == 2 ? 2 : -c;
    }
    if (b.is_float()) return CmpIntFloat(a, b.as_float());
    if (IsBigInt(a) || IsBigInt(b)) {
      BigInt x, y;
      ToBigInt(a, &x);
      ToBigInt(b, &y);
      return x.Compare(y);
    }
    int64_t x, y;
    AsInt64(a, &x);
    AsInt64(b, &y);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  const std::string* sa = StrLike(a);
  const std::string* sb = StrLike(b);
  if (sa && sb) {
    int c = sa->compare(*sb);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
    const List& x = a.as_list();
    const List& y = b.as_list();
    size_t n = std::min(x.size(), y.size());
    ValueRecursionGuard guard(" in comparison");
    for (size_t i = 0; i < n; ++i) {
      if (SameContainer(x[i], y[i]) || Eq(x[i], y[i])) continue;
      return Cmp(x[i], y[i], op);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  ThrowType(std::string("'") + op + "' not supported between instances of '" + TypeName(a) +
            "' and '" + TypeName(b) + "'");
}

}  // namespace

bool Less(const Value& a, const Value& b, const char* op) {
  if (a.is_int() && b.is_int()) return a.as_int() < b.as_int();
  int c = Cmp(a, b, op);
  return c == -1;
}

bool CompareOp(CmpOp op, const Value& a, const Value& b) {
  switch (op) {
    case CmpOp::kEq: return Eq(a, b);
    case CmpOp::kNe: return !Eq(a, b);
    case CmpOp::kIn: return Contains(b, a);
    case CmpOp::kNotIn: return !Contains(b, a);
    default: break;
  }
  if (a.is_int() && b.is_int()) {
    int64_t x = a.as_int(), y = b.as_int();
    switch (op) {
      case CmpOp::kLt: return x < y;
      case CmpOp::kLtEq: return x <= y;
      case CmpOp::kGt: return x > y;
      default: return x >= y;
    }
  }
  const char* sym = op == CmpOp::kLt     ? "<"
                    : op == CmpOp::kLtEq ? "<="
                    : op == CmpOp::kGt   ? ">"
                                         : ">=";
  int c = Cmp(a, b, sym);
  if (c == 2) return false;  // NaN
  switch (op) {
    case CmpOp::kLt: return c < 0;
    case CmpOp::kLtEq: return c <= 0;
    case CmpOp::kGt: return c > 0;
    default: return c >= 0;
  }
}

void CheckHashable(const Value& v) {
  if (v.is_list() || v.is_dict()) ThrowType("unhashable type: '" + TypeName(v) + "'");
  if (v.is_tuple()) {
    ValueRecursionGuard guard(" while hashing");
    for (const Value& x : v.as_list()) CheckHashable(x);
  }
  if (IsUndefined(v) && ObjAs<UndefinedObj>(v)->strict) FailUndef(v);
  if (IsObj(v, OK::kNamespace) || IsObj(v, OK::kDictView)) {
    if (IsObj(v, OK::kDictView)) ThrowType("unhashable type: '" + TypeName(v) + "'");
  }
}

bool Contains(const Value& c, const Value& item) {
  switch (c.kind()) {
    case Kind::Str: {
      const std::string* s = StrLike(item);
      if (!s) {
        if (IsUndefined(item) && ObjAs<UndefinedObj>(item)->strict) FailUndef(item);
        ThrowType("'in <string>' requires string as left operand, not " + TypeName(item));
      }
      return c.as_str().find(*s) != std::string::npos;
    }
    case Kind::List:
    case Kind::Tuple:
      for (const Value& x : c.as_list())
        if (SameContainer(item, x) || Eq(item, x)) return true;
      return false;
    case Kind::Dict: CheckHashable(item); return c.as_dict().find_item(item) != nullptr;
    case Kind::Object: {
      const JObject* j = AsJ(c);
      if (!j) break;
      switch (j->okind) {
        case OK::kMarkup: {
          const std::string* s = StrLike(item);
          if (!s) ThrowType("'in <string>' requires string as left operand, not " + TypeName(item));
          return static_cast<const MarkupObj*>(j)->s.find(*s) != std::string::npos;
        }
        case OK::kDictView: {
          const DictViewObj* dv = static_cast<const DictViewObj*>(j);
          if (dv->which == DictViewObj::kKeys) {
            CheckHashable(item);
            return dv->dict.as_dict().find_item(item) != nullptr;
          }
          for (const Value& x : dv->Items())
            if (Eq(item, x)) return true;
          return false;
        }
        case OK::kRange: {
          const RangeObj* r = static_cast<const RangeObj*>(j);
          int64_t n = r->size();
          for (int64_t i = 0; i < n; ++i)
            if (Eq(item, Value(r->at(i)))) return true;
          return false;
        }
        case OK::kUndefined:
        case OK::kGenerator:
        case OK::kGroupTuple:
          for (const Value& x : Iterate(c))
            if (Eq(item, x)) return true;
          return false;
        default: break;
      }
      break;
    }
    default: break;
  }
  ThrowType("argument of type '" + TypeName(c) + "' is not iterable");
}

bool NormalizeIndex(int64_t len, int64_t* index) {
  if (*index < 0) *index += len;
  return *index >= 0 && *index < len;
}

std::vector<int64_t> SliceIndices(const SliceSpec& s, int64_t len) {
  int64_t step = s.has_step ? s.step : 1;
  if (step == 0) ThrowValue("slice step cannot be zero");
  int64_t start, stop;
  if (step > 0) {
    start = s.has_start ? s.start : 0;
    stop = s.has_stop ? s.stop : len;
    if (start < 0) start = std::max<int64_t>(0, start + len);
    if (stop < 0) stop = std::max<int64_t>(0, stop + len);
    start = std::min(start, len);
    stop = std::min(stop, len);
  } else {
    start = s.has_start ? s.start : len - 1;
    stop = s.has_stop ? s.stop : -1 - len;  // sentinel meaning "before 0"
    if (s.has_start) {
      if (start < 0) start += len;
      if (start < 0) start = -1;
      if (start >= len) start = len - 1;
    }
    if (s.has_stop) {
      if (stop < 0) stop += len;
      if (stop < 0) stop = -1;
      if (stop >= len) stop = len - 1;
    } else {
      stop = -1;
    }
  }
  std::vector<int64_t> out;
  if (step > 0) {
    for (int64_t i = start; i < stop; i += step) out.push_back(i);
  } else {
    for (int64_t i = start; i > stop; i += step) out.push_back(i);
  }
  return out;
}

// ---- sorting (CPython list.sort: count_run + binary insertion for short lists) ----

void PySort(std::vector<Value>& items, const std::function<Value(const Value&)>& key,
            bool reverse) {
  size_t n = items.size();
  if (n < 2) return;
  std::vector<Value> keys;
  if (key) {
    keys.reserve(n);
    for (const Value& v : items) keys.push_back(key(v));
  } else {
    keys = items;
  }
  std::vector<size_t> idx(n);
  for (size_t i = 0; i < n; ++i) idx[i] = i;
  if (reverse) std::reverse(idx.begin(), idx.end());
  auto lt = [&](size_t a, size_t b) { return Less(keys[a], keys[b]); };
  if (n < 64) {
    // count_run
    size_t run = 2;
    if (lt(idx[1], idx[0])) {
      while (run < n && lt(idx[run], idx[run - 1])) ++run;
      std::reverse(idx.begin(), idx.begin() + run);
    } else {
      while (run < n && !lt(idx[run], idx[run - 1])) ++run;
    }
    // binary insertion of the rest
    for (size_t start = run; start < n; ++start) {
      size_t pivot = idx[start];
      size_t l = 0, r = start;
      while (l < r) {
        size_t p = l + ((r - l) >> 1);
        if (lt(pivot, idx[p])) r = p;
        else l = p + 1;
      }
      for (size_t k = start; k > l; --k) idx[k] = idx[k - 1];
      idx[l] = pivot;
    }
  } else {
    std::stable_sort(idx.begin(), idx.end(), lt);
  }
  if (reverse) std::reverse(idx.begin(), idx.end());
  std::vector<Value> out;
  out.reserve(n);
  for (size_t i : idx) out.push_back(std::move(items[i]));
  items = std::move(out);
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
