// Value: the one data model of Herald.
//
// Event data, template contexts, condition values and API bodies are all Values. A Value
// behaves like the Python object it stands for, because users see its printing in rendered
// webhooks: None, bool, int (64-bit; larger ints are an Object, value/bigint.h), float, str
// (UTF-8), list, tuple, dict (insertion ordered, any hashable key) and Object (an extension
// point: the template engine's undefined, markup, callables, namespaces...).
//
// Lists and dicts have Python reference semantics: copying a Value shares the container, so a
// template that appends to a list sees the change everywhere. Strings are immutable and shared.
// Values are not synchronised: share a Value across threads only if nobody mutates it (compiled
// template constants and event contexts are treated as immutable once built).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/core/noncopyable.hpp>

#include "common/status.h"

namespace herald {

class Value;
class Dict;
class Object;

using List = std::vector<Value>;

enum class Kind : uint8_t { None, Bool, Int, Float, Str, List, Tuple, Dict, Object };

// ---- Bounded recursion through values ----
//
// repr/str, ==, ordering, hashing and JSON dumps recurse into nested lists, tuples and dicts. A
// template can build structures of any depth (a list nested 100,000 levels by a loop), so every
// such walk counts its depth per thread and, past the active bound, throws ValueDepthError instead
// of running off the end of the C++ stack. Self-references are handled before that: repr prints
// Python's `[...]` / `{...}` marker and == short-cuts on identity, as CPython does.
//
// Bound outside a ValueDepthScope: deeper than anything JSON input can build (simdjson stops at
// 1024 levels), so code outside the template engine never sees the error on parsed data.
constexpr int kDefaultMaxValueDepth = 2048;
// Whatever the depth, a walk also stops when less than this much of the thread's stack is left
// (a quarter of it for stacks under 1 MiB): frames are much larger under sanitizers, and threads
// may have small stacks.
constexpr size_t kMinStackHeadroom = size_t{256} << 10;
// Bound the template engine installs for a render: CPython's default recursion limit, so cyclic
// comparisons fail where Python's do (RecursionError).
constexpr int kMaxValueDepth = 1000;

// Thrown when a walk through nested values exceeds the active depth bound. what() is Python's
// RecursionError message, e.g. "maximum recursion depth exceeded in comparison".
class ValueDepthError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown when repr/str would build a string longer than the active bound (a list holding the
// same large string 100,000 times). what() is "string exceeds the limit of N bytes".
class ValueSizeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Sets this thread's value-depth bound and the longest repr/str it may build until destroyed
// (restores the previous ones). Outside any scope there is no size bound.
class ValueDepthScope : boost::noncopyable {
 public:
  explicit ValueDepthScope(int max_depth, size_t max_repr_bytes = SIZE_MAX);
  ~ValueDepthScope();

 private:
  int prev_;
  size_t prev_bytes_;
};

// One level of a recursive walk through values: throws ValueDepthError("maximum recursion depth
// exceeded" + context) past the bound. `context` is a string literal such as " in comparison".
class ValueRecursionGuard : boost::noncopyable {
 public:
  explicit ValueRecursionGuard(const char* context);
  ~ValueRecursionGuard();
};

// For Object::repr implementations that print contained values: marks `container` (any stable
// address standing for the object's contents) as being printed on this thread for the guard's
// lifetime. entered() is false when it already was, i.e. the object contains itself; print
// Python's marker (`{...}`) instead of recursing.
class ReprGuard : boost::noncopyable {
 public:
  explicit ReprGuard(const void* container);
  ~ReprGuard();
  bool entered() const { return entered_; }

 private:
  bool entered_;
};

// Allocation budget. While a ValueBudgetScope is active on this thread, the bytes of every
// string, list and dict a Value is constructed from (plus a small per-object overhead) are
// charged against it, and so is whatever ChargeValueBytes is told about (in-place growth);
// once the total passes the budget, ValueSizeError ("template allocations exceed the limit of
// N bytes"). The total counts allocations, not live memory, so it also bounds everything a
// render holds at once. Outside any scope nothing is counted.
class ValueBudgetScope {
 public:
  explicit ValueBudgetScope(size_t max_bytes);
  ~ValueBudgetScope();
  ValueBudgetScope(const ValueBudgetScope&) = delete;
  ValueBudgetScope& operator=(const ValueBudgetScope&) = delete;

 private:
  bool prev_active_;
  size_t prev_left_, prev_limit_;
};
void ChargeValueBytes(size_t n);

class Value {
 public:
  Value() = default;  // None
  // Destroying the last reference to a deeply nested list/dict releases its children
  // iteratively, so freeing a structure of any depth never recurses on the stack.
  ~Value() {
    if (kind_ >= Kind::Str) {
      if (kind_ != Kind::Str && kind_ != Kind::Object) ReleaseContainer();
      DestroyPtr();
    }
  }
  Value(const Value& o) : kind_(o.kind_), u_(o.u_) { CopyPtr(o); }
  // A moved-from Value is None.
  Value(Value&& o) noexcept : kind_(o.kind_), u_(o.u_) { TakePtr(o); }
  Value& operator=(const Value& o) {
    if (this != &o) *this = Value(o);
    return *this;
  }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      Value old(std::move(*this));  // released after the new content is in place
      kind_ = o.kind_;
      u_ = o.u_;
      TakePtr(o);
    }
    return *this;
  }
  Value(std::nullptr_t) {}
  Value(bool b) : kind_(Kind::Bool) { u_.b = b; }
  Value(int i) : kind_(Kind::Int) { u_.i = i; }
  Value(int64_t i) : kind_(Kind::Int) { u_.i = i; }
  Value(long long i) : kind_(Kind::Int) { u_.i = static_cast<int64_t>(i); }
  Value(double d) : kind_(Kind::Float) { u_.d = d; }
  Value(const char* s);
  Value(std::string s);
  Value(std::string_view s);
  Value(List list);
  Value(Dict dict);
  Value(std::shared_ptr<Object> obj);

