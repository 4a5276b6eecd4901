// Public API (jinja.h): Environment, Template, Error; the glue between the parser, the
// compile-time checker and the renderer. PyError exceptions never leave this file.
#include <algorithm>
#include <new>

#include "jinja/errors.h"
#include "jinja/jinja.h"
#include "jinja/parser.h"
#include "jinja/render.h"
#include "value/bigint.h"

namespace herald::jinja {

std::string Error::ToString() const {
  std::string s = type + ": " + message;
  if (lineno > 0) s += " (line " + std::to_string(lineno) + ")";
  return s;
}

std::shared_ptr<TemplateImpl> CompileImpl(std::string_view source, const EnvironmentData& env) {
  LexerOptions lo;
  lo.trim_blocks = env.options.trim_blocks;
  lo.lstrip_blocks = env.options.lstrip_blocks;
  lo.keep_trailing_newline = env.options.keep_trailing_newline;
  auto impl = std::make_shared<Template::Impl>();
  impl->prog = Parse(source, lo);
  impl->mutates = CheckProgramImpl(*impl->prog, env);
  impl->env = &env;
  return impl;
}

const TemplateImpl* EnvironmentData::GetNamed(std::string_view name) const {
  std::lock_guard<std::mutex> lock(templates_mu);
  auto it = templates.find(name);
  if (it == templates.end()) return nullptr;
  Named& n = it->second;
  if (!n.compiled) {
    n.compiled = true;
    try {
      auto t = CompileImpl(n.source, *this);
      t->name = it->first;
      n.tmpl = std::move(t);
    } catch (const PyError& e) {
      n.error = e;
    }
  }
  if (!n.tmpl) throw n.error;
  return n.tmpl.get();
}

Environment::Environment(Options options) : data_(std::make_shared<EnvironmentData>()) {
  data_->options = std::move(options);
  RegisterBuiltinFilters(data_->filters);
  RegisterBuiltinTests(data_->tests);
  RegisterGlobals(data_->globals);
}

Environment::~Environment() = default;

const Options& Environment::options() const { return data_->options; }

void Environment::AddFilter(std::string name, Filter f) {
  FilterDef def;
  def.name = name;
  def.custom = std::move(f);
  data_->filters[std::move(name)] = std::move(def);
}

void Environment::AddTemplate(std::string name, std::string source) {
  std::lock_guard<std::mutex> lock(data_->templates_mu);
  EnvironmentData::Named n;
  n.source = std::move(source);
  data_->templates[std::move(name)] = std::move(n);
}

Outcome<std::shared_ptr<const Template>> Environment::Compile(std::string_view source) const {
  try {
    std::shared_ptr<TemplateImpl> impl = CompileImpl(source, *data_);
    impl->env_owner = data_;
    return std::make_shared<const Template>(
        std::static_pointer_cast<const Template::Impl>(std::shared_ptr<const TemplateImpl>(impl)));
  } catch (const PyError& e) {
    return Error{e.type, e.message, e.lineno, "parse"};
  } catch (const ValueDepthError& e) {
    return Error{"RecursionError", e.what(), 0, "parse"};
  } catch (const std::bad_alloc&) {
    return Error{"ResourceLimitError", "out of memory while parsing the template", 0, "parse"};
  }
}

Outcome<std::string> Environment::Render(std::string_view source, const Value& context) const {
  auto t = Compile(source);
  if (!t.ok()) return t.error();
  return t.value()->Render(context);
}

Template::Template(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
Template::~Template() = default;

namespace {

Value DeepCopy(const Value& v, int depth) {
  ValueRecursionGuard guard(" while copying the context");
  if (v.is_list() || v.is_tuple()) {
    List out;
    out.reserve(v.as_list().size());
    for (const Value& x : v.as_list()) out.push_back(DeepCopy(x, depth + 1));
    return v.is_tuple() ? Value::MakeTuple(std::move(out)) : Value(std::move(out));
  }
  if (v.is_dict()) {
    Dict d;
    for (const auto& [k, x] : v.as_dict()) d.set_item(k, DeepCopy(x, depth + 1));
    return Value(std::move(d));
  }
  return v;
}

// The output buffer starts at the size of this thread's previous output (bounded), so a render
// seldom regrows it.
thread_local size_t t_last_output = 0;
constexpr size_t kMinOutputReserve = 256, kMaxOutputReserve = 64 << 10;

}  // namespace

Outcome<std::string> Template::Render(const Value& context) const {
  const TemplateImpl* t = impl_.get();
  const EnvironmentData& env = *t->env;
  std::string out;
  out.reserve(std::clamp(t_last_output + t_last_output / 8, kMinOutputReserve, kMaxOutputReserve));
  try {
    bool copy = t->mutates;
    while (true) {
      try {
        out.clear();
        Interp in(env, env.options.limits);
        // The caller's context may be shared with concurrent renders: templates that mutate
        // containers work on a private deep copy (decided at compile time, or on the first
        // mutation at run time, which restarts the render).
        Value ctx_copy;
        const Dict* ctx = nullptr;
        in.owns_context = copy;
        if (context.is_dict()) {
          if (copy) {
            ctx_copy = DeepCopy(context, 0);
            ctx = &ctx_copy.as_dict();
          } else {
            ctx = &context.as_dict();
          }
        }
        in.RenderTemplate(*t, ctx, out);
        if (copy) {
          // Break cycles inside the private copy too.
          in.BeforeMutation(ctx_copy);
        }
        break;
      } catch (const RestartWithCopy&) {
        if (copy) throw PyError{"TemplateRuntimeError", "internal error: restart loop", 0};
        copy = true;
      }
    }
  } catch (const PyError& e) {
    return Error{e.type, e.message, e.lineno, "render"};
  } catch (const ValueDepthError& e) {
    return Error{"RecursionError", e.what(), 0, "render"};
  } catch (const ValueSizeError& e) {
    return Error{"ResourceLimitError", e.what(), 0, "render"};
  } catch (const IntStrDigitsError& e) {
    return Error{"ValueError", e.what(), 0, "render"};
  } catch (const std::bad_alloc&) {
    return Error{"ResourceLimitError", "out of memory while rendering the template", 0, "render"};
  }
  t_last_output = out.size();
  return out;
}

void AddHeaderSafeFilter(Environment& env) {
  env.AddFilter("header_safe", [](const FilterArgs& call) -> Result<Value> {
    std::string s;
    if (call.input.is_str()) {
      s = call.input.as_str();
    } else {
      s = call.input.str();
    }
    std::string out;
    for (char c : s) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) continue;
      out += c;
    }
    return Value(std::move(out));
  });
}

}  // namespace herald::jinja
