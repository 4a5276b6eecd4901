// Herald's Jinja2-compatible template engine.
//
// Webhook URLs, headers and bodies are Jinja2 templates written for NetBox, so this engine
// reproduces Python Jinja2 3.1 (SandboxedEnvironment, autoescape off) byte for byte: the same
// output for the same template and context, and the same error type and message when Jinja2
// rejects a template. Python value semantics (arbitrary-precision ints, float printing, repr of
// containers, str/list/dict methods, str.format and %-formatting), all built-in filters, tests and
// globals, the sandbox rules and include/import/extends through named templates are supported.
// docs/templates.md describes the language subset and the remaining differences.
//
// On top of Jinja2 every render runs under named limits (output size, evaluation steps, recursion
// depth, wall-clock deadline); hitting one ends the render with a clear error, never a crash,
// a hang or unbounded memory.
//
// Usage:
//   herald::jinja::Environment env;                       // set up once
//   auto compiled = env.Compile("Hello {{ username }}");  // parse once (phase "parse")
//   if (!compiled.ok()) ... compiled.error().ToString()
//   auto out = compiled.value()->Render(context);         // render many times (phase "render")
//
// Thread safety: configure an Environment (AddFilter, AddTemplate) before sharing it; after that
// Compile and Render may be called concurrently from any number of threads. A compiled Template
// is immutable and may be rendered concurrently. The context Value passed to Render is only read.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"
#include "value/value.h"

namespace herald::jinja {

// Per-render resource limits. Every limit is checked during rendering; exceeding one aborts the
// render with an Error of type "ResourceLimitError" (phase "render").
struct Limits {
  // Maximum size of the rendered output, and of any single string/list the template builds.
  size_t max_output_bytes = 1 << 20;  // 1 MiB
  // Maximum number of evaluation steps (expression nodes, statements and loop iterations).
  uint64_t max_steps = 10'000'000;
  // Maximum nesting of macro calls, recursive loops, includes and nested expressions.
  int max_recursion_depth = 100;
  // Wall-clock budget for one render.
  std::chrono::milliseconds deadline{1000};
  // Total bytes of strings, lists and dicts one render may create (counted as they are made,
  // so it also bounds what the render holds at once): 256 MiB.
  size_t max_alloc_bytes = size_t{256} << 20;
};

// Environment options (the NetBox defaults are all false).
struct Options {
  bool strict_undefined = false;       // StrictUndefined instead of Undefined
  bool trim_blocks = false;            // remove the first newline after a block tag
  bool lstrip_blocks = false;          // strip whitespace before a block tag on its line
  bool keep_trailing_newline = false;  // keep the template's single trailing newline
  // Jinja2's Environment(autoescape=True): every template (included and imported ones too, each
  // of which starts from this setting, as in Jinja2) HTML-escapes what it prints unless it is
  // Markup. NetBox leaves it off; Herald's own UI pages turn it on.
  bool autoescape = false;
  Limits limits;
  // Glob patterns (fnmatch, case-sensitive) of environment variable names the `env` filter may
  // read; names that match none give None.
  std::vector<std::string> env_filter_patterns;
  // When set, called with the text of every printed `{{ }}` expression (after conversion to a
  // string, before it joins the output) and the expression's line; a failed Status ends the
  // render with an Error of the Status's label (as for filters), message and that line.
  // Template text outside `{{ }}` is not passed. Must be thread-safe. (Like Jinja2's
  // `finalize`, but it only checks.)
  std::function<Status(std::string_view printed, int lineno)> check_printed;
};

// A template error. `type` is the Python exception class name Jinja2 raises
// (TemplateSyntaxError, TemplateAssertionError, UndefinedError, SecurityError, TypeError, ...)
// or "ResourceLimitError" for Herald's limits.
//
// Why not Status: template errors are Jinja2's own open set of exception classes, pinned by the
// conformance corpora, and they carry the line and the phase a template author needs; they
// describe the template, not a Herald failure kind a caller would branch on. Callers that
// report one (validation, delivery) turn it into a Status with ToString() as the message.
struct Error {
  std::string type;
  std::string message;
  int lineno = 0;     // set for syntax/assertion errors (1-based), else 0
  std::string phase;  // "parse" (Compile failed) or "render" (Render failed)

  // "Type: message", plus " (line N)" when lineno > 0.
  std::string ToString() const;
};

// Result-like holder: either a value or an Error (see Error for why it is not Result<T>).
template <typename T>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Outcome(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Arguments of a custom filter call: the piped value, positional and keyword arguments.
struct FilterArgs {
  const Value& input;
  const std::vector<Value>& args;
  const std::vector<std::pair<std::string, Value>>& kwargs;
};
// A custom filter. Return a Value, or a failed Status whose label() (the exception class; the
// code's name when empty) and message() become the render error (e.g.
// Status::Error(Code::kInvalidArgument, "ValueError", "bad input")). Must be thread-safe
// (called concurrently).
using Filter = std::function<Result<Value>(const FilterArgs& call)>;

class Template;
struct EnvironmentData;

class Environment {
 public:
  explicit Environment(Options options = {});
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  const Options& options() const;

  // Registers (or replaces) a filter under `name`. Templates compiled afterwards can use it.
  // Not thread-safe: call during setup only.
  void AddFilter(std::string name, Filter f);
  // Registers a named template (a DictLoader entry) for include/import/extends. Not
  // thread-safe: call during setup only. Syntax errors in it surface when it is used.
  void AddTemplate(std::string name, std::string source);

  // Parses and checks `source`. Syntax errors give TemplateSyntaxError, unknown filters/tests
  // (outside if-branches) TemplateAssertionError, both with phase "parse" and a line number.
  // Thread-safe. The Template keeps the Environment's data alive.
  Outcome<std::shared_ptr<const Template>> Compile(std::string_view source) const;

  // Convenience: Compile + Render.
  Outcome<std::string> Render(std::string_view source, const Value& context) const;

 private:
  std::shared_ptr<EnvironmentData> data_;
};

class Template {
 public:
  struct Impl;
  explicit Template(std::shared_ptr<const Impl> impl);
  ~Template();

  // Renders with `context` (a dict Value whose keys are the template variables; any other
  // kind is treated as an empty context). Returns the output or an Error with phase "render".
  // Thread-safe; never throws.
  Outcome<std::string> Render(const Value& context) const;

 private:
  std::shared_ptr<const Impl> impl_;
};

// Registers NetBox's `header_safe` filter: str(value) with the characters \x00-\x1f and \x7f
// removed. Used by the environment that renders webhook additional_headers.
void AddHeaderSafeFilter(Environment& env);

}  // namespace herald::jinja
