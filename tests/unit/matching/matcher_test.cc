// The rule index (SPEC 4.5): which enabled rules an event reaches by object type and event type,
// their conditions (on the payload and the snapshots, never on action_data), one queued task per
// matching rule in rule name order, and the index as an immutable snapshot of the configuration.
// The per-event condition deadline is covered in tests/unit/api/ingest_budget_test.cc.
#include "matching/matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "support/json.h"
#include "value/json.h"

namespace herald {
namespace {

using herald::testing::J;

Webhook Hook(int64_t id, const std::string& name) {
  Webhook w;
  w.id = id;
  w.name = name;
  w.payload_url = "http://127.0.0.1:9/" + name;
  return w;
}

// An enabled rule on the given types, targeting webhook `target`; `conditions` is JSON or "".
EventRule Rule(int64_t id, const std::string& name, std::vector<std::string> object_types,
               std::vector<std::string> event_types, int64_t target,
               const std::string& conditions = "") {
  EventRule r;
  r.id = id;
  r.name = name;
  r.object_types = std::move(object_types);
  r.event_types = std::move(event_types);
  r.action_object_id = target;
  if (!conditions.empty()) r.conditions = J(conditions);
  return r;
}

Event Ev(const std::string& object_type, const std::string& event_type,
         const std::string& data = "{}", const std::string& snapshots = "") {
  Event e;
  e.event = event_type;
  e.event_type = event_type;
  e.object_type = object_type;
  e.model = object_type.substr(object_type.find('.') + 1);
  e.data = data.empty() ? Value() : J(data);
  if (!snapshots.empty()) e.snapshots = J(snapshots);
  return e;
}

// The rule names of the tasks one Match call appends, in order.
std::vector<std::string> Matched(const RuleIndex& idx, const Event& e) {
  std::vector<Task> tasks;
  idx.Match(e, &tasks);
  std::vector<std::string> names;
  for (const auto& t : tasks) names.push_back(t.rule_name);
  return names;
}

using Names = std::vector<std::string>;

const std::vector<Webhook> kHooks = {Hook(1, "hook-one"), Hook(2, "hook-two")};

TEST(RuleIndex, WithoutRulesNothingMatches) {
  auto idx = RuleIndex::Build({}, kHooks, 7);
  EXPECT_EQ(idx->revision(), 7);
  EXPECT_EQ(idx->rule_count(), 0u);
  std::vector<Task> tasks;
  auto st = idx->Match(Ev("dcim.device", "object_created"), &tasks);
  EXPECT_EQ(st.matched, 0u);
  EXPECT_EQ(st.failed, 0u);
  EXPECT_EQ(st.over_budget, 0u);
  EXPECT_TRUE(tasks.empty());
  // No webhooks either.
  EXPECT_TRUE(Matched(*RuleIndex::Build({}, {}, 0), Ev("dcim.device", "object_created")).empty());
}

TEST(RuleIndex, ObjectTypeAndEventTypeMustBothMatch) {
  auto idx = RuleIndex::Build({Rule(1, "devices-created", {"dcim.device"}, {"object_created"}, 1)},
                              kHooks, 1);
  EXPECT_EQ(Matched(*idx, Ev("dcim.device", "object_created")), Names{"devices-created"});
  EXPECT_TRUE(Matched(*idx, Ev("dcim.device", "object_updated")).empty());
  EXPECT_TRUE(Matched(*idx, Ev("dcim.site", "object_created")).empty());
  EXPECT_TRUE(Matched(*idx, Ev("dcim.site", "object_deleted")).empty());
  // Exact names: no prefix, app-label-only or case-insensitive matching.
  EXPECT_TRUE(Matched(*idx, Ev("dcim.devicetype", "object_created")).empty());
  EXPECT_TRUE(Matched(*idx, Ev("DCIM.device", "object_created")).empty());
  EXPECT_TRUE(Matched(*idx, Ev("dcim.device", "created")).empty()) << "the normalised type";
}

TEST(RuleIndex, EveryListedObjectTypeAndEventTypeCombinationMatches) {
  auto idx = RuleIndex::Build(
      {Rule(1, "r", {"dcim.device", "ipam.prefix"}, {"object_created", "object_deleted"}, 1)},
      kHooks, 1);
  for (const char* ot : {"dcim.device", "ipam.prefix"}) {
    for (const char* et : {"object_created", "object_deleted"})
      EXPECT_EQ(Matched(*idx, Ev(ot, et)), Names{"r"}) << ot << " " << et;
    EXPECT_TRUE(Matched(*idx, Ev(ot, "object_updated")).empty()) << ot;
  }
  EXPECT_TRUE(Matched(*idx, Ev("dcim.site", "object_created")).empty());
}

TEST(RuleIndex, DisabledRulesAreIgnored) {
  EventRule off = Rule(1, "off", {"dcim.device"}, {"object_created"}, 1);
  off.enabled = false;
  auto idx =
      RuleIndex::Build({off, Rule(2, "on", {"dcim.device"}, {"object_created"}, 1)}, kHooks, 1);
  EXPECT_EQ(idx->rule_count(), 1u);
  EXPECT_EQ(Matched(*idx, Ev("dcim.device", "object_created")), Names{"on"});
}

TEST(RuleIndex, RulesWithoutAWebhookTargetAreSkipped) {
  EventRule no_target = Rule(1, "no-target", {"dcim.device"}, {"object_created"}, 1);
  no_target.action_object_id.reset();
  EventRule dangling = Rule(2, "dangling", {"dcim.device"}, {"object_created"}, 99);
  EventRule script = Rule(3, "script", {"dcim.device"}, {"object_created"}, 1);
  script.action_type = "script";
  auto idx = RuleIndex::Build({no_target, dangling, script}, kHooks, 1);
  EXPECT_EQ(idx->rule_count(), 0u);
  EXPECT_TRUE(Matched(*idx, Ev("dcim.device", "object_created")).empty());
}

TEST(RuleIndex, TaskCarriesTheRuleTheWebhookAndTheEvent) {
  EventRule r = Rule(11, "notify", {"dcim.site"}, {"object_updated"}, 2);
  r.action_data = J(R"({"channel": "ops", "n": 1})");
  auto idx = RuleIndex::Build({r}, kHooks, 3);
  std::vector<Task> tasks;
  auto st = idx->Match(Ev("dcim.site", "object_updated", R"({"id": 4})"), &tasks);
  EXPECT_EQ(st.matched, 1u);
  ASSERT_EQ(tasks.size(), 1u);
  const Task& t = tasks[0];
  EXPECT_EQ(t.rule_id, 11);
  EXPECT_EQ(t.rule_name, "notify");
  EXPECT_EQ(t.webhook_id, 2);
  EXPECT_EQ(t.webhook_name, "hook-two");
  EXPECT_EQ(t.object_type, "dcim.site");
  EXPECT_EQ(t.event_type, "object_updated");
  EXPECT_EQ(DumpJson(t.action_data), R"({"channel": "ops", "n": 1})");
  EXPECT_EQ(t.status, TaskStatus::kQueued);
  EXPECT_EQ(t.attempts, 0);
}

TEST(RuleIndex, MatchAppendsAndKeepsWhatIsAlreadyThere) {
  auto idx = RuleIndex::Build({Rule(1, "r", {"dcim.device"}, {"object_created"}, 1)}, kHooks, 1);
  std::vector<Task> tasks(1);
  tasks[0].rule_name = "earlier";
  idx->Match(Ev("dcim.device", "object_created"), &tasks);
  idx->Match(Ev("dcim.device", "object_created"), &tasks);
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks[0].rule_name, "earlier");
  EXPECT_EQ(tasks[1].rule_name, "r");
  EXPECT_EQ(tasks[2].rule_name, "r");
}

TEST(RuleIndex, EachMatchingRuleYieldsItsOwnTaskInNameOrder) {
  // Given out of order; two rules share a webhook; one rule listens elsewhere.
  auto idx = RuleIndex::Build({Rule(1, "charlie", {"dcim.device"}, {"object_created"}, 1),
                               Rule(2, "alpha", {"dcim.device"}, {"object_created"}, 2),
                               Rule(4, "bravo", {"dcim.device"}, {"object_created"}, 1),
                               Rule(5, "delta", {"dcim.site"}, {"object_created"}, 1)},
                              kHooks, 1);
  std::vector<Task> tasks;
  auto st = idx->Match(Ev("dcim.device", "object_created"), &tasks);
  EXPECT_EQ(st.matched, 3u);
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks[0].rule_name, "alpha");
  EXPECT_EQ(tasks[1].rule_name, "bravo");
  EXPECT_EQ(tasks[2].rule_name, "charlie");
  EXPECT_EQ(tasks[0].webhook_name, "hook-two");
  EXPECT_EQ(tasks[1].webhook_name, "hook-one");
  EXPECT_EQ(tasks[2].webhook_id, 1);
}

