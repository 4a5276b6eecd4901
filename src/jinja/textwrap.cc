// textwrap.wrap, ported from CPython for the `wordwrap` filter (see textwrap.h). Whitespace and
// letters are classified like Python's: ASCII whitespace for the wrapper's chunking, Unicode
// letters (ucd) for the hyphen rule.
#include "jinja/textwrap.h"

#include <algorithm>

#include "jinja/errors.h"
#include "jinja/limits.h"
#include "jinja/ucd.h"
#include "value/pystr.h"

namespace herald::jinja {

std::vector<std::string> TextWrap(const std::string& text, int64_t width, bool break_long,
                                  bool break_hyphens) {
  std::vector<uint32_t> cps = ucd::Decode(text);
  auto is_ws = [](uint32_t c) {
    return c == '\t' || c == '\n' || c == 0x0B || c == 0x0C || c == '\r' || c == ' ';
  };
  auto is_letter = [](uint32_t c) { return ucd::Has(c, ucd::kAlpha); };
  std::vector<std::vector<uint32_t>> chunks;
  size_t i = 0;
  while (i < cps.size()) {
    size_t j = i;
    bool ws = is_ws(cps[i]);
    while (j < cps.size() && is_ws(cps[j]) == ws) ++j;
    if (ws || !break_hyphens) {
      chunks.emplace_back(cps.begin() + i, cps.begin() + j);
    } else {
      size_t start = i;
      for (size_t k = i; k < j; ++k) {
        if (cps[k] == '-' && k >= start + 2 && is_letter(cps[k - 1]) && is_letter(cps[k - 2]) &&
            k + 1 < j && is_letter(cps[k + 1])) {
          chunks.emplace_back(cps.begin() + start, cps.begin() + k + 1);
          start = k + 1;
        }
      }
      chunks.emplace_back(cps.begin() + start, cps.begin() + j);
    }
    i = j;
  }
  auto blank = [&](const std::vector<uint32_t>& c) {
    for (uint32_t x : c)
      if (!is_ws(x)) return false;
    return true;
  };
  std::reverse(chunks.begin(), chunks.end());
  std::vector<std::string> lines;
  if (width <= 0) ThrowValue("invalid width " + std::to_string(width) + " (must be > 0)");
  while (!chunks.empty()) {
    std::vector<std::vector<uint32_t>> cur;
    int64_t cur_len = 0;
    if (blank(chunks.back()) && !lines.empty()) chunks.pop_back();
    while (!chunks.empty()) {
      int64_t l = static_cast<int64_t>(chunks.back().size());
      if (cur_len + l <= width) {
        cur.push_back(chunks.back());
        chunks.pop_back();
        cur_len += l;
      } else {
        break;
      }
    }
    if (!chunks.empty() && static_cast<int64_t>(chunks.back().size()) > width) {
      int64_t space_left = std::max<int64_t>(width - cur_len, 1);
      if (break_long) {
        std::vector<uint32_t>& chunk = chunks.back();
        int64_t end = space_left;
        if (break_hyphens && static_cast<int64_t>(chunk.size()) > space_left) {
          int64_t hyphen = -1;
          for (int64_t k = space_left - 1; k >= 0; --k)
            if (chunk[k] == '-') {
              hyphen = k;
              break;
            }
          bool non_hyphen = false;
          for (int64_t k = 0; k < hyphen; ++k)
            if (chunk[k] != '-') non_hyphen = true;
          if (hyphen > 0 && non_hyphen) end = hyphen + 1;
        }
        cur.emplace_back(chunk.begin(), chunk.begin() + end);
        chunk.erase(chunk.begin(), chunk.begin() + end);
      } else if (cur.empty()) {
        cur.push_back(chunks.back());
        chunks.pop_back();
      }
    }
    if (!cur.empty() && blank(cur.back())) cur.pop_back();
    if (!cur.empty()) {
      std::string line;
      for (const auto& c : cur) line += ucd::Encode(c);
      lines.push_back(line);
    }
  }
  return lines;
}

std::string WordWrap(const std::string& s, int64_t width, bool break_long,
                     const std::string& wrapstring, bool break_hyphens) {
  std::string out;
  bool first = true;
  for (std::string_view line : SplitLines(s)) {
    if (!first) out += wrapstring;
    first = false;
    bool f2 = true;
    for (const std::string& l : TextWrap(std::string(line), width, break_long, break_hyphens)) {
      if (!f2) out += wrapstring;
      f2 = false;
      out += l;
      CheckSize(out.size());
    }
    CheckSize(out.size());
  }
  return out;
}

}  // namespace herald::jinja
