// Python's value rules for the template engine (see pyops.h): str()/repr(), truthiness, len(),
// iteration, ==/ordering comparisons and `in` with CPython 3.11's messages, hashability,
// index/slice arithmetic and list.sort's stable order. Arithmetic and number parsing are in
// pyops_num.cc.
#include "jinja/pyops.h"

#include <algorithm>
#include <cmath>

#include "jinja/errors.h"
#include "jinja/limits.h"
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
  BigInt bi;
  ToBigInt(i, &bi);
  return CompareIntFloat(bi, d);
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

}  // namespace herald::jinja
