// Small pieces of the UI's HTTP handling: urlencoded forms, cookies, HTML escaping.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/strings.h"

namespace herald::web {

// Fields of an application/x-www-form-urlencoded body (or query string), in order; a name may
// repeat (multi-selects, checkbox groups). At most kMaxFormFields fields are read.
inline constexpr size_t kMaxFormFields = 2000;

class Form {
 public:
  static Form Parse(std::string_view body);
  // First value of `name`, nullopt when absent.
  std::optional<std::string> Get(std::string_view name) const;
  // First value or "" when absent.
  std::string Str(std::string_view name) const { return Get(name).value_or(""); }
  // Every value of `name`, in order.
  std::vector<std::string> All(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Value of cookie `name` in a Cookie header ("a=1; b=2"), or "".
std::string CookieValue(std::string_view cookie_header, std::string_view name);

// HtmlEscape and PercentEncode (for query parameter values) are common/strings.h's.

}  // namespace herald::web
