#include "http/params.h"

#include "common/strings.h"

namespace herald::http {

Params Params::Parse(std::string_view s, size_t max_fields) {
  Params p;
  size_t pos = 0;
  while (pos < s.size() && p.fields_.size() < max_fields) {
    size_t amp = s.find('&', pos);
    if (amp == std::string_view::npos) amp = s.size();
    std::string_view piece = s.substr(pos, amp - pos);
    if (!piece.empty()) {
      size_t eq = piece.find('=');
      std::string_view value =
          eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
      p.fields_.emplace_back(UrlDecode(piece.substr(0, eq), true), UrlDecode(value, true));
    }
    pos = amp + 1;
  }
  return p;
}

std::optional<std::string> Params::Get(std::string_view name) const {
  for (const auto& [k, v] : fields_)
    if (k == name) return v;
  return std::nullopt;
}

std::vector<std::string> Params::GetAll(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : fields_)
    if (k == name) out.push_back(v);
  return out;
}

bool Params::Has(std::string_view name) const {
  for (const auto& [k, v] : fields_)
    if (k == name) return true;
  return false;
}

std::string UrlDecode(std::string_view s, bool form) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else if (form && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace herald::http
