#include "value/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>

#include "common/stack.h"
#include "value/bigint.h"
#include "value/pystr.h"

namespace herald {

// ---- bounded recursion ----

namespace {
thread_local int g_value_depth = 0;
thread_local int g_max_value_depth = kDefaultMaxValueDepth;
thread_local size_t g_max_repr_bytes = SIZE_MAX;

void CheckReprSize(const std::string& out) {
  if (out.size() > g_max_repr_bytes) {
    throw ValueSizeError("string exceeds the limit of " + std::to_string(g_max_repr_bytes) +
                         " bytes");
  }
}
}  // namespace

ValueDepthScope::ValueDepthScope(int max_depth, size_t max_repr_bytes)
    : prev_(g_max_value_depth), prev_bytes_(g_max_repr_bytes) {
  g_max_value_depth = max_depth;
  g_max_repr_bytes = max_repr_bytes;
}
ValueDepthScope::~ValueDepthScope() {
  g_max_value_depth = prev_;
  g_max_repr_bytes = prev_bytes_;
}

namespace {
// True when `addr` lies in the lowest kMinStackHeadroom bytes of this thread's stack (looked up
// once per thread). Frames outside the thread's stack (none in Herald) are never refused.
bool NearStackEnd(uintptr_t addr) {
  struct Bounds {
    uintptr_t low = 0, floor = 0;  // floor == low: unknown stack, never refused
    Bounds() {
      const StackExtent stack = ThreadStack();
      if (stack.size == 0) return;
      low = stack.low;
      floor = stack.low + std::min(kMinStackHeadroom, stack.size / 4);  // small stacks: a quarter
    }
  };
  thread_local const Bounds b;
  return addr >= b.low && addr < b.floor;
}
}  // namespace

ValueRecursionGuard::ValueRecursionGuard(const char* context) {
  if (g_value_depth >= g_max_value_depth || NearStackEnd(FrameAddress())) {
    throw ValueDepthError(std::string("maximum recursion depth exceeded") + context);
  }
  ++g_value_depth;
}
ValueRecursionGuard::~ValueRecursionGuard() { --g_value_depth; }

void Value::ReleaseContainer() noexcept {
  // Only the last owner releases. Children that are containers themselves are moved to a list
  // owned by the outermost release on this thread and freed from there one at a time, so a
  // structure of any depth is freed without recursion. (A plain pointer, not a thread_local
  // vector: it stays valid while thread-local and static objects are being destroyed.)
  thread_local std::vector<Value>* g_pending = nullptr;
  List* list = (kind_ == Kind::List || kind_ == Kind::Tuple) && p_.list.use_count() == 1
                   ? p_.list.get()
                   : nullptr;
  Dict* dict = kind_ == Kind::Dict && p_.dict.use_count() == 1 ? p_.dict.get() : nullptr;
  if (!list && !dict) return;
  std::vector<Value> local;
  std::vector<Value>& pending = g_pending ? *g_pending : local;
  try {
    auto park = [&pending](Value& child) {
      if (child.is_container()) pending.push_back(std::move(child));
    };
    if (list) {
      for (Value& x : *list) park(x);
    } else {
      for (auto& [k, x] : dict->entries_) {
        park(k);
        park(x);
      }
    }
  } catch (...) {
    // Out of memory while parking: what was not parked is freed by plain destruction.
  }
  if (g_pending || local.empty()) return;
  g_pending = &local;
  if (list) p_.list.reset();
  else p_.dict.reset();
  while (!local.empty()) {
    Value v = std::move(local.back());
    local.pop_back();
  }  // each v parks its own children into `local` as it is destroyed
  g_pending = nullptr;
}

// ---- allocation budget ----

namespace {
constexpr size_t kObjectOverhead = 32;  // charged per string/list/dict besides its contents
thread_local bool g_budget_active = false;
thread_local size_t g_budget_left = 0;
thread_local size_t g_budget_limit = 0;

size_t Charged(size_t n) {
  ChargeValueBytes(n);
  return n;
}
}  // namespace

ValueBudgetScope::ValueBudgetScope(size_t max_bytes)
    : prev_active_(g_budget_active), prev_left_(g_budget_left), prev_limit_(g_budget_limit) {
  g_budget_active = true;
  g_budget_left = max_bytes;
  g_budget_limit = max_bytes;
}

ValueBudgetScope::~ValueBudgetScope() {
  g_budget_active = prev_active_;
  g_budget_left = prev_left_;
  g_budget_limit = prev_limit_;
}

void ChargeValueBytes(size_t n) {
  if (!g_budget_active) return;
  if (n > g_budget_left) {
    g_budget_left = 0;
    throw ValueSizeError("template allocations exceed the limit of " +
                         std::to_string(g_budget_limit) + " bytes");
  }
  g_budget_left -= n;
}

Value::Value(const char* s) : kind_(Kind::Str) {
  new (&p_.str) std::shared_ptr<const std::string>(std::make_shared<const std::string>(s));
  if (g_budget_active) ChargeValueBytes(p_.str->size() + kObjectOverhead);
}
Value::Value(std::string s) : kind_(Kind::Str) {
  if (g_budget_active) Charged(s.size() + kObjectOverhead);
  new (&p_.str)
      std::shared_ptr<const std::string>(std::make_shared<const std::string>(std::move(s)));
}
Value::Value(std::string_view s) : kind_(Kind::Str) {
  if (g_budget_active) Charged(s.size() + kObjectOverhead);
  new (&p_.str) std::shared_ptr<const std::string>(std::make_shared<const std::string>(s));
}
Value::Value(List list) : kind_(Kind::List) {
  if (g_budget_active) Charged(list.size() * sizeof(Value) + kObjectOverhead);
  new (&p_.list) std::shared_ptr<List>(std::make_shared<List>(std::move(list)));
}
Value::Value(Dict dict) : kind_(Kind::Dict) {
  if (g_budget_active) Charged(dict.size() * 2 * sizeof(Value) + kObjectOverhead);
  new (&p_.dict) std::shared_ptr<Dict>(std::make_shared<Dict>(std::move(dict)));
}
Value::Value(std::shared_ptr<Object> obj) {
  if (!obj) return;
  kind_ = Kind::Object;
  new (&p_.obj) std::shared_ptr<Object>(std::move(obj));
}

Value Value::MakeTuple(List items) {
  Value v(std::move(items));
  v.kind_ = Kind::Tuple;
  return v;
}

Value Value::MakeDict() { return Value(Dict()); }

Value Value::FromSharedStr(std::shared_ptr<const std::string> s) {
  Value v;
  v.kind_ = Kind::Str;
  new (&v.p_.str) std::shared_ptr<const std::string>(std::move(s));
  return v;
}

double Value::to_double() const {
  switch (kind_) {
    case Kind::Bool: return u_.b ? 1.0 : 0.0;
    case Kind::Int: return static_cast<double>(u_.i);
    case Kind::Float: return u_.d;
    default: return 0.0;
  }
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::None: return false;
    case Kind::Bool: return u_.b;
    case Kind::Int: return u_.i != 0;
    case Kind::Float: return u_.d != 0.0;
    case Kind::Str: return !p_.str->empty();
    case Kind::List:
    case Kind::Tuple: return !p_.list->empty();
    case Kind::Dict: return !p_.dict->empty();
    case Kind::Object: return p_.obj->truthy();
  }
  return false;
}

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::List: return "list";
    case Kind::Tuple: return "tuple";
    case Kind::Dict: return "dict";
    case Kind::Object: return p_.obj->type_name();
  }
  return "object";
}

