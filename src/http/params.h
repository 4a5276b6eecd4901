// Query strings and urlencoded form bodies: the one parser for both, and percent-decoding.
//
// A query string ("status=failed&status=queued&limit=50") and an
// application/x-www-form-urlencoded body have the same syntax, so both are read into Params:
// parsed once, then looked up by name any number of times. Pure; a Params is a value, safe to
// read from several threads.
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::http {

// Most fields read from a form body (multi-selects and checkbox groups repeat a name); further
// fields are ignored. A query string is bounded by the request-header limit instead.
inline constexpr size_t kMaxFormFields = 2000;

// The fields of a query string or form body, in order; a name may repeat.
class Params {
 public:
  using Field = std::pair<std::string, std::string>;

  Params() = default;
  // Splits `s` on '&' and each piece at its first '=' ("name" alone has the value ""); empty
  // pieces are skipped. Names and values are percent-decoded with '+' as a space (UrlDecode);
  // an invalid escape such as "%zz" is kept as written. At most `max_fields` fields are kept.
  static Params Parse(std::string_view s, size_t max_fields = std::numeric_limits<size_t>::max());

  // The first value of `name`; nullopt when absent.
  std::optional<std::string> Get(std::string_view name) const;
  // The first value of `name`, or "" when absent.
  std::string Str(std::string_view name) const { return Get(name).value_or(""); }
  // Every value of `name`, in order ("?status=a&status=b" gives {"a", "b"}; "a,b" is one value).
  std::vector<std::string> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const;

  // Every field, in order.
  const std::vector<Field>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

// Percent-decodes `s`: "%XX" with two hex digits becomes that byte, anything else (a '%' not
// followed by two hex digits) is kept; '+' becomes a space when `form` is true.
std::string UrlDecode(std::string_view s, bool form = false);

}  // namespace herald::http
