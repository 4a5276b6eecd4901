// The event rule form (validation/forms.h): request JSON -> EventRule with NetBox's validation
// (SPEC 2 and 8, docs/api.md): defaults, object and event types, conditions compiled on save,
// Herald's webhook-only actions, action_data, PUT and PATCH semantics, the JSON shape returned by
// the API, and the per-field error list.
#include <gtest/gtest.h>

#include <string>

#include "form_checks.h"
#include "model/object_types.h"
#include "validation/forms.h"

namespace herald {
namespace {

using namespace form_checks;  // NOLINT: test helpers

const char* kMinimal =
    R"({"name": "r", "object_types": ["dcim.device"], "event_types": ["object_created"],
        "action_object_id": 1})";

const FormCalls<EventRule> kForm{EventRuleFromJson, kMinimal};

EventRule Stored() {
  EventRule r = StoredRecord<EventRule>(7, "old");
  r.object_types = {"dcim.device", "dcim.site"};
  r.event_types = {"object_updated"};
  r.enabled = false;
  r.conditions = J(R"({"attr": "status.value", "value": "active"})");
  r.action_object_id = 3;
  r.action_data = J(R"({"team": "ops"})");
  r.comments = "notes";
  return r;
}

TEST(EventRuleForm, MinimalCreateTakesTheDefaults) {
  const EventRule e = ExpectCreated(kForm.Create(kMinimal), "r");
  EXPECT_EQ(e.object_types, std::vector<std::string>{"dcim.device"});
  EXPECT_EQ(e.event_types, std::vector<std::string>{"object_created"});
  EXPECT_TRUE(e.enabled);
  EXPECT_TRUE(e.conditions.is_none());
  EXPECT_EQ(e.action_type, "webhook");
  EXPECT_EQ(e.action_object_type, "extras.webhook");
  EXPECT_EQ(e.action_object_id, 1);
  EXPECT_TRUE(e.action_data.is_none());
  EXPECT_EQ(e.comments, "");
}

TEST(EventRuleForm, EveryWritableFieldIsRead) {
  auto r = kForm.Create(R"({"name": "full", "description": "d", "comments": "c",
                      "object_types": ["dcim.device", "ipam.prefix"],
                      "event_types": ["object_updated", "object_deleted"], "enabled": false,
                      "conditions": {"attr": "name", "value": "x"}, "action_type": "webhook",
                      "action_object_type": "extras.webhook", "action_object_id": "12",
                      "action_data": {"k": [1, 2]}})");
  ASSERT_TRUE(Ok(r)) << Describe(r);
  const EventRule& e = ValueOf(r);
  EXPECT_EQ(e.description, "d");
  EXPECT_EQ(e.comments, "c");
  EXPECT_EQ(e.object_types, (std::vector<std::string>{"dcim.device", "ipam.prefix"}));
  EXPECT_EQ(e.event_types, (std::vector<std::string>{"object_updated", "object_deleted"}));
  EXPECT_FALSE(e.enabled);
  EXPECT_EQ(DumpJson(e.conditions), R"({"attr": "name", "value": "x"})");
  EXPECT_EQ(e.action_object_id, 12);
  EXPECT_EQ(DumpJson(e.action_data), R"({"k": [1, 2]})");
}

TEST(EventRuleForm, BodyMustBeAnObject) {
  for (const char* body : {"[]", "null", "\"r\""})
    ExpectError(kForm.Create(body), "non_field_errors", "Invalid data. Expected a dictionary.",
                body);
}

TEST(EventRuleForm, RequiredFields) {
  for (const char* field : {"name", "object_types", "event_types"})
    ExpectError(kForm.Create(Without(J(kMinimal), field)), field, "This field is required.", field);
  ExpectError(kForm.Create(Without(J(kMinimal), "action_object_id")), "action_object_id",
              "This action requires a target object to be selected.", "no target");
  ExpectError(kForm.CreateWith("action_object_id", Value()), "action_object_id",
              "This action requires a target object to be selected.", "null target");
  auto none = kForm.Create("{}");
  EXPECT_EQ(FieldsOf(none),
            (std::vector<std::string>{"name", "object_types", "event_types", "action_object_id"}))
      << Describe(none);
}