namespace {

// Containers whose repr is in progress on this thread (CPython's Py_ReprEnter list).
thread_local std::vector<const void*> g_repr_active;

// Marks `p` as being printed; false when it already is (a self-reference).
struct ReprEnter {
  explicit ReprEnter(const void* p) : ptr(p) {
    entered = std::find(g_repr_active.begin(), g_repr_active.end(), p) == g_repr_active.end();
    if (entered) g_repr_active.push_back(p);
  }
  ~ReprEnter() {
    if (entered) g_repr_active.pop_back();
  }
  const void* ptr;
  bool entered;
};

}  // namespace

ReprGuard::ReprGuard(const void* container) {
  entered_ =
      std::find(g_repr_active.begin(), g_repr_active.end(), container) == g_repr_active.end();
  if (entered_) g_repr_active.push_back(container);
}
ReprGuard::~ReprGuard() {
  if (entered_) g_repr_active.pop_back();
}

namespace {

void AppendRepr(const Value& v, std::string& out, int depth);

void AppendSeq(const Value& v, std::string& out, int depth, char open, char close) {
  ReprEnter enter(v.list_ptr().get());
  if (!enter.entered) {
    out += open;
    out += "...";
    out += close;
    return;
  }
  out += open;
  const List& items = v.as_list();
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    AppendRepr(items[i], out, depth + 1);
    CheckReprSize(out);
  }
  if (v.is_tuple() && items.size() == 1) out += ',';
  out += close;
}

