// The list filters and ordering of the REST API, as NetBox's filter sets read them
// (netbox/netbox/filtersets.py with django-filter): the lookup engine shared by every filter set.
// api/filtersets.h describes the two filter sets (webhooks, event rules) as tables of FilterSpec.
//
// A query parameter is `<filter>` or `<filter>__<lookup>`. Which lookups a filter has follows
// from its type, as NetBox generates them:
//   kNumber, kTime   exact, n, lt, lte, gt, gte, empty (is null)
//   kText, kChoice   exact, n, ic, nic, ie, nie, isw, nisw, iew, niew, empty (null or "")
//   kContentType     exact, n ("app_label.model", any case; a rule matches when one of its own
//                    types is named)
//   kBool, kSearch, kAnyOf, kContains, kRequestId   exact only
// Regex lookups (`__regex`, `__iregex`) are refused with 400: they would bring back the regex
// cost that the hardening work keeps off the request path. A kRefused filter (tags, owners,
// object type ids: things Herald does not have) answers 400 with its message.
// Repeated parameters: the values of one positive lookup are OR'd, the values of a negated
// (`n...`) lookup are each excluded; different parameters are AND'ed. Empty values are skipped
// (as NetBox's multi-value fields drop them). Parameters that name no filter are ignored, as
// NetBox ignores them. A bad value for a known filter is a kInvalidArgument whose field errors
// are keyed by the parameter ({"id": ["Enter a whole number."]}, Django's messages).
// Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "http/params.h"

namespace herald::api {

enum class FilterType {
  kNumber,       // an integer field (MultiValueNumberFilter)
  kTime,         // a date-time (MultiValueDateTimeFilter): µs since the epoch
  kText,         // a string (MultiValueCharFilter); exact match is case-sensitive
  kChoice,       // a string with fixed choices (MultipleChoiceFilter): values must be choices
  kBool,         // a boolean (BooleanFilter)
  kContentType,  // "app_label.model" (ContentTypeFilter)
  kSearch,       // q: case-insensitive containment in any of the field's texts
  kAnyOf,        // a list field matched by overlap (event_type)
  kContains,     // case-insensitive containment, no lookups (payload_url)
  kRequestId,    // a change-log request UUID: Herald keeps no change log, so nothing matches
  kRefused,      // not available in Herald: any use answers 400 with `refusal`
};

struct FilterSpec {
  const char* name;
  FilterType type;
  std::vector<std::string> choices = {};  // kChoice
  const char* refusal = nullptr;          // kRefused: the message
};

// A field's value as a filter reads it.
struct FieldValue {
  std::vector<std::string> texts;  // text types: the value, or several (object_types); kSearch
                                   // reads every text; empty with `null` for a null value
  std::optional<int64_t> number;   // kNumber, kTime (nullopt: null); kBool: 0 or 1
  bool null = false;               // a null text
};

// Reads field number `spec` (an index into the FilterSpec table) of one object.
using FieldReader = std::function<FieldValue(size_t spec)>;

// One query's filters, parsed and checked.
class FilterQuery {
 public:
  // Parses every parameter of `query` that names a filter of `specs`; the others are ignored.
  static Result<FilterQuery> Parse(const std::vector<FilterSpec>& specs, const http::Params& query);
  // Whether the object `read` describes passes every filter.
  bool Matches(const FieldReader& read) const;
  bool empty() const { return clauses_.empty(); }

  enum class Lookup {
    kExact,
    kIExact,
    kIContains,
    kIStartsWith,
    kIEndsWith,
    kEmpty,
    kLt,
    kLte,
    kGt,
    kGte,
    kNone
  };
  struct Operand {
    std::string text;               // lower-cased for the i-lookups and kSearch
    std::optional<int64_t> number;  // numbers, times and booleans
  };
  struct Clause {
    size_t spec = 0;
    FilterType type = FilterType::kText;
    Lookup lookup = Lookup::kExact;
    bool negate = false;
    std::vector<Operand> values;
  };

 private:
  std::vector<Clause> clauses_;
};

// NetBox's ?ordering=: comma-separated names of sortable fields (kNumber, kTime, kText, kChoice,
// kBool specs), each optionally prefixed by '-' for descending. Unknown names are dropped (as
// DRF drops them); with none left the order stays as given. Sorts `order` (indexes of objects)
// stably by the named fields, reading each with `read(object, spec)`. Nulls sort last going up
// and first going down, as PostgreSQL sorts them.
void SortByOrdering(const std::vector<FilterSpec>& specs, const std::string& ordering,
                    const std::function<FieldValue(size_t object, size_t spec)>& read,
                    std::vector<size_t>& order);

}  // namespace herald::api
