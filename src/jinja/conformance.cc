#include "jinja/conformance.h"

#include "jinja/jinja.h"
#include "value/json.h"

namespace herald::jinja {

namespace {

std::string Str(const Value* v) { return v && v->is_str() ? v->as_str() : ""; }

// Replaces every "id=<digits>" with "id=N".
std::string NormalizeIds(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 3, "id=") == 0 && i + 3 < s.size() && s[i + 3] >= '0' && s[i + 3] <= '9') {
      out += "id=N";
      i += 3;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      continue;
    }
    out += s[i++];
  }
  return out;
}

}  // namespace

Result<std::vector<ConformanceCase>> ParseConformanceCases(std::string_view json) {
  Result<Value> doc = ParseJson(json);
  if (!doc.ok()) return doc.status();
  const Value* cases = doc->get("cases");
  if (!cases || !cases->is_list())
    return Status::Error(Code::kInvalidArgument, "ValueError", "no \"cases\" list");
  std::vector<ConformanceCase> out;
  for (const Value& c : cases->as_list()) {
    ConformanceCase cc;
    cc.name = Str(c.get("name"));
    cc.tmpl = Str(c.get("template"));
    const Value* ctx = c.get("context");
    cc.context = ctx && ctx->is_dict() ? *ctx : Value::MakeDict();
    cc.strict = Str(c.get("undefined")) == "strict";
    if (const Value* o = c.get("options")) {
      if (const Value* x = o->get("trim_blocks")) cc.trim_blocks = x->truthy();
      if (const Value* x = o->get("lstrip_blocks")) cc.lstrip_blocks = x->truthy();
      if (const Value* x = o->get("keep_trailing_newline")) cc.keep_trailing_newline = x->truthy();
      if (const Value* x = o->get("autoescape")) cc.autoescape = x->truthy();
    }
    if (const Value* t = c.get("templates"); t && t->is_dict()) {
      for (const auto& [k, v] : t->as_dict()) {
        if (k.is_str() && v.is_str()) cc.templates[k.as_str()] = v.as_str();
      }
    }
    cc.normalize = Str(c.get("normalize"));
    if (const Value* h = c.get("herald"); h && h->is_dict())
      cc.herald_err_type = Str(h->get("error_type"));
    const Value* expect = c.get("expect");
    if (!expect)
      return Status::Error(Code::kInvalidArgument, "ValueError",
                           "case " + cc.name + " has no expect");
    if (const Value* err = expect->get("error")) {
      cc.expect_error = true;
      cc.err_type = Str(err->get("type"));
      cc.err_message = Str(err->get("message"));
      cc.phase = Str(err->get("phase"));
      if (const Value* l = err->get("lineno"); l && l->is_int())
        cc.lineno = static_cast<int>(l->as_int());
    } else {
      cc.output = Str(expect->get("output"));
    }
    out.push_back(std::move(cc));
  }
  return out;
}

CaseResult RunConformanceCase(const ConformanceCase& c, const Limits* limits) {
  Options o;
  if (limits) o.limits = *limits;
  o.strict_undefined = c.strict;
  o.trim_blocks = c.trim_blocks;
  o.lstrip_blocks = c.lstrip_blocks;
  o.keep_trailing_newline = c.keep_trailing_newline;
  o.autoescape = c.autoescape;
  Environment env(o);
  for (const auto& [name, src] : c.templates) env.AddTemplate(name, src);
  auto compiled = env.Compile(c.tmpl);
  Outcome<std::string> r =
      compiled.ok() ? compiled.value()->Render(c.context) : Outcome<std::string>(compiled.error());
  CaseResult res;
  auto norm = [&c](const std::string& s) { return c.normalize == "ids" ? NormalizeIds(s) : s; };
  auto describe_error = [](const std::string& type, const std::string& msg,
                           const std::string& phase, int line) {
    std::string s = "error " + type + ": " + msg + " [" + phase;
    if (line) s += ", line " + std::to_string(line);
    return s + "]";
  };
  if (c.expect_error) {
    res.expected = describe_error(c.err_type, c.err_message, c.phase, c.lineno);
  } else {
    res.expected = "output " + DumpJson(Value(norm(c.output)));
  }
  if (!c.herald_err_type.empty())
    res.expected = "error " + c.herald_err_type + " (Herald's limit; Jinja2: " + res.expected + ")";
  if (r.ok()) {
    res.got = "output " + DumpJson(Value(norm(r.value())));
    res.passed = !c.expect_error && c.herald_err_type.empty() && norm(r.value()) == norm(c.output);
  } else {
    const Error& e = r.error();
    int line =
        (e.type == "TemplateSyntaxError" || e.type == "TemplateAssertionError") ? e.lineno : 0;
    res.got = describe_error(e.type, e.message, e.phase, line);
    if (!c.herald_err_type.empty()) {
      res.passed = e.type == c.herald_err_type;
    } else {
      res.passed = c.expect_error && e.type == c.err_type && e.phase == c.phase &&
                   norm(e.message) == norm(c.err_message) &&
                   (c.lineno == 0 || c.lineno == e.lineno);
    }
  }
  return res;
}

}  // namespace herald::jinja
