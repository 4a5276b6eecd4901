// Engine-only values: Objects that give templates Python's behaviour beyond plain data
// (Undefined, Markup, big ints, ranges, dict views, callables, macros, loop contexts, namespaces,
// cyclers, joiners, imported template modules, bytes, one-shot generators, groupby tuples).
// Objects created during a render belong to that render; objects in a compiled template
// (constants) are immutable.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "jinja/ast.h"
#include "value/bigint.h"
#include "value/pystr.h"
#include "value/value.h"

namespace herald::jinja {

class Interp;

enum class OK : uint8_t {
  kUndefined,
  kMarkup,
  kRange,
  kDictView,
  kCallable,
  kLoop,
  kNamespace,
  kCycler,
  kModule,
  kBytes,
  kGenerator,
  kGroupTuple,
};

// Object::family() of every JObject.
constexpr uint8_t kJinjaFamily = 1;

class JObject : public Object {
 public:
  explicit JObject(OK k) : Object(kJinjaFamily), okind(k) {}
  const OK okind;
  // Jinja2's object_type_repr() text, e.g. "jinja2.utils.Namespace object".
  virtual std::string TypeRepr() const { return type_name() + " object"; }
  // Drops the values this object holds (called when the render that made it ends, to break
  // reference cycles).
  virtual void ReleaseRefs() {}
};

inline const JObject* AsJ(const Value& v) {
  if (!v.is_object()) return nullptr;
  const Object* o = v.as_object().get();
  return o->family() == kJinjaFamily ? static_cast<const JObject*>(o) : nullptr;
}
inline bool IsCallableKind(OK k) { return k == OK::kCallable || k == OK::kLoop; }
inline bool IsObj(const Value& v, OK k) {
  const JObject* j = AsJ(v);
  return j && j->okind == k;
}
template <typename T>
T* ObjAs(const Value& v) {
  return static_cast<T*>(v.as_object().get());
}

// ---- Undefined ----
class UndefinedObj : public JObject {
 public:
  UndefinedObj(bool strict) : JObject(OK::kUndefined), strict(strict) {}
  std::string type_name() const override { return strict ? "StrictUndefined" : "Undefined"; }
  std::string repr() const override { return "Undefined"; }
  std::string str() const override;  // "" (or raises when strict)
  bool truthy() const override;      // false (or raises when strict)
  bool equals(const Value& other) const override;
  size_t hash() const override { return 0x5bd1e995; }
  std::string Message() const;
  [[noreturn]] void Fail() const;

