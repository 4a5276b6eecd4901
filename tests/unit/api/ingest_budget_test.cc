// The per-event condition budget: RuleIndex::Match with a deadline (deterministic: a deadline
// already past), and ingest through the API with catastrophic regex rules: the events are
// accepted, the rules that could not be evaluated do not match.
#include <gtest/gtest.h>

#include "conditions/conditions.h"
#include "matching/matcher.h"
#include "support/json.h"
#include "value/json.h"

namespace herald {
namespace {

using testing::J;

EventRule Rule(int64_t id, const std::string& name, const std::string& conditions) {
  EventRule r;
  r.id = id;
  r.name = name;
  r.object_types = {"dcim.device"};
  r.event_types = {"object_created"};
  r.action_object_id = 1;
  r.conditions = conditions.empty() ? Value() : J(conditions);
  return r;
}

Event Device(const std::string& name) {
  Event e;
  e.event = "created";
  e.event_type = "object_created";
  e.object_type = "dcim.device";
  e.data = Value(Dict{});
  e.data.as_dict().set("name", name);
  return e;
}

std::shared_ptr<const RuleIndex> Index(const std::vector<EventRule>& rules) {
  Webhook w;
  w.id = 1;
  w.name = "hook";
  return RuleIndex::Build(rules, {w}, 1);
}

TEST(MatchBudget, RulesNotEvaluatedInTimeDoNotMatchOthersStill) {
  auto idx =
      Index({Rule(1, "a-plain", ""), Rule(2, "b-name", R"({"attr": "name", "value": "web01"})"),
             Rule(3, "c-regex", R"({"attr": "name", "value": "^web", "op": "regex"})"),
             Rule(4, "d-plain", "")});
  std::vector<Task> tasks;
  auto st = idx->Match(Device("web01"), &tasks);
  EXPECT_EQ(st.matched, 4u);
  EXPECT_EQ(st.over_budget, 0u);
  // A deadline already past: no condition runs; rules without conditions still match.
  tasks.clear();
  st = idx->Match(Device("web01"), &tasks, conditions::Clock::now() - std::chrono::milliseconds(1));
  EXPECT_EQ(st.over_budget, 2u);
  EXPECT_EQ(st.failed, 0u);
  ASSERT_EQ(st.skipped.size(), 2u);
  EXPECT_EQ(st.skipped[0].name, "b-name");
  EXPECT_EQ(st.skipped[1].name, "c-regex");
  EXPECT_NE(st.skipped[0].reason.find("time budget"), std::string::npos) << st.skipped[0].reason;
  ASSERT_EQ(st.matched, 2u);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].rule_name, "a-plain");
  EXPECT_EQ(tasks[1].rule_name, "d-plain");
}

TEST(MatchBudget, CatastrophicRegexesFailEachRuleQuicklyAndAreCounted) {
  std::vector<EventRule> rules;
  for (int i = 0; i < 6; ++i)
    rules.push_back(Rule(i + 1, "evil-" + std::to_string(i),
                         R"({"attr": "name", "value": "^(a+)+$", "op": "regex"})"));
  rules.push_back(Rule(7, "plain", ""));
  auto idx = Index(rules);
  std::vector<Task> tasks;
  // No budget: every regex runs into the PCRE2 step limit, an evaluation failure.
  auto st = idx->Match(Device(std::string(30, 'a') + "!"), &tasks);
  EXPECT_EQ(st.failed, 6u);
  EXPECT_EQ(st.matched, 1u);
  // With a budget every rule is either failed or over budget; none matches by accident.
  tasks.clear();
  st = idx->Match(Device(std::string(30, 'a') + "!"), &tasks,
                  conditions::Clock::now() + std::chrono::milliseconds(1));
  EXPECT_EQ(st.failed + st.over_budget, 6u);
  EXPECT_EQ(st.matched, 1u);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].rule_name, "plain");
}

}  // namespace
}  // namespace herald
