// Ports of the Python text routines the `wordwrap` and `indent` filters rest on: textwrap.wrap
// and str.splitlines, on Unicode code points as Python sees them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace herald::jinja {

// textwrap.wrap(text, width, expand_tabs=False, replace_whitespace=False, drop_whitespace=True,
// break_long_words=break_long, break_on_hyphens=break_hyphens): the lines, without newlines.
// Throws ValueError ("invalid width ... (must be > 0)") when width <= 0.
std::vector<std::string> TextWrap(const std::string& text, int64_t width, bool break_long, bool break_hyphens);

// str.splitlines(): splits at every Python line boundary (\n, \r, \r\n, \v, \f, \x1c-\x1e,
// \x85, U+2028, U+2029), dropping the breaks; no empty last line for a trailing break.
std::vector<std::string> PySplitLines(const std::string& s);

// Jinja2's do_wordwrap body: wrapstring.join(wrapstring.join(TextWrap(line, ...)) for each line of
// PySplitLines(s)). Throws when the output outgrows the render's size limit (CheckSize).
std::string WordWrap(const std::string& s, int64_t width, bool break_long, const std::string& wrapstring,
                     bool break_hyphens);

}  // namespace herald::jinja
