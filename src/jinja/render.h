// The renderer: walks a parsed Program with Jinja2's runtime semantics (scoping, undefined,
// sandboxed attribute access (in sandbox.cc), macros, loops, includes/imports/extends) and
// enforces the render limits. One Interp per render; not shared between threads.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/stack.h"
#include "jinja/ast.h"
#include "jinja/errors.h"
#include "jinja/jinja.h"
#include "jinja/limits.h"
#include "jinja/objects.h"

namespace herald::jinja {

class Interp;

// Thrown by Interp::BeforeMutation; Template::Render re-renders with a copied context.
struct RestartWithCopy {};

using BuiltinFilter = Value (*)(Interp& in, const Value& input, CallValues& args);
using BuiltinTest = bool (*)(Interp& in, const Value& v, CallValues& args);

// Appends what a filter returns, as printed, to the output (no intermediate Value).
using BuiltinAppend = void (*)(Interp& in, const Value& input, CallValues& args, std::string& out);

struct FilterDef {
  std::string name;
  BuiltinFilter builtin = nullptr;
  Filter custom;
  // Optional: builtin's result written straight into the output when printed. Only where no
  // escaping applies: always when the result is Markup (append_markup), else without autoescape.
  BuiltinAppend append = nullptr;
  bool append_markup = false;
};

struct TestDef {
  std::string name;
  BuiltinTest fn = nullptr;
  // Python signature, for argument-count errors: 0 = f(value), 1 = f(env, value),
  // 2 = f(value, param), 3 = operator.xx(a, b), 4 = builtin callable(obj).
  int kind = 0;
  std::string pyname;  // "test_odd", "eq", ...
  std::string param;   // kind 2: the parameter name
};
// Calls a test after checking its argument count like Python would.
bool RunTest(const TestDef& t, Interp& in, const Value& v, CallValues& args);

// Registries of builtins (filters.cc, tests.cc).
void RegisterBuiltinFilters(std::map<std::string, FilterDef>& out);
void RegisterBuiltinTests(std::map<std::string, TestDef>& out);

struct TemplateImpl;

// Everything an Environment owns; immutable once templates are compiled and shared.
struct EnvironmentData {
  Options options;
  std::map<std::string, FilterDef> filters;
  std::map<std::string, TestDef> tests;
  struct Named {
    std::string source;
    bool compiled = false;
    std::shared_ptr<const TemplateImpl> tmpl;
    PyError error;  // when compiled and tmpl is null: the compile error
  };
  // Named templates, compiled on first use (guarded by templates_mu).
  mutable std::map<std::string, Named, std::less<>> templates;
  mutable std::mutex templates_mu;
  // Returns the compiled named template, nullptr when unknown; throws its compile error.
  const TemplateImpl* GetNamed(std::string_view name) const;
  Dict globals;  // range, dict, lipsum, cycler, joiner, namespace
};

struct TemplateImpl {
  std::shared_ptr<const EnvironmentData> env_owner;  // set for templates returned by Compile
  const EnvironmentData* env = nullptr;
  std::unique_ptr<Program> prog;
  std::string name;      // "" for from-string templates
  bool mutates = false;  // calls container-mutating methods (context is copied before render)
};

// The public Template's implementation is the compiled template itself.
struct Template::Impl : TemplateImpl {};

// Compile-time checks (unknown filters/tests outside if-branches, macro signature flags).
// Returns whether the template calls container-mutating methods.
bool CheckProgramImpl(Program& prog, const EnvironmentData& env);
// Parses and checks a template; throws PyError.
std::shared_ptr<TemplateImpl> CompileImpl(std::string_view source, const EnvironmentData& env);
void RegisterGlobals(Dict& g);

struct Scope {
  std::shared_ptr<Scope> parent;
  const Dict* ctx = nullptr;  // render context visible from this (root) scope
  std::vector<std::pair<std::string, Value>> vars;

