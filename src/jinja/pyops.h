// Python value semantics over herald::Value for the template engine: str()/repr(), truthiness,
// len(), iteration, arithmetic with Python's int/float rules (big ints on overflow), comparisons,
// `in`, hashing checks, slicing and a Python-compatible stable sort. Errors are thrown as PyError
// with CPython 3.11's messages. Arithmetic and number parsing are defined in pyops_num.cc, the
// rest in pyops.cc.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "jinja/ast.h"
#include "jinja/objects.h"
#include "value/value.h"

namespace herald::jinja {

// Python type(x).__name__.
std::string TypeName(const Value& v);
// Jinja2's object_type_repr: "None", "dict object", "jinja2.utils.Namespace object", ...
std::string ObjectTypeRepr(const Value& v);

// str(v); raises for StrictUndefined.
std::string ToStr(const Value& v);
void AppendStr(std::string& out, const Value& v);
// repr(v).
std::string Repr(const Value& v);
// bool(v); raises for StrictUndefined.
bool Truthy(const Value& v);
// len(v); TypeError "object of type 'int' has no len()".
size_t Len(const Value& v);
// iter(v) materialised; TypeError "'int' object is not iterable".
std::vector<Value> Iterate(const Value& v);
bool IsIterable(const Value& v);

// Numbers.
bool IsNumber(const Value& v);  // int, bool, float, big int
Value BinaryOp(BinOp op, const Value& a, const Value& b);
Value Negate(const Value& v);
Value Positive(const Value& v);
Value Abs(const Value& v);

// Comparisons (== never fails except for StrictUndefined; ordering raises TypeError).
bool Eq(const Value& a, const Value& b);
bool Less(const Value& a, const Value& b, const char* op = "<");
bool CompareOp(CmpOp op, const Value& a, const Value& b);
bool Contains(const Value& container, const Value& item);
// Raises TypeError "unhashable type: 'list'" for unhashable values.
void CheckHashable(const Value& v);

// Python sequence indexing helpers.
bool NormalizeIndex(int64_t len, int64_t* index);  // negative indices; false if out of range
struct SliceSpec {
  bool has_start = false, has_stop = false, has_step = false;
  int64_t start = 0, stop = 0, step = 1;
};
// Indices selected by a slice of a sequence of length len (ValueError for step 0).
std::vector<int64_t> SliceIndices(const SliceSpec& s, int64_t len);

// Stable sort with Python's ordering (`<` only). `key` may transform each item first.
void PySort(std::vector<Value>& items, const std::function<Value(const Value&)>& key, bool reverse);

// Integers: int64 value of an int-like (bool/int/big int in range); false otherwise.
bool AsInt64(const Value& v, int64_t* out);
// float(v) for numbers.
double ToDouble(const Value& v);
// Python float() of a string (strips whitespace, underscores allowed, inf/nan); false if invalid.
bool ParseFloat(std::string_view s, double* out);
// Python int(s, base); false if invalid.
bool ParseInt(std::string_view s, int base, Value* out);

}  // namespace herald::jinja