TEST(EventRuleForm, NameAndDescription) {
  ExpectError(kForm.CreateWith("name", Value("")), "name", "This field may not be blank.", "blank");
  ExpectError(kForm.CreateWith("name", Value()), "name", "This field may not be null.", "null");
  ExpectError(kForm.CreateWith("name", Value(false)), "name", "Not a valid string.", "bool");
  EXPECT_TRUE(Ok(kForm.CreateWith("name", Value(std::string(150, 'n')))));
  ExpectError(kForm.CreateWith("name", Value(std::string(151, 'n'))), "name",
              "Ensure this field has no more than 150 characters.", "151");
  EXPECT_TRUE(Ok(kForm.CreateWith("description", Value(std::string(200, 'd')))));
  ExpectError(kForm.CreateWith("description", Value(std::string(201, 'd'))), "description",
              "Ensure this field has no more than 200 characters.", "201");
  EXPECT_TRUE(Ok(kForm.CreateWith("comments", Value(std::string(100000, 'c')))));
}

TEST(EventRuleForm, ObjectTypes) {
  ExpectError(kForm.CreateWith("object_types", Value("dcim.device")), "object_types",
              "Expected a list of items but got type \"str\".", "str");
  ExpectError(kForm.CreateWith("object_types", J("{}")), "object_types",
              "Expected a list of items but got type \"dict\".", "dict");
  ExpectError(kForm.CreateWith("object_types", Value()), "object_types",
              "Expected a list of items but got type \"NoneType\".", "null");
  ExpectError(kForm.CreateWith("object_types", J("[]")), "object_types",
              "This list may not be empty.", "empty");
  ExpectError(kForm.CreateWith("object_types", J(R"(["dcim.device", 5])")), "object_types",
              "Each item must be a string.", "int item");
  for (const char* bad :
       {"Device", "device", "dcim", "dcim.device.x", ".device", "dcim.", "DCIM.device",
        "dcim.Device", "1dcim.device", "dcim device", "dcim-x.device", ""}) {
    ExpectError(kForm.CreateWith("object_types", Value(List{Value(bad)})), "object_types",
                std::string("Invalid object type \"") + bad +
                    "\": expected \"app_label.model\" such as \"dcim.device\".",
                bad);
  }
  // Well-formed types outside NetBox's table are allowed (plugin models); repeats collapse.
  auto r = kForm.CreateWith("object_types",
                            J(R"(["netbox_bgp.session", "dcim.device", "netbox_bgp.session"])"));
  ASSERT_TRUE(Ok(r)) << Describe(r);
  EXPECT_EQ(ValueOf(r).object_types,
            (std::vector<std::string>{"netbox_bgp.session", "dcim.device"}));
  for (const auto& ot : KnownObjectTypes())
    EXPECT_TRUE(Ok(kForm.CreateWith("object_types", Value(List{Value(ot)})))) << ot;
}

TEST(EventRuleForm, EventTypes) {
  for (const auto& et : KnownEventTypes()) {
    auto r = kForm.CreateWith("event_types", Value(List{Value(et)}));
    ASSERT_TRUE(Ok(r)) << et << " -> " << Describe(r);
    EXPECT_EQ(ValueOf(r).event_types, std::vector<std::string>{et});
  }
  // The ingest spellings are not event types.
  for (const char* bad : {"created", "updated", "deleted", "job_ended", "Object_created", ""}) {
    ExpectError(kForm.CreateWith("event_types", Value(List{Value("object_created"), Value(bad)})),
                "event_types", std::string("\"") + bad + "\" is not a valid choice.", bad);
  }
  ExpectError(kForm.CreateWith("event_types", J("[]")), "event_types",
              "This list may not be empty.", "empty");
  ExpectError(kForm.CreateWith("event_types", Value("object_created")), "event_types",
              "Expected a list of items but got type \"str\".", "str");
}