TEST(RuleIndex, ConditionsDecideOnThePayload) {
  auto idx = RuleIndex::Build({Rule(1, "active", {"dcim.device"}, {"object_created"}, 1,
                                    R"({"attr": "status.value", "value": "active"})"),
                               Rule(2, "web", {"dcim.device"}, {"object_created"}, 1,
                                    R"({"and": [{"attr": "name", "op": "regex", "value": "^web"},
                        {"attr": "tags.slug", "op": "contains", "value": "skip", "negate": true}]})"),
                               Rule(3, "falsy", {"dcim.device"}, {"object_created"}, 1, "{}")},
                              kHooks, 1);
  EXPECT_EQ(Matched(*idx, Ev("dcim.device", "object_created",
                             R"({"name": "web01", "status": {"value": "active"}, "tags": []})")),
            (Names{"active", "falsy", "web"}));
  EXPECT_EQ(Matched(*idx, Ev("dcim.device", "object_created",
                             R"({"name": "db01", "status": {"value": "active"}, "tags": []})")),
            (Names{"active", "falsy"}));
  EXPECT_EQ(Matched(*idx, Ev("dcim.device", "object_created",
                             R"({"name": "web02", "status": {"value": "planned"},
                                 "tags": [{"slug": "skip"}]})")),
            (Names{"falsy"}));
}

