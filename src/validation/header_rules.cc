// Header rules of webhook additional_headers (declared in forms.h): the names Herald keeps for
// itself, checked at save time here and again at render time by the delivery renderer.
#include <array>

#include "common/strings.h"
#include "validation/forms.h"

namespace herald {
namespace {

constexpr std::array<std::string_view, 4> kForbiddenHeaders = {"Content-Length",
                                                               "Transfer-Encoding", "Host",
                                                               "Connection"};

// Length of the line break at s[i] (Python str.splitlines() breaks, UTF-8), or 0.
size_t LineBreakAt(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == '\r') return i + 1 < s.size() && s[i + 1] == '\n' ? 2 : 1;
  if (c == '\n' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E) return 1;
  std::string_view rest = s.substr(i);
  if (rest.substr(0, 2) == "\xC2\x85") return 2;                                  // U+0085
  if (rest.substr(0, 3) == "\xE2\x80\xA8" || rest.substr(0, 3) == "\xE2\x80\xA9") return 3;  // U+2028/9
  return 0;
}

std::string_view StripAscii(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ForbiddenHeaderName(std::string_view name) {
  for (std::string_view f : kForbiddenHeaders)
    if (EqualsIgnoreCase(name, f)) return std::string(f);
  return "";
}

std::string ForbiddenHeaderMessage(std::string_view canonical_name) {
  return "additional_headers may not set " + std::string(canonical_name) +
         ": Herald sets Content-Length, Transfer-Encoding, Host and Connection itself.";
}

Status CheckAdditionalHeaders(std::string_view source) {
  size_t start = 0, i = 0;
  int line = 1;
  // The forbidden name `text` (one line) sets, or "".
  auto forbidden = [](std::string_view text) -> std::string {
    size_t colon = text.find(':');
    if (colon == std::string_view::npos) return "";
    return ForbiddenHeaderName(StripAscii(text.substr(0, colon)));
  };
  while (i <= source.size()) {
    size_t n = i < source.size() ? LineBreakAt(source, i) : 1;
    if (n == 0) {
      ++i;
      continue;
    }
    std::string f = forbidden(source.substr(start, i - start));
    if (!f.empty()) {
      return Status::Invalid("additional_headers",
                             "Line " + std::to_string(line) + ": " + ForbiddenHeaderMessage(f));
    }
    i += n;
    start = i;
    ++line;
  }
  return Status::Ok();
}

}  // namespace herald
