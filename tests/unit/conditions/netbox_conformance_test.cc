// Runs every NetBox condition case (tests/data/netbox_conditions.json, a copy of
// shared/conformance/netbox/conditions.json), one test per case named after it, through the
// Herald API, with the mapping of the
// conformance README: construct-phase errors are Compile errors, InvalidCondition is an Evaluate
// error, eventrule cases go through EvalRuleConditions, eventrule_form "form_invalid" is a
// Compile refusal, {"resolved_op": "eq"} checks the compiled operator, and crashes NetBox would
// have (raises:TypeError/KeyError/re.error) may be refused by Compile or reported by Evaluate.
// A failing case reports its expectation and what Herald did.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "conditions/conditions.h"
#include "support/files.h"
#include "support/test_names.h"
#include "value/json.h"

namespace herald::conditions {
namespace {

std::string Describe(const Result<bool>& r) {
  if (r.ok()) return *r ? "true" : "false";
  return "raises:" + r.status().ToString();
}

// Returns "" when the case passes, else a description of the mismatch.
std::string RunCase(const Value& c) {
  const Value* expected = c.get("expected");
  if (expected->is_none()) {
    const Value* by_version = c.get("expected_by_version");
    if (!by_version || !by_version->is_dict()) return "no expectation";
    expected = nullptr;
    for (const auto& [k, v] : by_version->as_dict())
      if (k.is_str() && k.as_str().starts_with("4.7")) expected = &v;
    if (!expected) return "no 4.7 expectation";
  }
  const Value& condition = *c.get("condition");
  std::string kind = c.get("kind")->as_str();
  std::string phase = c.get("phase")->as_str();
  std::string want = expected->is_str() ? expected->as_str() : DumpJson(*expected);

  Result<ConditionSet> compiled = ConditionSet::Compile(condition);
  std::string compile_desc =
      compiled.ok() ? "compiled OK" : "compile error " + compiled.status().ToString();

  if (kind == "eventrule_form") {
    if (want != "form_invalid") return "unknown eventrule_form expectation";
    if (IsFalsyConditions(condition)) return "falsy conditions are always valid";
    return compiled.ok() ? "form accepted (" + compile_desc + ")" : "";
  }

  if (phase == "construct") {
    if (expected->is_dict()) {
      const Value* op = expected->get("resolved_op");
      if (!op) return "unknown construct expectation";
      if (!compiled.ok()) return compile_desc;
      auto infos = compiled->Conditions();
      if (infos.size() != 1 || infos[0].op != op->as_str())
        return "resolved op " + (infos.empty() ? std::string("none") : infos[0].op);
      return "";
    }
    if (want.starts_with("raises:")) {
      std::string type = want.substr(7);
      if (compiled.ok()) return compile_desc;
      if (compiled.status().label() != type) return compile_desc;
      if (compiled.status().message().empty()) return "empty error message";
      return "";
    }
    return "unknown construct expectation";
  }

  // Eval phase.
  Value data = *c.get("data");
  const Value* absent = c.get("data_is_absent_payload");
  if (absent && absent->truthy()) {
    const Value* snaps = data.get("snapshots");
    data = BuildEvalData(Value(), snaps ? *snaps : Value());
  }

  if (kind == "eventrule") {
    std::optional<ConditionSet> holder;
    const ConditionSet* cs = nullptr;
    if (!IsFalsyConditions(condition)) {
      if (!compiled.ok()) return compile_desc;
      holder.emplace(compiled.value());
      cs = &*holder;
    }
    std::string reason;
    bool got = EvalRuleConditions(cs, data, &reason);
    std::string got_s = got ? "true" : "false";
    if (got_s != want) return "got " + got_s + (reason.empty() ? "" : " (" + reason + ")");
    // The NetBox test also checks the logged reason names the attribute.
    if (const Value* note = c.get("note");
        note && note->is_str() && note->as_str().find("ERROR record") != std::string::npos) {
      auto infos = compiled->Conditions();
      if (reason.empty()) return "no failure reason to log";
      for (const auto& info : infos)
        if (reason.find(info.attr) == std::string::npos) return "reason lacks attr: " + reason;
    }
    return "";
  }

  if (want.starts_with("raises:") && want != "raises:InvalidCondition" &&
      want != "raises:ValueError") {
    // A NetBox crash: Herald may refuse at compile time.
    std::string type = want.substr(7);
    if (!compiled.ok()) return compiled.status().label() == type ? "" : compile_desc;
  }
  if (!compiled.ok()) return compile_desc;
  Result<bool> got = compiled->Evaluate(data);
  if (want == "true" || want == "false") {
    if (!got.ok() || (*got ? "true" : "false") != want) return "got " + Describe(got);
    return "";
  }
  if (want.starts_with("raises:")) {
    std::string type = want.substr(7);
    if (got.ok() || got.status().label() != type) return "got " + Describe(got);
    if (got.status().message().empty()) return "empty error message";
    return "";
  }
  return "unknown expectation " + want;
}

// One case of the file (a wrapper, so that GoogleTest prints its name, not its bytes).
struct NetBoxCase {
  std::string name;
  Value json;
  friend void PrintTo(const NetBoxCase& c, std::ostream* os) { *os << c.name; }
};

// The cases of tests/data/netbox_conditions.json; none, with *error saying why, when the file
// does not load.
std::vector<NetBoxCase> LoadCases(std::string* error) {
  std::string text = testing::ReadFile(testing::DataPath("netbox_conditions.json"));
  if (text.empty()) {
    *error = "cannot read tests/data/netbox_conditions.json";
    return {};
  }
  Result<Value> cases = ParseJson(text);
  if (!cases.ok() || !cases->is_list()) {
    *error = cases.ok() ? "not a list" : cases.status().ToString();
    return {};
  }
  std::vector<NetBoxCase> out;
  for (const Value& c : cases->as_list()) {
    const Value* name = c.get("name");
    out.push_back({name && name->is_str() ? name->as_str() : "", c});
  }
  return out;
}

std::vector<NetBoxCase> Cases() {
  std::string error;
  return LoadCases(&error);
}

class NetBoxConformance : public ::testing::TestWithParam<NetBoxCase> {};

TEST_P(NetBoxConformance, HoldsOnNetBox47) {
  const Value& c = GetParam().json;
  const Value* exp = c.get("expected");
  EXPECT_EQ(RunCase(c), "") << GetParam().name << ": expected "
                            << (exp->is_str() ? exp->as_str() : DumpJson(*exp));
}

INSTANTIATE_TEST_SUITE_P(Corpus, NetBoxConformance, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<NetBoxCase>& i) {
                           return testing::TestNameOf(i.param.name);
                         });

TEST(NetBoxConformanceCorpus, Loads) {
  std::string error;
  EXPECT_FALSE(LoadCases(&error).empty()) << (error.empty() ? "no cases" : error);
}

}  // namespace
}  // namespace herald::conditions
