// JSON <-> Value.
//
// Parsing uses simdjson and keeps Python's json.loads typing: a number written with '.', 'e'
// or 'E' is a float, otherwise an int of any size (beyond 64 bits a big int, value/bigint.h,
// up to kMaxIntStrDigits digits as Python's default limit); a float past the double range is
// inf or -inf as in Python; object key order is preserved; a repeated key keeps its first
// position and its last value. Dumping reproduces Python's json.dumps byte for byte for
// the options below (the default webhook body and signatures depend on it).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "value/value.h"

namespace herald {

// Parses one JSON document. Errors: "JSONDecodeError" with simdjson's reason; "ValueError" for an
// int of more than kMaxIntStrDigits digits (Python's "Exceeds the limit (4300 digits) for integer
// string conversion: value has N digits").
// Thread-safe (uses a thread-local parser).
Result<Value> ParseJson(std::string_view text);
// ParseJson for API bodies, as Django REST framework's strict parser: a float that is not
// finite (the literals NaN, Infinity, -Infinity, or a number past the double range such as
// 1e400) is refused with "ValueError" "Out of range float values are not JSON compliant", since
// a response could not print it back as JSON. Event ingest keeps ParseJson (Python's json.loads).
Result<Value> ParseStrictJson(std::string_view text);

class JsonHooks;

struct JsonDumpOptions {
  // Python json.dumps defaults: separators (", ", ": "), ensure_ascii=True. NaN and Infinity
  // are written bare (allow_nan=True).
  const char* item_sep = ", ";
  const char* key_sep = ": ";
  bool ensure_ascii = true;
  bool sort_keys = false;  // items in key order (JsonHooks::SortItems), not insertion order
  int indent = -1;         // >= 0: pretty print with that many spaces (item separator becomes ",")
  bool html_safe = false;  // Jinja's tojson: escape < > & ' as \u003c \u003e \u0026 \u0027
  // Python's check_circular: a list or dict found inside itself throws JsonCircularError
  // (without it, such a value ends in ValueDepthError).
  bool check_circular = false;
  // What the caller changes, like a json.JSONEncoder subclass; null: the defaults.
  const JsonHooks* hooks = nullptr;
};

// The parts of DumpJson a caller may change, as a subclass of Python's json.JSONEncoder would
// (Jinja's tojson: Markup and big ints, TypeError for other objects, Python's ordering, size
// limits). A hook may throw; the exception leaves DumpJson with the output partly written.
class JsonHooks {
 public:
  virtual ~JsonHooks() = default;
  // Appends an Object value other than a big int. Default: its str() as a JSON string.
  virtual void Object(std::string& out, const Value& v, const JsonDumpOptions& o) const;
  // The text of a dict key that is a list, tuple, dict or Object other than a big int (str, int,
  // float, bool and None keys convert as in Python). Default: its str().
  virtual std::string Key(const Value& key) const;
  // Puts a dict's items in key order (sort_keys) when some keys are not str (str keys alone are
  // sorted by code point without asking). Default: a stable sort by PyCmp in which incomparable
  // keys keep their order.
  virtual void SortItems(std::vector<const Dict::Entry*>& items) const;
  // Called with the size the output will reach before each line break is written, and with the
  // size it has reached after each item and each closed container: where a limit goes.
  // Default: nothing.
  virtual void Grow(size_t bytes) const {}
};

// Thrown by DumpJson with check_circular; what() is Python's "Circular reference detected".
class JsonCircularError : public std::runtime_error {
 public:
  JsonCircularError() : std::runtime_error("Circular reference detected") {}
};

// Python json.dumps(value, **options). Big ints print as their digits; tuples print as arrays;
// non-string keys convert as Python does (int -> "1", True -> "true", None -> "null"); objects as
// options.hooks says (by default through their str()). Throws only what the hooks throw,
// ValueDepthError (nesting past the active bound), JsonCircularError (check_circular) and
// IntStrDigitsError (an int of more than kMaxIntStrDigits digits, Python's ValueError; ParseJson
// refuses those, so only template arithmetic builds one).
std::string DumpJson(const Value& value, const JsonDumpOptions& options = {});
// The same, appended to `out` (the hooks' Grow sizes count only what this call writes).
void DumpJsonTo(const Value& value, const JsonDumpOptions& options, std::string& out);

// Compact JSON for API responses: "," and ":" separators, UTF-8 kept as is.
std::string DumpJsonCompact(const Value& value);

// Appends s as a JSON string literal (with quotes); html_safe (Jinja's tojson) also escapes
// < > & ' as \u003c \u003e \u0026 \u0027.
void AppendJsonString(std::string& out, std::string_view s, bool ensure_ascii, bool html_safe);

}  // namespace herald
