// markupsafe's Markup.striptags, ported for the `striptags` filter (see striptags.h): regex
// removal of comments and tags, Python's str.split() whitespace (ucd), and a small entity table.
#include "jinja/striptags.h"

#include <cstdint>
#include <cstdlib>
#include <regex>
#include <vector>

#include "jinja/ucd.h"
#include "value/unicode.h"

namespace herald::jinja {

std::string StripTags(const std::string& in) {
  static const std::regex comments("<!--[\\s\\S]*?-->");
  static const std::regex tags("<[\\s\\S]*?>");
  std::string s = std::regex_replace(in, comments, "");
  s = std::regex_replace(s, tags, "");
  // " ".join(s.split())
  std::vector<uint32_t> cps = ucd::Decode(s);
  std::string out;
  size_t i = 0;
  while (i < cps.size()) {
    while (i < cps.size() && ucd::IsSpace(cps[i])) ++i;
    if (i >= cps.size()) break;
    size_t j = i;
    while (j < cps.size() && !ucd::IsSpace(cps[j])) ++j;
    if (!out.empty()) out += ' ';
    out += ucd::Encode(cps.data() + i, j - i);
    i = j;
  }
  // unescape common HTML entities
  std::string r;
  for (size_t k = 0; k < out.size();) {
    if (out[k] == '&') {
      size_t semi = out.find(';', k);
      if (semi != std::string::npos && semi - k <= 10) {
        std::string ent = out.substr(k + 1, semi - k - 1);
        uint32_t cp = 0;
        bool ok = true;
        if (ent == "amp") cp = '&';
        else if (ent == "lt") cp = '<';
        else if (ent == "gt") cp = '>';
        else if (ent == "quot") cp = '"';
        else if (ent == "apos") cp = '\'';
        else if (ent == "nbsp") cp = 0xA0;
        else if (ent == "raquo") cp = 0xBB;
        else if (ent == "laquo") cp = 0xAB;
        else if (ent == "copy") cp = 0xA9;
        else if (ent.size() > 1 && ent[0] == '#') {
          char* end;
          long n = (ent[1] == 'x' || ent[1] == 'X') ? std::strtol(ent.c_str() + 2, &end, 16)
                                                    : std::strtol(ent.c_str() + 1, &end, 10);
          ok = *end == '\0' && n > 0 && n <= 0x10FFFF;
          cp = static_cast<uint32_t>(n);
        } else {
          ok = false;
        }
        if (ok) {
          AppendUtf8(r, cp);
          k = semi + 1;
          continue;
        }
      }
    }
    r += out[k++];
  }
  return r;
}

}  // namespace herald::jinja
