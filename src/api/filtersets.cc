#include "api/filtersets.h"

#include <string>

#include "common/strings.h"

namespace herald::api {

namespace {

FieldValue Text(const std::string& s) { return FieldValue{{s}, std::nullopt, false}; }
FieldValue Texts(std::vector<std::string> v) { return FieldValue{std::move(v), std::nullopt}; }
FieldValue OptText(const std::optional<std::string>& s) {
  return s ? Text(*s) : FieldValue{{}, std::nullopt, true};
}
FieldValue Number(std::optional<int64_t> n) { return FieldValue{{}, n, false}; }
FieldValue Time(int64_t us) { return Number(us ? std::optional<int64_t>(us) : std::nullopt); }
FieldValue None() { return FieldValue{}; }

const char* kNoTags = "Herald has no tags; this filter is not available.";
const char* kNoOwners = "Herald has no owners; this filter is not available.";

// The filters every NetBox model filter set has (ChangeLoggedModelFilterSet,
// NetBoxModelFilterSet), in the order both tables end with.
void AddCommon(std::vector<FilterSpec>& specs) {
  specs.push_back({"created", FilterType::kTime});
  specs.push_back({"last_updated", FilterType::kTime});
  specs.push_back({"created_by_request", FilterType::kRequestId});
  specs.push_back({"updated_by_request", FilterType::kRequestId});
  specs.push_back({"modified_by_request", FilterType::kRequestId});
  specs.push_back({"tag", FilterType::kRefused, {}, kNoTags});
  specs.push_back({"tag_id", FilterType::kRefused, {}, kNoTags});
  specs.push_back({"owner", FilterType::kRefused, {}, kNoOwners});
  specs.push_back({"owner_id", FilterType::kRefused, {}, kNoOwners});
  specs.push_back({"owner_group", FilterType::kRefused, {}, kNoOwners});
  specs.push_back({"owner_group_id", FilterType::kRefused, {}, kNoOwners});
}

// Indexes of the common filters after a table's own `n` filters.
enum Common { kCreated, kLastUpdated };

}  // namespace

// Webhook table: keep WebhookField's switch in the same order.
const std::vector<FilterSpec>& WebhookFilterSpecs() {
  static const std::vector<FilterSpec> specs = [] {
    std::vector<FilterSpec> s = {
        {"id", FilterType::kNumber},
        {"name", FilterType::kText},
        {"description", FilterType::kText},
        {"payload_url", FilterType::kContains},
        {"http_method", FilterType::kChoice, {"GET", "POST", "PUT", "PATCH", "DELETE"}},
        {"http_content_type", FilterType::kText},
        {"ssl_verification", FilterType::kBool},
        {"ca_file_path", FilterType::kText},
        {"timeout", FilterType::kNumber},
        {"q", FilterType::kSearch},
        {"secret",
         FilterType::kRefused,
         {},
         "The secret is write-only in Herald and cannot be filtered on."},
    };
    AddCommon(s);
    return s;
  }();
  return specs;
}

FieldValue WebhookField(const Webhook& w, size_t spec) {
  constexpr size_t kOwn = 11;
  switch (spec) {
    case 0: return Number(w.id);
    case 1: return Text(w.name);
    case 2: return Text(w.description);
    case 3: return Text(w.payload_url);
    case 4: return Text(w.http_method);
    case 5: return Text(w.http_content_type);
    case 6: return Number(w.ssl_verification ? 1 : 0);
    case 7: return OptText(w.ca_file_path);
    case 8: return Number(w.timeout ? std::optional<int64_t>(*w.timeout) : std::nullopt);
    case 9: return Texts({w.name, w.description, w.payload_url});
    case kOwn + kCreated: return Time(w.created);
    case kOwn + kLastUpdated: return Time(w.last_updated);
    default: return None();
  }
}

// Event rule table: keep EventRuleField's switch in the same order.
const std::vector<FilterSpec>& EventRuleFilterSpecs() {
  static const std::vector<FilterSpec> specs = [] {
    std::vector<FilterSpec> s = {
        {"id", FilterType::kNumber},
        {"name", FilterType::kText},
        {"description", FilterType::kText},
        {"enabled", FilterType::kBool},
        {"action_type", FilterType::kChoice, {"webhook", "script", "notification"}},
        {"action_object_type", FilterType::kContentType},
        {"action_object_id", FilterType::kNumber},
        {"object_type", FilterType::kContentType},
        {"event_type", FilterType::kAnyOf},
        {"q", FilterType::kSearch},
        {"object_type_id",
         FilterType::kRefused,
         {},
         "Herald has no object type ids; filter with object_type=<app_label>.<model>."},
    };
    AddCommon(s);
    return s;
  }();
  return specs;
}

FieldValue EventRuleField(const EventRule& r, size_t spec) {
  constexpr size_t kOwn = 11;
  switch (spec) {
    case 0: return Number(r.id);
    case 1: return Text(r.name);
    case 2: return Text(r.description);
    case 3: return Number(r.enabled ? 1 : 0);
    case 4: return Text(r.action_type);
    case 5: return Text(r.action_object_type);
    case 6: return Number(r.action_object_id);
    case 7: return Texts(r.object_types);
    case 8: return Texts(r.event_types);
    case 9: return Texts({r.name, r.description, r.comments});
    case kOwn + kCreated: return Time(r.created);
    case kOwn + kLastUpdated: return Time(r.last_updated);
    default: return None();
  }
}

}  // namespace herald::api