TEST(EventRuleForm, Enabled) {
  for (const char* off : {"false", "0", "\"false\"", "\"False\"", "\"0\""}) {
    auto r = kForm.CreateWith("enabled", J(off));
    ASSERT_TRUE(Ok(r)) << off;
    EXPECT_FALSE(ValueOf(r).enabled) << off;
  }
  ExpectError(kForm.CreateWith("enabled", Value("maybe")), "enabled", "Must be a valid boolean.",
              "maybe");
}

TEST(EventRuleForm, ConditionsAreCompiledOnSave) {
  auto r = kForm.CreateWith("conditions", J(R"({"and": [{"attr": "status.value", "value": "active"},
                                                  {"attr": "name", "op": "regex", "value": "^w"}]})"));
  ASSERT_TRUE(Ok(r)) << Describe(r);
  EXPECT_TRUE(ValueOf(r).conditions.is_dict());
  // Falsy conditions mean none (SPEC 2) and are kept as sent, so {} reads back {} as in NetBox.
  for (const char* falsy : {"null", "{}", "[]", "\"\"", "0", "false"}) {
    auto f = kForm.CreateWith("conditions", J(falsy));
    ASSERT_TRUE(Ok(f)) << falsy << " -> " << Describe(f);
    EXPECT_TRUE(PyEquals(ValueOf(f).conditions, J(falsy))) << falsy;
    EXPECT_FALSE(ValueOf(f).conditions.truthy()) << falsy;
  }
  // Errors are on "conditions", with the compiler's message and where it points.
  struct Case {
    const char* conditions;
    const char* message;  // substring
  };
  for (const Case& c :
       {Case{R"({"attr": "name", "op": "nosuchop", "value": 1})", "Unknown operator: nosuchop"},
        Case{R"({"attr": "name", "op": "regex", "value": "("})", ""},
        Case{R"({"and": [{"attr": "a", "value": 1}, {"attr": "b", "op": "bad", "value": 1}]})",
             "(at and[1])"},
        Case{R"({"AND": [{"attr": "a", "value": 1}]})", "'and'"}, Case{R"({"value": 1})", ""},
        Case{R"("name")", ""}, Case{"[1]", ""}}) {
    auto e = kForm.CreateWith("conditions", J(c.conditions));
    EXPECT_EQ(FieldsOf(e), std::vector<std::string>{"conditions"}) << c.conditions;
    EXPECT_NE(MessageOf(e), "") << c.conditions;
    EXPECT_NE(MessageOf(e).find(c.message), std::string::npos)
        << c.conditions << " -> " << MessageOf(e);
    EXPECT_EQ(MessageOf(e), CheckConditions(J(c.conditions)).message()) << c.conditions;
  }
}

TEST(EventRuleForm, OnlyWebhookActions) {
  ExpectError(kForm.CreateWith("action_type", Value("script")), "action_type",
              "\"script\" actions are not supported by Herald; use \"webhook\".", "script");
  ExpectError(kForm.CreateWith("action_type", Value("notification")), "action_type",
              "\"notification\" actions are not supported by Herald; use \"webhook\".", "notif");
  ExpectError(kForm.CreateWith("action_type", Value("email")), "action_type",
              "\"email\" is not a valid choice.", "email");
  ExpectError(kForm.CreateWith("action_type", Value("")), "action_type",
              "This field may not be blank.", "blank");
  ExpectError(kForm.CreateWith("action_object_type", Value("extras.script")), "action_object_type",
              "Only \"extras.webhook\" targets are supported, got \"extras.script\".", "script");
  EXPECT_TRUE(Ok(kForm.CreateWith("action_object_type", Value("extras.webhook"))));
}

TEST(EventRuleForm, ActionObjectId) {
  auto r = kForm.CreateWith("action_object_id", Value("9"));
  ASSERT_TRUE(Ok(r)) << Describe(r);
  EXPECT_EQ(ValueOf(r).action_object_id, 9);
  // One message per problem: a bad id is not also reported as missing.
  ExpectError(kForm.CreateWith("action_object_id", Value(0)), "action_object_id",
              "Ensure this value is greater than or equal to 1.", "0");
  ExpectError(kForm.CreateWith("action_object_id", Value(-3)), "action_object_id",
              "Ensure this value is greater than or equal to 1.", "-3");
  for (const char* bad : {"\"abc\"", "1.5", "true", "[1]", "\"1-2\""})
    ExpectError(kForm.CreateWith("action_object_id", J(bad)), "action_object_id",
                "A valid integer is required.", bad);
}

