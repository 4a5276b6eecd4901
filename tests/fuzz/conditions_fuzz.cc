// libFuzzer target: conditions compile + evaluate arbitrary JSON, and the Python-regex translator.
//
// Input: "<condition JSON>\n--\n<data JSON>" (no separator: the same document is used as both).
// Checks: nothing crashes, hangs or leaks; a compiled set evaluates to a bool or InvalidCondition
// only; results are deterministic across repeated evaluation and with/without a trace.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "conditions/conditions.h"
#include "conditions/py_regex.h"
#include "value/json.h"

using herald::Result;
using herald::Value;
namespace hc = herald::conditions;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void EvaluateAll(const hc::ConditionSet& cs, const Value& data) {
  Result<bool> a = cs.Evaluate(data);
  std::vector<hc::TraceEntry> trace;
  Result<bool> b = cs.Evaluate(data, &trace);
  Check(a.ok() == b.ok());
  if (a.ok()) {
    Check(*a == *b);
  } else {
    Check(a.status().label() == "InvalidCondition");
    Check(a.status().message() == b.status().message());
    Check(!trace.empty() && !trace.back().ok);
  }
  std::string reason;
  bool rule = hc::EvalRuleConditions(&cs, data, &reason);
  Check(rule == (a.ok() && *a));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  if (size > 64 * 1024) return 0;

  // The regex dialect translator and matcher on the raw input.
  Result<hc::PyRegex> re = hc::PyRegex::Compile(input);
  if (re.ok()) (void)re->Match(input);

  std::string_view cond_text = input, data_text = input;
  if (size_t sep = input.find("\n--\n"); sep != std::string_view::npos) {
    cond_text = input.substr(0, sep);
    data_text = input.substr(sep + 4);
  }
  Result<Value> cond = herald::ParseJson(cond_text);
  if (!cond.ok()) return 0;
  std::string where;
  Result<hc::ConditionSet> cs = hc::ConditionSet::Compile(*cond, &where);
  if (!cs.ok()) {
    Check(!cs.status().message().empty());
    return 0;
  }
  (void)cs->Conditions();
  Result<Value> data = herald::ParseJson(data_text);
  if (!data.ok()) return 0;
  EvaluateAll(*cs, *data);
  const Value* snaps = data->get("snapshots");
  EvaluateAll(*cs, hc::BuildEvalData(*data, snaps ? *snaps : Value()));
  EvaluateAll(*cs, hc::BuildEvalData(Value(), snaps ? *snaps : Value()));
  return 0;
}
