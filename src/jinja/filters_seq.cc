// The built-in sequence filters (length, list, first, last, random, reverse, join, batch,
// slice, sort, dictsort, items, unique, min, max, groupby, map, select, reject, selectattr,
// rejectattr) with Jinja2 3.1's semantics: Python's stable sort order, Jinja2's attribute paths
// ("a.b.0"), generators where Jinja2 returns an iterator, and item counts checked against the
// limits.
#include <algorithm>
#include <random>

#include "jinja/filter_support.h"
#include "jinja/limits.h"
#include "jinja/ucd.h"
#include "value/pystr.h"

namespace herald::jinja::filters {

namespace {

std::vector<Value> Reversed(const Value& v, bool for_last) {
  if (v.is_str() || IsMarkup(v) || v.is_list() || v.is_tuple() || v.is_dict() ||
      IsObj(v, OK::kRange) || IsObj(v, OK::kUndefined) || IsObj(v, OK::kDictView) ||
      IsObj(v, OK::kGroupTuple)) {
    std::vector<Value> items = Iterate(v);
    std::reverse(items.begin(), items.end());
    return items;
  }
  if (for_last) ThrowType("'" + TypeName(v) + "' object is not reversible");
  if (!IsIterable(v)) FilterArgError("argument must be iterable");
  std::vector<Value> items = Iterate(v);
  std::reverse(items.begin(), items.end());
  return items;
}

Value MinMax(Interp& in, const Value& v, Args& a, bool is_max) {
  P p;
  BindArgs(is_max ? "do_max" : "do_min", a, {"case_sensitive", "attribute"}, p);
  std::vector<Value> items = Iterate(v);
  if (items.empty()) return in.UndefinedHint("No aggregated item, sequence was empty.");
  AttrGetter get;
  get.lower = !BoolParam(p[0], false);
  if (p[1] && !p[1]->is_none()) get.parts = AttrParts(*p[1]);
  size_t best = 0;
  Value best_key = get(in, items[0]);
  for (size_t i = 1; i < items.size(); ++i) {
    Value k = get(in, items[i]);
    if (CompareOp(is_max ? CmpOp::kGt : CmpOp::kLt, k, best_key)) {
      best = i;
      best_key = k;
    }
  }
  return items[best];
}

Value SelectReject(Interp& in, const Value& v, Args& a, bool select, bool attr) {
  if (!Truthy(v)) return MakeGenerator({});
  AttrGetter get;
  size_t off = 0;
  if (attr) {
    if (a.args.empty()) FilterArgError("Missing parameter for attribute name");
    get.parts = AttrParts(a.args[0]);
    off = 1;
  }
  bool has_test = a.args.size() > off;
  std::string test = has_test ? ToStr(a.args[off]) : "";
  CallValues rest;
  if (has_test) rest.args.assign(a.args.begin() + off + 1, a.args.end());
  rest.kwargs = a.kwargs;
  std::vector<Value> out;
  for (const Value& item : Iterate(v)) {
    Value x = attr ? get(in, item) : item;
    bool r;
    if (has_test) {
      CallValues copy = rest;
      r = in.CallTest(test, x, copy);
    } else {
      r = Truthy(x);
    }
    if (r == select) out.push_back(item);
  }
  return MakeGenerator(std::move(out));
}

}  // namespace

// ---- sequences ----

Value FLength(Interp&, const Value& v, Args& a) { return Value(static_cast<int64_t>(Len(v))); }

Value FList(Interp&, const Value& v, Args& a) { return Value(Iterate(v)); }

Value FFirst(Interp& in, const Value& v, Args& a) {
  if (IsObj(v, OK::kGenerator)) {
    GeneratorObj* g = ObjAs<GeneratorObj>(v);
    if (g->items.empty()) return in.UndefinedHint("No first item, sequence was empty.");
    Value f = g->items.front();
    g->items.erase(g->items.begin());
    return f;
  }
  std::vector<Value> items = Iterate(v);
  if (items.empty()) return in.UndefinedHint("No first item, sequence was empty.");
  return items.front();
}

Value FLast(Interp& in, const Value& v, Args& a) {
  std::vector<Value> items = Reversed(v, true);
  if (items.empty()) return in.UndefinedHint("No last item, sequence was empty.");
  return items.front();
}

Value FRandom(Interp& in, const Value& v, Args& a) {
  std::vector<Value> items;
  if (v.is_str() || v.is_list() || v.is_tuple() || IsMarkup(v) || IsObj(v, OK::kRange)) {
    items = Iterate(v);
  } else if (IsUndefined(v)) {
    items = Iterate(v);
  } else {
    Len(v);  // raises TypeError for non-sequences
    ThrowType("'" + TypeName(v) + "' object is not subscriptable");
  }
  if (items.empty()) return in.UndefinedHint("No random item, sequence was empty.");
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return items[rng() % items.size()];
}

Value FReverse(Interp&, const Value& v, Args& a) {
  if (v.is_str()) {
    std::vector<uint32_t> cps = ucd::Decode(v.as_str());
    std::reverse(cps.begin(), cps.end());
    return Value(ucd::Encode(cps));
  }
  if (IsMarkup(v)) {
    std::vector<uint32_t> cps = ucd::Decode(ObjAs<MarkupObj>(v)->s);
    std::reverse(cps.begin(), cps.end());
    return MakeMarkup(ucd::Encode(cps));
  }
  bool lazy = !IsObj(v, OK::kGenerator);
  std::vector<Value> items = Reversed(v, false);
  if (!lazy) return Value(std::move(items));
  return MakeGenerator(std::move(items),
                       v.is_dict() ? "dict_reversekeyiterator" : "list_reverseiterator");
}

Value FJoin(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_join", a, {"d", "attribute"}, p);
  std::string d = p[0] ? ToStr(*p[0]) : "";
  std::vector<Value> items = Iterate(v);
  if (p[1] && !p[1]->is_none()) {
    AttrGetter get;
    get.parts = AttrParts(*p[1]);
    for (Value& x : items) x = get(in, x);
  }
  if (in.autoescape()) {
    bool any_markup = p[0] && IsMarkup(*p[0]);
    for (const Value& x : items)
      if (IsMarkup(x)) any_markup = true;
    if (any_markup) {
      std::string sep = p[0] && IsMarkup(*p[0]) ? d : HtmlEscape(d);
      std::string out;
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += sep;
        out += IsMarkup(items[i]) ? ToStr(items[i]) : HtmlEscape(ToStr(items[i]));
      }
      return MakeMarkup(std::move(out));
    }
  }
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += d;
    AppendStr(out, items[i]);
    CheckSize(out.size());
  }
  return Value(std::move(out));
}

