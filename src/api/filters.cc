#include "api/filters.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "common/strings.h"
#include "common/time.h"
#include "jinja/ucd.h"
#include "validation/forms.h"

namespace herald::api {

namespace {

using Lookup = FilterQuery::Lookup;

struct Suffix {
  const char* name;
  Lookup lookup;
  bool negate;
};

// NetBox's FILTER_CHAR_BASED_LOOKUP_MAP and FILTER_NUMERIC_BASED_LOOKUP_MAP (regex aside).
const Suffix kCharSuffixes[] = {
    {"n", Lookup::kExact, true},          {"ic", Lookup::kIContains, false},
    {"nic", Lookup::kIContains, true},    {"ie", Lookup::kIExact, false},
    {"nie", Lookup::kIExact, true},       {"isw", Lookup::kIStartsWith, false},
    {"nisw", Lookup::kIStartsWith, true}, {"iew", Lookup::kIEndsWith, false},
    {"niew", Lookup::kIEndsWith, true},   {"empty", Lookup::kEmpty, false},
};
const Suffix kNumericSuffixes[] = {
    {"n", Lookup::kExact, true}, {"lt", Lookup::kLt, false},   {"lte", Lookup::kLte, false},
    {"gt", Lookup::kGt, false},  {"gte", Lookup::kGte, false}, {"empty", Lookup::kEmpty, false},
};

bool IsTextType(FilterType t) { return t == FilterType::kText || t == FilterType::kChoice; }
bool IsNumericType(FilterType t) { return t == FilterType::kNumber || t == FilterType::kTime; }

// The lookup `suffix` names for a filter of type `t` ("" is the filter itself); nullopt when
// the filter has no such lookup (the parameter is then not a filter, and ignored).
std::optional<Suffix> FindSuffix(FilterType t, std::string_view suffix) {
  if (suffix.empty()) return Suffix{"", Lookup::kExact, false};
  if (t == FilterType::kRefused) return Suffix{"", Lookup::kExact, false};
  if (t == FilterType::kContentType && suffix == "n") return Suffix{"n", Lookup::kExact, true};
  if (IsTextType(t))
    for (const auto& s : kCharSuffixes)
      if (suffix == s.name) return s;
  if (IsNumericType(t))
    for (const auto& s : kNumericSuffixes)
      if (suffix == s.name) return s;
  return std::nullopt;
}

// Python's int() as Django's IntegerField uses it ("+5", " 7 ", "3.0" pass).
std::optional<int64_t> ParseWholeNumber(std::string_view s) {
  s = TrimBlanks(s);
  if (size_t dot = s.find('.'); dot != std::string_view::npos) {
    if (s.find_first_not_of('0', dot + 1) != std::string_view::npos) return std::nullopt;
    s = s.substr(0, dot);
  }
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i == s.size() || s.find_first_not_of("0123456789", i) != std::string_view::npos)
    return std::nullopt;
  std::string text(s);
  errno = 0;
  long long v = std::strtoll(text.c_str(), nullptr, 10);
  if (errno == ERANGE) return std::nullopt;
  return static_cast<int64_t>(v);
}

// Django's NullBooleanSelect values, and Herald's yes/no/on/off.
std::optional<bool> ParseBool(std::string_view s) {
  std::string l = AsciiLower(TrimBlanks(s));
  if (l == "true" || l == "1" || l == "yes" || l == "on") return true;
  if (l == "false" || l == "0" || l == "no" || l == "off") return false;
  return std::nullopt;
}

bool IsUuid(std::string_view s) {
  std::string hex;
  for (char c : s)
    if (c != '-') hex += c;
  return hex.size() == 32 && hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

// Parses one value for `c`; the error message when it is not one.
std::optional<std::string> ParseOperand(const FilterSpec& spec, const FilterQuery::Clause& c,
                                        const std::string& raw, FilterQuery::Operand* out) {
  if (c.lookup == Lookup::kEmpty) {
    auto b = ParseBool(raw);
    if (!b) return std::string("Must be a valid boolean.");
    out->number = *b ? 1 : 0;
    return std::nullopt;
  }
  switch (spec.type) {
    case FilterType::kNumber: {
      auto n = ParseWholeNumber(raw);
      if (!n) return std::string("Enter a whole number.");
      out->number = n;
      return std::nullopt;
    }
    case FilterType::kTime: {
      auto t = ParseIso(TrimBlanks(raw));
      if (!t) return std::string("Enter a valid date/time.");
      out->number = t;
      return std::nullopt;
    }
    case FilterType::kBool: {
      auto b = ParseBool(raw);
      if (!b) return std::string("Must be a valid boolean.");
      out->number = *b ? 1 : 0;
      return std::nullopt;
    }
    case FilterType::kChoice:
      if (std::find(spec.choices.begin(), spec.choices.end(), raw) == spec.choices.end())
        return "Select a valid choice. " + raw + " is not one of the available choices.";
      break;
    case FilterType::kRequestId:
      if (!IsUuid(TrimBlanks(raw))) return std::string("Enter a valid UUID.");
      break;
    default: break;
  }
  bool fold = c.lookup == Lookup::kIExact || c.lookup == Lookup::kIContains ||
              c.lookup == Lookup::kIStartsWith || c.lookup == Lookup::kIEndsWith ||
              spec.type == FilterType::kSearch || spec.type == FilterType::kContains ||
              spec.type == FilterType::kContentType;
  out->text = fold ? jinja::ucd::Lower(raw) : raw;
  return std::nullopt;
}

bool TextMatches(Lookup lookup, const std::string& value, const std::string& operand) {
  if (lookup == Lookup::kExact) return value == operand;
  std::string v = jinja::ucd::Lower(value);
  switch (lookup) {
    case Lookup::kIExact: return v == operand;
    case Lookup::kIContains: return v.find(operand) != std::string::npos;
    case Lookup::kIStartsWith: return v.compare(0, operand.size(), operand) == 0;
    case Lookup::kIEndsWith:
      return v.size() >= operand.size() &&
             v.compare(v.size() - operand.size(), operand.size(), operand) == 0;
    default: return false;
  }
}

bool NumberMatches(Lookup lookup, int64_t v, int64_t operand) {
  switch (lookup) {
    case Lookup::kExact: return v == operand;
    case Lookup::kLt: return v < operand;
    case Lookup::kLte: return v <= operand;
    case Lookup::kGt: return v > operand;
    case Lookup::kGte: return v >= operand;
    default: return false;
  }
}

// Whether `f` passes one value of the (positive form of the) clause.
bool OperandMatches(const FilterQuery::Clause& c, const FieldValue& f,
                    const FilterQuery::Operand& op) {
  if (c.lookup == Lookup::kEmpty) {
    bool empty = IsNumericType(c.type) ? !f.number.has_value()
                                       : f.null || f.texts.empty() || f.texts[0].empty();
    return empty == (*op.number != 0);
  }
  switch (c.type) {
    case FilterType::kNumber:
    case FilterType::kTime: return f.number && NumberMatches(c.lookup, *f.number, *op.number);
    case FilterType::kBool: return f.number && *f.number == *op.number;
    case FilterType::kRequestId: return false;
    case FilterType::kContentType: {
      // "app.model" exactly two parts, as ContentTypeFilter splits it; anything else matches none.
      if (std::count(op.text.begin(), op.text.end(), '.') != 1) return false;
      return std::any_of(f.texts.begin(), f.texts.end(),
                         [&](const std::string& t) { return t == op.text; });
    }
    case FilterType::kSearch:
    case FilterType::kContains:
      return std::any_of(f.texts.begin(), f.texts.end(), [&](const std::string& t) {
        return TextMatches(Lookup::kIContains, t, op.text);
      });
    case FilterType::kAnyOf:
      return std::find(f.texts.begin(), f.texts.end(), op.text) != f.texts.end();
    default:
      return std::any_of(f.texts.begin(), f.texts.end(),
                         [&](const std::string& t) { return TextMatches(c.lookup, t, op.text); });
  }
}

}  // namespace

Result<FilterQuery> FilterQuery::Parse(const std::vector<FilterSpec>& specs,
                                       const http::Params& query) {
  FieldErrors errors;
  auto add_error = [&errors](const std::string& field, std::string msg) {
    AddFieldError(errors, field, std::move(msg));
  };
  FilterQuery q;
  std::vector<std::string> seen;  // parameter names already parsed (their values all at once)
  for (const auto& [param, unused] : query.fields()) {
    if (std::find(seen.begin(), seen.end(), param) != seen.end()) continue;
    seen.push_back(param);
    size_t sep = param.find("__");
    std::string base = param.substr(0, sep);
    std::string suffix = sep == std::string::npos ? "" : param.substr(sep + 2);
    auto spec = std::find_if(specs.begin(), specs.end(),
                             [&](const FilterSpec& s) { return base == s.name; });
    if (spec == specs.end()) continue;  // not a filter: ignored, as NetBox ignores it
    if (spec->type == FilterType::kRefused) {
      add_error(param, spec->refusal);
      continue;
    }
    if ((IsTextType(spec->type)) && (suffix == "regex" || suffix == "iregex")) {
      add_error(param, "Regular expression lookups are not supported by Herald.");
      continue;
    }
    auto sfx = FindSuffix(spec->type, suffix);
    if (!sfx) continue;  // a lookup NetBox does not generate for this filter: not a filter
    Clause c;
    c.spec = static_cast<size_t>(spec - specs.begin());
    c.type = spec->type;
    c.lookup = sfx->lookup;
    c.negate = sfx->negate;
    for (const auto& raw : query.GetAll(param)) {
      if (raw.empty()) continue;
      if (spec->type == FilterType::kSearch && TrimBlanks(raw).empty()) continue;
      Operand op;
      if (auto err = ParseOperand(*spec, c, raw, &op)) {
        add_error(param, *err);
        continue;
      }
      c.values.push_back(std::move(op));
    }
    if (!c.values.empty()) q.clauses_.push_back(std::move(c));
  }
  if (!errors.empty()) return Status::Invalid(std::move(errors));
  return q;
}

bool FilterQuery::Matches(const FieldReader& read) const {
  for (const auto& c : clauses_) {
    FieldValue f = read(c.spec);
    bool any = std::any_of(c.values.begin(), c.values.end(),
                           [&](const Operand& op) { return OperandMatches(c, f, op); });
    if (any == c.negate) return false;
  }
  return true;
}

void SortByOrdering(const std::vector<FilterSpec>& specs, const std::string& ordering,
                    const std::function<FieldValue(size_t object, size_t spec)>& read,
                    std::vector<size_t>& order) {
  struct Key {
    size_t spec;
    bool descending;
  };
  std::vector<Key> keys;
  for (const auto& part : SplitNonEmpty(ordering, ',')) {
    std::string_view name = TrimBlanks(part);
    bool desc = !name.empty() && name[0] == '-';
    if (desc) name.remove_prefix(1);
    for (size_t i = 0; i < specs.size(); ++i) {
      FilterType t = specs[i].type;
      if (name == specs[i].name && (IsTextType(t) || IsNumericType(t) || t == FilterType::kBool))
        keys.push_back({i, desc});
    }
  }
  if (keys.empty()) return;
  // -1, 0, 1 for a < b, a == b, a > b with nulls last (ascending).
  auto compare = [&](size_t a, size_t b, size_t spec) {
    FieldValue fa = read(a, spec), fb = read(b, spec);
    bool na = IsNumericType(specs[spec].type) || specs[spec].type == FilterType::kBool
                  ? !fa.number
                  : fa.null || fa.texts.empty();
    bool nb = IsNumericType(specs[spec].type) || specs[spec].type == FilterType::kBool
                  ? !fb.number
                  : fb.null || fb.texts.empty();
    if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
    if (fa.number) return *fa.number < *fb.number ? -1 : (*fa.number > *fb.number ? 1 : 0);
    int r = fa.texts[0].compare(fb.texts[0]);
    return r < 0 ? -1 : (r > 0 ? 1 : 0);
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    for (const auto& k : keys) {
      int r = compare(a, b, k.spec);
      if (r != 0) return k.descending ? r > 0 : r < 0;
    }
    return false;
  });
}

}  // namespace herald::api
