// Focused tests of the condition language beyond the NetBox cases: Python equality quirks, regex
// anchoring, short-circuiting, exact error messages, save-time refusals, eval data, traces.
#include "conditions/conditions.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "support/json.h"
#include "value/json.h"

namespace herald::conditions {
namespace {

using testing::J;

ConditionSet C(std::string_view text) {
  Result<ConditionSet> cs = ConditionSet::Compile(J(text));
  EXPECT_TRUE(cs.ok()) << text << ": " << cs.status().ToString();
  return std::move(cs).value();
}

// "true", "false" or "Type: message".
std::string Eval(std::string_view cond, std::string_view data) {
  Result<ConditionSet> cs = ConditionSet::Compile(J(cond));
  if (!cs.ok()) return "compile " + cs.status().ToString();
  Result<bool> r = cs->Evaluate(J(data));
  if (!r.ok()) return r.status().ToString();
  return *r ? "true" : "false";
}

std::string CompileError(std::string_view cond, std::string* where = nullptr) {
  Result<ConditionSet> cs = ConditionSet::Compile(J(cond), where);
  return cs.ok() ? "compiled" : cs.status().ToString();
}

TEST(Conditions, PythonEqualityQuirks) {
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 1})", R"({"x": true})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 0})", R"({"x": false})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": true})", R"({"x": 1.0})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 1})", R"({"x": 1.0})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 1})", R"({"x": "1"})"), "false");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": "Active"})", R"({"x": "active"})"), "false");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": [1, 2]})", R"({"x": [1.0, true]})"), "false");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": [1, 1]})", R"({"x": [1.0, true]})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": [1, 2]})", R"({"x": [2, 1]})"), "false");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": null})", R"({"x": {}})"), "false");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": [1, 2], "op": "in"})", R"({"x": true})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": [[1], 2], "op": "in"})", R"({"x": [1]})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 1.5, "op": "gt"})", R"({"x": true})"), "false");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 0.5, "op": "lt"})", R"({"x": false})"), "true");
}

TEST(Conditions, NegateIsTestedForTruthiness) {
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 1, "negate": "false"})", R"({"x": 1})"), "false");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 1, "negate": 0})", R"({"x": 1})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 1, "negate": []})", R"({"x": 1})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 1, "negate": [0]})", R"({"x": 1})"), "false");
}

TEST(Conditions, ContainsSemantics) {
  EXPECT_EQ(Eval(R"({"attr": "x", "value": "ell", "op": "contains"})", R"({"x": "hello"})"),
            "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": "", "op": "contains"})", R"({"x": "hello"})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": "k", "op": "contains"})", R"({"x": {"k": 0}})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 0, "op": "contains"})", R"({"x": {"k": 0}})"), "false");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": true, "op": "contains"})", R"({"x": [1]})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": [1], "op": "contains"})", R"({"x": [[1], 2]})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 1, "op": "contains"})", R"({"x": "a1"})"),
            "InvalidCondition: Invalid data type at 'x' for 'contains' evaluation: 'in <string>' "
            "requires string as left operand, not int");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": [1], "op": "contains"})", R"({"x": {"a": 1}})"),
            "InvalidCondition: Invalid data type at 'x' for 'contains' evaluation: unhashable "
            "type: 'list'");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": "a", "op": "contains"})", R"({"x": null})"),
            "InvalidCondition: Invalid data type at 'x' for 'contains' evaluation: argument of "
            "type 'NoneType' is not iterable");
}

TEST(Conditions, RegexIsPythonReMatch) {
  EXPECT_EQ(Eval(R"({"attr": "x", "value": "[a-z]+", "op": "regex"})", R"({"x": "abc123"})"),
            "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": "b", "op": "regex"})", R"({"x": "abc"})"), "false");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": ".*b", "op": "regex"})", R"({"x": "abc"})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": "abc$", "op": "regex"})", R"({"x": "abc\n"})"), "true");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": "a", "op": "regex"})", R"({"x": 1})"),
            "InvalidCondition: Invalid data type at 'x' for 'regex' evaluation: expected string "
            "or bytes-like object, got 'int'");
}

