#include "model/object_types.h"

#include <algorithm>
#include <unordered_map>

namespace herald {

namespace {

struct AppModels {
  const char* app;
  std::vector<const char*> models;
};

const std::vector<AppModels>& Table() {
  static const std::vector<AppModels> kTable = {
      {"circuits",
       {"circuit", "circuitgroup", "circuitgroupassignment", "circuittermination", "circuittype",
        "provider", "provideraccount", "providernetwork", "virtualcircuit",
        "virtualcircuittermination", "virtualcircuittype"}},
      {"core", {"datafile", "datasource", "job", "objecttype"}},
      {"dcim",
       {"cable",
        "cabletermination",
        "consoleport",
        "consoleporttemplate",
        "consoleserverport",
        "consoleserverporttemplate",
        "device",
        "devicebay",
        "devicebaytemplate",
        "devicerole",
        "devicetype",
        "frontport",
        "frontporttemplate",
        "interface",
        "interfacetemplate",
        "inventoryitem",
        "inventoryitemrole",
        "inventoryitemtemplate",
        "location",
        "macaddress",
        "manufacturer",
        "module",
        "modulebay",
        "modulebaytemplate",
        "moduletype",
        "moduletypeprofile",
        "platform",
        "powerfeed",
        "poweroutlet",
        "poweroutlettemplate",
        "powerpanel",
        "powerport",
        "powerporttemplate",
        "rack",
        "rackreservation",
        "rackrole",
        "racktype",
        "rearport",
        "rearporttemplate",
        "region",
        "site",
        "sitegroup",
        "virtualchassis",
        "virtualdevicecontext"}},
      {"extras",
       {"bookmark", "configcontext", "configcontextprofile", "configtemplate", "customfield",
        "customfieldchoiceset", "customlink", "eventrule", "exporttemplate", "imageattachment",
        "journalentry", "notificationgroup", "savedfilter", "script", "tableconfig", "tag",
        "webhook"}},
      {"ipam",
       {"aggregate", "asn", "asnrange", "fhrpgroup", "fhrpgroupassignment", "ipaddress", "iprange",
        "prefix", "rir", "role", "routetarget", "service", "servicetemplate", "vlan", "vlangroup",
        "vlantranslationpolicy", "vlantranslationrule", "vrf"}},
      {"tenancy",
       {"contact", "contactassignment", "contactgroup", "contactrole", "tenant", "tenantgroup"}},
      {"users", {"group", "objectpermission", "owner", "ownergroup", "token", "user"}},
      {"virtualization",
       {"cluster", "clustergroup", "clustertype", "virtualdisk", "virtualmachine", "vminterface"}},
      {"vpn",
       {"ikepolicy", "ikeproposal", "ipsecpolicy", "ipsecprofile", "ipsecproposal", "l2vpn",
        "l2vpntermination", "tunnel", "tunnelgroup", "tunneltermination"}},
      {"wireless", {"wirelesslan", "wirelesslangroup", "wirelesslink"}},
  };
  return kTable;
}

}  // namespace

std::optional<std::string> ObjectTypeForModel(std::string_view model) {
  static const std::unordered_map<std::string, std::string> kMap = [] {
    std::unordered_map<std::string, std::string> m;
    for (const auto& app : Table())
      for (const char* model : app.models) m.emplace(model, std::string(app.app) + "." + model);
    return m;
  }();
  auto it = kMap.find(std::string(model));
  if (it == kMap.end()) return std::nullopt;
  return it->second;
}

const std::vector<std::string>& KnownObjectTypes() {
  static const std::vector<std::string> kAll = [] {
    std::vector<std::string> v;
    for (const auto& app : Table())
      for (const char* model : app.models) v.push_back(std::string(app.app) + "." + model);
    std::sort(v.begin(), v.end());
    return v;
  }();
  return kAll;
}

bool IsWellFormedObjectType(std::string_view ot) {
  auto dot = ot.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= ot.size()) return false;
  if (ot.find('.', dot + 1) != std::string_view::npos) return false;
  if (ot.size() > 200) return false;
  for (size_t i = 0; i < ot.size(); ++i) {
    char c = ot[i];
    if (i == dot) continue;
    bool ok = (c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return !(ot[0] >= '0' && ot[0] <= '9');
}

const std::vector<std::string>& KnownEventTypes() {
  static const std::vector<std::string> kTypes = {
      "object_created", "object_updated", "object_deleted", "job_started",
      "job_completed",  "job_failed",     "job_errored"};
  return kTypes;
}

bool IsKnownEventType(std::string_view t) {
  for (const auto& k : KnownEventTypes())
    if (k == t) return true;
  return false;
}

std::optional<std::string> EventTypeForEvent(std::string_view event) {
  if (event == "created") return "object_created";
  if (event == "updated") return "object_updated";
  if (event == "deleted") return "object_deleted";
  if (event == "job_ended") return "job_completed";
  if (IsKnownEventType(event)) return std::string(event);
  return std::nullopt;
}

std::string ContextEventName(std::string_view t) {
  if (t == "object_created") return "created";
  if (t == "object_updated") return "updated";
  if (t == "object_deleted") return "deleted";
  if (t == "job_completed" || t == "job_failed" || t == "job_errored") return "job_ended";
  return std::string(t);
}

}  // namespace herald