TEST(RuleIndex, ConditionsSeeSnapshots) {
  auto idx =
      RuleIndex::Build({Rule(1, "status-changed", {"dcim.device"}, {"object_updated"}, 1,
                             R"({"attr": "status", "op": "changed"})"),
                        Rule(2, "was-planned", {"dcim.device"}, {"object_updated"}, 1,
                             R"({"attr": "snapshots.prechange.status", "value": "planned"})")},
                       kHooks, 1);
  EXPECT_EQ(Matched(*idx, Ev("dcim.device", "object_updated", R"({"id": 1})",
                             R"({"prechange": {"status": "planned"},
                                 "postchange": {"status": "active"}})")),
            (Names{"status-changed", "was-planned"}));
  EXPECT_EQ(Matched(*idx, Ev("dcim.device", "object_updated", R"({"id": 1})",
                             R"({"prechange": {"status": "active"},
                                 "postchange": {"status": "active"}})")),
            Names{});
}

TEST(RuleIndex, ConditionsNeverSeeActionData) {
  EventRule r =
      Rule(1, "env", {"dcim.device"}, {"object_created"}, 1, R"({"attr": "env", "value": "prod"})");
  r.action_data = J(R"({"env": "prod"})");
  auto idx = RuleIndex::Build({r}, kHooks, 1);
  std::vector<Task> tasks;
  auto st = idx->Match(Ev("dcim.device", "object_created", R"({"name": "x"})"), &tasks);
  EXPECT_TRUE(tasks.empty());
  EXPECT_EQ(st.failed, 1u) << "'env' is missing from the payload: InvalidCondition";
  EXPECT_EQ(Matched(*idx, Ev("dcim.device", "object_created", R"({"env": "prod"})")), Names{"env"});
}