  static Value MakeTuple(List items);
  static Value MakeDict();
  // Shares an existing string buffer (no copy).
  static Value FromSharedStr(std::shared_ptr<const std::string> s);

  Kind kind() const { return kind_; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  // int or float or bool (Python's numbers.Number, bool included).
  bool is_number() const {
    return kind_ == Kind::Int || kind_ == Kind::Float || kind_ == Kind::Bool;
  }
  bool is_str() const { return kind_ == Kind::Str; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_tuple() const { return kind_ == Kind::Tuple; }
  bool is_sequence() const { return kind_ == Kind::List || kind_ == Kind::Tuple; }
  bool is_dict() const { return kind_ == Kind::Dict; }
  bool is_object() const { return kind_ == Kind::Object; }

  // Accessors: precondition is the matching kind. It is not checked: another kind reads the
  // wrong union member or a null pointer.
  bool as_bool() const { return u_.b; }
  int64_t as_int() const { return u_.i; }
  double as_float() const { return u_.d; }
  // Numeric value as double for Int/Float/Bool.
  double to_double() const;
  const std::string& as_str() const { return *p_.str; }
  List& as_list() const { return *p_.list; }  // List or Tuple
  Dict& as_dict() const { return *p_.dict; }
  // The shared pointers (null for another kind).
  const std::shared_ptr<const std::string>& str_ptr() const {
    return kind_ == Kind::Str ? p_.str : kNoPtr<const std::string>;
  }
  const std::shared_ptr<Object>& as_object() const {
    return kind_ == Kind::Object ? p_.obj : kNoPtr<Object>;
  }
  const std::shared_ptr<List>& list_ptr() const {
    return kind_ == Kind::List || kind_ == Kind::Tuple ? p_.list : kNoPtr<List>;
  }
  const std::shared_ptr<Dict>& dict_ptr() const {
    return kind_ == Kind::Dict ? p_.dict : kNoPtr<Dict>;
  }

  // Python truthiness.
  bool truthy() const;
  // Python type name: 'NoneType', 'bool', 'int', 'float', 'str', 'list', 'tuple', 'dict', or the
  // object's own.
  std::string type_name() const;

  // Python str() and repr().
  std::string str() const;
  std::string repr() const;

  // Identity of containers (Python `is` for lists/dicts/objects; value identity for scalars).
  bool same(const Value& other) const;

  // Dict convenience: lookup by string key; nullptr when not a dict or missing.
  const Value* get(std::string_view key) const;

 private:
  template <typename T>
  static inline const std::shared_ptr<T> kNoPtr{};

  void ReleaseContainer() noexcept;
  bool is_container() const {
    return kind_ == Kind::List || kind_ == Kind::Tuple || kind_ == Kind::Dict;
  }
  // The pointer member of kind_ (Str and later kinds) is constructed exactly while kind_ says so.
  void CopyPtr(const Value& o) {
    switch (kind_) {
      case Kind::Str: new (&p_.str) std::shared_ptr<const std::string>(o.p_.str); break;
      case Kind::List:
      case Kind::Tuple: new (&p_.list) std::shared_ptr<List>(o.p_.list); break;
      case Kind::Dict: new (&p_.dict) std::shared_ptr<Dict>(o.p_.dict); break;
      case Kind::Object: new (&p_.obj) std::shared_ptr<Object>(o.p_.obj); break;
      default: break;
    }
  }
  // Moves o's pointer (kind_ already copied from o) and leaves o None.
  void TakePtr(Value& o) noexcept {
    switch (kind_) {
      case Kind::Str: new (&p_.str) std::shared_ptr<const std::string>(std::move(o.p_.str)); break;
      case Kind::List:
      case Kind::Tuple: new (&p_.list) std::shared_ptr<List>(std::move(o.p_.list)); break;
      case Kind::Dict: new (&p_.dict) std::shared_ptr<Dict>(std::move(o.p_.dict)); break;
      case Kind::Object: new (&p_.obj) std::shared_ptr<Object>(std::move(o.p_.obj)); break;
      default: return;
    }
    o.DestroyPtr();
    o.kind_ = Kind::None;
  }
  void DestroyPtr() noexcept {
    switch (kind_) {
      case Kind::Str: p_.str.~shared_ptr(); break;
      case Kind::List:
      case Kind::Tuple: p_.list.~shared_ptr(); break;
      case Kind::Dict: p_.dict.~shared_ptr(); break;
      case Kind::Object: p_.obj.~shared_ptr(); break;
      default: break;
    }
  }

  Kind kind_ = Kind::None;
  union {
    bool b;
    int64_t i;
    double d;
  } u_{};
  union Ptr {
    Ptr() noexcept {}
    ~Ptr() {}
    std::shared_ptr<const std::string> str;
    std::shared_ptr<List> list;
    std::shared_ptr<Dict> dict;
    std::shared_ptr<Object> obj;
  } p_;
};

// Python ==. Never fails: mismatched types are unequal (1 == 1.0 == True; 'a' != 97).
bool PyEquals(const Value& a, const Value& b);
// Python hash consistent with PyEquals (1, 1.0 and True hash equal). Lists and dicts are
// unhashable in Python; here they hash by content so they can still be used internally.
size_t PyHash(const Value& v);
// Python ordering for <, <=, >, >=. op is one of "<", "<=", ">", ">=". Returns TypeError
// ("'<' not supported between instances of 'str' and 'int'") for incomparable types.
Result<bool> PyCompare(const Value& a, const Value& b, std::string_view op);
// Three-way compare for sorting (-1, 0, 1); TypeError as above.
Result<int> PyCmp(const Value& a, const Value& b);

// Insertion-ordered dictionary with Python semantics (re-assigning a key keeps its position).
class Dict {
 public:
  using Entry = std::pair<Value, Value>;
  Dict() = default;

  size_t size() const { return entries_.size(); }
  // Reserves room for n entries (avoids reallocations when the size is known).
  void reserve(size_t n) { entries_.reserve(n); }
  bool empty() const { return entries_.empty(); }
  const std::vector<Entry>& entries() const { return entries_; }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

  // Lookup; nullptr when missing.
  const Value* find_item(const Value& key) const;
  const Value* find(std::string_view key) const;
  Value* find_mut(std::string_view key);
  bool contains_item(const Value& key) const { return find_item(key) != nullptr; }
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // Insert or replace (keeps the original position on replace).
  void set_item(Value key, Value value);
  void set(std::string_view key, Value value) { set_item(Value(key), std::move(value)); }
  // Remove; returns false when missing.
  bool erase_item(const Value& key);
  bool erase(std::string_view key) { return erase_item(Value(key)); }
  void clear();

 private:
  friend class Value;  // moves entries out when releasing a deep structure
  long index_of(const Value& key) const;
  long index_of_str(std::string_view key) const;
  void rebuild_index();
  void index_insert(size_t hash, uint32_t pos);

  std::vector<Entry> entries_;
  // Open-addressing table of entry positions + 1 (0 = empty), sized a power of two at least
  // twice the entry count. Maintained eagerly once the dict grows beyond a few entries, so
  // lookups never mutate and a dict can be read from several threads at once.
  std::vector<uint32_t> slots_;
};

// Extension point for values that are not plain data (template engine internals).
class Object {
 public:
  Object() = default;
  virtual ~Object() = default;
  // Which library's family of objects this is (0: none in particular), so a library can tell its
  // own objects apart without dynamic_cast on hot paths.
  uint8_t family() const { return family_; }
  virtual std::string type_name() const = 0;
  virtual std::string str() const { return repr(); }
  virtual std::string repr() const = 0;
  virtual bool truthy() const { return true; }
  virtual bool equals(const Value& other) const;
  virtual size_t hash() const { return reinterpret_cast<size_t>(this); }

 protected:
  explicit Object(uint8_t family) : family_(family) {}

 private:
  uint8_t family_ = 0;
};

// Appends Python str(v): a str as it is, an Object's str(), anything else as repr.
void AppendPyStr(std::string& out, const Value& v);
// Python float repr (shortest round trip): 1.0, 1e+16, 1e-05, inf, nan, -0.0.
std::string FloatRepr(double d);
// Number of Unicode code points in a UTF-8 string.
size_t Utf8Length(std::string_view s);

}  // namespace herald
