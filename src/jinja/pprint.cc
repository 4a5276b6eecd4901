// Python's pprint.pformat for the `pprint` filter.
#include "jinja/pprint.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "jinja/errors.h"
#include "jinja/limits.h"
#include "jinja/pyops.h"
#include "value/value.h"

namespace herald::jinja {

namespace {

// Python's pprint: containers being printed are tracked (by identity) and a self-reference
// prints "<Recursion on list with id=...>"; nesting is bounded by ValueRecursionGuard.

using PContext = std::vector<const void*>;

const void* PId(const Value& v) {
  if (v.is_dict()) return v.dict_ptr().get();
  if (v.is_list() || v.is_tuple()) return v.list_ptr().get();
  return nullptr;
}

bool PInContext(const PContext& ctx, const void* id) {
  return id && std::find(ctx.begin(), ctx.end(), id) != ctx.end();
}

std::string PRecursion(const Value& v) {
  return "<Recursion on " + v.type_name() +
         " with id=" + std::to_string(reinterpret_cast<uintptr_t>(PId(v))) + ">";
}

// Pushes a container on the context for the lifetime of the object.
struct PEnter {
  PEnter(PContext& c, const void* id) : ctx(c) { ctx.push_back(id); }
  ~PEnter() { ctx.pop_back(); }
  PContext& ctx;
};

std::string PRepr(const Value& v, PContext& ctx);

std::string PReprDict(const Value& v, PContext& ctx) {
  std::vector<Value> keys;
  for (const auto& e : v.as_dict()) keys.push_back(e.first);
  try {
    PySort(keys, nullptr, false);
  } catch (const PyError&) {
  }
  PEnter enter(ctx, PId(v));
  std::string s = "{";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) s += ", ";
    s += PRepr(keys[i], ctx) + ": " + PRepr(*v.as_dict().find_item(keys[i]), ctx);
    CheckSize(s.size());
  }
  return s + "}";
}

std::string PRepr(const Value& v, PContext& ctx) {
  ValueRecursionGuard guard("");
  if ((v.is_dict() || v.is_sequence()) && PInContext(ctx, PId(v))) return PRecursion(v);
  if (v.is_dict()) return PReprDict(v, ctx);
  if (v.is_list() || v.is_tuple()) {
    const List& l = v.as_list();
    PEnter enter(ctx, PId(v));
    std::string s = v.is_list() ? "[" : "(";
    for (size_t i = 0; i < l.size(); ++i) {
      if (i) s += ", ";
      s += PRepr(l[i], ctx);
      CheckSize(s.size());
    }
    if (v.is_tuple() && l.size() == 1) s += ",";
    return s + (v.is_list() ? "]" : ")");
  }
  return Repr(v);
}

void PFormat(const Value& v, std::string& out, int64_t indent, int64_t allowance, PContext& ctx);

void PItems(const List& items, std::string& out, int64_t indent, int64_t allowance, PContext& ctx) {
  indent += 1;
  std::string delimnl = ",\n" + std::string(indent, ' ');
  for (size_t i = 0; i < items.size(); ++i) {
    bool last = i + 1 == items.size();
    if (i) out += delimnl;
    PFormat(items[i], out, indent, last ? allowance : 1, ctx);
    CheckSize(out.size());
  }
}

void PFormat(const Value& v, std::string& out, int64_t indent, int64_t allowance, PContext& ctx) {
  ValueRecursionGuard guard("");
  if ((v.is_dict() || v.is_sequence()) && PInContext(ctx, PId(v))) {
    out += PRecursion(v);
    return;
  }
  std::string rep = PRepr(v, ctx);
  int64_t max_width = 80 - indent - allowance;
  if (static_cast<int64_t>(Utf8Length(rep)) <= max_width) {
    out += rep;
    return;
  }
  if (v.is_list()) {
    PEnter enter(ctx, PId(v));
    out += '[';
    PItems(v.as_list(), out, indent, allowance + 1, ctx);
    out += ']';
  } else if (v.is_tuple()) {
    PEnter enter(ctx, PId(v));
    const List& l = v.as_list();
    std::string end = l.size() == 1 ? ",)" : ")";
    out += '(';
    PItems(l, out, indent, allowance + static_cast<int64_t>(end.size()), ctx);
    out += end;
  } else if (v.is_dict() && !v.as_dict().empty()) {
    PEnter enter(ctx, PId(v));
    out += '{';
    std::vector<Value> keys;
    for (const auto& e : v.as_dict()) keys.push_back(e.first);
    try {
      PySort(keys, nullptr, false);
    } catch (const PyError&) {
    }
    int64_t ind = indent + 1;
    std::string delimnl = ",\n" + std::string(ind, ' ');
    for (size_t i = 0; i < keys.size(); ++i) {
      bool last = i + 1 == keys.size();
      std::string kr = PRepr(keys[i], ctx);
      out += kr + ": ";
      PFormat(*v.as_dict().find_item(keys[i]), out, ind + static_cast<int64_t>(Utf8Length(kr)) + 2,
              last ? allowance + 1 : 1, ctx);
      CheckSize(out.size());
      if (!last) out += delimnl;
    }
    out += '}';
  } else {
    out += rep;
  }
}

}  // namespace

std::string PPrint(const Value& v) {
  std::string out;
  PContext ctx;
  PFormat(v, out, 0, 0, ctx);
  return out;
}

}  // namespace herald::jinja