TEST(RuleIndex, AFailedEvaluationIsCountedAndOtherRulesStillMatch) {
  auto idx = RuleIndex::Build({Rule(1, "a-missing", {"dcim.device"}, {"object_created"}, 1,
                                    R"({"attr": "no.such.path", "value": 1})"),
                               Rule(2, "b-type", {"dcim.device"}, {"object_created"}, 1,
                                    R"({"attr": "name", "op": "gt", "value": 3})"),
                               Rule(3, "c-plain", {"dcim.device"}, {"object_created"}, 1)},
                              kHooks, 1);
  std::vector<Task> tasks;
  auto st = idx->Match(Ev("dcim.device", "object_created", R"({"name": "web01"})"), &tasks);
  EXPECT_EQ(st.failed, 2u);
  EXPECT_EQ(st.over_budget, 0u);
  EXPECT_TRUE(st.skipped.empty());
  EXPECT_EQ(st.matched, 1u);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].rule_name, "c-plain");
}

TEST(RuleIndex, StoredConditionsThatNoLongerCompileNeverMatch) {
  auto idx = RuleIndex::Build(
      {Rule(1, "broken-op", {"dcim.device"}, {"object_created"}, 1,
            R"({"attr": "name", "op": "nosuchop", "value": "x"})"),
       Rule(2, "broken-shape", {"dcim.device"}, {"object_created"}, 1, R"({"AND": []})"),
       Rule(3, "fine", {"dcim.device"}, {"object_created"}, 1)},
      kHooks, 1);
  std::vector<Task> tasks;
  auto st = idx->Match(Ev("dcim.device", "object_created", R"({"name": "x"})"), &tasks);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].rule_name, "fine");
  EXPECT_EQ(st.matched, 1u);
}

TEST(RuleIndex, ObjectTypesOutsideTheBuiltInTableMatchByName) {
  auto idx = RuleIndex::Build({Rule(1, "plugin", {"netbox_bgp.session"}, {"object_created"}, 1)},
                              kHooks, 1);
  EXPECT_EQ(Matched(*idx, Ev("netbox_bgp.session", "object_created")), Names{"plugin"});
  EXPECT_TRUE(Matched(*idx, Ev("netbox_dns.zone", "object_created")).empty());
}

TEST(RuleIndex, JobEvents) {
  auto idx = RuleIndex::Build({Rule(1, "started", {"extras.script"}, {"job_started"}, 1),
                               Rule(2, "completed", {"extras.script"}, {"job_completed"}, 1),
                               Rule(3, "completed-ok", {"extras.script"}, {"job_completed"}, 1,
                                    R"({"attr": "status.value", "value": "completed"})"),
                               Rule(4, "status-changed", {"extras.script"}, {"job_completed"}, 1,
                                    R"({"attr": "status", "op": "changed"})")},
                              kHooks, 1);
  EXPECT_EQ(Matched(*idx, Ev("extras.script", "job_started", "")), Names{"started"});
  // A job without data: rules without conditions match; a condition on the absent payload is
  // false without counting as a failure (SPEC 3.5); changed without snapshots is a failure.
  std::vector<Task> tasks;
  auto st = idx->Match(Ev("extras.script", "job_completed", ""), &tasks);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].rule_name, "completed");
  EXPECT_EQ(st.failed, 1u);
  // With data, the condition decides.
  EXPECT_EQ(
      Matched(*idx, Ev("extras.script", "job_completed", R"({"status": {"value": "completed"}})")),
      (Names{"completed", "completed-ok"}));
  EXPECT_EQ(Matched(*idx, Ev("extras.script", "job_completed", R"({"status": {"value": "x"}})")),
            Names{"completed"});
  EXPECT_TRUE(Matched(*idx, Ev("extras.script", "job_failed", "")).empty());
}

