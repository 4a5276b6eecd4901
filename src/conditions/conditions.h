// Conditions: the NetBox event-rule condition language (NetBox 4.7 semantics).
//
// A user stores a JSON condition on an event rule, e.g.
//   {"and": [{"attr": "status.value", "value": "active"},
//            {"attr": "tags.slug", "op": "contains", "value": "exempt", "negate": true}]}
// ConditionSet::Compile checks it once (at save time, with NetBox's own error messages) and turns
// it into an immutable tree with pre-split attribute paths and pre-compiled regexes;
// ConditionSet::Evaluate then runs it against every event's data. Behaviour follows NetBox's
// extras/conditions.py in v4.7.0-beta1 exactly (Python equality and ordering, re.match anchoring,
// snapshot paths, changed/unchanged, absent payloads), with one deliberate difference: inputs on
// which NetBox itself crashes with a TypeError/KeyError/AttributeError/re.error (e.g. a top-level
// {"AND": [...]}) are refused by Compile, so they never reach evaluation. See docs/conditions.md.
//
// Nothing here logs, allocates globals or does I/O; everything is a pure function of its inputs.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "value/value.h"

namespace herald::conditions {

// Named limits.
// Deepest nesting of and/or sets accepted by Compile (NetBox is bounded only by Python's
// recursion limit). Deeper input is refused with a ValueError.
inline constexpr int kMaxNestingDepth = 100;
// PCRE2 limits for one regex evaluation (Python has none and would hang on a catastrophic
// pattern such as ^(a+)+$). Exceeding any of them makes the condition fail with
// InvalidCondition. The match-step limit bounds one match to a few milliseconds; the depth and
// heap limits bound the backtracking memory of the interpreter (the JIT falls back to it when
// its own stack is too small).
inline constexpr uint32_t kRegexMatchLimit = 1'000'000;
inline constexpr uint32_t kRegexDepthLimit = 100'000;
inline constexpr uint32_t kRegexHeapLimitKiB = 32 * 1024;

// A wall-clock bound on evaluation; Clock::time_point::max() means none.
using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
inline constexpr Deadline kNoDeadline = Deadline::max();

// One condition as compiled, for introspection (UI, tests).
struct ConditionInfo {
  std::string location;  // where it sits in the stored JSON, e.g. "and[1].or[0]"; "" if bare
  std::string attr;
  std::string op;  // resolved operator: "eq" when the user omitted "op"
  bool has_value = false;
  Value value;          // the comparison value (None when !has_value: changed/unchanged)
  bool negate = false;  // truthiness of the stored "negate"
};

// What Evaluate(data, trace) records for each condition it reached, in evaluation order: the
// condition (ConditionInfo) and how it went.
struct TraceEntry : ConditionInfo {
  enum class Resolution : uint8_t {
    kValue,           // attr resolved to `resolved`
    kMissing,         // attr did not resolve (the condition then failed with InvalidCondition)
    kAbsentPayload,   // payload absent: condition is false, negate ignored (§3.5)
    kAbsentSnapshot,  // snapshots.<x>.* on a null snapshot: resolved to null (§3.5)
    kSnapshots,       // changed/unchanged: see pre/post
    kNotEvaluated,    // the data could not be looked at (e.g. no snapshots for changed)
  };
  Resolution resolution = Resolution::kNotEvaluated;
  Value resolved;                              // for kValue (None for kAbsentSnapshot)
  bool pre_found = false, post_found = false;  // for kSnapshots
  Value pre, post;                             // for kSnapshots, when found
  bool ok = false;                             // false: the condition raised `error`
  bool result = false;                         // the condition's result (negate applied) when ok
  Status error;                                // when !ok, e.g. InvalidCondition
};

// One condition of a set as Check saw it: the condition, and its trace entry when evaluation
// reached it (nullopt: skipped by short-circuit, or not reached before the deadline or an error).
struct CheckedCondition {
  ConditionInfo condition;
  std::optional<TraceEntry> trace;
};

// What Check made of a set: Evaluate's answer, and every condition of the set in document order
// with how it went. What the rule "Check" page and the event explain answer show.
struct CheckResult {
  Result<bool> result = false;
  std::vector<CheckedCondition> conditions;
};

// A compiled condition set (or single bare condition). Immutable once compiled; copies share
// state. Evaluate is thread-safe (concurrent calls on one ConditionSet are fine) provided the
// data Values passed in are not mutated meanwhile.
class ConditionSet {
 public:
  ConditionSet(const ConditionSet&) = default;
  ConditionSet(ConditionSet&&) noexcept = default;
  ConditionSet& operator=(const ConditionSet&) = default;
  ConditionSet& operator=(ConditionSet&&) noexcept = default;
  ~ConditionSet();

