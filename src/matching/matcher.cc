#include "matching/matcher.h"

#include <algorithm>

#include "common/log.h"

namespace herald {

std::shared_ptr<const RuleIndex> RuleIndex::Build(const std::vector<EventRule>& rules,
                                                  const std::vector<Webhook>& webhooks,
                                                  int64_t revision) {
  auto idx = std::make_shared<RuleIndex>();
  idx->revision_ = revision;
  std::vector<const EventRule*> sorted;
  for (const auto& r : rules) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const EventRule* a, const EventRule* b) { return a->name < b->name; });
  for (const EventRule* r : sorted) {
    if (!r->enabled || r->action_type != "webhook" || !r->action_object_id) continue;
    const Webhook* target = nullptr;
    for (const auto& w : webhooks)
      if (w.id == *r->action_object_id) target = &w;
    if (!target) continue;
    Compiled c;
    c.rule = *r;
    c.webhook_name = target->name;
    if (r->conditions.truthy()) {
      auto cs = conditions::ConditionSet::Compile(r->conditions);
      if (!cs.ok()) {
        log::Error("event rule conditions do not compile; the rule never matches",
                   {{"rule", r->name}, {"error", cs.status().message()}});
        c.broken = true;
        c.broken_reason = cs.status().ToString();
      } else {
        c.conditions = std::move(*cs);
      }
    }
    size_t pos = idx->rules_.size();
    idx->rules_.push_back(std::move(c));
    for (const auto& ot : r->object_types)
      for (const auto& et : r->event_types) idx->index_[ot + '\x1f' + et].push_back(pos);
  }
  return idx;
}

RuleIndex::MatchStats RuleIndex::Match(const Event& event, std::vector<Task>* out,
                                       conditions::Deadline deadline) const {
  MatchStats stats;
  std::string key;
  key.reserve(event.object_type.size() + event.event_type.size() + 1);
  key += event.object_type;
  key += '\x1f';
  key += event.event_type;
  auto it = index_.find(key);
  if (it == index_.end()) return stats;
  Value eval_data;
  bool have_eval_data = false;
  for (size_t pos : it->second) {
    const Compiled& c = rules_[pos];
    if (c.broken) continue;
    if (c.conditions) {
      if (!have_eval_data) {
        eval_data = conditions::BuildEvalData(event.data, event.snapshots);
        have_eval_data = true;
      }
      std::string reason;
      Code code = Code::kOk;
      if (!conditions::EvalRuleConditions(&*c.conditions, eval_data, deadline, &reason, &code)) {
        if (code == Code::kDeadlineExceeded) {
          ++stats.over_budget;
          stats.skipped.push_back({c.rule.name, std::move(reason)});
        } else if (!reason.empty()) {
          ++stats.failed;
          log::Error(c.rule.name + ": Evaluation failed. " + reason,
                     {{"rule", c.rule.name}, {"object_type", event.object_type}});
        }
        continue;
      }
    }
    out->push_back(MakeTask(c, event));
    ++stats.matched;
  }
  return stats;
}

Task RuleIndex::MakeTask(const Compiled& c, const Event& event) {
  Task t;
  t.rule_id = c.rule.id;
  t.webhook_id = *c.rule.action_object_id;
  t.rule_name = c.rule.name;
  t.webhook_name = c.webhook_name;
  t.object_type = event.object_type;
  t.event_type = event.event_type;
  t.action_data = c.rule.action_data;
  t.status = TaskStatus::kQueued;
  return t;
}

std::vector<RuleIndex::RuleExplanation> RuleIndex::Explain(const Event& event,
                                                           conditions::Deadline deadline) const {
  std::vector<RuleExplanation> out;
  out.reserve(rules_.size());
  Value eval_data;
  bool have_eval_data = false;
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (const Compiled& c : rules_) {
    RuleExplanation& x = out.emplace_back();
    x.rule_id = c.rule.id;
    x.rule_name = c.rule.name;
    x.webhook_id = *c.rule.action_object_id;
    x.webhook_name = c.webhook_name;
    x.object_type_matched = has(c.rule.object_types, event.object_type);
    x.event_type_matched = has(c.rule.event_types, event.event_type);
    x.has_conditions = c.broken || c.conditions.has_value();
    if (c.broken) x.conditions_error = c.broken_reason;
    // As Match: only the rules the event reaches evaluate their conditions.
    if (!x.object_type_matched || !x.event_type_matched || c.broken) continue;
    if (c.conditions) {
      if (!have_eval_data) {
        eval_data = conditions::BuildEvalData(event.data, event.snapshots);
        have_eval_data = true;
      }
      x.conditions_evaluated = true;
      x.check = c.conditions->Check(eval_data, deadline);
      if (!x.check.result.ok()) {
        x.conditions_error = x.check.result.status().message();
        x.over_budget = x.check.result.status().code() == Code::kDeadlineExceeded;
        continue;
      }
      if (!*x.check.result) continue;
    }
    x.matched = true;
    x.task = MakeTask(c, event);
  }
  return out;
}

}  // namespace herald