TEST(EventRuleForm, ActionDataIsAnObjectOrNull) {
  auto r = kForm.CreateWith("action_data", J(R"({"a": {"b": 1}})"));
  ASSERT_TRUE(Ok(r)) << Describe(r);
  EXPECT_EQ(DumpJson(ValueOf(r).action_data), R"({"a": {"b": 1}})");
  auto null = kForm.CreateWith("action_data", Value());
  ASSERT_TRUE(Ok(null));
  EXPECT_TRUE(ValueOf(null).action_data.is_none());
  for (const char* bad : {"[1]", "\"x\"", "1", "true", "[]"})
    ExpectError(kForm.CreateWith("action_data", J(bad)), "action_data",
                "Action data must be a JSON object or null.", bad);
}

TEST(EventRuleForm, PatchChangesOnlyWhatIsSent) {
  const EventRule base = Stored();
  auto same = kForm.Patch(base, "{}");
  ASSERT_TRUE(Ok(same)) << Describe(same);
  auto json = [](const EventRule& r) { return DumpJson(EventRuleToJson(r, "", false, nullptr)); };
  EXPECT_EQ(json(ValueOf(same)), json(base));

  auto r = kForm.Patch(base, R"({"enabled": true, "event_types": ["object_deleted"]})");
  ASSERT_TRUE(Ok(r)) << Describe(r);
  const EventRule& e = ValueOf(r);
  EXPECT_TRUE(e.enabled);
  EXPECT_EQ(e.event_types, std::vector<std::string>{"object_deleted"});
  EXPECT_EQ(e.id, base.id);
  EXPECT_EQ(e.created, base.created);
  EXPECT_EQ(e.name, base.name);
  EXPECT_EQ(e.object_types, base.object_types);
  EXPECT_EQ(DumpJson(e.conditions), DumpJson(base.conditions));
  EXPECT_EQ(e.action_object_id, base.action_object_id);
  EXPECT_EQ(DumpJson(e.action_data), DumpJson(base.action_data));
  EXPECT_EQ(e.comments, base.comments);

  auto cleared = kForm.Patch(base, R"({"conditions": null, "action_data": null})");
  ASSERT_TRUE(Ok(cleared));
  EXPECT_TRUE(ValueOf(cleared).conditions.is_none());
  EXPECT_TRUE(ValueOf(cleared).action_data.is_none());

  ExpectError(kForm.Patch(base, R"({"object_types": []})"), "object_types",
              "This list may not be empty.", "patch");
  ExpectError(kForm.Patch(base, R"({"action_object_id": null})"), "action_object_id",
              "This action requires a target object to be selected.", "patch");
  ExpectError(kForm.Patch(base, R"({"conditions": {"attr": "x"}})"), "conditions",
              CheckConditions(J(R"({"attr": "x"})")).message(), "patch");
}

TEST(EventRuleForm, PutKeepsTheStoredValuesOfFieldsLeftOut) {
  const EventRule base = Stored();
  auto r = kForm.Put(base, R"({"name": "new", "object_types": ["ipam.vlan"],
                         "event_types": ["object_created"], "action_object_id": 4})");
  ASSERT_TRUE(Ok(r)) << Describe(r);
  const EventRule& e = ValueOf(r);
  EXPECT_EQ(e.id, base.id);
  EXPECT_EQ(e.created, base.created);
  EXPECT_EQ(e.name, "new");
  EXPECT_EQ(e.object_types, std::vector<std::string>{"ipam.vlan"});
  EXPECT_EQ(e.action_object_id, 4);
  // Left out: kept, as in DRF's full update (a PUT used to clear description and conditions).
  EXPECT_FALSE(e.enabled);
  EXPECT_TRUE(PyEquals(e.conditions, base.conditions));
  EXPECT_TRUE(PyEquals(e.action_data, base.action_data));
  EXPECT_EQ(e.description, base.description);
  EXPECT_EQ(e.comments, base.comments);
  // The required fields stay required.
  ExpectError(kForm.Put(base, R"({"name": "n", "event_types": ["object_created"]})"),
              "object_types", "This field is required.", "put");
  // The stored target stands in for one left out.
  auto kept = kForm.Put(base, R"({"name": "n", "object_types": ["ipam.vlan"],
                            "event_types": ["object_created"]})");
  ASSERT_TRUE(Ok(kept)) << Describe(kept);
  EXPECT_EQ(ValueOf(kept).action_object_id, 3);
}