  Value* Find(std::string_view name) {
    for (auto& p : vars)
      if (p.first == name) return &p.second;
    return nullptr;
  }
  void Set(std::string_view name, Value v) {
    if (Value* p = Find(name)) {
      *p = std::move(v);
      return;
    }
    vars.emplace_back(std::string(name), std::move(v));
  }
};

// One executing template (the root of a render, an include, an import, or a parent template).
struct Run {
  const TemplateImpl* tmpl = nullptr;
  std::shared_ptr<Scope> root;
  // Shared with the block references (self, super) made during the run, which may outlive it
  // (a macro exported by an imported template); null for macro and recursive-loop bodies.
  std::shared_ptr<BlockMap> blocks;
  std::vector<std::string> exports;
  const TemplateImpl* parent = nullptr;  // set by {% extends %}
  std::string* root_out = nullptr;
};

// One output buffer of Jinja2's generated code as it fills: a template's output (through its
// includes, blocks and parents), or the output of a macro, a {% set %} or {% filter %} body, a
// super() or a recursive loop() call. It counts the pieces put in it and remembers the first
// that is not a string (only a {% filter %} block can yield one), for the error Python's
// str.join gives when the buffer is joined at its end (Interp::FinishOutput).
struct OutState {
  size_t chunks = 0;
  size_t bad = SIZE_MAX;  // index of the first non-string piece
  std::string bad_type;
};

struct Frame {
  std::shared_ptr<Scope> scope;
  std::string* out;
  Run* run;
  OutState* ost = nullptr;  // null where nothing joins the output (an imported module's body)
};

// What a block reference needs to render a block after the run that made it has ended (a
// macro exported by an imported template may call self.<block>()).
struct BlockContext {
  const TemplateImpl* tmpl = nullptr;
  std::shared_ptr<BlockMap> blocks;
  std::shared_ptr<Scope> root;
};

// `super` or `self.<name>`: a reference to level `level` of block `name` that renders with
// `scope`, or an undefined value ("there is no parent block called ...") past the last level.
Value MakeBlockRef(Interp& in, const std::string& name, size_t level, const BlockContext& bc,
                   std::shared_ptr<Scope> scope);

class Interp {
 public:
  Interp(const EnvironmentData& env, const Limits& limits);

  // Renders `tmpl` with `context` into out. Throws PyError.
  void RenderTemplate(const TemplateImpl& tmpl, const Dict* context, std::string& out);

  // ---- used by objects, filters, tests and methods ----
  bool strict() const { return strict_; }
  bool autoescape() const { return autoescape_; }
  const EnvironmentData& env() const { return env_; }
  Value Undefined(std::string name) { return MakeUndefined(strict_, std::move(name)); }
  Value UndefinedHint(std::string hint) { return MakeUndefinedHint(strict_, std::move(hint)); }

  // Sandboxed attribute / item access (Jinja2's SandboxedEnvironment.getattr/getitem).
  Value GetAttr(const Value& obj, const std::string& name);
  Value GetItem(const Value& obj, const Value& key);
  // Calls any callable value.
  Value CallValue(const Value& fn, CallValues& args);
  // Calls a filter / test by name (map, select, ...); TemplateRuntimeError when unknown.
  Value CallFilter(const std::string& name, const Value& input, CallValues& args);
  bool CallTest(const std::string& name, const Value& v, CallValues& args);
  bool HasFilter(const std::string& name) const { return env_.filters.count(name) != 0; }
  bool HasTest(const std::string& name) const { return env_.tests.count(name) != 0; }

  // Runs a macro / recursive loop body (objects.cc callbacks).
  Value InvokeMacro(MacroObj& m, CallValues& args);
  Value InvokeLoop(LoopObj& loop, CallValues& args);

  // Renders level `level` of block `name` of f.run into f.out (super() and self.<block>()).
  void RenderBlockPublic(const std::string& name, size_t level, Frame& f);
  // Ends an output buffer: TypeError (Python's str.join message) when a piece was not a string.
  void FinishOutput(const OutState& o);

  // Everything that can hold values and form reference cycles is registered here and cleared
  // when the render ends, so cycles (a macro stored in its own closure scope, a list appended to
  // itself) never leak.
  std::shared_ptr<Scope> NewScope(std::shared_ptr<Scope> parent = nullptr);
  template <typename T>
  std::shared_ptr<T> Track(std::shared_ptr<T> obj) {
    objects_.push_back(obj);
    return obj;
  }
  // Called before a container-mutating method runs. The context passed to Render may be shared
  // with other threads, so the first mutation restarts the render on a private deep copy.
  void BeforeMutation(const Value& container);
  bool owns_context = false;
  ~Interp();

  // One evaluation step: counts against max_steps, checks the deadline every
  // kDeadlineCheckEvery steps and the stack on every step.
  void Step() {
    ++steps_;
    if (steps_ > limits_.max_steps || steps_ % kDeadlineCheckEvery == 0 ||
        FrameAddress() < stack_floor_)
      StepSlow();
  }
  void EnterCall();
  void LeaveCall() { --depth_; }
  void CheckOutput(const std::string& out);

 private:
  friend struct ExprEval;

  static constexpr uint64_t kDeadlineCheckEvery = 1024;
  void StepSlow();
  void RunTemplate(Run& run, std::string& out, OutState* ost);
  void Exec(const Body& body, Frame& f);
  void ExecStmt(const Stmt& s, Frame& f);
  void ExecFor(const ForStmt& s, Frame& f);
  // Runs loop s over items in a scope below parent; with `live` (a list), over that list as it
  // changes while the body runs.
  // (base: the scope above the loop, its output and run.)
  void RunLoop(const ForStmt& s, std::vector<Value> items, const Frame& base, int depth0,
               const Value* live = nullptr);
  void ExecOutput(const OutputStmt& s, Frame& f);
  void ExecInclude(const IncludeStmt& s, Frame& f);
  void ExecImport(const Stmt& s, Frame& f);
  void RenderBlock(const std::string& name, size_t level, Frame& f);
  // Binds `self` (named after `top`) in run's root scope when run's current template reads it
  // (once per run: done).
  void SetSelf(Run& run, const TemplateImpl* top, bool& done);
  Value MakeModule(const TemplateImpl& t, const std::string& name, bool with_context, Frame& f);
  const TemplateImpl* LoadTemplate(const Value& name, bool ignore_missing);

