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

std::vector<std::string> WebhookTemplateWarnings(const Webhook& w) {
  static const jinja::Environment body_env;
  static const struct HeaderEnv {
    HeaderEnv() { jinja::AddHeaderSafeFilter(env); }
    jinja::Environment env;
  } header;
  const jinja::Environment& header_env = header.env;
  std::vector<std::string> out;
  auto check = [&out](const jinja::Environment& env, const char* field, const std::string& src) {
    if (src.empty()) return;
    auto compiled = env.Compile(src);
    if (!compiled.ok()) out.push_back(std::string(field) + ": " + compiled.error().ToString());
  };
  check(header_env, "additional_headers", w.additional_headers);
  check(body_env, "body_template", w.body_template);
  return out;
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
