// markupsafe's Markup.striptags for the `striptags` filter (and Markup's striptags method, which
// calls the filter).
#pragma once

#include <string>

namespace herald::jinja {

// Markup(html).striptags(): removes <!-- comments --> and <tags>, collapses whitespace runs to
// one space (" ".join(s.split())), then unescapes &amp; &lt; &gt; &quot; &apos; &nbsp; &raquo;
// &laquo; &copy; and numeric (&#N; / &#xN;) character references.
std::string StripTags(const std::string& html);

}  // namespace herald::jinja
