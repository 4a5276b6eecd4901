// What the built-in filter files share, private to them (filters*.cc, filter_support.cc): the
// argument helpers every filter uses (Python's soft_str, int/bool parameters, Jinja2's dotted
// attribute paths, the AttributeError a missing method raises) and the declaration of every
// built-in filter function, grouped by the file that defines it. filters.cc registers them all
// in one table (RegisterBuiltinFilters); argument binding itself is BindArgs (render.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jinja/errors.h"
#include "jinja/objects.h"
#include "jinja/pyops.h"
#include "jinja/render.h"

namespace herald::jinja::filters {

// Every built-in filter has the BuiltinFilter signature (render.h).
using Args = CallValues;
// Bound arguments from BindArgs: one pointer per parameter name, nullptr when not passed.
using P = ArgSlots;

// Python's AttributeError for a missing method; a Jinja2 Namespace raises it with the bare name.
[[noreturn]] void ThrowNoAttr(const Value& v, const char* name);
// Jinja2's FilterArgumentError.
[[noreturn]] void FilterArgError(const std::string& m);
// Raises v's UndefinedError when v is undefined; returns otherwise.
void FailIfUndef(const Value& v);

// soft_str: Markup stays Markup, everything else str().
Value SoftStr(const Value& v);
// The text of a SoftStr result.
inline const std::string& S(const Value& soft) { return *StrLike(soft); }
// s as Markup when `like` is Markup, as str otherwise.
Value Wrap(const Value& like, std::string s);

// An int parameter (a float is truncated, as int() would); dflt when not passed; TypeError for
// anything else.
int64_t IntParam(const Value* v, int64_t dflt, const char* what = "");
// A bool parameter by truthiness; dflt when not passed.
inline bool BoolParam(const Value* v, bool dflt) { return v ? Truthy(*v) : dflt; }

// Jinja2's attribute path "a.b.0" as parts (digit parts become ints); none gives no parts, any
// other non-string value is one part.
std::vector<Value> AttrParts(const Value& attr);
// Lowercases str and Markup (Jinja2's ignore_case); other values unchanged.
Value IgnoreCase(const Value& v);

// Jinja2's make_attrgetter: follows `parts` with item-then-attribute lookup, substitutes *dflt
// for an undefined step when set, and lowercases the result when `lower`.
struct AttrGetter {
  std::vector<Value> parts;
  bool lower = false;
  const Value* dflt = nullptr;
  Value operator()(Interp& in, const Value& item) const;
};

// ---- string and escaping filters (filters_text.cc) ----
Value FUpper(Interp& in, const Value& v, Args& a);
void AUpper(Interp& in, const Value& v, Args& a, std::string& out);  // upper's append
Value FLower(Interp& in, const Value& v, Args& a);
Value FCapitalize(Interp& in, const Value& v, Args& a);
Value FTitle(Interp& in, const Value& v, Args& a);
Value FTrim(Interp& in, const Value& v, Args& a);
Value FCenter(Interp& in, const Value& v, Args& a);
Value FReplace(Interp& in, const Value& v, Args& a);
Value FFormat(Interp& in, const Value& v, Args& a);
Value FString(Interp& in, const Value& v, Args& a);
Value FStriptags(Interp& in, const Value& v, Args& a);
Value FTruncate(Interp& in, const Value& v, Args& a);
Value FWordcount(Interp& in, const Value& v, Args& a);
Value FWordwrap(Interp& in, const Value& v, Args& a);
Value FIndent(Interp& in, const Value& v, Args& a);
Value FUrlencode(Interp& in, const Value& v, Args& a);
Value FUrlize(Interp& in, const Value& v, Args& a);
Value FXmlattr(Interp& in, const Value& v, Args& a);
Value FFilesizeformat(Interp& in, const Value& v, Args& a);
Value FEscape(Interp& in, const Value& v, Args& a);
Value FForceescape(Interp& in, const Value& v, Args& a);
Value FSafe(Interp& in, const Value& v, Args& a);
void ATojson(Interp& in, const Value& v, Args& a, std::string& out);  // tojson's append
Value FTojson(Interp& in, const Value& v, Args& a);

// ---- number filters (filters_number.cc) ----
Value FAbs(Interp& in, const Value& v, Args& a);
Value FInt(Interp& in, const Value& v, Args& a);
Value FFloat(Interp& in, const Value& v, Args& a);
Value FRound(Interp& in, const Value& v, Args& a);
Value FSum(Interp& in, const Value& v, Args& a);

// ---- sequence filters (filters_seq.cc) ----
Value FLength(Interp& in, const Value& v, Args& a);
Value FList(Interp& in, const Value& v, Args& a);
Value FFirst(Interp& in, const Value& v, Args& a);
Value FLast(Interp& in, const Value& v, Args& a);
Value FRandom(Interp& in, const Value& v, Args& a);
Value FReverse(Interp& in, const Value& v, Args& a);
Value FJoin(Interp& in, const Value& v, Args& a);
Value FBatch(Interp& in, const Value& v, Args& a);
Value FSlice(Interp& in, const Value& v, Args& a);
Value FSort(Interp& in, const Value& v, Args& a);
Value FDictsort(Interp& in, const Value& v, Args& a);
Value FItems(Interp& in, const Value& v, Args& a);
Value FUnique(Interp& in, const Value& v, Args& a);
Value FMax(Interp& in, const Value& v, Args& a);
Value FMin(Interp& in, const Value& v, Args& a);
Value FGroupby(Interp& in, const Value& v, Args& a);
Value FMap(Interp& in, const Value& v, Args& a);
Value FSelect(Interp& in, const Value& v, Args& a);
Value FReject(Interp& in, const Value& v, Args& a);
Value FSelectattr(Interp& in, const Value& v, Args& a);
Value FRejectattr(Interp& in, const Value& v, Args& a);

// ---- the rest (filters.cc) ----
Value FDefault(Interp& in, const Value& v, Args& a);
Value FAttr(Interp& in, const Value& v, Args& a);
Value FEnv(Interp& in, const Value& v, Args& a);
Value FPprint(Interp& in, const Value& v, Args& a);

}  // namespace herald::jinja::filters
