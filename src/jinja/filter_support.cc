// The helpers shared by the built-in filter files (see filter_support.h).
#include "jinja/filter_support.h"

#include "jinja/ucd.h"
#include "value/pystr.h"

namespace herald::jinja::filters {

[[noreturn]] void ThrowNoAttr(const Value& v, const char* name) {
  if (IsObj(v, OK::kNamespace)) Throw("AttributeError", name);
  Throw("AttributeError", "'" + TypeName(v) + "' object has no attribute '" + name + "'");
}

[[noreturn]] void FilterArgError(const std::string& m) { Throw("FilterArgumentError", m); }

void FailIfUndef(const Value& v) {
  if (IsUndefined(v)) ObjAs<UndefinedObj>(v)->Fail();
}

Value SoftStr(const Value& v) {
  if (v.is_str() || IsMarkup(v)) return v;
  return Value(ToStr(v));
}
Value Wrap(const Value& like, std::string s) {
  return IsMarkup(like) ? MakeMarkup(std::move(s)) : Value(std::move(s));
}

int64_t IntParam(const Value* v, int64_t dflt, const char* what) {
  if (!v) return dflt;
  int64_t i;
  if (v->is_float()) return static_cast<int64_t>(v->as_float());
  if (!AsInt64(*v, &i)) {
    FailIfUndef(*v);
    ThrowType("'" + TypeName(*v) + "' object cannot be interpreted as an integer");
  }
  return i;
}

std::vector<Value> AttrParts(const Value& attr) {
  std::vector<Value> parts;
  if (attr.is_none()) return parts;
  if (const std::string* s = StrLike(attr)) {
    size_t i = 0;
    while (true) {
      size_t j = s->find('.', i);
      std::string part = s->substr(i, j == std::string::npos ? std::string::npos : j - i);
      bool digits = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
      if (digits) parts.push_back(IntFromLiteral(part));
      else parts.emplace_back(part);
      if (j == std::string::npos) break;
      i = j + 1;
    }
    return parts;
  }
  parts.push_back(attr);
  return parts;
}

Value IgnoreCase(const Value& v) {
  if (v.is_str()) return Value(ucd::Lower(v.as_str()));
  if (IsMarkup(v)) return MakeMarkup(ucd::Lower(ObjAs<MarkupObj>(v)->s));
  return v;
}

Value AttrGetter::operator()(Interp& in, const Value& item) const {
  Value cur = item;
  for (const Value& p : parts) {
    cur = in.GetItem(cur, p);
    if (dflt && IsUndefined(cur)) cur = *dflt;
  }
  if (lower) cur = IgnoreCase(cur);
  return cur;
}

}  // namespace herald::jinja::filters