TEST(RuleIndex, AnIndexIsASnapshotAndARebuildSeesUpdates) {
  std::vector<EventRule> rules = {Rule(1, "a", {"dcim.device"}, {"object_created"}, 1),
                                  Rule(2, "b", {"dcim.device"}, {"object_created"}, 1)};
  std::vector<Webhook> hooks = kHooks;
  auto before = RuleIndex::Build(rules, hooks, 1);

  // Edit the configuration: disable a, retarget b and widen it, add c, rename hook-two.
  rules[0].enabled = false;
  rules[1].action_object_id = 2;
  rules[1].event_types.push_back("object_deleted");
  rules.push_back(Rule(3, "c", {"dcim.device"}, {"object_created"}, 1));
  hooks[1].name = "renamed";
  auto after = RuleIndex::Build(rules, hooks, 2);

  EXPECT_EQ(before->revision(), 1);
  EXPECT_EQ(after->revision(), 2);
  EXPECT_EQ(Matched(*before, Ev("dcim.device", "object_created")), (Names{"a", "b"}));
  EXPECT_TRUE(Matched(*before, Ev("dcim.device", "object_deleted")).empty());
  std::vector<Task> tasks;
  before->Match(Ev("dcim.device", "object_created"), &tasks);
  EXPECT_EQ(tasks[1].webhook_name, "hook-one");

  EXPECT_EQ(Matched(*after, Ev("dcim.device", "object_created")), (Names{"b", "c"}));
  EXPECT_EQ(Matched(*after, Ev("dcim.device", "object_deleted")), Names{"b"});
  tasks.clear();
  after->Match(Ev("dcim.device", "object_created"), &tasks);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].webhook_name, "renamed");
  EXPECT_EQ(tasks[0].webhook_id, 2);

  // Deleting every rule leaves an empty index.
  EXPECT_TRUE(
      Matched(*RuleIndex::Build({}, hooks, 3), Ev("dcim.device", "object_created")).empty());
}

