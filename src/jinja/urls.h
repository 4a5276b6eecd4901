// URL text helpers for the `urlize` and `urlencode` filters: Jinja2 3.1's urlize (jinja2.utils)
// and do_urlencode with urllib.parse.quote / quote_plus, ported to work on UTF-8 strings.
#pragma once

#include <cstdint>
#include <string>

#include "value/value.h"

namespace herald::jinja {

// jinja2.utils.urlize on already HTML-escaped text: wraps http(s) URLs, www./bare domains and
// e-mail addresses in <a> tags. trim_limit >= 0 shortens the link text to that many code points
// plus "..."; rel (space-separated words, may be null) is merged with "noopener" and, when
// nofollow, "nofollow"; target (may be null) adds a target attribute. extra_schemes is not
// supported.
std::string Urlize(const std::string& escaped_text, int64_t trim_limit, const std::string* rel,
                   bool nofollow, const std::string* target);

// Jinja2's do_urlencode: a string (or Markup, or any non-iterable, through str()) is quoted
// with '/' kept; a dict or an iterable of (key, value) pairs becomes "k=v&k=v" with quote_plus.
// Throws TypeError / ValueError like Python for items that are not pairs.
std::string UrlEncode(const Value& v);

}  // namespace herald::jinja
