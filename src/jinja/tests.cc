// The built-in tests (jinja2.tests.TESTS, 39 names).
#include <map>

#include "jinja/errors.h"
#include "jinja/pyops.h"
#include "jinja/render.h"
#include "jinja/ucd.h"

namespace herald::jinja {

namespace {

using Args = CallValues;

const Value& Arg(const Args& a, const char* test) {
  if (a.args.empty()) return a.kwargs.at(0).second;
  return a.args[0];
}

bool TOdd(Interp&, const Value& v, Args& a) {
  return Eq(BinaryOp(BinOp::kMod, v, Value(2)), Value(1));
}
bool TEven(Interp&, const Value& v, Args& a) {
  return Eq(BinaryOp(BinOp::kMod, v, Value(2)), Value(0));
}
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
    case OK::kMarkup:
    case OK::kRange:
    case OK::kGroupTuple:
    case OK::kBytes: return true;
    case OK::kUndefined: return !static_cast<const UndefinedObj*>(j)->strict;
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
  CheckHashable(v);
  const std::string* s = StrLike(v);
  return s && in.HasFilter(*s);
}
bool TTest(Interp& in, const Value& v, Args& a) {
  CheckHashable(v);
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

bool RunTest(const TestDef& t, Interp& in, const Value& v, CallValues& a) {
  size_t given = a.args.size();
  switch (t.kind) {
    case 0:
    case 1: {
      if (!a.kwargs.empty())
        ThrowType(t.pyname + "() got an unexpected keyword argument '" + a.kwargs[0].first + "'");
      size_t base = t.kind == 0 ? 1 : 2;
      if (given) {
        ThrowType(t.pyname + "() takes " + std::to_string(base) + " positional argument" +
                  (base == 1 ? "" : "s") + " but " + std::to_string(base + given) + " were given");
      }
      break;
    }
    case 2: {
      size_t total = given;
      for (const auto& kv : a.kwargs) {
        if (kv.first != t.param)
          ThrowType(t.pyname + "() got an unexpected keyword argument '" + kv.first + "'");
        if (given) ThrowType(t.pyname + "() got multiple values for argument '" + t.param + "'");
        ++total;
      }
      if (total == 0)
        ThrowType(t.pyname + "() missing 1 required positional argument: '" + t.param + "'");
      if (given > 1)
        ThrowType(t.pyname + "() takes 2 positional arguments but " + std::to_string(1 + given) +
                  " were given");
      break;
    }
    case 3:
      if (!a.kwargs.empty()) ThrowType("_operator." + t.pyname + "() takes no keyword arguments");
      if (given != 1)
        ThrowType(t.pyname + " expected 2 arguments, got " + std::to_string(1 + given));
      break;
    case 4:
      if (!a.kwargs.empty()) ThrowType("callable() takes no keyword arguments");
      if (given)
        ThrowType("callable() takes exactly one argument (" + std::to_string(1 + given) +
                  " given)");
      break;
  }
  return t.fn(in, v, a);
}

void RegisterBuiltinTests(std::map<std::string, TestDef>& out) {
  auto add = [&](const char* name, BuiltinTest f) {
    TestDef d;
    d.name = name;
    d.fn = f;
    std::string n = name;
    static const std::map<std::string, std::string> ops = {
        {"==", "eq"}, {"eq", "eq"}, {"equalto", "eq"},     {"!=", "ne"}, {"ne", "ne"},
        {">", "gt"},  {"gt", "gt"}, {"greaterthan", "gt"}, {">=", "ge"}, {"ge", "ge"},
        {"<", "lt"},  {"lt", "lt"}, {"lessthan", "lt"},    {"<=", "le"}, {"le", "le"}};
    if (ops.count(n)) {
      d.kind = 3;
      d.pyname = ops.at(n);
    } else if (n == "callable") {
      d.kind = 4;
    } else if (n == "filter" || n == "test") {
      d.kind = 1;
      d.pyname = "test_" + n;
    } else if (n == "divisibleby" || n == "sameas" || n == "in") {
      d.kind = 2;
      d.pyname = "test_" + n;
      d.param = n == "divisibleby" ? "num" : n == "sameas" ? "other" : "seq";
    } else {
      d.pyname = "test_" + n;
    }
    out[name] = d;
  };
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
