// Port of the Python text routine the `wordwrap` filter rests on: textwrap.wrap, on Unicode code
// points as Python sees them (str.splitlines is value/pystr.h's SplitLines).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace herald::jinja {

// textwrap.wrap(text, width, expand_tabs=False, replace_whitespace=False, drop_whitespace=True,
// break_long_words=break_long, break_on_hyphens=break_hyphens): the lines, without newlines.
// Throws ValueError ("invalid width ... (must be > 0)") when width <= 0.
std::vector<std::string> TextWrap(const std::string& text, int64_t width, bool break_long,
                                  bool break_hyphens);

// Jinja2's do_wordwrap body: wrapstring.join(wrapstring.join(TextWrap(line, ...)) for each line of
// SplitLines(s)). Throws when the output outgrows the render's size limit (CheckSize).
std::string WordWrap(const std::string& s, int64_t width, bool break_long,
                     const std::string& wrapstring, bool break_hyphens);

}  // namespace herald::jinja