// Appends the repr (= str) of None, a bool, an int or a float; false for other kinds.
bool AppendScalar(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Kind::None: out += "None"; return true;
    case Kind::Bool: out += v.as_bool() ? "True" : "False"; return true;
    case Kind::Int: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
      out.append(buf, r.ptr - buf);
      return true;
    }
    case Kind::Float: out += FloatRepr(v.as_float()); return true;
    default: return false;
  }
}

void AppendRepr(const Value& v, std::string& out, int depth) {
  ValueRecursionGuard guard(" while getting the repr of an object");
  if (AppendScalar(v, out)) return;
  switch (v.kind()) {
    case Kind::Str: out += StrRepr(v.as_str()); return;
    case Kind::List: AppendSeq(v, out, depth, '[', ']'); return;
    case Kind::Tuple: AppendSeq(v, out, depth, '(', ')'); return;
    case Kind::Dict: {
      ReprEnter enter(v.dict_ptr().get());
      if (!enter.entered) {
        out += "{...}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [k, val] : v.as_dict()) {
        if (!first) out += ", ";
        first = false;
        AppendRepr(k, out, depth + 1);
        out += ": ";
        AppendRepr(val, out, depth + 1);
        CheckReprSize(out);
      }
      out += '}';
      return;
    }
    case Kind::Object: out += v.as_object()->repr(); return;
    default: return;  // scalars: AppendScalar
  }
}

}  // namespace

void AppendPyStr(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::Str: out += v.as_str(); return;
    case Kind::Object: out += v.as_object()->str(); return;
    default:
      if (!AppendScalar(v, out)) AppendRepr(v, out, 0);
  }
}

std::string Value::str() const {
  if (kind_ == Kind::Str) return *p_.str;
  if (kind_ == Kind::Object) return p_.obj->str();
  std::string out;
  AppendPyStr(out, *this);
  return out;
}

std::string Value::repr() const {
  std::string out;
  AppendRepr(*this, out, 0);
  return out;
}

bool Value::same(const Value& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::List:
    case Kind::Tuple: return p_.list == other.p_.list;
    case Kind::Dict: return p_.dict == other.p_.dict;
    case Kind::Object: return p_.obj == other.p_.obj;
    case Kind::Str: return p_.str == other.p_.str || *p_.str == *other.p_.str;
    default: return PyEquals(*this, other);
  }
}

const Value* Value::get(std::string_view key) const {
  if (kind_ != Kind::Dict) return nullptr;
  return p_.dict->find(key);
}

bool Object::equals(const Value& other) const {
  return other.is_object() && other.as_object().get() == this;
}

// ---- equality, hashing, ordering ----

