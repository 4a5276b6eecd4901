// The built-in number filters (abs, int, float, round, sum) with Python's int/float rules: big
// integers where Python would overflow into them, round() as Python rounds (the exact binary
// value; ties to even), and int()'s parsing of strings in any base.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "jinja/filter_support.h"
#include "value/bigint.h"

namespace herald::jinja::filters {

namespace {

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

}  // namespace

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

}  // namespace herald::jinja::filters
