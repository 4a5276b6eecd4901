#include "api/filtersets.h"

#include <initializer_list>
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

const char* kNoTags = "Herald has no tags; this filter is not available.";
const char* kNoOwners = "Herald has no owners; this filter is not available.";

// What q searches besides the name and the description.
const std::string& SearchedToo(const Webhook& w) { return w.payload_url; }
const std::string& SearchedToo(const EventRule& r) { return r.comments; }

// One filter and what it reads from a T; `read` is null for a filter that reads no field (the
// request-id filters match nothing, the refused ones never run).
template <class T>
struct Filter {
  FilterSpec spec;
  FieldValue (*read)(const T&) = nullptr;
};

// A filter set: the specs api/filters.h parses against and, at the same index, each one's reader.
template <class T>
class FilterSet {
 public:
  // The table: id, name and description, then `own`, q and `refused` (a filter of NetBox's that
  // Herald answers with 400), then the filters every NetBox model filter set has
  // (ChangeLoggedModelFilterSet, NetBoxModelFilterSet), in the order both tables end with.
  FilterSet(std::initializer_list<Filter<T>> own, FilterSpec refused) {
    Add({{{"id", FilterType::kNumber}, [](const T& o) { return Number(o.id); }},
         {{"name", FilterType::kText}, [](const T& o) { return Text(o.name); }},
         {{"description", FilterType::kText}, [](const T& o) { return Text(o.description); }}});
    Add(own);
    Add({{{"q", FilterType::kSearch},
          [](const T& o) {
            return Texts({o.name, o.description, SearchedToo(o)});
          }},
         {std::move(refused)}});
    Add({{{"created", FilterType::kTime}, [](const T& o) { return Time(o.created); }},
         {{"last_updated", FilterType::kTime}, [](const T& o) { return Time(o.last_updated); }},
         {{"created_by_request", FilterType::kRequestId}},
         {{"updated_by_request", FilterType::kRequestId}},
         {{"modified_by_request", FilterType::kRequestId}}});
    for (const char* name : {"tag", "tag_id"}) Add({{{name, FilterType::kRefused, {}, kNoTags}}});
    for (const char* name : {"owner", "owner_id", "owner_group", "owner_group_id"})
      Add({{{name, FilterType::kRefused, {}, kNoOwners}}});
  }

  const std::vector<FilterSpec>& specs() const { return specs_; }
  FieldValue Read(const T& object, size_t spec) const {
    return spec < readers_.size() && readers_[spec] ? readers_[spec](object) : FieldValue{};
  }

 private:
  void Add(std::initializer_list<Filter<T>> filters) {
    for (const auto& f : filters) {
      specs_.push_back(f.spec);
      readers_.push_back(f.read);
    }
  }

  std::vector<FilterSpec> specs_;
  std::vector<FieldValue (*)(const T&)> readers_;
};

const FilterSet<Webhook>& WebhookSet() {
  static const FilterSet<Webhook> set(
      {
          {{"payload_url", FilterType::kContains},
           [](const Webhook& w) { return Text(w.payload_url); }},
          {{"http_method", FilterType::kChoice, {"GET", "POST", "PUT", "PATCH", "DELETE"}},
           [](const Webhook& w) { return Text(w.http_method); }},
          {{"http_content_type", FilterType::kText},
           [](const Webhook& w) { return Text(w.http_content_type); }},
          {{"ssl_verification", FilterType::kBool},
           [](const Webhook& w) { return Number(w.ssl_verification ? 1 : 0); }},
          {{"ca_file_path", FilterType::kText},
           [](const Webhook& w) { return OptText(w.ca_file_path); }},
          {{"timeout", FilterType::kNumber},
           [](const Webhook& w) {
             return Number(w.timeout ? std::optional<int64_t>(*w.timeout) : std::nullopt);
           }},
          {{"signature_scheme", FilterType::kChoice, {"netbox", "standard", "both"}},
           [](const Webhook& w) { return Text(w.signature_scheme); }},
          {{"previous_secret",
            FilterType::kRefused,
            {},
            "The previous secret is write-only in Herald and cannot be filtered on."}},
      },
      {"secret",
       FilterType::kRefused,
       {},
       "The secret is write-only in Herald and cannot be filtered on."});
  return set;
}

const FilterSet<EventRule>& EventRuleSet() {
  static const FilterSet<EventRule> set(
      {
          {{"enabled", FilterType::kBool},
           [](const EventRule& r) { return Number(r.enabled ? 1 : 0); }},
          {{"action_type", FilterType::kChoice, {"webhook", "script", "notification"}},
           [](const EventRule& r) { return Text(r.action_type); }},
          {{"action_object_type", FilterType::kContentType},
           [](const EventRule& r) { return Text(r.action_object_type); }},
          {{"action_object_id", FilterType::kNumber},
           [](const EventRule& r) { return Number(r.action_object_id); }},
          {{"object_type", FilterType::kContentType},
           [](const EventRule& r) { return Texts(r.object_types); }},
          {{"event_type", FilterType::kAnyOf},
           [](const EventRule& r) { return Texts(r.event_types); }},
      },
      {"object_type_id",
       FilterType::kRefused,
       {},
       "Herald has no object type ids; filter with object_type=<app_label>.<model>."});
  return set;
}

}  // namespace

const std::vector<FilterSpec>& WebhookFilterSpecs() { return WebhookSet().specs(); }
const std::vector<FilterSpec>& EventRuleFilterSpecs() { return EventRuleSet().specs(); }

FieldValue WebhookField(const Webhook& w, size_t spec) { return WebhookSet().Read(w, spec); }
FieldValue EventRuleField(const EventRule& r, size_t spec) { return EventRuleSet().Read(r, spec); }

}  // namespace herald::api