TEST(RuleIndex, ConcurrentMatchesAgree) {
  auto idx = RuleIndex::Build({Rule(1, "web", {"dcim.device"}, {"object_created"}, 1,
                                    R"({"attr": "name", "op": "regex", "value": "^web"})"),
                               Rule(2, "all", {"dcim.device"}, {"object_created"}, 2)},
                              kHooks, 1);
  constexpr int kThreads = 4, kRounds = 200;
  std::vector<int> web_matches(kThreads, 0), total(kThreads, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < kRounds; ++n) {
        Event e = Ev("dcim.device", "object_created",
                     n % 2 ? R"({"name": "web01"})" : R"({"name": "db01"})");
        std::vector<Task> tasks;
        idx->Match(e, &tasks);
        total[i] += static_cast<int>(tasks.size());
        for (const auto& t : tasks) web_matches[i] += t.rule_name == "web";
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(web_matches[i], kRounds / 2) << i;
    EXPECT_EQ(total[i], kRounds + kRounds / 2) << i;
  }
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

// Explain lists every rule and agrees with Match on each, for events of every kind: matched,
// wrong types, conditions false, conditions raising, and stored conditions that do not compile.
TEST(RuleIndexExplain, AgreesWithMatchRuleByRule) {
  EventRule broken = Rule(5, "e-broken", {"dcim.device"}, {"object_created"}, 1);
  broken.conditions = J(R"({"AND": []})");  // refused by Compile: never matches
  auto idx = RuleIndex::Build(
      {Rule(1, "a-plain", {"dcim.device"}, {"object_created"}, 1),
       Rule(2, "b-active", {"dcim.device"}, {"object_created", "object_updated"}, 2,
            R"({"attr": "status.value", "value": "active"})"),
       Rule(3, "c-sites", {"dcim.site"}, {"object_created"}, 1),
       Rule(4, "d-or", {"dcim.device"}, {"object_created"}, 2,
            R"({"or": [{"attr": "name", "value": "sw1"}, {"attr": "nope", "value": 1}]})"),
       broken},
      kHooks, 3);
  for (const Event& e :
       {Ev("dcim.device", "object_created", R"({"name": "sw1", "status": {"value": "active"}})"),
        Ev("dcim.device", "object_created", R"({"name": "sw2", "status": {"value": "off"}})"),
        Ev("dcim.device", "object_updated", R"({"status": {"value": "active"}})"),
        Ev("dcim.site", "object_created"), Ev("dcim.device", "object_created", "")}) {
    auto names = Matched(*idx, e);
    auto xs = idx->Explain(e);
    ASSERT_EQ(xs.size(), 5u);
    Names explained;
    for (const auto& x : xs)
      if (x.matched) explained.push_back(x.task.rule_name);
    EXPECT_EQ(explained, names) << DumpJson(e.data);
    EXPECT_EQ(xs[4].rule_name, "e-broken");
    EXPECT_FALSE(xs[4].matched);
    EXPECT_TRUE(xs[4].has_conditions);
    EXPECT_FALSE(xs[4].conditions_evaluated);
    EXPECT_NE(xs[4].conditions_error.find("AND"), std::string::npos) << xs[4].conditions_error;
  }
}

TEST(RuleIndexExplain, SaysWhyARuleDidNotMatchWithTheConditionTrace) {
  auto idx = RuleIndex::Build(
      {Rule(
           1, "or", {"dcim.device"}, {"object_created"}, 2,
           R"({"or": [{"attr": "name", "value": "sw1"}, {"attr": "status.value", "value": "x"}]})"),
       Rule(2, "site", {"dcim.site"}, {"object_created"}, 1, R"({"attr": "name", "value": "a"})")},
      kHooks, 1);
  auto xs = idx->Explain(Ev("dcim.device", "object_created", R"({"name": "sw1"})"));
  ASSERT_EQ(xs.size(), 2u);
  // Matched on the first condition; the second was short-circuited, not reached.
  EXPECT_TRUE(xs[0].matched);
  EXPECT_EQ(xs[0].webhook_name, "hook-two");
  EXPECT_TRUE(xs[0].conditions_evaluated);
  ASSERT_EQ(xs[0].check.conditions.size(), 2u);
  ASSERT_TRUE(xs[0].check.conditions[0].trace.has_value());
  EXPECT_EQ(xs[0].check.conditions[0].trace->resolved.as_str(), "sw1");
  EXPECT_TRUE(xs[0].check.conditions[0].trace->result);
  EXPECT_FALSE(xs[0].check.conditions[1].trace.has_value());
  EXPECT_EQ(xs[0].check.conditions[1].condition.location, "or[1]");
  // The site rule: wrong object type, conditions not evaluated.
  EXPECT_FALSE(xs[1].object_type_matched);
  EXPECT_TRUE(xs[1].event_type_matched);
  EXPECT_TRUE(xs[1].has_conditions);
  EXPECT_FALSE(xs[1].conditions_evaluated);
  EXPECT_FALSE(xs[1].matched);
}

TEST(RuleIndexExplain, APassedDeadlineIsReportedAsOverBudget) {
  auto idx = RuleIndex::Build(
      {Rule(1, "r", {"dcim.device"}, {"object_created"}, 1, R"({"attr": "name", "value": "sw1"})")},
      kHooks, 1);
  auto xs = idx->Explain(Ev("dcim.device", "object_created", R"({"name": "sw1"})"),
                         conditions::Clock::now() - std::chrono::seconds(1));
  ASSERT_EQ(xs.size(), 1u);
  EXPECT_FALSE(xs[0].matched);
  EXPECT_TRUE(xs[0].over_budget);
  EXPECT_NE(xs[0].conditions_error.find("time budget"), std::string::npos);
  std::vector<Task> tasks;
  auto st = idx->Match(Ev("dcim.device", "object_created", R"({"name": "sw1"})"), &tasks,
                       conditions::Clock::now() - std::chrono::seconds(1));
  EXPECT_EQ(st.over_budget, 1u) << "Match decides the same";
}

}  // namespace
}  // namespace herald
