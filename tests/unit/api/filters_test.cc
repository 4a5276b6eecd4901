// Every filter and lookup of the webhook and event rule filter sets (api/filtersets.h) against
// fixed objects: one table row per query string with the ids it must select, then the errors
// (bad values, refused filters, regex lookups) and ?ordering=.
#include "api/filters.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/filtersets.h"
#include "common/time.h"
#include "http/params.h"
#include "support/cases.h"

namespace herald::api {
namespace {

using testing::StringTriple;

// A webhook with the fields every one of Hooks() sets; `created`/`updated` "" for none.
Webhook Hook(int64_t id, std::string name, std::string url, std::string method, const char* created,
             const char* updated) {
  Webhook w;
  w.id = id;
  w.name = std::move(name);
  w.payload_url = std::move(url);
  w.http_method = std::move(method);
  w.created = *created ? *ParseIso(created) : 0;
  w.last_updated = *updated ? *ParseIso(updated) : 0;
  return w;
}

std::vector<Webhook> Hooks() {
  std::vector<Webhook> v = {
      Hook(1, "Alpha", "http://a.example/hook", "POST", "2026-01-01T00:00:00Z", "2026-01-05"),
      Hook(2, "beta", "https://b.example/Path", "PUT", "2026-02-01", "2026-02-01"),
      Hook(3, "Gamma ray", "http://c.example/", "POST", "2026-03-01", ""),
      Hook(10, "delta", "http://d.example/x", "GET", "", ""),
  };
  v[0].description = "first hook";
  v[1].http_content_type = "text/plain";
  v[1].ssl_verification = false;
  v[1].timeout = 30;
  v[2].description = "ALPHA like";
  v[2].ca_file_path = "/etc/ca.pem";
  v[2].timeout = 5;
  v[3].ca_file_path = "";
  v[1].signature_scheme = "standard";
  v[3].signature_scheme = "both";
  return v;
}

std::vector<EventRule> Rules() {
  std::vector<EventRule> v(3);
  v[0].id = 1;
  v[0].name = "sites";
  v[0].object_types = {"dcim.site"};
  v[0].event_types = {"object_created"};
  v[0].action_object_id = 1;
  v[0].comments = "watch the sites";
  v[0].created = *ParseIso("2026-01-01T00:00:00Z");
  v[1].id = 2;
  v[1].name = "devices";
  v[1].description = "all devices";
  v[1].object_types = {"dcim.device", "dcim.site"};
  v[1].event_types = {"object_updated", "object_deleted"};
  v[1].enabled = false;
  v[1].action_object_id = 2;
  v[2].id = 3;
  v[2].name = "ips";
  v[2].object_types = {"ipam.ipaddress"};
  v[2].event_types = {"object_created", "object_deleted"};
  v[2].action_object_id = 10;
  return v;
}

struct Case {
  const char* query;
  std::vector<int64_t> ids;
};

// Expects each case's query to parse and select exactly its ids among `objects`.
template <class T, class Read>
void ExpectSelections(const std::vector<FilterSpec>& specs, const std::vector<T>& objects,
                      Read read, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    auto q = FilterQuery::Parse(specs, http::Params::Parse(c.query));
    ASSERT_TRUE(q.ok()) << c.query << ": " << q.status().ToString();
    std::vector<int64_t> ids;
    for (const auto& o : objects)
      if (q->Matches([&](size_t spec) { return read(o, spec); })) ids.push_back(o.id);
    EXPECT_EQ(ids, c.ids) << c.query;
  }
}

TEST(WebhookFilters, EveryFilterAndLookupSelectsTheExpectedIds) {
  const std::vector<Case> cases = {
      {"", {1, 2, 3, 10}},
      {"unknown=1&cf_x=2&ordering=name", {1, 2, 3, 10}},  // not filters: ignored
      {"id=1", {1}},
      {"id=1&id=3", {1, 3}},
      {"id=", {1, 2, 3, 10}},  // empty values are skipped
      {"id=3.0", {3}},
      {"id__n=1&id__n=2", {3, 10}},
      {"id__gt=2", {3, 10}},
      {"id__gte=2", {2, 3, 10}},
      {"id__lt=3", {1, 2}},
      {"id__lte=3", {1, 2, 3}},
      {"id__gt=1&id__lt=10", {2, 3}},
      {"id__empty=true", {}},
      {"id__empty=false", {1, 2, 3, 10}},
      {"name=Alpha", {1}},
      {"name=alpha", {}},  // exact is case-sensitive
      {"name=Alpha&name=beta", {1, 2}},
      {"name__n=Alpha", {2, 3, 10}},
      {"name__ie=ALPHA", {1}},
      {"name__nie=alpha", {2, 3, 10}},
      {"name__ic=A", {1, 2, 3, 10}},
      {"name__ic=ray", {3}},
      {"name__nic=a&name__nic=b", {}},
      {"name__nic=ray&name__nic=delta", {1, 2}},
      {"name__isw=g", {3}},
      {"name__nisw=g", {1, 2, 10}},
      {"name__iew=TA", {2, 10}},
      {"name__niew=ta", {1, 3}},
      {"name__empty=false", {1, 2, 3, 10}},
      {"name__gt=a", {1, 2, 3, 10}},  // no such lookup on a text filter: ignored
      {"description=first+hook", {1}},
      {"description__empty=true", {2, 10}},
      {"description__ic=alpha", {3}},
      {"payload_url=EXAMPLE/P", {2}},  // contains, any case
      {"payload_url=a.example&payload_url=c.example", {1, 3}},
      {"http_method=POST", {1, 3}},
      {"http_method=GET&http_method=PUT", {2, 10}},
      {"http_method__n=POST", {2, 10}},
      {"http_method__ic=PUT", {2}},
      {"http_content_type=text/plain", {2}},
      {"http_content_type__ic=JSON", {1, 3, 10}},
      {"http_content_type__n=application/json", {2}},
      {"ssl_verification=false", {2}},
      {"ssl_verification=True", {1, 3, 10}},
      {"ca_file_path=/etc/ca.pem", {3}},
      {"ca_file_path__empty=true", {1, 2, 10}},  // null and "" are both empty
      {"ca_file_path__empty=false", {3}},
      {"ca_file_path__n=/etc/ca.pem", {1, 2, 10}},  // null rows are kept, as Django excludes
      {"ca_file_path__isw=/etc", {3}},
      {"timeout=30", {2}},
      {"timeout__lt=31", {2, 3}},
      {"timeout__empty=true", {1, 10}},
      {"signature_scheme=netbox", {1, 3}},
      {"signature_scheme=standard&signature_scheme=both", {2, 10}},
      {"signature_scheme__n=netbox", {2, 10}},
      {"q=alpha", {1, 3}},
      {"q=B.EXAMPLE", {2}},
      {"q=+", {1, 2, 3, 10}},  // a blank search filters nothing
      {"created=2026-01-01T00:00:00Z", {1}},
      {"created=2026-01-01", {1}},
      {"created__gte=2026-02-01", {2, 3}},
      {"created__lt=2026-02-01T00:00:00%2B00:00", {1}},
      {"created__n=2026-01-01", {2, 3, 10}},  // a null is kept by a negation, as in Django
      {"created__empty=true", {10}},
      {"last_updated__gt=2026-01-02", {1, 2}},
      {"last_updated__lte=2026-01-05", {1}},
      {"created_by_request=8c3b1e0e-7e0e-4a7b-9a3c-0c8e7e2f0a11", {}},
      {"modified_by_request=8c3b1e0e7e0e4a7b9a3c0c8e7e2f0a11", {}},
      {"id__gte=2&http_method=PUT&http_method=GET&name__nic=delta", {2}},
  };
  ExpectSelections(WebhookFilterSpecs(), Hooks(), WebhookField, cases);
}

TEST(EventRuleFilters, EveryFilterAndLookupSelectsTheExpectedIds) {
  const std::vector<Case> cases = {
      {"", {1, 2, 3}},
      {"id=2", {2}},
      {"id__n=2", {1, 3}},
      {"id__gt=1&id__lte=2", {2}},
      {"name=ips", {3}},
      {"name__ic=E", {1, 2}},
      {"name__nisw=d", {1, 3}},
      {"description__empty=true", {1, 3}},
      {"description__ie=ALL+DEVICES", {2}},
      {"enabled=false", {2}},
      {"enabled=1", {1, 3}},
      {"action_type=webhook", {1, 2, 3}},
      {"action_type__n=webhook", {}},
      {"action_type=script", {}},
      {"action_object_type=extras.webhook", {1, 2, 3}},
      {"action_object_type=Extras.Webhook", {1, 2, 3}},
      {"action_object_type__n=extras.webhook", {}},
      {"action_object_type=nodot", {}},
      {"action_object_id=10", {3}},
      {"action_object_id=1&action_object_id=2", {1, 2}},
      {"action_object_id__gte=2", {2, 3}},
      {"action_object_id__n=1", {2, 3}},
      {"action_object_id__empty=false", {1, 2, 3}},
      {"object_type=dcim.site", {1, 2}},
      {"object_type=DCIM.DEVICE", {2}},
      {"object_type=dcim.device&object_type=ipam.ipaddress", {2, 3}},
      {"object_type__n=dcim.site", {3}},
      {"event_type=object_deleted", {2, 3}},
      {"event_type=object_created&event_type=object_updated", {1, 2, 3}},
      {"q=SITES", {1}},
      {"q=devices", {2}},
      {"created=2026-01-01", {1}},
      {"created__empty=true", {2, 3}},
      {"last_updated__empty=true", {1, 2, 3}},
  };
  ExpectSelections(EventRuleFilterSpecs(), Rules(), EventRuleField, cases);
}

TEST(Filters, BadValuesRefusedFiltersAndRegexLookupsAreFieldErrors) {
  // query, the field its error is on, the message
  const std::vector<StringTriple> webhook_bad = {
      {"id=abc", "id", "Enter a whole number."},
      {"id__gt=1.5", "id__gt", "Enter a whole number."},
      {"id=99999999999999999999", "id", "Enter a whole number."},
      {"timeout__lt=x", "timeout__lt", "Enter a whole number."},
      {"created=yesterday", "created", "Enter a valid date/time."},
      {"http_method=post", "http_method",
       "Select a valid choice. post is not one of the available choices."},
      {"ssl_verification=maybe", "ssl_verification", "Must be a valid boolean."},
      {"name__empty=perhaps", "name__empty", "Must be a valid boolean."},
      {"name__regex=.*", "name__regex", "Regular expression lookups are not supported by Herald."},
      {"description__iregex=x", "description__iregex",
       "Regular expression lookups are not supported by Herald."},
      {"secret=s3cret", "secret", "The secret is write-only in Herald and cannot be filtered on."},
      {"previous_secret=old", "previous_secret",
       "The previous secret is write-only in Herald and cannot be filtered on."},
      {"signature_scheme=svix", "signature_scheme",
       "Select a valid choice. svix is not one of the available choices."},
      {"tag=prod", "tag", "Herald has no tags; this filter is not available."},
      {"tag__n=prod", "tag__n", "Herald has no tags; this filter is not available."},
      {"owner_id=1", "owner_id", "Herald has no owners; this filter is not available."},
      {"created_by_request=nope", "created_by_request", "Enter a valid UUID."},
  };
  auto expect_refused = [](const std::vector<FilterSpec>& specs,
                           const std::vector<StringTriple>& bad) {
    for (auto [query, field, message] : bad) {
      auto q = FilterQuery::Parse(specs, http::Params::Parse(query));
      ASSERT_FALSE(q.ok()) << query;
      ASSERT_EQ(q.status().field_errors().size(), 1u) << query;
      EXPECT_EQ(q.status().field_errors()[0].first, field) << query;
      EXPECT_EQ(q.status().field_errors()[0].second, std::vector<std::string>{message}) << query;
    }
  };
  expect_refused(WebhookFilterSpecs(), webhook_bad);
  const std::vector<StringTriple> rule_bad = {
      {"enabled=yes-ish", "enabled", "Must be a valid boolean."},
      {"action_type=Webhook", "action_type",
       "Select a valid choice. Webhook is not one of the available choices."},
      {"action_object_id=one", "action_object_id", "Enter a whole number."},
      {"object_type_id=5", "object_type_id",
       "Herald has no object type ids; filter with object_type=<app_label>.<model>."},
      {"object_type_id__n=5", "object_type_id__n",
       "Herald has no object type ids; filter with object_type=<app_label>.<model>."},
  };
  expect_refused(EventRuleFilterSpecs(), rule_bad);
  // Several bad parameters: every one reported.
  auto q = FilterQuery::Parse(WebhookFilterSpecs(), http::Params::Parse("id=x&id=y&created=z"));
  ASSERT_FALSE(q.ok());
  ASSERT_EQ(q.status().field_errors().size(), 2u);
  EXPECT_EQ(q.status().field_errors()[0].second.size(), 2u);
}

TEST(Filters, OrderingSortsByNamedFieldsWithNullsLastGoingUp) {
  auto hooks = Hooks();
  auto order = [&](const std::string& ordering) {
    std::vector<size_t> idx = {0, 1, 2, 3};
    SortByOrdering(
        WebhookFilterSpecs(), ordering,
        [&](size_t i, size_t spec) { return WebhookField(hooks[i], spec); }, idx);
    std::vector<int64_t> ids;
    for (size_t i : idx) ids.push_back(hooks[i].id);
    return ids;
  };
  EXPECT_EQ(order(""), (std::vector<int64_t>{1, 2, 3, 10}));
  EXPECT_EQ(order("-id"), (std::vector<int64_t>{10, 3, 2, 1}));
  EXPECT_EQ(order("name"), (std::vector<int64_t>{1, 3, 2, 10}));  // byte order: upper first
  EXPECT_EQ(order("timeout"), (std::vector<int64_t>{3, 2, 1, 10}));
  EXPECT_EQ(order("-timeout"), (std::vector<int64_t>{1, 10, 2, 3}));
  EXPECT_EQ(order("http_method,-id"), (std::vector<int64_t>{10, 3, 1, 2}));
  EXPECT_EQ(order("bogus,-created"), (std::vector<int64_t>{10, 3, 2, 1}));
  EXPECT_EQ(order("bogus,q,tag"), (std::vector<int64_t>{1, 2, 3, 10}));  // nothing sortable
}

}  // namespace
}  // namespace herald::api
