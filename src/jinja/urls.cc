// Jinja2's urlize and do_urlencode (on urllib.parse's quote / quote_plus), ported for the
// `urlize` and `urlencode` filters (see urls.h). The URL and e-mail patterns are Jinja2 3.1's
// (jinja2.utils._http_re, _email_re).
#include "jinja/urls.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "jinja/errors.h"
#include "jinja/objects.h"
#include "jinja/pyops.h"
#include "jinja/ucd.h"
#include "value/value.h"

namespace herald::jinja {

namespace {

// urllib.parse.quote_plus(s, safe=""), as Jinja2's url_quote(s, for_qs=True).
std::string QuotePlus(std::string_view s) {
  return PercentEncode(s, /*keep_slash=*/false, /*space_as_plus=*/true);
}

}  // namespace

std::string Urlize(const std::string& escaped_text, int64_t trim_limit, const std::string* rel,
                   bool nofollow, const std::string* target) {
  const std::string& text = escaped_text;
  int64_t limit = trim_limit;
  std::vector<std::string> rel_parts;
  if (rel) {
    const std::string& r = *rel;
    size_t i = 0;
    while (i < r.size()) {
      while (i < r.size() && r[i] == ' ') ++i;
      size_t j = r.find(' ', i);
      if (j == std::string::npos) j = r.size();
      if (j > i) rel_parts.push_back(r.substr(i, j - i));
      i = j;
    }
  }
  if (nofollow) rel_parts.push_back("nofollow");
  rel_parts.push_back("noopener");
  std::sort(rel_parts.begin(), rel_parts.end());
  rel_parts.erase(std::unique(rel_parts.begin(), rel_parts.end()), rel_parts.end());
  std::string rel_words;
  for (const auto& r : rel_parts) rel_words += (rel_words.empty() ? "" : " ") + r;
  std::string rel_attr = rel_words.empty() ? "" : " rel=\"" + HtmlEscape(rel_words) + "\"";
  std::string target_attr;
  if (target) target_attr = " target=\"" + HtmlEscape(*target) + "\"";
  static const std::regex http_re(
      "^(((https?://"
      "|www\\.)(([\\w%-]+\\.)+)?([a-z]{2,63}|xn--[\\w%]{2,59})|([\\w%-]{2,63}\\.)+(com|net|int|edu|"
      "gov|org|info|mil)|(https?://"
      ")((([\\d]{1,3})(\\.[\\d]{1,3}){3})|(\\[([\\da-f]{0,4}:){2}([\\da-f]{0,4}:?){1,6}])))(?::["
      "\\d]{1,5})?(?:[/?#]\\S*)?)$",
      std::regex::icase);
  static const std::regex email_re("^\\S+@\\w[\\w.-]*\\.\\w+$");
  static const std::regex lead_re("^([(<]|&lt;)+");
  static const std::regex trail_re("([)>.,\\n]|&gt;)+$");
  auto trim_url = [&](const std::string& x) {
    if (limit >= 0 && static_cast<int64_t>(Utf8Length(x)) > limit) {
      std::vector<uint32_t> cps = ucd::Decode(x);
      return ucd::Encode(cps.data(), static_cast<size_t>(limit)) + "...";
    }
    return x;
  };
  // split on whitespace runs, keeping separators
  std::vector<std::string> words;
  {
    size_t i = 0;
    while (i < text.size()) {
      size_t j = i;
      bool ws = std::isspace(static_cast<unsigned char>(text[i]));
      while (j < text.size() && (std::isspace(static_cast<unsigned char>(text[j])) != 0) == ws) ++j;
      words.push_back(text.substr(i, j - i));
      i = j;
    }
  }
  auto ends_with = [](const std::string& s, const std::string& t) {
    return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
  };
  auto count = [](const std::string& s, const std::string& t) {
    size_t n = 0, i = 0;
    while ((i = s.find(t, i)) != std::string::npos) {
      ++n;
      i += t.size();
    }
    return n;
  };
  std::string out;
  for (std::string& word : words) {
    std::string head, middle = word, tail;
    std::smatch m;
    if (std::regex_search(middle, m, lead_re)) {
      head = m.str();
      middle = middle.substr(m.length());
    }
    if (ends_with(middle, ")") || ends_with(middle, ">") || ends_with(middle, ".") ||
        ends_with(middle, ",") || ends_with(middle, "\n") || ends_with(middle, "&gt;")) {
      if (std::regex_search(middle, m, trail_re)) {
        tail = m.str();
        middle = middle.substr(0, m.position());
      }
    }
    const std::pair<std::string, std::string> pairs[] = {{"(", ")"}, {"<", ">"}, {"&lt;", "&gt;"}};
    for (const auto& [sc, ec] : pairs) {
      size_t sc_n = count(middle, sc);
      if (sc_n <= count(middle, ec)) continue;
      size_t moves = std::min(sc_n, count(tail, ec));
      for (size_t k = 0; k < moves; ++k) {
        size_t end_index = tail.find(ec) + ec.size();
        middle += tail.substr(0, end_index);
        tail = tail.substr(end_index);
      }
    }
    if (std::regex_match(middle, http_re)) {
      if (middle.rfind("https://", 0) == 0 || middle.rfind("http://", 0) == 0) {
        middle =
            "<a href=\"" + middle + "\"" + rel_attr + target_attr + ">" + trim_url(middle) + "</a>";
      } else {
        middle = "<a href=\"https://" + middle + "\"" + rel_attr + target_attr + ">" +
                 trim_url(middle) + "</a>";
      }
    } else if (middle.rfind("mailto:", 0) == 0 && std::regex_match(middle.substr(7), email_re)) {
      middle = "<a href=\"" + middle + "\">" + middle.substr(7) + "</a>";
    } else if (middle.find('@') != std::string::npos && middle.rfind("www.", 0) != 0 &&
               middle.find(':') == std::string::npos && std::regex_match(middle, email_re)) {
      middle = "<a href=\"mailto:" + middle + "\">" + middle + "</a>";
    }
    out += head + middle + tail;
  }
  return out;
}

std::string UrlEncode(const Value& v) {
  if (v.is_str() || IsMarkup(v) || !IsIterable(v))
    return PercentEncode(ToStr(v), /*keep_slash=*/true);  // quote(s, safe="/")
  std::vector<Value> items;
  if (v.is_dict()) {
    for (const auto& [k, x] : v.as_dict()) items.push_back(Value::MakeTuple({k, x}));
  } else {
    items = Iterate(v);
  }
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!IsIterable(items[i]))
      ThrowType("cannot unpack non-iterable " + TypeName(items[i]) + " object");
    std::vector<Value> kv = Iterate(items[i]);
    if (kv.size() > 2) ThrowValue("too many values to unpack (expected 2)");
    if (kv.size() < 2)
      ThrowValue("not enough values to unpack (expected 2, got " + std::to_string(kv.size()) + ")");
    if (i) out += '&';
    out += QuotePlus(ToStr(kv[0])) + "=" + QuotePlus(ToStr(kv[1]));
  }
  return out;
}

}  // namespace herald::jinja