Value FBatch(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_batch", a, {"linecount", "fill_with"}, p);
  if (!p[0]) ThrowType("do_batch() missing 1 required positional argument: 'linecount'");
  // Python compares the batch length with any int; a huge one just means "one batch".
  int64_t n = p[0] && IsBigInt(*p[0]) ? (BigIntOf(*p[0]).negative() ? INT64_MIN : INT64_MAX)
                                      : IntParam(p[0], 1);
  std::vector<Value> out;
  List cur;
  for (Value& item : Iterate(v)) {
    if (static_cast<int64_t>(cur.size()) == n) {
      out.push_back(Value(std::move(cur)));
      cur.clear();
    }
    cur.push_back(std::move(item));
  }
  if (!cur.empty()) {
    if (p[1] && !p[1]->is_none() && static_cast<int64_t>(cur.size()) < n) {
      CheckItems(static_cast<size_t>(n));
      while (static_cast<int64_t>(cur.size()) < n) cur.push_back(*p[1]);
    }
    out.push_back(Value(std::move(cur)));
  }
  return MakeGenerator(std::move(out));
}

Value FSlice(Interp&, const Value& v, Args& a) {
  P p;
  BindArgs("do_slice", a, {"slices", "fill_with"}, p);
  if (!p[0]) ThrowType("do_slice() missing 1 required positional argument: 'slices'");
  int64_t slices = IntParam(p[0], 1);
  std::vector<Value> seq = Iterate(v);
  int64_t length = static_cast<int64_t>(seq.size());
  if (slices == 0) Throw("ZeroDivisionError", "integer division or modulo by zero");
  if (slices < 0 || slices > 100000) ThrowLimit("slice count too large");
  int64_t per = length / slices, extra = length % slices;
  if (per * slices > length) {
    --per;
    extra += slices;
  }
  int64_t offset = 0;
  std::vector<Value> out;
  for (int64_t n = 0; n < slices; ++n) {
    int64_t start = offset + n * per;
    if (n < extra) ++offset;
    int64_t end = offset + (n + 1) * per;
    List tmp;
    for (int64_t i = std::max<int64_t>(start, 0); i < std::min(end, length); ++i)
      tmp.push_back(seq[i]);
    if (p[1] && !p[1]->is_none() && n >= extra) tmp.push_back(*p[1]);
    out.push_back(Value(std::move(tmp)));
  }
  return MakeGenerator(std::move(out));
}

Value FSort(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_sort", a, {"reverse", "case_sensitive", "attribute"}, p);
  bool reverse = BoolParam(p[0], false), cs = BoolParam(p[1], false);
  std::vector<AttrGetter> getters;
  if (p[2] && !p[2]->is_none() && StrLike(*p[2])) {
    const std::string& s = *StrLike(*p[2]);
    size_t i = 0;
    while (true) {
      size_t j = s.find(',', i);
      AttrGetter g;
      g.parts = AttrParts(Value(s.substr(i, j == std::string::npos ? std::string::npos : j - i)));
      g.lower = !cs;
      getters.push_back(g);
      if (j == std::string::npos) break;
      i = j + 1;
    }
  } else {
    AttrGetter g;
    if (p[2] && !p[2]->is_none()) g.parts = AttrParts(*p[2]);
    g.lower = !cs;
    getters.push_back(g);
  }
  std::vector<Value> items = Iterate(v);
  PySort(
      items,
      [&](const Value& x) {
        List k;
        for (const auto& g : getters) k.push_back(g(in, x));
        return Value(std::move(k));
      },
      reverse);
  return Value(std::move(items));
}

