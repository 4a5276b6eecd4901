// Methods of builtin values that templates call: which names exist for each type
// (MethodMask, HasMethod), the dispatcher (CallMethod), and the methods of list, tuple, dict, int
// and float; str (and Markup) methods are in methods_str.cc. Behaviour and error messages follow
// CPython 3.11.
#include <algorithm>
#include <cmath>
#include <set>

#include "jinja/errors.h"
#include "jinja/limits.h"
#include "jinja/method_support.h"
#include "jinja/pyops.h"
#include "jinja/render.h"

namespace herald::jinja {

namespace {

const std::set<std::string_view> kStrMethods = {
    "capitalize",   "casefold",    "center",    "count",      "encode",       "endswith",
    "expandtabs",   "find",        "format",    "format_map", "index",        "isalnum",
    "isalpha",      "isascii",     "isdecimal", "isdigit",    "isidentifier", "islower",
    "isnumeric",    "isprintable", "isspace",   "istitle",    "isupper",      "join",
    "ljust",        "lower",       "lstrip",    "maketrans",  "partition",    "removeprefix",
    "removesuffix", "replace",     "rfind",     "rindex",     "rjust",        "rpartition",
    "rsplit",       "rstrip",      "split",     "splitlines", "startswith",   "strip",
    "swapcase",     "title",       "translate", "upper",      "zfill"};
const std::set<std::string_view> kMarkupExtra = {"escape", "unescape", "striptags"};
const std::set<std::string_view> kListMethods = {"append", "clear",   "copy",   "count",
                                                 "extend", "index",   "insert", "pop",
                                                 "remove", "reverse", "sort"};
const std::set<std::string_view> kTupleMethods = {"count", "index"};
const std::set<std::string_view> kDictMethods = {"clear",      "copy",   "fromkeys", "get",
                                                 "items",      "keys",   "pop",      "popitem",
                                                 "setdefault", "update", "values"};
const std::set<std::string_view> kIntMethods = {
    "as_integer_ratio", "bit_count", "bit_length", "conjugate", "denominator",
    "from_bytes",       "imag",      "numerator",  "real",      "to_bytes"};
const std::set<std::string_view> kFloatMethods = {
    "as_integer_ratio", "conjugate", "fromhex", "hex", "imag", "is_integer", "real"};

}  // namespace

namespace methods {

namespace {

void NoKw(const char* name, const Args& a) {
  if (!a.kwargs.empty()) ThrowType(std::string(name) + "() takes no keyword arguments");
}

}  // namespace

void ArgCount(const char* name, const Args& a, size_t lo, size_t hi) {
  NoKw(name, a);
  if (a.args.size() < lo || a.args.size() > hi) {
    if (lo == hi) {
      ThrowType(std::string(name) + "() takes exactly " +
                (lo == 1 ? "one argument" : std::to_string(lo) + " arguments") + " (" +
                std::to_string(a.args.size()) + " given)");
    }
    if (a.args.size() < lo) {
      ThrowType(std::string(name) + " expected at least " + std::to_string(lo) + " argument" +
                (lo == 1 ? "" : "s") + ", got " + std::to_string(a.args.size()));
    }
    ThrowType(std::string(name) + " expected at most " + std::to_string(hi) + " argument" +
              (hi == 1 ? "" : "s") + ", got " + std::to_string(a.args.size()));
  }
}

int64_t IntArg(const Value& v) {
  int64_t i;
  if (v.is_float() || !AsInt64(v, &i)) {
    if (IsUndefined(v)) ObjAs<UndefinedObj>(v)->Fail();
    if (IsBigInt(v)) Throw("OverflowError", "Python int too large to convert to C ssize_t");
    ThrowType("'" + TypeName(v) + "' object cannot be interpreted as an integer");
  }
  return i;
}

}  // namespace methods

namespace {

using methods::ArgCount;
using methods::Args;
using methods::IntArg;

bool IsMutator(const std::string& n) {
  return n == "append" || n == "extend" || n == "insert" || n == "pop" || n == "remove" ||
         n == "reverse" || n == "clear" || n == "sort" || n == "update" || n == "setdefault" ||
         n == "popitem";
}

// copy() (shallow) and clear(), which lists and dicts share: no arguments. False for another
// method.
template <class Container>
bool CopyOrClear(const std::string& name, Args& a, Container& c, Value* result) {
  if (name == "copy") {
    ArgCount("copy", a, 0, 0);
    *result = Value(Container(c));
    return true;
  }
  if (name == "clear") {
    ArgCount("clear", a, 0, 0);
    c.clear();
    *result = Value();
    return true;
  }
  return false;
}

Value ListMethod(Interp& in, const Value& recv, const std::string& name, Args& a) {
  if (IsMutator(name)) in.BeforeMutation(recv);
  List& l = recv.as_list();
  bool tuple = recv.is_tuple();
  if (name == "count") {
    ArgCount("count", a, 1, 1);
    int64_t n = 0;
    for (const Value& v : l)
      if (Eq(v, a.args[0])) ++n;
    return Value(n);
  }
  if (name == "index") {
    ArgCount("index", a, 1, 3);
    int64_t len = static_cast<int64_t>(l.size());
    int64_t start = a.args.size() > 1 ? IntArg(a.args[1]) : 0;
    int64_t stop = a.args.size() > 2 ? IntArg(a.args[2]) : len;
    if (start < 0) start = std::max<int64_t>(0, start + len);
    if (stop < 0) stop = std::max<int64_t>(0, stop + len);
    for (int64_t i = start; i < std::min(stop, len); ++i)
      if (Eq(l[i], a.args[0])) return Value(i);
    ThrowValue(tuple ? "tuple.index(x): x not in tuple" : Repr(a.args[0]) + " is not in list");
  }
  if (name == "append") {
    ArgCount("append", a, 1, 1);
    CheckItems(l.size() + 1);
    ChargeValueBytes(sizeof(Value));
    l.push_back(a.args[0]);
    return Value();
  }
  if (name == "extend") {
    ArgCount("extend", a, 1, 1);
    std::vector<Value> items = Iterate(a.args[0]);
    CheckItems(l.size() + items.size());
    ChargeValueBytes(items.size() * sizeof(Value));
    l.insert(l.end(), items.begin(), items.end());
    return Value();
  }
  if (name == "insert") {
    ArgCount("insert", a, 2, 2);
    int64_t len = static_cast<int64_t>(l.size());
    int64_t i = IntArg(a.args[0]);
    if (i < 0) i = std::max<int64_t>(0, i + len);
    i = std::min(i, len);
    CheckItems(l.size() + 1);
    ChargeValueBytes(sizeof(Value));
    l.insert(l.begin() + i, a.args[1]);
    return Value();
  }
  if (name == "pop") {
    ArgCount("pop", a, 0, 1);
    if (l.empty()) Throw("IndexError", "pop from empty list");
    int64_t i = a.args.empty() ? -1 : IntArg(a.args[0]);
    if (!NormalizeIndex(static_cast<int64_t>(l.size()), &i))
      Throw("IndexError", "pop index out of range");
    Value v = l[i];
    l.erase(l.begin() + i);
    return v;
  }
  if (name == "remove") {
    ArgCount("remove", a, 1, 1);
    for (size_t i = 0; i < l.size(); ++i) {
      if (Eq(l[i], a.args[0])) {
        l.erase(l.begin() + i);
        return Value();
      }
    }
    ThrowValue("list.remove(x): x not in list");
  }
  if (name == "reverse") {
    ArgCount("reverse", a, 0, 0);
    std::reverse(l.begin(), l.end());
    return Value();
  }
  if (Value result; CopyOrClear(name, a, l, &result)) return result;
  if (name == "sort") {
    if (!a.args.empty()) ThrowType("sort() takes no positional arguments");
    ArgSlots p;
    BindArgs("sort", a, {"key", "reverse"}, p);
    std::function<Value(const Value&)> key;
    if (p[0] && !p[0]->is_none()) {
      Value fn = *p[0];
      key = [&in, fn](const Value& v) {
        CallValues ca;
        ca.args.push_back(v);
        return in.CallValue(fn, ca);
      };
    }
    std::vector<Value> items = l;
    PySort(items, key, p[1] && Truthy(*p[1]));
    l = std::move(items);
    return Value();
  }
  ThrowType("list." + name + "() is not supported in templates");
}

Value DictMethod(Interp& in, const Value& recv, const std::string& name, Args& a) {
  if (IsMutator(name)) in.BeforeMutation(recv);
  Dict& d = recv.as_dict();
  if (name == "keys" || name == "values" || name == "items") {
    ArgCount(name.c_str(), a, 0, 0);
    auto w = name == "keys"     ? DictViewObj::kKeys
             : name == "values" ? DictViewObj::kValues
                                : DictViewObj::kItems;
    return Value(std::shared_ptr<Object>(std::make_shared<DictViewObj>(w, recv)));
  }
  if (name == "get") {
    ArgCount("get", a, 1, 2);
    CheckHashable(a.args[0]);
    if (const Value* v = d.find_item(a.args[0])) return *v;
    return a.args.size() > 1 ? a.args[1] : Value();
  }
  if (name == "pop") {
    ArgCount("pop", a, 1, 2);
    CheckHashable(a.args[0]);
    if (const Value* v = d.find_item(a.args[0])) {
      Value r = *v;
      d.erase_item(a.args[0]);
      return r;
    }
    if (a.args.size() > 1) return a.args[1];
    Throw("KeyError", Repr(a.args[0]));
  }
  if (name == "popitem") {
    ArgCount("popitem", a, 0, 0);
    if (d.empty()) Throw("KeyError", "'popitem(): dictionary is empty'");
    Dict::Entry e = d.entries().back();
    d.erase_item(e.first);
    return Value::MakeTuple({e.first, e.second});
  }
  if (name == "setdefault") {
    ArgCount("setdefault", a, 1, 2);
    CheckHashable(a.args[0]);
    if (const Value* v = d.find_item(a.args[0])) return *v;
    Value dv = a.args.size() > 1 ? a.args[1] : Value();
    CheckItems(d.size() + 1);
    ChargeValueBytes(2 * sizeof(Value));
    d.set_item(a.args[0], dv);
    return dv;
  }
  if (name == "update") {
    if (a.args.size() > 1)
      ThrowType("update expected at most 1 argument, got " + std::to_string(a.args.size()));
    if (!a.args.empty()) {
      const Value& src = a.args[0];
      if (src.is_dict()) {
        CheckItems(d.size() + src.as_dict().size());
        ChargeValueBytes(src.as_dict().size() * 2 * sizeof(Value));
        std::vector<Dict::Entry> copy = src.as_dict().entries();
        for (auto& [k, v] : copy) d.set_item(k, v);
      } else {
        std::vector<Value> src_items = Iterate(src);
        CheckItems(d.size() + src_items.size());
        ChargeValueBytes(src_items.size() * 2 * sizeof(Value));
        for (const Value& item : src_items) {
          std::vector<Value> kv = Iterate(item);
          if (kv.size() != 2)
            ThrowValue("dictionary update sequence element #0 has length " +
                       std::to_string(kv.size()) + "; 2 is required");
          CheckHashable(kv[0]);
          d.set_item(kv[0], kv[1]);
        }
      }
    }
    CheckItems(d.size() + a.kwargs.size());
    for (auto& [k, v] : a.kwargs) d.set(k, v);
    return Value();
  }
  if (Value result; CopyOrClear(name, a, d, &result)) return result;
  if (name == "fromkeys") {
    ArgCount("fromkeys", a, 1, 2);
    Dict out;
    for (const Value& k : Iterate(a.args[0])) {
      CheckHashable(k);
      out.set_item(k, a.args.size() > 1 ? a.args[1] : Value());
    }
    return Value(std::move(out));
  }
  ThrowType("dict." + name + "() is not supported in templates");
}

Value NumberMethod(const Value& recv, const std::string& name, Args& a) {
  if (name == "real" || name == "numerator") {
    return recv.is_bool() ? Value(static_cast<int64_t>(recv.as_bool())) : recv;
  }
  if (name == "conjugate") {
    ArgCount("conjugate", a, 0, 0);
    return recv.is_bool() ? Value(static_cast<int64_t>(recv.as_bool())) : recv;
  }
  if (name == "imag") return recv.is_float() ? Value(0.0) : Value(0);
  if (name == "denominator") return Value(1);
  if (name == "is_integer") {
    ArgCount("is_integer", a, 0, 0);
    double d = recv.as_float();
    return Value(std::isfinite(d) && d == std::floor(d));
  }
  if (name == "bit_length" || name == "bit_count") {
    ArgCount(name.c_str(), a, 0, 0);
    BigInt b;
    ToBigInt(recv, &b);
    int64_t n = 0;
    if (name == "bit_length") {
      BigInt two = BigInt::FromInt64(2);
      BigInt cur = b.Abs();
      while (!cur.is_zero()) {
        BigInt q;
        BigInt::DivMod(cur, two, &q, nullptr);
        cur = q;
        ++n;
      }
    } else {
      BigInt two = BigInt::FromInt64(2);
      BigInt cur = b.Abs();
      while (!cur.is_zero()) {
        BigInt q, r;
        BigInt::DivMod(cur, two, &q, &r);
        if (!r.is_zero()) ++n;
        cur = q;
      }
    }
    return Value(n);
  }
  if (name == "as_integer_ratio") {
    ArgCount("as_integer_ratio", a, 0, 0);
    if (!recv.is_float()) return Value::MakeTuple({NumberMethod(recv, "real", a), Value(1)});
    double d = recv.as_float();
    if (std::isinf(d)) Throw("OverflowError", "cannot convert Infinity to integer ratio");
    if (std::isnan(d)) ThrowValue("cannot convert NaN to integer ratio");
    int exp;
    double m = std::frexp(d, &exp);
    for (int i = 0; i < 300 && m != std::floor(m); ++i) {
      m *= 2.0;
      --exp;
    }
    BigInt num = BigInt::FromDouble(m);
    BigInt den = BigInt::FromInt64(1);
    BigInt two = BigInt::FromInt64(2);
    if (exp > 0) {
      for (int i = 0; i < exp; ++i) num = BigInt::Mul(num, two);
    } else {
      for (int i = 0; i < -exp; ++i) den = BigInt::Mul(den, two);
    }
    return Value::MakeTuple({MakeInt(num), MakeInt(den)});
  }
  if (name == "hex" && recv.is_float()) {
    ArgCount("hex", a, 0, 0);
    char buf[64];
    snprintf(buf, sizeof buf, "%a", recv.as_float());
    return Value(std::string(buf));
  }
  ThrowType(TypeName(recv) + "." + name + "() is not supported in templates");
}

}  // namespace

uint8_t MethodMask(std::string_view name) {
  uint8_t m = 0;
  if (kStrMethods.count(name)) m |= kMStr | kMMarkup;
  if (kMarkupExtra.count(name)) m |= kMMarkup;
  if (kListMethods.count(name)) m |= kMList;
  if (kTupleMethods.count(name)) m |= kMTuple;
  if (kDictMethods.count(name)) m |= kMDict;
  if (kIntMethods.count(name)) m |= kMInt;
  if (kFloatMethods.count(name)) m |= kMFloat;
  return m;
}

bool HasMethod(const Value& recv, std::string_view name) {
  switch (recv.kind()) {
    case Kind::Str: return kStrMethods.count(name) != 0;
    case Kind::List: return kListMethods.count(name) != 0;
    case Kind::Tuple: return kTupleMethods.count(name) != 0;
    case Kind::Dict: return kDictMethods.count(name) != 0;
    case Kind::Int:
    case Kind::Bool: return kIntMethods.count(name) != 0;
    case Kind::Float: return kFloatMethods.count(name) != 0;
    case Kind::Object:
      if (IsMarkup(recv)) return kStrMethods.count(name) != 0 || kMarkupExtra.count(name) != 0;
      if (IsBigInt(recv)) return kIntMethods.count(name) != 0;
      return false;
    default: return false;
  }
}

Value CallMethod(Interp& in, const Value& recv, const std::string& name, CallValues& args) {
  if (const std::string* s = StrLike(recv)) return methods::StrMethod(in, recv, *s, name, args);
  if (recv.is_list() || recv.is_tuple()) return ListMethod(in, recv, name, args);
  if (recv.is_dict()) return DictMethod(in, recv, name, args);
  if (IsNumber(recv)) return NumberMethod(recv, name, args);
  ThrowType("'" + TypeName(recv) + "' object has no attribute '" + name + "'");
}

}  // namespace herald::jinja