  bool strict;
  std::string hint;  // explicit message, when set
  bool has_obj = false;
  Value obj;   // object the failed lookup was on
  Value name;  // the missing name / attribute / key
  std::string exc = "UndefinedError";
};

Value MakeUndefined(bool strict, std::string name);  // "'name' is undefined"
Value MakeUndefinedHint(bool strict, std::string hint, std::string exc = "UndefinedError");
Value MakeUndefinedAttr(bool strict, const Value& obj, const Value& name);
inline bool IsUndefined(const Value& v) { return IsObj(v, OK::kUndefined); }

// ---- Markup ----
class MarkupObj : public JObject {
 public:
  explicit MarkupObj(std::string s) : JObject(OK::kMarkup), s(std::move(s)) {}
  std::string type_name() const override { return "Markup"; }
  std::string TypeRepr() const override { return "markupsafe.Markup object"; }
  std::string str() const override { return s; }
  std::string repr() const override { return "Markup(" + StrRepr(s) + ")"; }
  bool truthy() const override { return !s.empty(); }
  bool equals(const Value& other) const override;
  size_t hash() const override;
  std::string s;
};
Value MakeMarkup(std::string s);
inline bool IsMarkup(const Value& v) { return IsObj(v, OK::kMarkup); }
// HtmlEscape (markupsafe.escape) is common/strings.h's.
// str or Markup text; nullptr for anything else.
inline const std::string* StrLike(const Value& v) {
  if (v.is_str()) return &v.as_str();
  if (IsMarkup(v)) return &ObjAs<MarkupObj>(v)->s;
  return nullptr;
}

// ---- big ints (value/bigint.h) ----
// Integer literal text (decimal or 0x/0o/0b, no underscores) to an int Value.
Value IntFromLiteral(const std::string& text);
// Python int (incl. bool and big ints)?
inline bool IsIntLike(const Value& v) { return v.is_int() || v.is_bool() || IsBigInt(v); }

// ---- range ----
class RangeObj : public JObject {
 public:
  RangeObj(int64_t a, int64_t b, int64_t c) : JObject(OK::kRange), start(a), stop(b), step(c) {}
  std::string type_name() const override { return "range"; }
  std::string repr() const override;
  bool truthy() const override { return size() > 0; }
  bool equals(const Value& other) const override;
  int64_t size() const;
  int64_t at(int64_t i) const { return start + i * step; }
  int64_t start, stop, step;
};

// ---- dict views ----
class DictViewObj : public JObject {
 public:
  enum Which { kKeys, kValues, kItems };
  DictViewObj(Which w, Value d) : JObject(OK::kDictView), which(w), dict(std::move(d)) {}
  std::string type_name() const override {
    return which == kKeys ? "dict_keys" : which == kValues ? "dict_values" : "dict_items";
  }
  std::string repr() const override;
  bool truthy() const override { return !dict.as_dict().empty(); }
  std::vector<Value> Items() const;
  Which which;
  Value dict;
};

// ---- callables ----
struct CallValues {
  std::vector<Value> args;
  std::vector<std::pair<std::string, Value>> kwargs;
  const Value* Kw(std::string_view k) const {
    for (const auto& p : kwargs)
      if (p.first == k) return &p.second;
    return nullptr;
  }
};

class CallableObj : public JObject {
 public:
  CallableObj() : JObject(OK::kCallable) {}
  explicit CallableObj(OK k) : JObject(k) {}
  virtual Value Call(Interp& in, CallValues& a) = 0;
  // Sandbox: attribute lookups on the callable ("mro", "__init__", ...). Default: none.
  virtual bool IsClass() const { return false; }
};

// Base of block and template references (super, self): attributes of their own, and scope
// references the renderer breaks when the render ends.
class SuperObjBase : public CallableObj {
 public:
  virtual void Clear() = 0;
  void ReleaseRefs() override { Clear(); }
  // The attribute `name` (*found = true), or *found = false when it has none by that name.
  virtual Value Attr(Interp& in, const std::string& name, bool* found) = 0;
};

// A builtin function or class (globals such as range, dict, cycler, lipsum).
class BuiltinObj : public CallableObj {
 public:
  using Fn = Value (*)(Interp& in, CallValues& a);
  BuiltinObj(std::string name, Fn fn, bool is_class, std::string qual)
      : name(std::move(name)), fn(fn), is_class(is_class), qual(std::move(qual)) {}
  std::string type_name() const override { return is_class ? "type" : "function"; }
  std::string repr() const override {
    return is_class ? "<class '" + qual + "'>" : "<function " + name + ">";
  }
  Value Call(Interp& in, CallValues& a) override { return fn(in, a); }
  bool IsClass() const override { return is_class; }
  std::string name;
  Fn fn;
  bool is_class;
  std::string qual;
};

// A method bound to a receiver (str/list/dict/number methods, cycler.next, ...).
class BoundMethodObj : public CallableObj {
 public:
  BoundMethodObj(Value recv, std::string name) : recv(std::move(recv)), name(std::move(name)) {}
  std::string type_name() const override { return "builtin_function_or_method"; }
  std::string repr() const override {
    return "<built-in method " + name + " of " + recv.type_name() + " object>";
  }
  Value Call(Interp& in, CallValues& a) override;
  Value recv;
  std::string name;
};

struct Scope;
// A {% macro %} (or the caller of a {% call %} block).
class MacroObj : public CallableObj {
 public:
  MacroObj(std::shared_ptr<const MacroDef> def, std::shared_ptr<Scope> closure, bool autoescape)
      : def(std::move(def)), closure(std::move(closure)), autoescape(autoescape) {}
  std::string type_name() const override { return "Macro"; }
  std::string TypeRepr() const override { return "jinja2.runtime.Macro object"; }
  // The caller of a {% call %} block is anonymous (its name is None).
  std::string repr() const override {
    return def->name.empty() ? "<Macro anonymous>" : "<Macro " + StrRepr(def->name) + ">";
  }
  Value Call(Interp& in, CallValues& a) override;
  std::shared_ptr<const MacroDef> def;
  std::shared_ptr<Scope> closure;
  Value caller;  // for call blocks: the caller macro passed implicitly
  bool autoescape;
  const struct TemplateImpl* tmpl = nullptr;  // template whose globals the body sees
  std::shared_ptr<Scope> globals;             // that template's top-level scope
  // The blocks and top-level scope of the run that defined the macro ({% block %} in its body).
  std::shared_ptr<BlockMap> blocks;
  std::shared_ptr<Scope> run_root;
  void ReleaseRefs() override {
    closure.reset();
    run_root.reset();
    caller = Value();
  }
};

// for-loop context (`loop`).
class LoopObj : public CallableObj, public std::enable_shared_from_this<LoopObj> {
 public:
  LoopObj() : CallableObj(OK::kLoop) {}
  std::string type_name() const override { return "LoopContext"; }
  std::string TypeRepr() const override { return "jinja2.runtime.LoopContext object"; }
  std::string repr() const override {
    return "<LoopContext " + std::to_string(index0 + 1) + "/" + std::to_string(items.size()) + ">";
  }
  Value Call(Interp& in, CallValues& a) override;  // recursive loop call
  Value Attr(Interp& in, std::string_view name, bool* found);
  std::vector<Value> items;
  size_t index0 = 0;
  int depth0 = 0;
  bool recursive = false;
  const ForStmt* stmt = nullptr;
  std::shared_ptr<Scope> scope;  // scope the loop body runs in (for recursion)
  bool has_last_changed = false;
  Value last_changed;
  void ReleaseRefs() override {
    items.clear();
    scope.reset();
    last_changed = Value();
  }
};

class NamespaceObj : public JObject {
 public:
  NamespaceObj() : JObject(OK::kNamespace) {}
  std::string type_name() const override { return "Namespace"; }
  std::string TypeRepr() const override { return "jinja2.utils.Namespace object"; }
  std::string repr() const override;
  void ReleaseRefs() override { attrs.clear(); }
  Dict attrs;
};

class CyclerObj : public JObject {
 public:
  CyclerObj() : JObject(OK::kCycler) {}
  std::string type_name() const override { return "Cycler"; }
  std::string TypeRepr() const override { return "jinja2.utils.Cycler object"; }
  std::string repr() const override { return "<jinja2.utils.Cycler object>"; }
  void ReleaseRefs() override { items.clear(); }
  std::vector<Value> items;
  size_t pos = 0;
};

class JoinerObj : public CallableObj {
 public:
  std::string type_name() const override { return "Joiner"; }
  std::string TypeRepr() const override { return "jinja2.utils.Joiner object"; }
  std::string repr() const override { return "<jinja2.utils.Joiner object>"; }
  Value Call(Interp& in, CallValues& a) override;
  std::string sep = ", ";
  bool used = false;
};

// An imported template ({% import 'x' as m %}).
class ModuleObj : public JObject {
 public:
  ModuleObj() : JObject(OK::kModule) {}
  std::string type_name() const override { return "TemplateModule"; }
  std::string TypeRepr() const override { return "jinja2.environment.TemplateModule object"; }
  std::string repr() const override { return "<Template " + StrRepr(name) + ">"; }
  std::string str() const override { return body; }
  std::string name;
  std::string body;  // rendered output of the module
  Dict exports;
  void ReleaseRefs() override { exports.clear(); }
};

class BytesObj : public JObject {
 public:
  explicit BytesObj(std::string b) : JObject(OK::kBytes), b(std::move(b)) {}
  std::string type_name() const override { return "bytes"; }
  std::string repr() const override { return BytesRepr(b); }
  bool truthy() const override { return !b.empty(); }
  std::string b;
};

// A one-shot iterator (what Jinja2 filters such as map/select/batch return).
class GeneratorObj : public JObject {
 public:
  GeneratorObj(std::vector<Value> items, std::string type)
      : JObject(OK::kGenerator), items(std::move(items)), type(std::move(type)) {}
  std::string type_name() const override { return type; }
  std::string repr() const override { return "<" + type + " object>"; }
  std::vector<Value> Take() {
    std::vector<Value> out = std::move(items);
    items.clear();
    return out;
  }
  std::vector<Value> items;
  std::string type;
};
Value MakeGenerator(std::vector<Value> items, std::string type = "generator");

// groupby's (grouper, list) named tuple.
class GroupTupleObj : public JObject {
 public:
  GroupTupleObj(Value g, Value l)
      : JObject(OK::kGroupTuple), grouper(std::move(g)), list(std::move(l)) {}
  std::string type_name() const override { return "_GroupTuple"; }
  std::string TypeRepr() const override { return "jinja2.filters._GroupTuple object"; }
  std::string repr() const override { return "(" + grouper.repr() + ", " + list.repr() + ")"; }
  bool equals(const Value& other) const override;
  Value grouper, list;
};

}  // namespace herald::jinja
