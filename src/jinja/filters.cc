// The built-in filters (jinja2.filters.FILTERS, 54 names) plus NetBox's `env`, registered in
// one table (RegisterBuiltinFilters, below). Each follows Jinja2 3.1's implementation semantics
// with Python value rules. The filters live by family: filters_text.cc (strings and escaping),
// filters_number.cc (numbers), filters_seq.cc (sequences) and this file (default, attr, env,
// pprint); what they share is filter_support.h. NetBox's `header_safe` is not built in:
// AddHeaderSafeFilter (environment.cc) adds it to the header environment only.
#include <fnmatch.h>
#include <cstdlib>

#include "jinja/filter_support.h"
#include "jinja/pprint.h"

namespace herald::jinja {

namespace filters {

// ---- misc ----

Value FDefault(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_default", a, {"default_value", "boolean"}, p);
  if (IsUndefined(v) || (BoolParam(p[1], false) && !Truthy(v))) return p[0] ? *p[0] : Value("");
  return v;
}

Value FAttr(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_attr", a, {"name"}, p);
  if (!p[0]) ThrowType("do_attr() missing 1 required positional argument: 'name'");
  std::string name = ToStr(*p[0]);
  if (IsUndefined(v)) ObjAs<UndefinedObj>(v)->Fail();
  bool exists = HasMethod(v, name) || (name.size() > 4 && name.compare(0, 2, "__") == 0);
  if (!exists && AsJ(v)) {
    Value r = in.GetAttr(v, name);
    if (!IsUndefined(r) || !ObjAs<UndefinedObj>(r)->has_obj) return r;
  }
  if (!exists) return MakeUndefinedAttr(in.strict(), v, Value(name));
  return in.GetAttr(v, name);
}

Value FEnv(Interp& in, const Value& v, Args& a) {
  std::string name = ToStr(v);
  for (const auto& pat : in.env().options.env_filter_patterns) {
    if (fnmatch(pat.c_str(), name.c_str(), 0) == 0) {
      const char* val = std::getenv(name.c_str());
      if (val) return Value(std::string(val));
      return Value();
    }
  }
  return Value();
}

Value FPprint(Interp&, const Value& v, Args& a) { return Value(PPrint(v)); }

}  // namespace filters

void RegisterBuiltinFilters(std::map<std::string, FilterDef>& out) {
  using namespace filters;  // the F<Name> functions named below
  auto add = [&](const char* name, BuiltinFilter f) { out[name] = FilterDef{name, f, nullptr}; };
  add("abs", FAbs);
  add("attr", FAttr);
  add("batch", FBatch);
  add("capitalize", FCapitalize);
  add("center", FCenter);
  add("count", FLength);
  add("d", FDefault);
  add("default", FDefault);
  add("dictsort", FDictsort);
  add("e", FEscape);
  add("escape", FEscape);
  add("filesizeformat", FFilesizeformat);
  add("first", FFirst);
  add("float", FFloat);
  add("forceescape", FForceescape);
  add("format", FFormat);
  add("groupby", FGroupby);
  add("indent", FIndent);
  add("int", FInt);
  add("items", FItems);
  add("join", FJoin);
  add("last", FLast);
  add("length", FLength);
  add("list", FList);
  add("lower", FLower);
  add("map", FMap);
  add("max", FMax);
  add("min", FMin);
  add("pprint", FPprint);
  add("random", FRandom);
  add("reject", FReject);
  add("rejectattr", FRejectattr);
  add("replace", FReplace);
  add("reverse", FReverse);
  add("round", FRound);
  add("safe", FSafe);
  add("select", FSelect);
  add("selectattr", FSelectattr);
  add("slice", FSlice);
  add("sort", FSort);
  add("string", FString);
  add("striptags", FStriptags);
  add("sum", FSum);
  add("title", FTitle);
  add("tojson", FTojson);
  add("trim", FTrim);
  add("truncate", FTruncate);
  add("unique", FUnique);
  add("upper", FUpper);
  // Printed straight into the output (FilterDef::append).
  out["tojson"].append = ATojson;
  out["tojson"].append_markup = true;
  out["upper"].append = AUpper;
  add("urlencode", FUrlencode);
  add("urlize", FUrlize);
  add("wordcount", FWordcount);
  add("wordwrap", FWordwrap);
  add("xmlattr", FXmlattr);
  add("env", FEnv);  // NetBox: registered by default
}

}  // namespace herald::jinja