  void Assign(const Expr& target, const Value& v, Frame& f);
  Value ApplyFilter(const FilterExpr& fe, const Value* input, Frame& f);
  // The arguments of fe: its compile-time constants, or evaluated into `local`.
  CallValues& FilterCallArgs(const FilterExpr& fe, Frame& f, CallValues& local);
  // Prints expression e into out through its filter's append function when it has one that
  // applies (see FilterDef::append); false (nothing done) otherwise.
  bool AppendFiltered(const Expr& e, Frame& f, std::string& out);
  // Renders `body` in a new scope below f's and returns the output as a value: Markup under
  // autoescape, else a str (what {% set %}...{% endset %} assigns and {% filter %} filters).
  Value RenderBlockValue(const Body& body, Frame& f);
  // Runs filter `def` on `input` with `args` (one evaluation step).
  Value RunFilter(const FilterDef& def, const Value& input, CallValues& args);

 public:
  Value Eval(const Expr& e, Frame& f);

 private:
  Value Lookup(const std::string& name, Frame& f);
  // Evaluates e, returning a pointer to the stored value when e is a plain lookup chain (no
  // copy), else to `tmp`. The pointer is valid until the next evaluation step.
  const Value* EvalRef(const Expr& e, Frame& f, Value& tmp);
  void EvalArgs(const CallArgs& a, Frame& f, CallValues& out);
  Value EvalCall(const CallExpr& c, Frame& f);
  Value EvalGetitem(const GetitemExpr& g, Frame& f);

  std::vector<std::shared_ptr<Scope>> scopes_;
  std::vector<std::shared_ptr<JObject>> objects_;
  std::vector<Value> containers_;

  const EnvironmentData& env_;
  Limits limits_;
  SizeLimits size_limits_;
  SizeLimitScope size_scope_;
  StackScope stack_scope_;               // bounds the C++ stack the render may use
  ValueDepthScope value_depth_scope_;    // bounds recursion through values and repr sizes
  ValueBudgetScope value_budget_scope_;  // bounds the bytes of values the render creates
  bool strict_;
  bool autoescape_;  // the current eval context's (Options::autoescape at the start of a template)
  bool extended_ = false;  // the current template executed {% extends %}: root output is dropped
  uint64_t steps_ = 0;
  uintptr_t stack_floor_ = 0;  // StackFloor() of stack_scope_
  int depth_ = 0;
  std::chrono::steady_clock::time_point deadline_;
};

// Method calls on builtin values (methods.cc; the str methods are in methods_str.cc). Returns false
// when `name` is not a method of recv's type (the caller then falls back to item lookup /
// undefined).
bool HasMethod(const Value& recv, std::string_view name);
// Bit set of the builtin types that have a method/attribute `name` (computed once per GetattrExpr).
enum MethodBits : uint8_t {
  kMStr = 1,
  kMList = 2,
  kMTuple = 4,
  kMDict = 8,
  kMInt = 16,
  kMFloat = 32,
  kMMarkup = 64
};
uint8_t MethodMask(std::string_view name);
// HasMethod for plain (non-object) values using a precomputed mask.
inline bool HasMethodMask(const Value& recv, uint8_t mask) {
  switch (recv.kind()) {
    case Kind::Str: return mask & kMStr;
    case Kind::List: return mask & kMList;
    case Kind::Tuple: return mask & kMTuple;
    case Kind::Dict: return mask & kMDict;
    case Kind::Int:
    case Kind::Bool: return mask & kMInt;
    case Kind::Float: return mask & kMFloat;
    default: return false;
  }
}
Value CallMethod(Interp& in, const Value& recv, const std::string& name, CallValues& args);

// The bound arguments of a builtin: one slot per parameter, null where none was given. Fixed
// capacity (no builtin takes more than kMax parameters), so binding allocates nothing.
class ArgSlots {
 public:
  static constexpr size_t kMax = 8;
  const Value* operator[](size_t i) const { return slots_[i]; }
  const Value*& operator[](size_t i) { return slots_[i]; }
  size_t size() const { return n_; }
  void Reset(size_t n) {
    n_ = n;
    for (size_t i = 0; i < n; ++i) slots_[i] = nullptr;
  }

 private:
  const Value* slots_[kMax];
  size_t n_ = 0;
};

// Python-like argument binding for builtins: fills `out` (size == names.size()) from positional
// and keyword arguments; TypeError on unknown/duplicate keywords or too many positionals.
void BindArgs(const char* fname, const CallValues& a, std::initializer_list<const char*> names,
              ArgSlots& out);

}  // namespace herald::jinja