Value FDictsort(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_dictsort", a, {"case_sensitive", "by", "reverse"}, p);
  bool cs = BoolParam(p[0], false), reverse = BoolParam(p[2], false);
  std::string by = p[1] ? ToStr(*p[1]) : "key";
  int pos;
  if (by == "key") pos = 0;
  else if (by == "value") pos = 1;
  else FilterArgError("You can only sort by either \"key\" or \"value\"");
  if (!v.is_dict()) {
    FailIfUndef(v);
    ThrowNoAttr(v, "items");
  }
  std::vector<Value> items;
  for (const auto& [k, x] : v.as_dict()) items.push_back(Value::MakeTuple({k, x}));
  PySort(
      items,
      [&](const Value& t) {
        Value x = t.as_list()[pos];
        return cs ? x : IgnoreCase(x);
      },
      reverse);
  return Value(std::move(items));
}

Value FItems(Interp&, const Value& v, Args& a) {
  if (IsUndefined(v)) return MakeGenerator({});
  if (!v.is_dict()) ThrowType("Can only get item pairs from a mapping.");
  std::vector<Value> items;
  for (const auto& [k, x] : v.as_dict()) items.push_back(Value::MakeTuple({k, x}));
  return MakeGenerator(std::move(items));
}

Value FUnique(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_unique", a, {"case_sensitive", "attribute"}, p);
  AttrGetter get;
  get.lower = !BoolParam(p[0], false);
  if (p[1] && !p[1]->is_none()) get.parts = AttrParts(*p[1]);
  std::vector<Value> seen, out;
  for (const Value& item : Iterate(v)) {
    Value key = get(in, item);
    CheckHashable(key);
    bool dup = false;
    for (const Value& s : seen)
      if (Eq(s, key)) {
        dup = true;
        break;
      }
    if (!dup) {
      seen.push_back(key);
      out.push_back(item);
    }
  }
  return MakeGenerator(std::move(out));
}

Value FMax(Interp& in, const Value& v, Args& a) { return MinMax(in, v, a, true); }
Value FMin(Interp& in, const Value& v, Args& a) { return MinMax(in, v, a, false); }

Value FGroupby(Interp& in, const Value& v, Args& a) {
  P p;
  BindArgs("do_groupby", a, {"attribute", "default", "case_sensitive"}, p);
  if (!p[0]) ThrowType("do_groupby() missing 1 required positional argument: 'attribute'");
  bool cs = BoolParam(p[2], false);
  AttrGetter key;
  key.parts = AttrParts(*p[0]);
  key.lower = !cs;
  key.dflt = p[1] && !p[1]->is_none() ? p[1] : nullptr;
  AttrGetter out_key = key;
  out_key.lower = false;
  std::vector<Value> items = Iterate(v);
  PySort(
      items, [&](const Value& x) { return key(in, x); }, false);
  std::vector<Value> groups;
  size_t i = 0;
  while (i < items.size()) {
    Value k = key(in, items[i]);
    List members{items[i]};
    size_t j = i + 1;
    while (j < items.size() && Eq(key(in, items[j]), k)) members.push_back(items[j++]);
    Value grouper = cs ? k : out_key(in, items[i]);
    groups.push_back(Value(std::shared_ptr<Object>(
        std::make_shared<GroupTupleObj>(grouper, Value(std::move(members))))));
    i = j;
  }
  return Value(std::move(groups));
}

Value FMap(Interp& in, const Value& v, Args& a) {
  std::vector<Value> out;
  if (!Truthy(v)) return MakeGenerator({});
  if (a.args.empty() && a.Kw("attribute")) {
    AttrGetter get;
    get.parts = AttrParts(*a.Kw("attribute"));
    get.dflt = a.Kw("default");
    for (const auto& [k, x] : a.kwargs) {
      if (k != "attribute" && k != "default")
        FilterArgError("Unexpected keyword argument " + StrRepr(k));
    }
    for (const Value& item : Iterate(v)) out.push_back(get(in, item));
    return MakeGenerator(std::move(out));
  }
  if (a.args.empty()) FilterArgError("map requires a filter argument");
  std::string name = ToStr(a.args[0]);
  CallValues rest;
  rest.args.assign(a.args.begin() + 1, a.args.end());
  rest.kwargs = a.kwargs;
  for (const Value& item : Iterate(v)) {
    CallValues copy = rest;
    out.push_back(in.CallFilter(name, item, copy));
  }
  return MakeGenerator(std::move(out));
}

Value FSelect(Interp& in, const Value& v, Args& a) { return SelectReject(in, v, a, true, false); }
Value FReject(Interp& in, const Value& v, Args& a) { return SelectReject(in, v, a, false, false); }
Value FSelectattr(Interp& in, const Value& v, Args& a) {
  return SelectReject(in, v, a, true, true);
}
Value FRejectattr(Interp& in, const Value& v, Args& a) {
  return SelectReject(in, v, a, false, true);
}

}  // namespace herald::jinja::filters
