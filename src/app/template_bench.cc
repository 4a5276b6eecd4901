// `herald template bench` and the template engine's options from the settings. The bench compiles
// through delivery::Renderer::CompileBody, so it measures the engine path and environment that
// delivery renders body templates with, under the configured [templates] limits.
#include <chrono>
#include <iomanip>
#include <ostream>
#include <vector>

#include "app/app.h"
#include "delivery/renderer.h"
#include "jinja/cli.h"
#include "value/json.h"

namespace herald {

namespace {

// The contexts of a context file: one JSON object, or an array of objects. Empty on error
// (the message is on `err`).
std::vector<Value> LoadContexts(const std::string& path, std::ostream& err) {
  std::string text;
  if (!jinja::ReadFile(path, &text)) {
    err << "herald: cannot read context file " << path << "\n";
    return {};
  }
  Result<Value> parsed = ParseJson(text);
  if (!parsed.ok()) {
    err << "herald: invalid JSON in context file " << path << ": " << parsed.status().ToString()
        << "\n";
    return {};
  }
  std::vector<Value> contexts;
  if (parsed->is_list()) {
    contexts = parsed->as_list();
  } else {
    contexts.push_back(std::move(parsed).value());
  }
  if (contexts.empty()) err << "herald: context file " << path << " holds an empty array\n";
  for (size_t i = 0; i < contexts.size(); ++i) {
    if (!contexts[i].is_dict()) {
      err << "herald: context " << i << " in " << path
          << " is not a JSON object (give one object or an array of objects)\n";
      return {};
    }
  }
  return contexts;
}

}  // namespace

jinja::Options TemplateOptions(const Settings& settings) {
  jinja::Options o;
  o.limits.max_output_bytes = static_cast<size_t>(settings.templates.max_output_bytes);
  o.limits.max_steps = static_cast<uint64_t>(settings.templates.max_steps);
  o.limits.deadline = std::chrono::milliseconds(settings.templates.deadline_ms);
  o.limits.max_alloc_bytes = static_cast<size_t>(settings.templates.max_alloc_bytes);
  o.env_filter_patterns = settings.templates.env_patterns;
  return o;
}

int RunTemplateBench(const Settings& settings, const TemplateBenchArgs& args, std::ostream& out,
                     std::ostream& err) {
  if (!(args.seconds > 0)) {
    err << "herald: --seconds must be greater than 0\n";
    return 2;
  }
  std::string source;
  if (!jinja::ReadFile(args.template_path, &source)) {
    err << "herald: cannot read template file " << args.template_path << "\n";
    return 1;
  }
  std::vector<Value> contexts = LoadContexts(args.context_path, err);
  if (contexts.empty()) return 1;

  using Clock = std::chrono::steady_clock;
  delivery::Renderer renderer(TemplateOptions(settings));
  Clock::time_point compile_start = Clock::now();
  auto compiled = renderer.CompileBody(source);
  std::chrono::duration<double> compile_time = Clock::now() - compile_start;
  if (!compiled.ok()) {
    err << "herald: the template does not compile: " << compiled.error().ToString() << "\n";
    return 1;
  }
  const jinja::Template& tmpl = *compiled.value();

  const auto budget =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.seconds));
  int64_t renders = 0;
  uint64_t output_bytes = 0;
  Clock::time_point start = Clock::now();
  Clock::time_point now = start;
  size_t next = 0;
  while (renders < args.max_renders && now - start < budget) {
    auto r = tmpl.Render(contexts[next]);
    if (!r.ok()) {
      err << "herald: render error with context " << next << ": " << r.error().ToString() << "\n";
      return 1;
    }
    output_bytes += r.value().size();
    ++renders;
    next = next + 1 == contexts.size() ? 0 : next + 1;
    now = Clock::now();
  }
  double elapsed = std::chrono::duration<double>(now - start).count();
  double rate = elapsed > 0 ? static_cast<double>(renders) / elapsed : 0;
  out << std::fixed << std::setprecision(2);
  out << "template: " << args.template_path << " (compiled in " << compile_time.count() * 1e3
      << " ms)\n";
  out << "contexts: " << contexts.size() << " (rendered in turn)\n";
  out << "renders: " << renders << " in " << elapsed << " s, "
      << (renders ? elapsed * 1e6 / static_cast<double>(renders) : 0) << " us/render, "
      << (renders ? output_bytes / static_cast<uint64_t>(renders) : 0) << " output bytes/render\n";
  out << static_cast<int64_t>(rate) << " renders/s\n";
  return 0;
}

}  // namespace herald
