#include "jinja/objects.h"

#include <cmath>
#include <functional>

#include "jinja/errors.h"
#include "jinja/pyops.h"

namespace herald::jinja {

// ---- Undefined ----

std::string UndefinedObj::Message() const {
  if (!hint.empty()) return hint;
  if (!has_obj) return StrRepr(name.is_str() ? name.as_str() : name.str()) + " is undefined";
  if (!name.is_str()) return ObjectTypeRepr(obj) + " has no element " + Repr(name);
  return StrRepr(ObjectTypeRepr(obj)) + " has no attribute " + StrRepr(name.as_str());
}

void UndefinedObj::Fail() const { Throw(exc, Message()); }

std::string UndefinedObj::str() const {
  if (strict) Fail();
  return "";
}

bool UndefinedObj::truthy() const {
  if (strict) Fail();
  return false;
}

bool UndefinedObj::equals(const Value& other) const {
  if (strict) Fail();
  const JObject* j = AsJ(other);
  return j && j->okind == OK::kUndefined && !static_cast<const UndefinedObj*>(j)->strict;
}

Value MakeUndefined(bool strict, std::string name) {
  auto u = std::make_shared<UndefinedObj>(strict);
  u->name = Value(std::move(name));
  return Value(std::shared_ptr<Object>(std::move(u)));
}

Value MakeUndefinedHint(bool strict, std::string hint, std::string exc) {
  auto u = std::make_shared<UndefinedObj>(strict);
  u->hint = std::move(hint);
  u->exc = std::move(exc);
  return Value(std::shared_ptr<Object>(std::move(u)));
}

Value MakeUndefinedAttr(bool strict, const Value& obj, const Value& name) {
  auto u = std::make_shared<UndefinedObj>(strict);
  u->has_obj = true;
  u->obj = obj;
  u->name = name;
  return Value(std::shared_ptr<Object>(std::move(u)));
}

// ---- Markup ----

bool MarkupObj::equals(const Value& other) const {
  const std::string* s2 = StrLike(other);
  return s2 && *s2 == s;
}

size_t MarkupObj::hash() const { return std::hash<std::string_view>()(s); }

Value MakeMarkup(std::string s) {
  ChargeValueBytes(s.size() + 32);
  return Value(std::shared_ptr<Object>(std::make_shared<MarkupObj>(std::move(s))));
}

// ---- big ints ----

Value IntFromLiteral(const std::string& text) {
  int base = 10;
  std::string_view digits = text;
  if (text.size() > 2 && text[0] == '0') {
    char p = static_cast<char>(text[1] | 0x20);
    if (p == 'x') base = 16;
    else if (p == 'o') base = 8;
    else if (p == 'b') base = 2;
    if (base != 10) digits = digits.substr(2);
  }
  auto b = BigInt::Parse(digits, base);
  if (!b) return Value(0);
  return MakeInt(std::move(*b));
}

// ---- range ----

int64_t RangeObj::size() const {
  if (step > 0 && start < stop) return (stop - start + step - 1) / step;
  if (step < 0 && start > stop) return (start - stop - step - 1) / (-step);
  return 0;
}

std::string RangeObj::repr() const {
  std::string s = "range(" + std::to_string(start) + ", " + std::to_string(stop);
  if (step != 1) s += ", " + std::to_string(step);
  return s + ")";
}

bool RangeObj::equals(const Value& other) const {
  if (!IsObj(other, OK::kRange)) return false;
  const RangeObj* o = ObjAs<RangeObj>(other);
  int64_t n = size();
  if (n != o->size()) return false;
  if (n == 0) return true;
  if (start != o->start) return false;
  return n == 1 || step == o->step;
}

// ---- dict views ----

std::vector<Value> DictViewObj::Items() const {
  std::vector<Value> out;
  const Dict& d = dict.as_dict();
  out.reserve(d.size());
  for (const auto& [k, v] : d) {
    if (which == kKeys) out.push_back(k);
    else if (which == kValues) out.push_back(v);
    else out.push_back(Value::MakeTuple({k, v}));
  }
  return out;
}

std::string DictViewObj::repr() const {
  std::string s = type_name() + "([";
  bool first = true;
  for (const Value& v : Items()) {
    if (!first) s += ", ";
    first = false;
    s += Repr(v);
  }
  return s + "])";
}

std::string NamespaceObj::repr() const {
  ReprGuard guard(&attrs);  // Python prints the attribute dict, which may contain this namespace
  if (!guard.entered()) return "<Namespace {...}>";
  std::string s = "<Namespace {";
  bool first = true;
  for (const auto& [k, v] : attrs) {
    if (!first) s += ", ";
    first = false;
    s += Repr(k) + ": " + Repr(v);
  }
  return s + "}>";
}

Value MakeGenerator(std::vector<Value> items, std::string type) {
  ChargeValueBytes(items.size() * sizeof(Value) + 32);
  return Value(
      std::shared_ptr<Object>(std::make_shared<GeneratorObj>(std::move(items), std::move(type))));
}

bool GroupTupleObj::equals(const Value& other) const {
  if (IsObj(other, OK::kGroupTuple)) {
    const GroupTupleObj* o = ObjAs<GroupTupleObj>(other);
    return Eq(grouper, o->grouper) && Eq(list, o->list);
  }
  if (other.is_tuple() && other.as_list().size() == 2) {
    return Eq(grouper, other.as_list()[0]) && Eq(list, other.as_list()[1]);
  }
  return false;
}

}  // namespace herald::jinja
