// Rule matching (SPEC 4.5): which enabled rules fire for an event, in name order, and the tasks
// they create. Pure: built from a snapshot of the configuration, immutable afterwards, so many
// threads can match concurrently. Rebuild it when the store's ConfigRevision changes.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "conditions/conditions.h"
#include "model/model.h"

namespace herald {

class RuleIndex {
 public:
  // Compiles every rule's conditions once. A rule whose stored conditions no longer compile
  // never matches (and is logged once here). Rules without a target webhook are skipped.
  static std::shared_ptr<const RuleIndex> Build(const std::vector<EventRule>& rules,
                                                const std::vector<Webhook>& webhooks,
                                                int64_t revision);

  // A rule whose conditions could not be evaluated before the deadline.
  struct SkippedRule {
    std::string name;
    std::string reason;
  };
  // What one Match call did with the rules the event reached.
  struct MatchStats {
    size_t matched = 0;                // tasks appended
    size_t failed = 0;                 // conditions raised an error (InvalidCondition): no match
    size_t over_budget = 0;            // conditions not evaluated in time (TimeBudget): no match
    std::vector<SkippedRule> skipped;  // the over_budget rules, in name order
  };

  // Appends one queued task per matching rule (enabled, object type and event type match,
  // conditions hold on data + snapshots), in rule name order. A rule whose evaluation fails
  // (InvalidCondition) does not match and is logged with the rule name and reason.
  // `deadline` bounds the time spent on conditions for this event, over all its rules (the
  // caller sets it to now + the per-event budget). A rule whose conditions could not be
  // evaluated before it does not match, like a failed evaluation, and is returned in
  // stats.skipped for the caller to log (once per request rather than once per event); rules
  // without conditions still match. Thread-safe.
  MatchStats Match(const Event& event, std::vector<Task>* out,
                   conditions::Deadline deadline = conditions::kNoDeadline) const;

  // Why one rule would or would not create a task for an event (Explain).
  struct RuleExplanation {
    int64_t rule_id = 0;
    std::string rule_name;
    int64_t webhook_id = 0;
    std::string webhook_name;
    bool object_type_matched = false;  // the event's object type is one of the rule's
    bool event_type_matched = false;   // the event's event type is one of the rule's
    bool has_conditions = false;       // the rule's conditions are not falsy
    // Both types matched and the conditions compiled, so they were evaluated: `check` holds
    // Evaluate's answer and every condition with its trace.
    bool conditions_evaluated = false;
    conditions::CheckResult check;
    // Why the conditions gave no answer: stored conditions that no longer compile (the rule
    // never matches), or the evaluation's error (InvalidCondition, or the deadline passed:
    // over_budget). Empty otherwise.
    std::string conditions_error;
    bool over_budget = false;
    // Match would append `task` for this rule.
    bool matched = false;
    Task task;
  };

  // Every rule of the index (enabled, with a webhook target), in name order, with what Match
  // would decide for `event` and why: the same decision Match makes, with the same `deadline`
  // shared by the rules the event reaches (only those evaluate their conditions). Nothing is
  // logged. Thread-safe.
  std::vector<RuleExplanation> Explain(
      const Event& event, conditions::Deadline deadline = conditions::kNoDeadline) const;

  int64_t revision() const { return revision_; }
  size_t rule_count() const { return rules_.size(); }

 private:
  struct Compiled {
    EventRule rule;
    std::string webhook_name;
    std::optional<conditions::ConditionSet> conditions;
    bool broken = false;
    std::string broken_reason;  // the compile error when broken
  };
  // The queued task Match appends for rule `c` and `event`.
  static Task MakeTask(const Compiled& c, const Event& event);
  std::vector<Compiled> rules_;  // name order
  // "object_type\x1fevent_type" -> indexes into rules_, ascending (= name order)
  std::unordered_map<std::string, std::vector<size_t>> index_;
  int64_t revision_ = 0;
};

}  // namespace herald
