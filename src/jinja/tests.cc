// The built-in tests (jinja2.tests.TESTS, 39 names).
#include "jinja/errors.h"
#include "jinja/pyops.h"
#include "jinja/render.h"
#include "jinja/ucd.h"

namespace herald::jinja {

namespace {

using Args = CallValues;

const Value& Arg(const Args& a, const char* test) {
  if (a.args.empty()) {
    if (!a.kwargs.empty()) return a.kwargs[0].second;
    ThrowType(std::string("test_") + test + "() missing 1 required positional argument");
  }
  return a.args[0];
}

bool TOdd(Interp&, const Value& v, Args& a) { return Eq(BinaryOp(BinOp::kMod, v, Value(2)), Value(1)); }
bool TEven(Interp&, const Value& v, Args& a) { return Eq(BinaryOp(BinOp::kMod, v, Value(2)), Value(0)); }
bool TDivisibleby(Interp&, const Value& v, Args& a) {
  return Eq(BinaryOp(BinOp::kMod, v, Arg(a, "divisibleby")), Value(0));
}
bool TDefined(Interp&, const Value& v, Args& a) { return !IsUndefined(v); }
bool TUndefined(Interp&, const Value& v, Args& a) { return IsUndefined(v); }
bool TNone(Interp&, const Value& v, Args& a) { return v.is_none(); }
bool TBoolean(Interp&, const Value& v, Args& a) { return v.is_bool(); }
bool TFalse(Interp&, const Value& v, Args& a) { return v.is_bool() && !v.as_bool(); }
bool TTrue(Interp&, const Value& v, Args& a) { return v.is_bool() && v.as_bool(); }
bool TInteger(Interp&, const Value& v, Args& a) { return v.is_int() || IsBigInt(v); }
bool TFloat(Interp&, const Value& v, Args& a) { return v.is_float(); }
bool TLower(Interp&, const Value& v, Args& a) { return ucd::StrIsLower(ToStr(v)); }
bool TUpper(Interp&, const Value& v, Args& a) { return ucd::StrIsUpper(ToStr(v)); }
bool TString(Interp&, const Value& v, Args& a) { return v.is_str() || IsMarkup(v); }
bool TMapping(Interp&, const Value& v, Args& a) { return v.is_dict(); }
bool TNumber(Interp&, const Value& v, Args& a) { return IsNumber(v); }
bool TSequence(Interp&, const Value& v, Args& a) {
  if (v.is_str() || v.is_list() || v.is_tuple() || v.is_dict()) return true;
  const JObject* j = AsJ(v);
  if (!j) return false;
  switch (j->okind) {
    case OK::kMarkup: case OK::kRange: case OK::kGroupTuple: case OK::kBytes: return true;
    case OK::kUndefined:
      if (static_cast<const UndefinedObj*>(j)->strict) ObjAs<UndefinedObj>(v)->Fail();
      return true;
    default: return false;
  }
}
bool TSameas(Interp&, const Value& v, Args& a) {
  const Value& o = Arg(a, "sameas");
  if (v.kind() != o.kind()) return false;
  return v.same(o);
}
bool TIterable(Interp&, const Value& v, Args& a) { return IsIterable(v); }
bool TEscaped(Interp&, const Value& v, Args& a) { return IsMarkup(v); }
bool TIn(Interp&, const Value& v, Args& a) { return Contains(Arg(a, "in"), v); }
bool TCallable(Interp&, const Value& v, Args& a) {
  const JObject* j = AsJ(v);
  return j && (IsCallableKind(j->okind) || j->okind == OK::kUndefined);
}
bool TFilter(Interp& in, const Value& v, Args& a) {
  const std::string* s = StrLike(v);
  return s && in.HasFilter(*s);
}
bool TTest(Interp& in, const Value& v, Args& a) {
  const std::string* s = StrLike(v);
  return s && in.HasTest(*s);
}
bool TEq(Interp&, const Value& v, Args& a) { return Eq(v, Arg(a, "eq")); }
bool TNe(Interp&, const Value& v, Args& a) { return !Eq(v, Arg(a, "ne")); }
bool TLt(Interp&, const Value& v, Args& a) { return CompareOp(CmpOp::kLt, v, Arg(a, "lt")); }
bool TLe(Interp&, const Value& v, Args& a) { return CompareOp(CmpOp::kLtEq, v, Arg(a, "le")); }
bool TGt(Interp&, const Value& v, Args& a) { return CompareOp(CmpOp::kGt, v, Arg(a, "gt")); }
bool TGe(Interp&, const Value& v, Args& a) { return CompareOp(CmpOp::kGtEq, v, Arg(a, "ge")); }

}  // namespace

void RegisterBuiltinTests(std::map<std::string, TestDef>& out) {
  auto add = [&](const char* name, BuiltinTest f) { out[name] = TestDef{name, f}; };
  add("odd", TOdd);
  add("even", TEven);
  add("divisibleby", TDivisibleby);
  add("defined", TDefined);
  add("undefined", TUndefined);
  add("filter", TFilter);
  add("test", TTest);
  add("none", TNone);
  add("boolean", TBoolean);
  add("false", TFalse);
  add("true", TTrue);
  add("integer", TInteger);
  add("float", TFloat);
  add("lower", TLower);
  add("upper", TUpper);
  add("string", TString);
  add("mapping", TMapping);
  add("number", TNumber);
  add("sequence", TSequence);
  add("iterable", TIterable);
  add("callable", TCallable);
  add("sameas", TSameas);
  add("escaped", TEscaped);
  add("in", TIn);
  add("==", TEq);
  add("eq", TEq);
  add("equalto", TEq);
  add("!=", TNe);
  add("ne", TNe);
  add(">", TGt);
  add("gt", TGt);
  add("greaterthan", TGt);
  add(">=", TGe);
  add("ge", TGe);
  add("<", TLt);
  add("lt", TLt);
  add("lessthan", TLt);
  add("<=", TLe);
  add("le", TLe);
}

}  // namespace herald::jinja
