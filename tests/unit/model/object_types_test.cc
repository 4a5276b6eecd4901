// NetBox object types and event types (model/object_types.h): the model -> object type table,
// the shape of an object type, the event-type registry (SPEC 2) and the two event-name mappings
// (ingested name -> rule event type; rule event type -> the context's `event`, SPEC 5.1).
#include "model/object_types.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "support/cases.h"

namespace herald {
namespace {

using herald::testing::StringPair;

TEST(ObjectTypes, BareModelNamesMapToTheirApp) {
  for (auto [model, object_type] :
       {StringPair{"device", "dcim.device"}, StringPair{"site", "dcim.site"},
        StringPair{"interface", "dcim.interface"}, StringPair{"ipaddress", "ipam.ipaddress"},
        StringPair{"prefix", "ipam.prefix"}, StringPair{"vlan", "ipam.vlan"},
        StringPair{"circuit", "circuits.circuit"}, StringPair{"job", "core.job"},
        StringPair{"webhook", "extras.webhook"}, StringPair{"eventrule", "extras.eventrule"},
        StringPair{"script", "extras.script"}, StringPair{"tenant", "tenancy.tenant"},
        StringPair{"user", "users.user"}, StringPair{"tunnel", "vpn.tunnel"},
        StringPair{"virtualmachine", "virtualization.virtualmachine"},
        StringPair{"wirelesslan", "wireless.wirelesslan"}}) {
    EXPECT_EQ(ObjectTypeForModel(model), object_type) << model;
  }
  for (const char* unknown : {"", "Device", "DEVICE", "devices", "dcim.device", " device",
                              "device ", "nosuchmodel", "ip_address"})
    EXPECT_FALSE(ObjectTypeForModel(unknown).has_value()) << unknown;
}

TEST(ObjectTypes, TheTableIsSortedWellFormedAndUnambiguous) {
  const auto& all = KnownObjectTypes();
  ASSERT_FALSE(all.empty());
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  std::set<std::string> models;
  for (const auto& ot : all) {
    EXPECT_TRUE(IsWellFormedObjectType(ot)) << ot;
    std::string model = ot.substr(ot.find('.') + 1);
    // A bare model name must name one object type, or ingest could not resolve it.
    EXPECT_TRUE(models.insert(model).second) << "model name in two apps: " << model;
    EXPECT_EQ(ObjectTypeForModel(model), ot);
  }
  EXPECT_TRUE(std::binary_search(all.begin(), all.end(), "dcim.device"));
  EXPECT_TRUE(std::binary_search(all.begin(), all.end(), "core.job"));
}

TEST(ObjectTypes, WellFormedMeansAppLabelDotModel) {
  for (const char* ok :
       {"dcim.device", "a.b", "netbox_bgp.bgpsession", "app2.model_3", "_private.x", "x.y_"})
    EXPECT_TRUE(IsWellFormedObjectType(ok)) << ok;
  for (const char* bad :
       {"", ".", "dcim", "dcim.", ".device", "dcim.device.x", "dcim..device", "DCIM.device",
        "dcim.Device", "1dcim.device", "dcim device.x", "dcim-x.device", "dcim.dev-ice",
        "dcim.dev ice", "dcim.d\xc3\xa9vice", "dcim/device"})
    EXPECT_FALSE(IsWellFormedObjectType(bad)) << bad;
  // At most 200 characters.
  std::string at_limit = "a." + std::string(198, 'm');
  EXPECT_TRUE(IsWellFormedObjectType(at_limit));
  EXPECT_FALSE(IsWellFormedObjectType(at_limit + "m"));
}

TEST(EventTypes, TheRegistry) {
  EXPECT_EQ(KnownEventTypes(), (std::vector<std::string>{
                                   "object_created", "object_updated", "object_deleted",
                                   "job_started", "job_completed", "job_failed", "job_errored"}));
  for (const auto& t : KnownEventTypes()) EXPECT_TRUE(IsKnownEventType(t)) << t;
  for (const char* t :
       {"", "created", "job_ended", "Object_created", "object_created ", "object_changed"})
    EXPECT_FALSE(IsKnownEventType(t)) << t;
}

TEST(EventTypes, IngestedNamesNormalise) {
  for (auto [event, type] :
       {StringPair{"created", "object_created"}, StringPair{"updated", "object_updated"},
        StringPair{"deleted", "object_deleted"}, StringPair{"job_ended", "job_completed"}})
    EXPECT_EQ(EventTypeForEvent(event), type) << event;
  for (const auto& t : KnownEventTypes()) EXPECT_EQ(EventTypeForEvent(t), t);
  for (const char* bad : {"", "create", "Created", "job_end", "job_start", "deleted "})
    EXPECT_FALSE(EventTypeForEvent(bad).has_value()) << bad;
}

TEST(EventTypes, ContextEventNames) {
  for (auto [type, event] :
       {StringPair{"object_created", "created"}, StringPair{"object_updated", "updated"},
        StringPair{"object_deleted", "deleted"}, StringPair{"job_started", "job_started"},
        StringPair{"job_completed", "job_ended"}, StringPair{"job_failed", "job_ended"},
        StringPair{"job_errored", "job_ended"}})
    EXPECT_EQ(ContextEventName(type), event) << type;
  // Names outside the registry pass unchanged.
  EXPECT_EQ(ContextEventName("plugin_event"), "plugin_event");
  // Every ingested spelling of an event comes back as NetBox's context value.
  for (const char* e : {"created", "updated", "deleted", "job_started", "job_ended"})
    EXPECT_EQ(ContextEventName(*EventTypeForEvent(e)), e) << e;
}

}  // namespace
}  // namespace herald
