// Header rules of webhook additional_headers (declared in forms.h): the names Herald keeps for
// itself, checked at save time here and again at render time by the delivery renderer.
#include <array>

#include "common/strings.h"
#include "validation/forms.h"
#include "value/pystr.h"

namespace herald {
namespace {

constexpr std::array<std::string_view, 4> kForbiddenHeaders = {
    "Content-Length", "Transfer-Encoding", "Host", "Connection"};

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
  int line = 1;
  for (std::string_view text : SplitLines(source)) {  // the lines NetBox splits headers at
    size_t colon = text.find(':');
    std::string f = colon == std::string_view::npos
                        ? ""
                        : ForbiddenHeaderName(StripAscii(text.substr(0, colon)));
    if (!f.empty()) {
      return Status::Invalid("additional_headers",
                             "Line " + std::to_string(line) + ": " + ForbiddenHeaderMessage(f));
    }
    ++line;
  }
  return Status::Ok();
}

}  // namespace herald