TEST(Conditions, OrderingErrors) {
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 1, "op": "gt"})", R"({"x": "foo"})"),
            "InvalidCondition: Invalid data type at 'x' for 'gt' evaluation: '>' not supported "
            "between instances of 'str' and 'int'");
  EXPECT_EQ(Eval(R"({"attr": "x", "value": 1, "op": "lte"})", R"({"x": null})"),
            "InvalidCondition: Invalid data type at 'x' for 'lte' evaluation: '<=' not supported "
            "between instances of 'NoneType' and 'int'");
}

// Ints beyond 64 bits (from the event's JSON and from the rule's) compare exactly, as in Python.
TEST(Conditions, BigIntsCompareExactly) {
  constexpr const char* kBig = "123456789012345678901234567890";
  auto cond = [&](const char* op, const std::string& value) {
    return std::string(R"({"attr": "x", "op": ")") + op + R"(", "value": )" + value + "}";
  };
  auto data = [](const std::string& x) { return R"({"x": )" + x + "}"; };
  EXPECT_EQ(Eval(cond("eq", kBig), data(kBig)), "true");
  EXPECT_EQ(Eval(cond("eq", kBig), data("123456789012345678901234567891")), "false");
  EXPECT_EQ(Eval(cond("eq", kBig), data("1.2345678901234568e+29")), "false");
  EXPECT_EQ(Eval(cond("eq", "1180591620717411303424"), data("1180591620717411303424.0")), "true");
  EXPECT_EQ(Eval(cond("gt", kBig), data("123456789012345678901234567891")), "true");
  EXPECT_EQ(Eval(cond("gt", kBig), data(kBig)), "false");
  EXPECT_EQ(Eval(cond("gte", kBig), data(kBig)), "true");
  EXPECT_EQ(Eval(cond("lt", "9223372036854775808"), data("9223372036854775807")), "true");
  EXPECT_EQ(Eval(cond("lt", "0"), data("-98765432109876543210987654321")), "true");
  EXPECT_EQ(
      Eval(cond("lte", "-98765432109876543210987654322"), data("-98765432109876543210987654321")),
      "false");
  EXPECT_EQ(Eval(cond("gte", "1e30"), data(kBig)), "false");
  EXPECT_EQ(Eval(cond("in", std::string("[1, ") + kBig + "]"), data(kBig)), "true");
  EXPECT_EQ(Eval(cond("in", "[1, 2]"), data(kBig)), "false");
  EXPECT_EQ(Eval(cond("contains", kBig), data(std::string("[7, ") + kBig + "]")), "true");
  EXPECT_EQ(Eval(cond("contains", kBig), data("[7, 123456789012345678901234567891]")), "false");
  EXPECT_EQ(Eval(cond("gt", kBig), data(R"("foo")")),
            "InvalidCondition: Invalid data type at 'x' for 'gt' evaluation: '>' not supported "
            "between instances of 'str' and 'int'");
}

TEST(Conditions, ShortCircuitLeftToRight) {
  const char* data = R"({"a": 1})";
  EXPECT_EQ(Eval(R"({"or": [{"attr": "a", "value": 1}, {"attr": "zz", "value": 1}]})", data),
            "true");
  EXPECT_EQ(Eval(R"({"and": [{"attr": "a", "value": 2}, {"attr": "zz", "value": 1}]})", data),
            "false");
  EXPECT_EQ(Eval(R"({"and": [{"attr": "a", "value": 1}, {"attr": "zz", "value": 1}]})", data),
            "InvalidCondition: Invalid key path: zz");
  EXPECT_EQ(Eval(R"({"or": [{"attr": "zz", "value": 1}, {"attr": "a", "value": 1}]})", data),
            "InvalidCondition: Invalid key path: zz");
  EXPECT_EQ(Eval(R"({"and": []})", data), "true");
  EXPECT_EQ(Eval(R"({"or": []})", data), "false");
}

TEST(Conditions, PathResolution) {
  EXPECT_EQ(Eval(R"({"attr": "x.y", "value": 1})", R"({"x": "s"})"),
            "InvalidCondition: Invalid key path: x.y (cannot resolve 'y' within str)");
  EXPECT_EQ(Eval(R"({"attr": "x.y", "value": 1})", R"({"x": ""})"),
            "InvalidCondition: Invalid key path: x.y (cannot resolve 'y' within str)");
  EXPECT_EQ(Eval(R"({"attr": "x.y", "value": 1})", R"({"x": null})"),
            "InvalidCondition: Invalid key path: x.y");
  EXPECT_EQ(Eval(R"({"attr": "t.s", "value": ["a", "b"]})", R"({"t": [{"s": "a"}, {"s": "b"}]})"),
            "true");
  EXPECT_EQ(
      Eval(R"({"attr": "t.s", "value": "a", "op": "contains"})", R"({"t": [{"s": "a"}, null]})"),
      "InvalidCondition: Invalid key path: t.s");
  EXPECT_EQ(Eval(R"({"attr": "t.s", "value": "a", "op": "contains"})", R"({"t": [{"s": "a"}, 1]})"),
            "InvalidCondition: Invalid key path: t.s (cannot resolve 's' within int)");
  EXPECT_EQ(Eval(R"({"attr": "t.s", "value": "a", "op": "contains"})", R"({"t": [[{"s": "a"}]]})"),
            "InvalidCondition: Invalid key path: t.s (cannot resolve 's' within list)");
  EXPECT_EQ(
      Eval(R"({"attr": "t.u.v", "value": [1, 2]})", R"({"t": [{"u": {"v": 1}}, {"u": {"v": 2}}]})"),
      "true");
  EXPECT_EQ(Eval(R"({"attr": "", "value": 1})", R"({"": 1})"), "true");
}

TEST(Conditions, CompileErrorsMatchNetBox) {
  EXPECT_EQ(CompileError(R"({"attr": "x", "value": 1, "op": "blah"})"),
            "ValueError: Unknown operator: blah. Must be one of: eq, gt, gte, lt, lte, in, "
            "contains, regex, changed, unchanged");
  EXPECT_EQ(CompileError(R"({"attr": "x", "value": 1, "op": null})"),
            "ValueError: Unknown operator: None. Must be one of: eq, gt, gte, lt, lte, in, "
            "contains, regex, changed, unchanged");
  EXPECT_EQ(CompileError(R"({"attr": "x", "value": "foo", "op": "gt"})"),
            "ValueError: Invalid type for gt operation: <class 'str'>");
  EXPECT_EQ(CompileError(R"({"attr": "x", "value": null, "op": "contains"})"),
            "ValueError: Invalid type for contains operation: <class 'NoneType'>");
  EXPECT_EQ(CompileError(R"({"attr": "x", "value": {"a": 1}})"),
            "ValueError: Unsupported value type: <class 'dict'>");
  EXPECT_EQ(CompileError(R"([{"attr": "x", "value": 1}])"),
            "ValueError: Ruleset must be a dictionary, not <class 'list'>.");
  EXPECT_EQ(CompileError(R"({"foo": []})"),
            "ValueError: Invalid logic type: must be 'AND' or 'OR'. Please check documentation.");
  EXPECT_EQ(CompileError(R"({})"),
            "ValueError: Incorrect key(s) informed. Please check documentation.");
  EXPECT_EQ(CompileError(R"({"attr": "x", "value": 1, "foo": 2})"),
            "ValueError: Incorrect key(s) informed. Please check documentation.");
  EXPECT_EQ(CompileError(R"({"value": 1, "op": "eq"})"),
            "ValueError: Incorrect key(s) informed. Please check documentation.");
  EXPECT_EQ(CompileError(R"({"attr": "x", "op": "eq"})"),
            "ValueError: A value is required for the 'eq' operator.");
  EXPECT_EQ(CompileError(R"({"and": [{"attr": "x"}]})"),
            "ValueError: A value is required for the 'eq' operator.");
  EXPECT_EQ(CompileError(R"({"attr": "x", "op": "changed", "value": null})"),
            "ValueError: The 'changed' operator compares snapshots and does not accept a value.");
  EXPECT_EQ(CompileError(R"({"attr": "snapshots.prechange.x", "op": "unchanged"})").substr(0, 64),
            "ValueError: The 'unchanged' operator resolves 'snapshots.prechan");
}

TEST(Conditions, RefusesWhatNetBoxCrashesOn) {
  std::string where;
  EXPECT_EQ(CompileError(R"({"AND": [{"attr": "x", "value": 1}]})", &where).substr(0, 10),
            "KeyError: ");
  EXPECT_EQ(where, "");
  EXPECT_EQ(
      CompileError(R"({"and": [{"attr": "x", "value": 1}, {"OR": []}]})", &where).substr(0, 11),
      "TypeError: ");
  EXPECT_EQ(where, "and[1]");
  EXPECT_EQ(CompileError(R"({"or": [{"and": [{"attr": "x", "value": 1, "bad": 0}]}]})", &where)
                .substr(0, 11),
            "TypeError: ");
  EXPECT_EQ(where, "or[0].and[0]");
  EXPECT_EQ(CompileError(R"({"and": [{"value": 1}]})").substr(0, 11), "TypeError: ");
  EXPECT_EQ(CompileError(R"({"and": [1]})").substr(0, 11), "TypeError: ");
  EXPECT_EQ(CompileError(R"({"and": null})").substr(0, 11), "TypeError: ");
  EXPECT_EQ(CompileError(R"({"and": {"attr": "x", "value": 1}})").substr(0, 11), "TypeError: ");
  EXPECT_EQ(CompileError(R"({"and": "x"})").substr(0, 11), "TypeError: ");
  EXPECT_EQ(CompileError(R"({"attr": 5, "value": 1})").substr(0, 16), "AttributeError: ");
  EXPECT_EQ(CompileError(R"({"attr": "x", "value": "(", "op": "regex"})").substr(0, 10),
            "re.error: ");
  // NetBox iterates an empty string/object as an empty set: accepted.
  EXPECT_EQ(Eval(R"({"and": ""})", "{}"), "true");
  EXPECT_EQ(Eval(R"({"or": {}})", "{}"), "false");
}

TEST(Conditions, NestingLimit) {
  std::string deep;
  for (int i = 0; i <= kMaxNestingDepth + 1; ++i) deep += R"({"and": [)";
  deep += R"({"attr": "x", "value": 1})";
  for (int i = 0; i <= kMaxNestingDepth + 1; ++i) deep += "]}";
  EXPECT_EQ(CompileError(deep).substr(0, 12), "ValueError: ");
}

TEST(Conditions, ConditionsIntrospection) {
  ConditionSet cs = C(
      R"({"and": [{"attr": "a", "value": 1}, {"or": [{"attr": "b", "op": "changed", "negate": 1}]}]})");
  auto infos = cs.Conditions();
  ASSERT_EQ(infos.size(), 2u);
  EXPECT_EQ(infos[0].location, "and[0]");
  EXPECT_EQ(infos[0].op, "eq");
  EXPECT_TRUE(infos[0].has_value);
  EXPECT_EQ(infos[1].location, "and[1].or[0]");
  EXPECT_EQ(infos[1].op, "changed");
  EXPECT_FALSE(infos[1].has_value);
  EXPECT_TRUE(infos[1].negate);
}

TEST(Conditions, BuildEvalData) {
  Value payload = J(R"({"name": "x", "snapshots": "payload attr"})");
  Value snaps = J(R"({"prechange": null, "postchange": {"status": "active"}})");
  Value data = BuildEvalData(payload, snaps);
  ASSERT_TRUE(data.is_dict());
  EXPECT_TRUE(PyEquals(*data.get("snapshots"), snaps));           // shadows the payload's attribute
  EXPECT_EQ(payload.get("snapshots")->as_str(), "payload attr");  // payload untouched
  EXPECT_FALSE(IsAbsentPayload(data));

  for (const char* bad : {"null", "5", "\"x\"", "[1]"}) {
    Value absent = BuildEvalData(J(bad), snaps);
    EXPECT_TRUE(IsAbsentPayload(absent)) << bad;
    // Payload attributes: false whatever the operator or negate.
    EXPECT_FALSE(*C(R"({"attr": "name", "value": "x", "negate": true})").Evaluate(absent));
    EXPECT_FALSE(*C(R"({"attr": "snapshotsX", "value": null})").Evaluate(absent));
    // Snapshot paths still work.
    EXPECT_TRUE(
        *C(R"({"attr": "snapshots.postchange.status", "value": "active"})").Evaluate(absent));
    EXPECT_TRUE(*C(R"({"attr": "status", "op": "changed"})").Evaluate(absent));
  }
  Value no_snaps = BuildEvalData(Value(), Value());
  Result<bool> r = C(R"({"attr": "status", "op": "changed"})").Evaluate(no_snaps);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(),
            "InvalidCondition: No snapshot data available for 'changed' operator. Snapshot "
            "operators are only meaningful on update and delete events.");
}

TEST(Conditions, SnapshotOperatorMessages) {
  EXPECT_EQ(Eval(R"({"attr": "status", "op": "changed"})",
                 R"({"snapshots": {"prechange": null, "postchange": null}})"),
            "InvalidCondition: No snapshot data available for 'changed' operator: status. "
            "Snapshot operators are only meaningful on update and delete events.");
  EXPECT_EQ(Eval(R"({"attr": "status.value", "op": "unchanged"})",
                 R"({"snapshots": {"prechange": {"status": "a"}, "postchange": {"status": "a"}}})"),
            "InvalidCondition: Invalid key path for 'unchanged' operator: status.value (cannot "
            "resolve 'value' within str). The attribute resolves in neither snapshot. Note that "
            "snapshots store raw field values, so choice fields have no '.value' suffix.");
  EXPECT_EQ(
      Eval(
          R"({"attr": "tags", "op": "unchanged"})",
          R"({"snapshots": {"prechange": {"tags": ["a", "b"]}, "postchange": {"tags": ["a", "b"]}}})"),
      "true");
  EXPECT_EQ(Eval(R"({"attr": "n", "op": "unchanged"})",
                 R"({"snapshots": {"prechange": {"n": 1}, "postchange": {"n": 1.0}}})"),
            "true");
}

TEST(Conditions, TraceRecordsReachedConditions) {
  ConditionSet cs = C(
      R"({"or": [{"attr": "a", "value": 2}, {"attr": "b.c", "value": [1], "op": "in", "negate": true}, {"attr": "zz", "value": 0}]})");
  std::vector<TraceEntry> trace;
  Result<bool> r = cs.Evaluate(J(R"({"a": 1, "b": {"c": 5}})"), &trace);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  ASSERT_EQ(trace.size(), 2u);  // the third condition was never reached
  EXPECT_EQ(trace[0].location, "or[0]");
  EXPECT_EQ(trace[0].resolution, TraceEntry::Resolution::kValue);
  EXPECT_EQ(trace[0].resolved.as_int(), 1);
  EXPECT_TRUE(trace[0].ok);
  EXPECT_FALSE(trace[0].result);
  EXPECT_EQ(trace[1].attr, "b.c");
  EXPECT_EQ(trace[1].op, "in");
  EXPECT_TRUE(trace[1].negate);
  EXPECT_EQ(trace[1].resolved.as_int(), 5);
  EXPECT_TRUE(trace[1].result);

  trace.clear();
  r = cs.Evaluate(J(R"({"a": 1, "b": {}})"), &trace);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(trace.size(), 2u);
  EXPECT_FALSE(trace[1].ok);
  EXPECT_EQ(trace[1].resolution, TraceEntry::Resolution::kMissing);
  EXPECT_EQ(trace[1].error.message(), "Invalid key path: b.c");
}

TEST(Conditions, EvalRuleConditions) {
  std::string reason = "stale";
  EXPECT_TRUE(EvalRuleConditions(nullptr, J("{}"), &reason));
  EXPECT_EQ(reason, "");
  ConditionSet cs = C(R"({"attr": "status.value", "value": "active"})");
  EXPECT_TRUE(EvalRuleConditions(&cs, J(R"({"status": {"value": "active"}})"), &reason));
  EXPECT_FALSE(EvalRuleConditions(&cs, J(R"({"status": "active"})"), &reason));
  EXPECT_EQ(reason, "Invalid key path: status.value (cannot resolve 'value' within str)");
  for (const char* falsy : {"null", "{}", "[]", "\"\"", "0", "false", "0.0"})
    EXPECT_TRUE(IsFalsyConditions(J(falsy))) << falsy;
  EXPECT_FALSE(IsFalsyConditions(J(R"({"and": []})")));
}

TEST(Conditions, DeadlineStopsEvaluationWithTimeBudget) {
  ConditionSet cs = C(R"({"and": [{"attr": "a", "value": 1}, {"attr": "b", "value": 2}]})");
  Value data = J(R"({"a": 1, "b": 2})");
  // No deadline and a far deadline evaluate as before.
  EXPECT_TRUE(*cs.Evaluate(data, kNoDeadline));
  EXPECT_TRUE(*cs.Evaluate(data, Clock::now() + std::chrono::hours(1)));
  // A deadline already past stops before the first condition, naming it.
  Result<bool> r = cs.Evaluate(data, Clock::now() - std::chrono::milliseconds(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  EXPECT_EQ(r.status().message(),
            "the condition time budget ran out before 'a' (and[0]) was evaluated");
  // EvalRuleConditions reports the code so callers can tell a budget from a data problem.
  std::string reason;
  Code code = Code::kOk;
  EXPECT_FALSE(
      EvalRuleConditions(&cs, data, Clock::now() - std::chrono::milliseconds(1), &reason, &code));
  EXPECT_EQ(code, Code::kDeadlineExceeded);
  EXPECT_NE(reason.find("time budget"), std::string::npos);
  EXPECT_FALSE(EvalRuleConditions(&cs, J(R"({"b": 2})"), kNoDeadline, &reason, &code));
  EXPECT_EQ(code, Code::kInvalidArgument);
  EXPECT_TRUE(EvalRuleConditions(&cs, data, kNoDeadline, &reason, &code));
  EXPECT_EQ(code, Code::kOk);
  EXPECT_EQ(reason, "");
  // No conditions: true whatever the deadline.
  EXPECT_TRUE(
      EvalRuleConditions(nullptr, data, Clock::now() - std::chrono::seconds(1), &reason, &code));
}

TEST(Conditions, CatastrophicRegexFailsTheConditionQuickly) {
  ConditionSet cs = C(R"({"attr": "name", "value": "^(a+)+$", "op": "regex"})");
  Value data = Value(Dict{});
  data.as_dict().set("name", std::string(30, 'a') + "!");
  Result<bool> r = cs.Evaluate(data);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().label(), "InvalidCondition");
  EXPECT_NE(r.status().message().find("match step limit"), std::string::npos)
      << r.status().message();
}

TEST(Conditions, ConcurrentEvaluation) {
  ConditionSet cs = C(
      R"({"and": [{"attr": "name", "value": "^s[a-z]+-\\d+$", "op": "regex"}, {"attr": "tags.slug", "value": "x", "op": "contains", "negate": true}]})");
  Value yes = J(R"({"name": "site-12", "tags": [{"slug": "a"}]})");
  Value no = J(R"({"name": "Site-12", "tags": []})");
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        Result<bool> a = cs.Evaluate(yes), b = cs.Evaluate(no);
        if (!a.ok() || !*a || !b.ok() || *b) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

// Check lays the trace over every condition: reached ones carry their entry, the rest none.
TEST(ConditionSetCheck, EveryConditionWithItsTraceEntryWhenReached) {
  auto cs = ConditionSet::Compile(J(R"({"and": [{"attr": "a", "value": 1},
      {"or": [{"attr": "b", "value": 2}, {"attr": "c", "value": 3}]}, {"attr": "d", "value": 4}]})"));
  ASSERT_TRUE(cs.ok());
  auto held = cs->Check(J(R"({"a": 1, "b": 2, "c": 0, "d": 4})"));
  ASSERT_TRUE(held.result.ok());
  EXPECT_TRUE(*held.result);
  ASSERT_EQ(held.conditions.size(), 4u);
  EXPECT_TRUE(held.conditions[0].trace.has_value());
  EXPECT_TRUE(held.conditions[1].trace.has_value());
  EXPECT_FALSE(held.conditions[2].trace.has_value()) << "the or short-circuits";
  EXPECT_EQ(held.conditions[2].condition.location, "and[1].or[1]");
  EXPECT_TRUE(held.conditions[3].trace.has_value());
  EXPECT_EQ(held.conditions[3].trace->resolved.as_int(), 4);
  // A missing key raises InvalidCondition: that entry carries the error, later ones are not
  // reached.
  auto raised = cs->Check(J(R"({"a": 1, "c": 3})"));
  EXPECT_FALSE(raised.result.ok());
  ASSERT_TRUE(raised.conditions[1].trace.has_value());
  EXPECT_FALSE(raised.conditions[1].trace->ok);
  EXPECT_EQ(raised.conditions[1].trace->resolution, TraceEntry::Resolution::kMissing);
  EXPECT_FALSE(raised.conditions[2].trace.has_value());
  EXPECT_FALSE(raised.conditions[3].trace.has_value());
}

}  // namespace
}  // namespace herald::conditions