bool PyEquals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.to_double() == b.to_double();
    int64_t x = a.is_bool() ? a.as_bool() : a.as_int();
    int64_t y = b.is_bool() ? b.as_bool() : b.as_int();
    return x == y;
  }
  if (a.is_object()) return a.as_object()->equals(b);
  if (b.is_object()) return b.as_object()->equals(a);
  if (a.kind() != b.kind()) return false;
  if (a.kind() == Kind::List || a.kind() == Kind::Tuple || a.kind() == Kind::Dict) {
    if (a.list_ptr() == b.list_ptr() && a.dict_ptr() == b.dict_ptr()) return true;  // identity
  }
  ValueRecursionGuard guard(" in comparison");
  switch (a.kind()) {
    case Kind::None: return true;
    case Kind::Str: return a.str_ptr() == b.str_ptr() || a.as_str() == b.as_str();
    case Kind::List:
    case Kind::Tuple: {
      if (a.list_ptr() == b.list_ptr()) return true;
      const List& x = a.as_list();
      const List& y = b.as_list();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!PyEquals(x[i], y[i])) return false;
      return true;
    }
    case Kind::Dict: {
      if (a.dict_ptr() == b.dict_ptr()) return true;
      const Dict& x = a.as_dict();
      const Dict& y = b.as_dict();
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x) {
        const Value* o = y.find_item(k);
        if (!o || !PyEquals(v, *o)) return false;
      }
      return true;
    }
    default: return false;
  }
}

size_t PyHash(const Value& v) {
  switch (v.kind()) {
    case Kind::None: return 0x9e3779b9u;
    case Kind::Bool: return v.as_bool() ? 1 : 0;
    case Kind::Int: return std::hash<int64_t>()(v.as_int());
    case Kind::Float: {
      double d = v.as_float();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18)
        return std::hash<int64_t>()(static_cast<int64_t>(d));
      return std::hash<double>()(d);
    }
    case Kind::Str: return std::hash<std::string_view>()(v.as_str());
    case Kind::List:
    case Kind::Tuple: {
      ValueRecursionGuard guard(" while hashing");
      size_t h = 0x345678;
      for (const auto& x : v.as_list()) h = h * 1000003 ^ PyHash(x);
      return h;
    }
    case Kind::Dict: {
      ValueRecursionGuard guard(" while hashing");
      size_t h = 0x1234;
      for (const auto& [k, x] : v.as_dict()) h += PyHash(k) * 31 + PyHash(x);
      return h;
    }
    case Kind::Object: return v.as_object()->hash();
  }
  return 0;
}

