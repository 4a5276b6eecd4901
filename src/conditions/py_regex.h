// PyRegex: Python `re.match` semantics on top of PCRE2.
//
// NetBox's `regex` operator is `re.match(pattern, value)`: Python's regex dialect, matched at the
// start of the string only (not the end), Unicode-aware \d \w \s \b, no flags. PCRE2's dialect is
// close but not identical, so a pattern is first checked and rewritten by TranslatePythonRegex:
// Python-only syntax is mapped to PCRE2 (\Z, \uXXXX, \UXXXXXXXX, {,n}, \v, octal escapes,
// numeric back-references) and PCRE2-only syntax that Python rejects is rejected here too (unknown
// escapes such as \p or \K, (?<name>...), (*VERB), POSIX [[:alpha:]] classes are literal in
// Python). Not supported (refused with re.error): \N{NAME} escapes and the (?a)/(?L) flags.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace herald::conditions {

// Rewrites a Python regex into an equivalent PCRE2 pattern (to be compiled with UTF|UCP).
// Errors: "re.error" with a Python-style message ("bad escape \p at position 3").
Result<std::string> TranslatePythonRegex(std::string_view pattern);

// A compiled pattern. Immutable and thread-safe to match (per-thread match data is kept
// internally); copies share the compiled code.
class PyRegex {
 public:
  // Compiles a Python pattern. Errors: "re.error" (Python would reject it, or PCRE2 did).
  static Result<PyRegex> Compile(std::string_view pattern);

  // re.match(pattern, subject) is not None. subject must be UTF-8.
  // Errors: "RegexLimit" when the match-step limit (kRegexMatchLimit) or PCRE2's heap/depth
  // limits are hit; "RegexError" for invalid UTF-8 in the subject or other PCRE2 failures.
  Result<bool> Match(std::string_view subject) const;

  const std::string& pattern() const { return *pattern_; }

 private:
  struct Code;
  PyRegex(std::shared_ptr<const Code> code, std::shared_ptr<const std::string> pattern)
      : code_(std::move(code)), pattern_(std::move(pattern)) {}
  std::shared_ptr<const Code> code_;
  std::shared_ptr<const std::string> pattern_;
};

}  // namespace herald::conditions
