// The sandbox: Jinja2's SandboxedEnvironment attribute and item access. Attribute lookups reach
// only the attributes and methods this engine models (loop, namespace, cycler, range, macro, the
// Python methods of methods.cc and methods_str.cc); names starting with an underscore that name a
// method, and every
// `__dunder__` name, yield an undefined value that raises SecurityError ("access to attribute ...
// is unsafe") when used. The method allow-list itself is HasMethod (methods.cc); the range-size
// cap is in runtime.cc.
#include <string>
#include <string_view>

#include "jinja/errors.h"
#include "jinja/pyops.h"
#include "jinja/render.h"

namespace herald::jinja {

namespace {

bool IsDunder(std::string_view n) {
  return n.size() > 4 && n.substr(0, 2) == "__" && n.substr(n.size() - 2) == "__";
}

std::string ClassName(const Value& v) {
  if (const JObject* j = AsJ(v)) {
    if (j->okind == OK::kCallable && static_cast<const CallableObj*>(j)->IsClass()) return "type";
  }
  return TypeName(v);
}

Value Unsafe(bool strict, const Value& obj, const std::string& name) {
  return MakeUndefinedHint(strict,
                           "access to attribute " + StrRepr(name) + " of " +
                               StrRepr(ClassName(obj)) + " object is unsafe.",
                           "SecurityError");
}

Value BoundMethod(const Value& recv, const std::string& name) {
  return Value(std::shared_ptr<Object>(std::make_shared<BoundMethodObj>(recv, name)));
}

}  // namespace

Value Interp::GetAttr(const Value& obj, const std::string& name) {
  // Objects with their own attributes.
  if (const JObject* j = AsJ(obj)) {
    switch (j->okind) {
      case OK::kUndefined: ObjAs<UndefinedObj>(obj)->Fail();
      case OK::kLoop: {
        bool found = false;
        Value v = ObjAs<LoopObj>(obj)->Attr(*this, name, &found);
        if (found) return v;
        break;
      }
      case OK::kNamespace:
        if (const Value* v = ObjAs<NamespaceObj>(obj)->attrs.find(name)) return *v;
        break;
      case OK::kModule:
        if (const Value* v = ObjAs<ModuleObj>(obj)->exports.find(name)) return *v;
        break;
      case OK::kCycler: {
        CyclerObj* c = ObjAs<CyclerObj>(obj);
        if (name == "current") return c->items.empty() ? Value() : c->items[c->pos];
        if (name == "next" || name == "reset") return BoundMethod(obj, name);
        break;
      }
      case OK::kGroupTuple:
        if (name == "grouper") return ObjAs<GroupTupleObj>(obj)->grouper;
        if (name == "list") return ObjAs<GroupTupleObj>(obj)->list;
        if (name == "count" || name == "index") return BoundMethod(obj, name);
        break;
      case OK::kRange: {
        const RangeObj* r = ObjAs<RangeObj>(obj);
        if (name == "start") return Value(r->start);
        if (name == "stop") return Value(r->stop);
        if (name == "step") return Value(r->step);
        if (name == "count" || name == "index") return BoundMethod(obj, name);
        break;
      }
      case OK::kCallable: {
        const CallableObj* c = ObjAs<CallableObj>(obj);
        if (c->IsClass() && (name == "mro" || IsDunder(name))) return Unsafe(strict_, obj, name);
        if (IsDunder(name)) return Unsafe(strict_, obj, name);
        if (auto* r = dynamic_cast<SuperObjBase*>(ObjAs<CallableObj>(obj))) {
          bool found = false;
          Value v = r->Attr(*this, name, &found);
          if (found) return v;
        }
        if (auto* m = dynamic_cast<const MacroObj*>(c)) {
          if (name == "name") return m->def->name.empty() ? Value() : Value(m->def->name);
          if (name == "arguments") {
            List a;
            for (const auto& s : m->def->args) a.emplace_back(s);
            return Value::MakeTuple(std::move(a));
          }
          if (name == "catch_kwargs") return Value(m->def->catch_kwargs);
          if (name == "catch_varargs") return Value(m->def->catch_varargs);
          if (name == "caller") return Value(m->def->caller);
        }
        if (auto* jn = dynamic_cast<const JoinerObj*>(c)) {
          if (name == "sep") return Value(jn->sep);
        }
        break;
      }
      case OK::kMarkup:
      case OK::kDictView:
      case OK::kBytes:
      case OK::kGenerator: break;
    }
    if (HasMethod(obj, name) && name[0] != '_') return BoundMethod(obj, name);
    if (IsDunder(name)) return Unsafe(strict_, obj, name);
    return MakeUndefinedAttr(strict_, obj, Value(name));
  }
  if (HasMethod(obj, name)) {
    if (name[0] == '_') return Unsafe(strict_, obj, name);
    if (obj.is_int() || obj.is_bool() || obj.is_float()) {
      if (name == "real") return obj.is_bool() ? Value(static_cast<int64_t>(obj.as_bool())) : obj;
      if (name == "imag") return obj.is_float() ? Value(0.0) : Value(0);
      if (name == "numerator")
        return obj.is_bool() ? Value(static_cast<int64_t>(obj.as_bool())) : obj;
      if (name == "denominator") return Value(1);
    }
    return BoundMethod(obj, name);
  }
  if (IsDunder(name)) return Unsafe(strict_, obj, name);
  if (obj.is_dict()) {
    if (const Value* v = obj.as_dict().find(name)) return *v;
  }
  return MakeUndefinedAttr(strict_, obj, Value(name));
}

Value Interp::GetItem(const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case Kind::Dict: {
      bool hashable = !(key.is_list() || key.is_dict());
      if (hashable && key.is_tuple()) {
        for (const Value& k : key.as_list())
          if (k.is_list() || k.is_dict()) hashable = false;
      }
      if (hashable) {
        if (const Value* v = obj.as_dict().find_item(key)) return *v;
      }
      break;
    }
    case Kind::List:
    case Kind::Tuple: {
      int64_t i;
      if (!key.is_float() && AsInt64(key, &i)) {
        const List& l = obj.as_list();
        if (NormalizeIndex(static_cast<int64_t>(l.size()), &i)) return l[i];
      }
      break;
    }
    case Kind::Str: {
      int64_t i;
      if (!key.is_float() && AsInt64(key, &i)) {
        const std::string& s = obj.as_str();
        bool ascii = true;
        for (unsigned char c : s)
          if (c >= 0x80) {
            ascii = false;
            break;
          }
        if (ascii) {
          if (NormalizeIndex(static_cast<int64_t>(s.size()), &i)) return Value(s.substr(i, 1));
        } else {
          std::vector<Value> chars = Iterate(obj);
          if (NormalizeIndex(static_cast<int64_t>(chars.size()), &i)) return chars[i];
        }
      }
      break;
    }
    case Kind::Object: {
      const JObject* j = AsJ(obj);
      if (!j) break;
      if (j->okind == OK::kUndefined) ObjAs<UndefinedObj>(obj)->Fail();
      int64_t i;
      if (j->okind == OK::kMarkup && !key.is_float() && AsInt64(key, &i)) {
        std::vector<Value> chars = Iterate(obj);
        if (NormalizeIndex(static_cast<int64_t>(chars.size()), &i)) return chars[i];
      }
      if (j->okind == OK::kRange && !key.is_float() && AsInt64(key, &i)) {
        const RangeObj* r = ObjAs<RangeObj>(obj);
        if (NormalizeIndex(r->size(), &i)) return Value(r->at(i));
      }
      if (j->okind == OK::kGroupTuple && !key.is_float() && AsInt64(key, &i)) {
        if (NormalizeIndex(2, &i))
          return i == 0 ? ObjAs<GroupTupleObj>(obj)->grouper : ObjAs<GroupTupleObj>(obj)->list;
      }
      break;
    }
    default: break;
  }
  if (key.is_str()) {
    const std::string& name = key.as_str();
    // getattr fallback (only attributes that exist; dict items were tried above)
    if (obj.is_dict()) {
      if (HasMethod(obj, name)) {
        if (name[0] == '_') return Unsafe(strict_, obj, name);
        return BoundMethod(obj, name);
      }
      if (IsDunder(name)) return Unsafe(strict_, obj, name);
      return MakeUndefinedAttr(strict_, obj, key);
    }
    Value v = GetAttr(obj, name);
    if (IsUndefined(v) && !ObjAs<UndefinedObj>(v)->has_obj) return v;  // unsafe
    if (IsUndefined(v)) return MakeUndefinedAttr(strict_, obj, key);
    return v;
  }
  return MakeUndefinedAttr(strict_, obj, key);
}

}  // namespace herald::jinja