namespace {

// Returns -1/0/1, or 2 when the types cannot be ordered.
int Cmp3(const Value& a, const Value& b, std::string* bad_a, std::string* bad_b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      double x = a.to_double(), y = b.to_double();
      if (std::isnan(x) || std::isnan(y)) return 3;  // unordered: every comparison false
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    int64_t x = a.is_bool() ? a.as_bool() : a.as_int();
    int64_t y = b.is_bool() ? b.as_bool() : b.as_int();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_str() && b.is_str()) {
    int c = a.as_str().compare(b.as_str());  // UTF-8 byte order == code point order
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
    ValueRecursionGuard guard(" in comparison");
    const List& x = a.as_list();
    const List& y = b.as_list();
    size_t n = std::min(x.size(), y.size());
    for (size_t i = 0; i < n; ++i) {
      if (PyEquals(x[i], y[i])) continue;
      return Cmp3(x[i], y[i], bad_a, bad_b);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  if (a.is_object() || b.is_object()) {
    int c = CompareBigNumbers(a, b);  // ints beyond 64 bits
    if (c != 2) return c;
  }
  if (bad_a && bad_a->empty()) {
    *bad_a = a.type_name();
    *bad_b = b.type_name();
  }
  return 2;
}

}  // namespace

Result<bool> PyCompare(const Value& a, const Value& b, std::string_view op) {
  std::string ta, tb;
  int c = Cmp3(a, b, &ta, &tb);
  if (c == 2) {
    return Status::Error(Code::kInvalidArgument, "TypeError",
                         "'" + std::string(op) + "' not supported between instances of '" + ta +
                             "' and '" + tb + "'");
  }
  if (c == 3) return false;
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}

Result<int> PyCmp(const Value& a, const Value& b) {
  std::string ta, tb;
  int c = Cmp3(a, b, &ta, &tb);
  if (c == 2) {
    return Status::Error(Code::kInvalidArgument, "TypeError",
                         "'<' not supported between instances of '" + ta + "' and '" + tb + "'");
  }
  if (c == 3) return 0;
  return c;
}

// ---- Dict ----

namespace {
constexpr size_t kIndexThreshold = 8;

bool KeyMatchesStr(const Value& k, std::string_view s) { return k.is_str() && k.as_str() == s; }
}  // namespace

void Dict::rebuild_index() {
  slots_.clear();
  if (entries_.size() <= kIndexThreshold) return;
  size_t cap = 16;
  while (cap < entries_.size() * 2) cap <<= 1;
  slots_.assign(cap, 0);
  for (uint32_t i = 0; i < entries_.size(); ++i) index_insert(PyHash(entries_[i].first), i);
}

void Dict::index_insert(size_t hash, uint32_t pos) {
  size_t mask = slots_.size() - 1;
  size_t j = hash & mask;
  while (slots_[j] != 0) j = (j + 1) & mask;
  slots_[j] = pos + 1;
}

long Dict::index_of(const Value& key) const {
  if (key.is_str()) return index_of_str(key.as_str());
  if (slots_.empty()) {
    for (size_t i = 0; i < entries_.size(); ++i)
      if (PyEquals(entries_[i].first, key)) return static_cast<long>(i);
    return -1;
  }
  size_t mask = slots_.size() - 1;
  for (size_t j = PyHash(key) & mask; slots_[j] != 0; j = (j + 1) & mask)
    if (PyEquals(entries_[slots_[j] - 1].first, key)) return slots_[j] - 1;
  return -1;
}

long Dict::index_of_str(std::string_view key) const {
  if (slots_.empty()) {
    for (size_t i = 0; i < entries_.size(); ++i)
      if (KeyMatchesStr(entries_[i].first, key)) return static_cast<long>(i);
    return -1;
  }
  size_t mask = slots_.size() - 1;
  for (size_t j = std::hash<std::string_view>()(key) & mask; slots_[j] != 0; j = (j + 1) & mask)
    if (KeyMatchesStr(entries_[slots_[j] - 1].first, key)) return slots_[j] - 1;
  return -1;
}

const Value* Dict::find_item(const Value& key) const {
  long i = index_of(key);
  return i < 0 ? nullptr : &entries_[i].second;
}

const Value* Dict::find(std::string_view key) const {
  long i = index_of_str(key);
  return i < 0 ? nullptr : &entries_[i].second;
}

Value* Dict::find_mut(std::string_view key) {
  long i = index_of_str(key);
  return i < 0 ? nullptr : &entries_[i].second;
}

void Dict::set_item(Value key, Value value) {
  long i = index_of(key);
  if (i >= 0) {
    entries_[i].second = std::move(value);
    return;
  }
  entries_.emplace_back(std::move(key), std::move(value));
  if (entries_.size() > kIndexThreshold) {
    if (slots_.size() < entries_.size() * 2) rebuild_index();
    else index_insert(PyHash(entries_.back().first), static_cast<uint32_t>(entries_.size() - 1));
  }
}

bool Dict::erase_item(const Value& key) {
  long i = index_of(key);
  if (i < 0) return false;
  entries_.erase(entries_.begin() + i);
  rebuild_index();
  return true;
}

void Dict::clear() {
  entries_.clear();
  slots_.clear();
}

// ---- printing ----

std::string FloatRepr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0.0) return std::signbit(d) ? "-0.0" : "0.0";
  // Shortest round-trip digits in scientific form, then lay out as Python's repr does.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  size_t epos = sci.find('e');
  std::string mant = sci.substr(0, epos);
  int exp = std::stoi(sci.substr(epos + 1));
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out = neg ? "-" : "";
  if (exp >= -4 && exp < 16) {  // Python repr: fixed notation when 1e-4 <= |x| < 1e16
    if (exp >= 0) {
      if (static_cast<int>(digits.size()) <= exp + 1) {
        out += digits + std::string(exp + 1 - digits.size(), '0') + ".0";
      } else {
        out += digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
      }
    } else {
      out += "0." + std::string(-exp - 1, '0') + digits;
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  out += 'e';
  out += exp < 0 ? '-' : '+';
  int ae = exp < 0 ? -exp : exp;
  if (ae < 10) out += '0';
  out += std::to_string(ae);
  return out;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace herald