TEST(EventRuleJson, FieldsAndTheNestedWebhook) {
  Webhook hook;
  hook.id = 3;
  hook.name = "target";
  hook.description = "td";
  EventRule rule = Stored();
  auto resolve = [&](int64_t id) -> const Webhook* { return id == hook.id ? &hook : nullptr; };
  Value v = EventRuleToJson(rule, "http://h", false, resolve);
  EXPECT_EQ(KeysOf(v), ObjectKeys({"object_types", "enabled", "event_types", "conditions",
                                   "action_type", "action_object_type", "action_object_id",
                                   "action_object", "action_data", "comments"}));
  EXPECT_EQ(v.get("url")->as_str(), "http://h/api/extras/event-rules/7/");
  EXPECT_EQ(v.get("display_url")->as_str(), "http://h/event-rules/7/");
  EXPECT_EQ(DumpJson(*v.get("object_types")), R"(["dcim.device", "dcim.site"])");
  EXPECT_EQ(DumpJson(*v.get("action_type")), R"({"value": "webhook", "label": "Webhook"})");
  EXPECT_EQ(v.get("action_object_type")->as_str(), "extras.webhook");
  EXPECT_EQ(v.get("action_object_id")->as_int(), 3);
  EXPECT_EQ(DumpJson(*v.get("action_object")),
            R"({"id": 3, "url": "http://h/api/extras/webhooks/3/", "display": "target", )"
            R"("name": "target", "description": "td"})");
  EXPECT_EQ(DumpJson(*v.get("action_data")), R"({"team": "ops"})");
  EXPECT_EQ(v.get("created")->as_str(), "2023-11-14T22:13:20Z");
  EXPECT_TRUE(v.get("last_updated")->is_none());

  // A target that cannot be resolved, or no resolver, gives a null action_object.
  rule.action_object_id = 99;
  EXPECT_TRUE(EventRuleToJson(rule, "", false, resolve).get("action_object")->is_none());
  EXPECT_TRUE(EventRuleToJson(rule, "", false, nullptr).get("action_object")->is_none());

  EXPECT_EQ(DumpJson(EventRuleToJson(rule, "", true, resolve)),
            R"({"id": 7, "url": "/api/extras/event-rules/7/", "display": "stored", )"
            R"("name": "stored", "description": "old"})");
}

TEST(EventRuleJson, WhatIsReadCanBeWrittenBack) {
  EventRule base = Stored();
  Value read = EventRuleToJson(base, "", false, nullptr);
  // action_type reads as {"value", "label"} and is written as the value.
  read.as_dict().set("action_type", Value("webhook"));
  auto r = EventRuleFromJson(read, &base, false);
  ASSERT_TRUE(Ok(r)) << Describe(r);
  EXPECT_EQ(DumpJson(EventRuleToJson(ValueOf(r), "", false, nullptr)),
            DumpJson(EventRuleToJson(base, "", false, nullptr)));
}

TEST(FieldErrors, MessagesGroupByFieldInFirstSeenOrder) {
  FieldErrors errors;
  AddFieldError(errors, "name", "first");
  AddFieldError(errors, "payload_url", "bad");
  AddFieldError(errors, "name", "second");
  EXPECT_EQ(DumpJson(FieldErrorsToValue(errors)),
            R"({"name": ["first", "second"], "payload_url": ["bad"]})");
  EXPECT_EQ(DumpJson(FieldErrorsToValue({})), "{}");
}

}  // namespace
}  // namespace herald
