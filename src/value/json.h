// JSON <-> Value.
//
// Parsing uses simdjson and keeps Python's json.loads typing: a number written with '.', 'e'
// or 'E' is a float, otherwise an int; object key order is preserved; a repeated key keeps its
// first position and its last value. Dumping reproduces Python's json.dumps byte for byte for
// the options below (the default webhook body and signatures depend on it).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "value/value.h"

namespace herald {

// Parses one JSON document. Errors: "JSONDecodeError" with simdjson's reason.
// Thread-safe (uses a thread-local parser).
Result<Value> ParseJson(std::string_view text);

struct JsonDumpOptions {
  // Python json.dumps defaults: separators (", ", ": "), ensure_ascii=True. NaN and Infinity
  // are written bare (allow_nan=True); keys keep their order.
  const char* item_sep = ", ";
  const char* key_sep = ": ";
  bool ensure_ascii = true;
  int indent = -1;  // >= 0: pretty print with that many spaces (item separator becomes ",")
};

// Python json.dumps(value, **options). Objects print through their str(); tuples as arrays;
// non-string keys converted as Python does (int -> "1", True -> "true", None -> "null").
std::string DumpJson(const Value& value, const JsonDumpOptions& options = {});
void DumpJsonTo(const Value& value, const JsonDumpOptions& options, std::string& out);

// Compact JSON for API responses: "," and ":" separators, UTF-8 kept as is.
std::string DumpJsonCompact(const Value& value);

// Appends s as a JSON string literal (with quotes); html_safe (Jinja's tojson) also escapes
// < > & ' as \u003c \u003e \u0026 \u0027.
void AppendJsonString(std::string& out, std::string_view s, bool ensure_ascii, bool html_safe);

}  // namespace herald