  // Compiles the JSON a user stores in EventRule.conditions. Callers decide about falsy input
  // (null, {}, [], "", 0, false mean "no conditions" and should not be compiled); if given anyway
  // it is judged as NetBox's ConditionSet would ({} => "Incorrect key(s)...").
  // Errors (nothing is compiled) are kInvalidArgument, labelled with the Python exception class:
  //  * "ValueError" with NetBox's exact message where NetBox raises ValueError (the cases NetBox
  //    turns into a field error on save);
  //  * "TypeError" / "KeyError" / "AttributeError" where NetBox crashes while compiling or would
  //    crash on first evaluation (upper-case nested/top-level logic keys, unknown keys in nested
  //    conditions, non-list and/or values, non-object list elements, non-string attr), with a
  //    message naming the problem;
  //  * "re.error" for a regex that Python's re would reject (NetBox raises it at evaluation);
  //  * "ValueError" when nesting exceeds kMaxNestingDepth.
  // If error_location is given, it receives where the offending element sits ("and[2]", "" for
  // the top level) on failure.
  static Result<ConditionSet> Compile(const Value& conditions,
                                      std::string* error_location = nullptr);

  // Evaluates against data: the 4.7 evaluation data (payload object with "snapshots" added, or
  // the absent-payload marker), normally built by BuildEvalData. Short-circuits left to right.
  // Errors: kInvalidArgument labelled "InvalidCondition" with NetBox's message when a reached
  // condition cannot be evaluated (missing key, wrong data type for the operator, no snapshots
  // for changed/unchanged, regex step limit exceeded). No other errors occur (regexes are
  // validated by Compile).
  Result<bool> Evaluate(const Value& data) const;

  // Same, and appends one TraceEntry per condition reached to *trace (if non-null). On
  // InvalidCondition the last entry is the failing condition.
  Result<bool> Evaluate(const Value& data, std::vector<TraceEntry>* trace) const;

  // Same, bounded in time: the clock is read before each condition, and once `deadline` has
  // passed evaluation stops with a kDeadlineExceeded error naming the condition it did not reach
  // (nothing else changes; a single regex is bounded by the PCRE2 limits above, so a deadline
  // is overrun by at most one condition's cost).
  Result<bool> Evaluate(const Value& data, Deadline deadline,
                        std::vector<TraceEntry>* trace = nullptr) const;

  // Evaluate(data, deadline, trace), with the trace laid over Conditions(): every condition,
  // reached or not. Thread-safe as Evaluate.
  CheckResult Check(const Value& data, Deadline deadline = kNoDeadline) const;

  // The compiled conditions in document order (depth first).
  std::vector<ConditionInfo> Conditions() const;

  struct Node;  // implementation detail (public so the implementation file can name it)

 private:
  explicit ConditionSet(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;
};

// EventRule.eval_conditions: null `compiled_or_null` (falsy conditions) => true. Otherwise
// evaluates; an error (InvalidCondition) => false, with the message in *reason (if non-null) so
// the caller can log "{rule name}: Evaluation failed. {message}". *reason is cleared on success.
bool EvalRuleConditions(const ConditionSet* compiled_or_null, const Value& data,
                        std::string* reason);

// Same, bounded by `deadline`. *error_code (if non-null) receives the error's code on failure
// (kInvalidArgument for an InvalidCondition, kDeadlineExceeded when the deadline passed first)
// and is set to kOk otherwise.
bool EvalRuleConditions(const ConditionSet* compiled_or_null, const Value& data, Deadline deadline,
                        std::string* reason, Code* error_code);

// True for the JSON values NetBox treats as "no conditions" (None, False, 0, 0.0, "", [], {}).
bool IsFalsyConditions(const Value& conditions);

// Builds the 4.7 evaluation data for an event: a shallow copy of the payload object with key
// "snapshots" set to `snapshots` (shadowing any payload attribute of that name; pass None when
// the event has none). A payload that is null or not an object becomes the absent-payload
// marker (§3.5: conditions on payload attributes are then false, regardless of negate; the
// caller logs the "Ignoring invalid data payload" warning for non-null non-objects).
// The marker is a Value of Kind::Object (type name "AbsentData") that behaves like a dict holding
// only "snapshots"; test for it with IsAbsentPayload.
Value BuildEvalData(const Value& payload, const Value& snapshots);

// The absent-payload marker carrying `snapshots`.
Value MakeAbsentPayload(const Value& snapshots);
// True if data is the absent-payload marker.
bool IsAbsentPayload(const Value& data);

}  // namespace herald::conditions
