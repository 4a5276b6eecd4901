// Save-time checks that need the template engine and the condition compiler.
#include "conditions/conditions.h"
#include "jinja/jinja.h"
#include "validation/forms.h"

namespace herald {

Status CheckTemplateSyntax(const std::string& source) {
  // The same environment (filters included) that renders payload URLs at send time.
  static const jinja::Environment env;
  auto compiled = env.Compile(source);
  if (compiled.ok()) return Status::Ok();
  // The Jinja2 exception class as the label and its text as the message: NetBox shows
  // str(exception), "unexpected '}'", after "Invalid template: ".
  return Status::Error(Code::kInvalidArgument, compiled.error().type, compiled.error().message);
}

Status CheckConditions(const Value& conditions) {
  if (conditions::IsFalsyConditions(conditions)) return Status::Ok();
  std::string where;
  auto cs = conditions::ConditionSet::Compile(conditions, &where);
  if (cs.ok()) return Status::Ok();
  std::string msg = cs.status().message();
  if (!where.empty()) msg += " (at " + where + ")";
  return Status::Invalid("conditions", std::move(msg));
}

}  // namespace herald
