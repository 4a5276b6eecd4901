#include "jinja/render.h"

#include <algorithm>
#include <cmath>

#include "jinja/errors.h"
#include "jinja/format.h"
#include "jinja/pyops.h"

namespace herald::jinja {

namespace {

// A CallValues taken from this thread's pool of cleared ones, whose vectors keep their capacity,
// and returned to it (cleared) on destruction: a call's arguments need no allocation once the
// thread has made a few calls.
class PooledArgs {
 public:
  PooledArgs() {
    if (Pool().empty()) {
      cv_ = new CallValues;
    } else {
      cv_ = Pool().back();
      Pool().pop_back();
    }
  }
  ~PooledArgs() {
    cv_->args.clear();
    cv_->kwargs.clear();
    std::vector<CallValues*>& pool = Pool();
    if (pool.size() < kMaxPooled && cv_->args.capacity() <= kMaxKept &&
        cv_->kwargs.capacity() <= kMaxKept && pool.size() < pool.capacity()) {
      pool.push_back(cv_);
    } else {
      delete cv_;
    }
  }
  PooledArgs(const PooledArgs&) = delete;
  PooledArgs& operator=(const PooledArgs&) = delete;
  CallValues& operator*() { return *cv_; }

 private:
  static constexpr size_t kMaxPooled = 64, kMaxKept = 16;
  // Owns the pooled objects until the thread ends. Its room is reserved up front, so returning
  // one to it never allocates (or throws).
  struct Owner {
    std::vector<CallValues*> free;
    Owner() { free.reserve(kMaxPooled); }
    ~Owner() {
      for (CallValues* c : free) delete c;
    }
  };
  static std::vector<CallValues*>& Pool() {
    thread_local Owner owner;
    return owner.free;
  }
  CallValues* cv_;
};

}  // namespace

Interp::Interp(const EnvironmentData& env, const Limits& limits)
    : env_(env),
      limits_(limits),
      size_limits_{limits.max_output_bytes, std::max<size_t>(100000, limits.max_output_bytes / 8)},
      size_scope_(size_limits_),
      value_depth_scope_(kMaxValueDepth, limits.max_output_bytes),
      value_budget_scope_(limits.max_alloc_bytes),
      strict_(env.options.strict_undefined),
      autoescape_(env.options.autoescape) {
  deadline_ = std::chrono::steady_clock::now() + limits.deadline;
  size_limits_.deadline = deadline_;
  size_limits_.deadline_ms = limits.deadline;
  stack_floor_ = StackFloor();
}

std::shared_ptr<Scope> Interp::NewScope(std::shared_ptr<Scope> parent) {
  auto s = std::make_shared<Scope>();
  s->parent = std::move(parent);
  scopes_.push_back(s);
  return s;
}

void Interp::BeforeMutation(const Value& container) {
  if (!owns_context) throw RestartWithCopy{};
  containers_.push_back(container);
}

Interp::~Interp() {
  for (auto& s : scopes_) {
    s->vars.clear();
    s->parent.reset();
  }
  for (auto& o : objects_) o->ReleaseRefs();
  for (auto& v : containers_) {
    if (v.is_list()) v.as_list().clear();
    else if (v.is_dict()) v.as_dict().clear();
  }
}

void Interp::StepSlow() {
  CheckStack();
  if (steps_ > limits_.max_steps) {
    ThrowLimit("template evaluation exceeded the limit of " + std::to_string(limits_.max_steps) +
               " steps");
  }
  if (steps_ % kDeadlineCheckEvery == 0 && std::chrono::steady_clock::now() > deadline_) {
    ThrowLimit("template rendering exceeded the deadline of " +
               std::to_string(limits_.deadline.count()) + " ms");
  }
}

void Interp::EnterCall() {
  if (++depth_ > limits_.max_recursion_depth) {
    --depth_;
    ThrowLimit("template recursion depth exceeded the limit of " +
               std::to_string(limits_.max_recursion_depth));
  }
}

void Interp::CheckOutput(const std::string& out) {
  if (out.size() > limits_.max_output_bytes) {
    ThrowLimit("template output exceeds the limit of " + std::to_string(limits_.max_output_bytes) +
               " bytes");
  }
}

// ---- templates ----

void Interp::RenderTemplate(const TemplateImpl& tmpl, const Dict* context, std::string& out) {
  Run run;
  run.tmpl = &tmpl;
  run.root = NewScope();
  run.root->ctx = context;
  OutState ost;
  RunTemplate(run, out, &ost);
  FinishOutput(ost);
}

void Interp::FinishOutput(const OutState& o) {
  if (o.bad == SIZE_MAX) return;
  ThrowType("sequence item " + std::to_string(o.bad) + ": expected str instance, " + o.bad_type +
            " found");
}

void Interp::RunTemplate(Run& run, std::string& out, OutState* ost) {
  EnterCall();
  run.root_out = &out;
  const Program& prog = *run.tmpl->prog;
  // A template without blocks, {% extends %} or `self` needs no block registry (null reads as
  // empty).
  if (!run.blocks && (!prog.blocks.empty() || prog.has_extends || prog.uses_self))
    run.blocks = std::make_shared<BlockMap>();
  for (const BlockStmt* b : prog.blocks) (*run.blocks)[b->name].push_back(b);
  const TemplateImpl* top = run.tmpl;  // `self` is named after the template rendered
  bool has_self = false;
  SetSelf(run, top, has_self);
  Frame f{run.root, &out, &run, ost};
  Exec(run.tmpl->prog->body, f);
  // Follow the extends chain: parents render with the same context and block registry.
  while (run.parent) {
    const TemplateImpl* parent = run.parent;
    run.parent = nullptr;
    run.tmpl = parent;
    if (!run.blocks) run.blocks = std::make_shared<BlockMap>();
    for (const BlockStmt* b : parent->prog->blocks) (*run.blocks)[b->name].push_back(b);
    SetSelf(run, top, has_self);
    Frame pf{run.root, &out, &run, ost};
    bool saved = false;
    std::swap(saved, extended_);
    Exec(parent->prog->body, pf);
    std::swap(saved, extended_);
  }
  LeaveCall();
}

const TemplateImpl* Interp::LoadTemplate(const Value& name, bool ignore_missing) {
  std::vector<Value> names;
  if (name.is_list() || name.is_tuple()) {
    names = name.as_list();
  } else if (!StrLike(name) && !IsUndefined(name)) {
    // Jinja2's select_template: anything else is a list of names.
    if (!Truthy(name)) {
      if (ignore_missing) return nullptr;
      Throw("TemplatesNotFound", "Tried to select from an empty list of templates.");
    }
    names = Iterate(name);
  } else {
    names.push_back(name);
  }
  if (names.empty() && !name.is_str()) {
    if (ignore_missing) return nullptr;
    Throw("TemplatesNotFound", "Tried to select from an empty list of templates.");
  }
  for (const Value& n : names) {
    if (IsUndefined(n)) ObjAs<UndefinedObj>(n)->Fail();
    const std::string* s = StrLike(n);
    if (!s) continue;
    if (const TemplateImpl* t = env_.GetNamed(*s)) return t;
  }
  if (ignore_missing) return nullptr;
  if (StrLike(name) || IsUndefined(name)) Throw("TemplateNotFound", ToStr(names[0]));
  std::string msg = "none of the templates given were found: ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) msg += ", ";
    msg += ToStr(names[i]);
  }
  Throw("TemplatesNotFound", msg);
}

// ---- statements ----

void Interp::Exec(const Body& body, Frame& f) {
  for (const auto& s : body) ExecStmt(*s, f);
}

Value Interp::RenderBlockValue(const Body& body, Frame& f) {
  std::string buf;
  OutState ost;
  Frame inner{NewScope(f.scope), &buf, f.run, &ost};
  Exec(body, inner);
  FinishOutput(ost);
  return autoescape_ ? MakeMarkup(std::move(buf)) : Value(std::move(buf));
}

void Interp::ExecOutput(const OutputStmt& s, Frame& f) {
  if (extended_ && f.out == f.run->root_out) return;
  if (f.ost) f.ost->chunks += s.chunks;
  std::string& out = *f.out;
  for (const auto& it : s.items) {
    if (!it.expr) {
      out += it.data;
    } else {
      size_t before = out.size();
      if (!AppendFiltered(*it.expr, f, out)) {
        Value tmp;
        const Value* v = EvalRef(*it.expr, f, tmp);
        if (autoescape_ && !IsMarkup(*v)) out += HtmlEscape(ToStr(*v));
        else AppendStr(out, *v);
      }
      if (env_.options.check_printed) {
        Status st =
            env_.options.check_printed(std::string_view(out).substr(before), it.expr->lineno);
        if (!st.ok()) Throw(st, it.expr->lineno);
      }
    }
  }
  CheckOutput(out);
}

void Interp::ExecStmt(const Stmt& s, Frame& f) {
  Step();
  switch (s.kind) {
    case SK::kOutput: ExecOutput(static_cast<const OutputStmt&>(s), f); return;
    case SK::kFor: ExecFor(static_cast<const ForStmt&>(s), f); return;
    case SK::kIf: {
      const auto& i = static_cast<const IfStmt&>(s);
      for (const auto& br : i.branches) {
        if (Truthy(Eval(*br.first, f))) {
          Exec(br.second, f);
          return;
        }
      }
      Exec(i.else_, f);
      return;
    }
    case SK::kAssign: {
      const auto& a = static_cast<const AssignStmt&>(s);
      Value v = Eval(*a.value, f);
      Assign(*a.target, v, f);
      return;
    }
    case SK::kAssignBlock: {
      const auto& a = static_cast<const AssignBlockStmt&>(s);
      Value v = RenderBlockValue(a.body, f);
      if (a.filter) v = ApplyFilter(static_cast<const FilterExpr&>(*a.filter), &v, f);
      Assign(*a.target, v, f);
      return;
    }
    case SK::kWith: {
      const auto& w = static_cast<const WithStmt&>(s);
      std::vector<Value> values;
      for (const auto& e : w.values) values.push_back(Eval(*e, f));
      auto scope = NewScope(f.scope);
      Frame inner{scope, f.out, f.run, f.ost};
      for (size_t i = 0; i < w.targets.size(); ++i) Assign(*w.targets[i], values[i], inner);
      Exec(w.body, inner);
      return;
    }
    case SK::kFilterBlock: {
      const auto& fb = static_cast<const FilterBlockStmt&>(s);
      Value in = RenderBlockValue(fb.body, f);
      Value v = ApplyFilter(static_cast<const FilterExpr&>(*fb.filter), &in, f);
      if (extended_ && f.out == f.run->root_out) return;
      if (f.ost) {  // the one statement whose piece may be other than a string
        if (!StrLike(v) && f.ost->bad == SIZE_MAX) {
          f.ost->bad = f.ost->chunks;
          f.ost->bad_type = TypeName(v);
        }
        ++f.ost->chunks;
      }
      if (autoescape_ && !IsMarkup(v)) *f.out += HtmlEscape(ToStr(v));
      else AppendStr(*f.out, v);
      CheckOutput(*f.out);
      return;
    }
    case SK::kMacro: {
      const auto& m = static_cast<const MacroStmt&>(s);
      auto obj = Track(std::make_shared<MacroObj>(m.def, f.scope, autoescape_));
      obj->blocks = f.run->blocks;
      obj->run_root = f.run->root;
      f.scope->Set(m.def->name, Value(std::shared_ptr<Object>(obj)));
      if (f.scope == f.run->root && m.def->name[0] != '_') f.run->exports.push_back(m.def->name);
      return;
    }
    case SK::kCallBlock: {
      const auto& c = static_cast<const CallBlockStmt&>(s);
      auto caller = Track(std::make_shared<MacroObj>(c.caller, f.scope, autoescape_));
      caller->blocks = f.run->blocks;
      caller->run_root = f.run->root;
      const auto& call = static_cast<const CallExpr&>(*c.call);
      Value fn = Eval(*call.fn, f);
      PooledArgs pooled;
      CallValues& args = *pooled;
      EvalArgs(call.args, f, args);
      args.kwargs.emplace_back("caller", Value(std::shared_ptr<Object>(caller)));
      Value v = CallValue(fn, args);
      if (extended_ && f.out == f.run->root_out) return;
      if (f.ost) ++f.ost->chunks;
      if (autoescape_ && !IsMarkup(v)) *f.out += HtmlEscape(ToStr(v));
      else AppendStr(*f.out, v);
      CheckOutput(*f.out);
      return;
    }
    case SK::kInclude: ExecInclude(static_cast<const IncludeStmt&>(s), f); return;
    case SK::kImport:
    case SK::kFromImport: ExecImport(s, f); return;
    case SK::kExtends: {
      const auto& e = static_cast<const ExtendsStmt&>(s);
      if (f.run->parent || extended_) Throw("TemplateRuntimeError", "extended multiple times");
      Value name = Eval(*e.tmpl, f);
      // Jinja2 loads the parent with get_template: one name, any value (not a list to select).
      if (name.is_list() || name.is_dict()) ThrowType("unhashable type: '" + TypeName(name) + "'");
      if (!StrLike(name) && !IsUndefined(name)) Throw("TemplateNotFound", ToStr(name));
      f.run->parent = LoadTemplate(name, false);
      extended_ = true;
      return;
    }
    case SK::kBlock: {
      const auto& b = static_cast<const BlockStmt&>(s);
      if (extended_ && f.out == f.run->root_out) return;
      if (b.required) {  // Jinja2 checks where the block is called: no template overrides it
        auto it = f.run->blocks ? f.run->blocks->find(b.name) : BlockMap::iterator();
        if (!f.run->blocks || it == f.run->blocks->end() || it->second.size() <= 1)
          Throw("TemplateRuntimeError", "Required block " + StrRepr(b.name) + " not found");
      }
      Frame bf = f;
      if (!b.scoped && f.run->root) bf.scope = f.run->root;
      RenderBlock(b.name, 0, bf);
      return;
    }
    case SK::kAutoescape: {
      const auto& a = static_cast<const AutoescapeStmt&>(s);
      bool saved = autoescape_;
      autoescape_ = Truthy(Eval(*a.value, f));
      Frame inner{NewScope(f.scope), f.out, f.run, f.ost};  // a scoped block, as in Jinja2
      Exec(a.body, inner);
      autoescape_ = saved;
      return;
    }
  }
}

void Interp::RenderBlock(const std::string& name, size_t level, Frame& f) {
  BlockMap* blocks = f.run->blocks.get();
  auto it = blocks ? blocks->find(name) : BlockMap::iterator();
  if (!blocks || it == blocks->end() || level >= it->second.size()) {
    Throw("TemplateRuntimeError", "there is no parent block called '" + name + "'.");
  }
  const BlockStmt* b = it->second[level];
  EnterCall();
  auto scope = NewScope(f.scope);
  Frame bf{scope, f.out, f.run, f.ost};
  scope->Set("super", MakeBlockRef(*this, name, level + 1,
                                   BlockContext{f.run->tmpl, f.run->blocks, f.run->root}, f.scope));
  Exec(b->body, bf);
  CheckOutput(*f.out);
  LeaveCall();
}

void Interp::RenderBlockPublic(const std::string& name, size_t level, Frame& f) {
  RenderBlock(name, level, f);
}

void Interp::ExecInclude(const IncludeStmt& s, Frame& f) {
  Value name = Eval(*s.tmpl, f);
  const TemplateImpl* t = LoadTemplate(name, s.ignore_missing);
  if (!t) return;
  Run run;
  run.tmpl = t;
  run.root = NewScope();
  if (s.with_context) run.root->parent = f.scope;
  bool saved_ext = extended_, saved_ae = autoescape_;
  extended_ = false;
  autoescape_ = env_.options.autoescape;  // the included template has its own eval context
  std::string buf;
  RunTemplate(run, buf, f.ost);  // Jinja2 yields the included template's pieces in place
  extended_ = saved_ext;
  autoescape_ = saved_ae;
  if (extended_ && f.out == f.run->root_out) return;
  *f.out += buf;
  CheckOutput(*f.out);
}

Value Interp::MakeModule(const TemplateImpl& t, const std::string& name, bool with_context,
                         Frame& f) {
  Run run;
  run.tmpl = &t;
  run.root = NewScope();
  if (with_context) run.root->parent = f.scope;
  bool saved_ext = extended_, saved_ae = autoescape_;
  extended_ = false;
  autoescape_ = env_.options.autoescape;  // the module has its own eval context
  auto mod = Track(std::make_shared<ModuleObj>());
  RunTemplate(run, mod->body, nullptr);
  extended_ = saved_ext;
  autoescape_ = saved_ae;
  mod->name = name;
  for (const auto& n : run.exports) {
    if (Value* v = run.root->Find(n)) mod->exports.set(n, *v);
  }
  return Value(std::shared_ptr<Object>(mod));
}

void Interp::ExecImport(const Stmt& s, Frame& f) {
  bool is_from = s.kind == SK::kFromImport;
  const Expr& texpr = is_from ? *static_cast<const FromImportStmt&>(s).tmpl
                              : *static_cast<const ImportStmt&>(s).tmpl;
  bool with_context = is_from ? static_cast<const FromImportStmt&>(s).with_context
                              : static_cast<const ImportStmt&>(s).with_context;
  Value name = Eval(texpr, f);
  const TemplateImpl* t = LoadTemplate(name, false);
  std::string tname = ToStr(name);
  Value mod = MakeModule(*t, tname, with_context, f);
  bool top = f.scope == f.run->root;
  if (!is_from) {
    const auto& im = static_cast<const ImportStmt&>(s);
    f.scope->Set(im.target, mod);
    if (top && im.target[0] != '_') f.run->exports.push_back(im.target);
    return;
  }
  const auto& fi = static_cast<const FromImportStmt&>(s);
  const Dict& ex = ObjAs<ModuleObj>(mod)->exports;
  for (const auto& [n, alias] : fi.names) {
    const Value* v = ex.find(n);
    if (v) {
      f.scope->Set(alias, *v);
    } else {
      f.scope->Set(alias, UndefinedHint("the template " + StrRepr(tname) + " (imported on line " +
                                        std::to_string(s.lineno) +
                                        ") does not export the requested name " + StrRepr(n)));
    }
    if (top && alias[0] != '_') f.run->exports.push_back(alias);
  }
}

void Interp::ExecFor(const ForStmt& s, Frame& f) {
  Value iterable = Eval(*s.iter, f);
  std::vector<Value> items = Iterate(iterable);
  // A list is iterated live, as Python's list iterator does: items the body appends are visited.
  const Value* live = iterable.is_list() && !s.test ? &iterable : nullptr;
  if (!s.recursive) {
    RunLoop(s, std::move(items), f, 0, live);
    return;
  }
  OutState ost;  // Jinja2 renders a recursive loop into a buffer of its own: one piece here
  RunLoop(s, std::move(items), Frame{f.scope, f.out, f.run, &ost}, 0, live);
  FinishOutput(ost);
  if (f.ost) ++f.ost->chunks;
}

void Interp::RunLoop(const ForStmt& s, std::vector<Value> items, const Frame& base, int depth0,
                     const Value* live) {
  const std::shared_ptr<Scope>& parent = base.scope;
  auto scope = NewScope(parent);
  Frame lf{scope, base.out, base.run, base.ost};
  if (s.test) {
    std::vector<Value> kept;
    for (Value& v : items) {
      Step();
      Assign(*s.target, v, lf);
      if (Truthy(Eval(*s.test, lf))) kept.push_back(std::move(v));
    }
    items = std::move(kept);
    scope->vars.clear();
  }
  if (items.empty()) {
    auto es = NewScope(parent);
    Frame ef{es, base.out, base.run, base.ost};
    Exec(s.else_, ef);
    return;
  }
  std::shared_ptr<LoopObj> loop;
  if (s.uses_loop) {
    loop = Track(std::make_shared<LoopObj>());
    loop->items = std::move(items);
    loop->depth0 = depth0;
    loop->recursive = s.recursive;
    loop->stmt = &s;
    loop->scope = parent;
  }
  std::vector<Value>& seq = loop ? loop->items : items;
  Value loop_value = loop ? Value(std::shared_ptr<Object>(loop)) : Value();
  for (size_t i = 0;; ++i) {
    if (live) {  // follow the list's current length and items
      const List& l = live->as_list();
      if (l.size() < seq.size()) seq.resize(l.size());
      for (size_t k = seq.size(); k < l.size(); ++k) seq.push_back(l[k]);
      if (i < seq.size()) seq[i] = l[i];
    }
    if (i >= seq.size()) break;
    Step();
    // What the body assigns is local to one iteration: the next one sees the outer value again.
    scope->vars.clear();
    if (loop) {
      loop->index0 = i;
      scope->Set("loop", loop_value);
    }
    Assign(*s.target, seq[i], lf);
    Exec(s.body, lf);
  }
}

Value Interp::InvokeLoop(LoopObj& loop, CallValues& args) {
  // Python binds LoopContext.__call__(self, iterable) before the body checks the marker.
  const char* fn = "LoopContext.__call__()";
  for (const auto& kv : args.kwargs) {
    if (kv.first != "iterable" || !args.args.empty()) {
      ThrowType(std::string(fn) +
                (kv.first == "iterable" ? " got multiple values for argument "
                                        : " got an unexpected keyword argument ") +
                StrRepr(kv.first));
    }
  }
  if (args.args.size() + args.kwargs.size() == 0) {
    ThrowType(std::string(fn) + " missing 1 required positional argument: 'iterable'");
  }
  if (args.args.size() > 1) {
    ThrowType(std::string(fn) + " takes 2 positional arguments but " +
              std::to_string(args.args.size() + 1) + " were given");
  }
  if (!loop.recursive) {
    ThrowType("The loop must have the 'recursive' marker to be called recursively.");
  }
  EnterCall();
  std::vector<Value> items = Iterate(args.args.empty() ? args.kwargs[0].second : args.args[0]);
  std::string buf;
  Run run;  // recursion renders into its own buffer; no blocks/exports involved
  OutState ost;
  RunLoop(*loop.stmt, std::move(items), Frame{loop.scope, &buf, &run, &ost}, loop.depth0 + 1);
  FinishOutput(ost);
  LeaveCall();
  if (autoescape_) return MakeMarkup(std::move(buf));
  return Value(std::move(buf));
}

void Interp::Assign(const Expr& target, const Value& v, Frame& f) {
  switch (target.kind) {
    case EK::kName: {
      const std::string& n = static_cast<const NameExpr&>(target).name;
      f.scope->Set(n, v);
      if (f.scope == f.run->root && n[0] != '_') f.run->exports.push_back(n);
      return;
    }
    case EK::kTuple: {
      const auto& items = static_cast<const SeqExpr&>(target).items;
      if (!IsIterable(v)) ThrowType("cannot unpack non-iterable " + TypeName(v) + " object");
      std::vector<Value> vals = Iterate(v);
      if (vals.size() > items.size()) {
        ThrowValue("too many values to unpack (expected " + std::to_string(items.size()) + ")");
      }
      if (vals.size() < items.size()) {
        ThrowValue("not enough values to unpack (expected " + std::to_string(items.size()) +
                   ", got " + std::to_string(vals.size()) + ")");
      }
      for (size_t i = 0; i < items.size(); ++i) Assign(*items[i], vals[i], f);
      return;
    }
    case EK::kNSRef: {
      const auto& ns = static_cast<const NSRefExpr&>(target);
      Value obj = Lookup(ns.name, f);
      if (!IsObj(obj, OK::kNamespace)) {
        Throw("TemplateRuntimeError", "cannot assign attribute on non-namespace object");
      }
      ObjAs<NamespaceObj>(obj)->attrs.set(ns.attr, v);
      return;
    }
    default: Throw("TemplateRuntimeError", "cannot assign to this target");
  }
}

// ---- expressions ----

Value Interp::Lookup(const std::string& name, Frame& f) {
  for (Scope* s = f.scope.get(); s; s = s->parent.get()) {
    for (auto& p : s->vars)
      if (p.first == name) return p.second;
    if (s->ctx) {
      if (const Value* v = s->ctx->find(name)) return *v;
    }
  }
  if (const Value* g = env_.globals.find(name)) return *g;
  return Undefined(name);
}

void Interp::EvalArgs(const CallArgs& a, Frame& f, CallValues& out) {
  out.args.reserve(a.args.size());
  for (const auto& e : a.args) out.args.push_back(Eval(*e, f));
  for (const auto& kv : a.kwargs) out.kwargs.emplace_back(kv.first, Eval(*kv.second, f));
  if (a.dyn_args) {
    Value d = Eval(*a.dyn_args, f);
    for (Value& v : Iterate(d)) out.args.push_back(std::move(v));
  }
  if (a.dyn_kwargs) {
    Value d = Eval(*a.dyn_kwargs, f);
    if (!d.is_dict()) ThrowType("argument after ** must be a mapping, not " + TypeName(d));
    for (const auto& [k, v] : d.as_dict()) {
      if (!k.is_str()) ThrowType("keywords must be strings");
      out.kwargs.emplace_back(k.as_str(), v);
    }
  }
}

Value Interp::CallValue(const Value& fn, CallValues& args) {
  if (const JObject* j = AsJ(fn)) {
    if (IsCallableKind(j->okind)) {
      Step();
      return ObjAs<CallableObj>(fn)->Call(*this, args);
    }
    if (j->okind == OK::kUndefined) ObjAs<UndefinedObj>(fn)->Fail();
  }
  ThrowType("'" + TypeName(fn) + "' object is not callable");
}

Value Interp::EvalCall(const CallExpr& c, Frame& f) {
  if (c.fn->kind == EK::kGetattr) {
    const auto& g = static_cast<const GetattrExpr&>(*c.fn);
    Value recv = Eval(*g.obj, f);
    if (!recv.is_object() && HasMethodMask(recv, g.method_mask) && g.attr[0] != '_') {
      PooledArgs pooled;
      CallValues& args = *pooled;
      EvalArgs(c.args, f, args);
      Step();
      return CallMethod(*this, recv, g.attr, args);
    }
    Value fn = GetAttr(recv, g.attr);
    PooledArgs pooled;
    CallValues& args = *pooled;
    EvalArgs(c.args, f, args);
    return CallValue(fn, args);
  }
  Value fn = Eval(*c.fn, f);
  PooledArgs pooled;
  CallValues& args = *pooled;
  EvalArgs(c.args, f, args);
  return CallValue(fn, args);
}

Value Interp::ApplyFilter(const FilterExpr& fe, const Value* input, Frame& f) {
  Value tmp;
  const Value* inp;
  if (!fe.node) inp = input;
  else if (input && fe.node->kind == EK::kFilter) {
    tmp = ApplyFilter(static_cast<const FilterExpr&>(*fe.node), input, f);
    inp = &tmp;
  } else {
    inp = EvalRef(*fe.node, f, tmp);
  }
  PooledArgs local;
  CallValues& args = FilterCallArgs(fe, f, *local);
  if (!fe.def) Throw("TemplateRuntimeError", "No filter named '" + fe.name + "' found.");
  return RunFilter(*fe.def, *inp, args);
}

CallValues& Interp::FilterCallArgs(const FilterExpr& fe, Frame& f, CallValues& local) {
  if (!fe.const_args) {
    EvalArgs(fe.args, f, local);
    return local;
  }
  // The steps evaluating the constants would have taken.
  for (size_t i = 0; i < fe.args.args.size() + fe.args.kwargs.size(); ++i) Step();
  return *fe.const_args;
}

bool Interp::AppendFiltered(const Expr& e, Frame& f, std::string& out) {
  if (e.kind != EK::kFilter) return false;
  const auto& fe = static_cast<const FilterExpr&>(e);
  if (!fe.node || !fe.def || !fe.def->append || !(fe.def->append_markup || !autoescape_))
    return false;
  Step();  // Eval's step for the filter expression
  Value tmp;
  const Value* inp = EvalRef(*fe.node, f, tmp);
  PooledArgs local;
  CallValues& args = FilterCallArgs(fe, f, *local);
  Step();  // RunFilter's
  fe.def->append(*this, *inp, args, out);
  return true;
}

Value Interp::RunFilter(const FilterDef& def, const Value& input, CallValues& args) {
  Step();
  if (def.builtin) return def.builtin(*this, input, args);
  FilterArgs fa{input, args.args, args.kwargs};
  Result<Value> r = def.custom(fa);
  if (!r.ok()) Throw(r.status());
  return std::move(r).value();
}

Value Interp::CallFilter(const std::string& name, const Value& input, CallValues& args) {
  auto it = env_.filters.find(name);
  if (it == env_.filters.end()) Throw("TemplateRuntimeError", "No filter named '" + name + "'.");
  return RunFilter(it->second, input, args);
}

bool Interp::CallTest(const std::string& name, const Value& v, CallValues& args) {
  auto it = env_.tests.find(name);
  if (it == env_.tests.end()) Throw("TemplateRuntimeError", "No test named '" + name + "'.");
  Step();
  return RunTest(it->second, *this, v, args);
}

Value Interp::EvalGetitem(const GetitemExpr& g, Frame& f) {
  Value obj = Eval(*g.obj, f);
  if (g.arg->kind == EK::kSlice) {
    const auto& sl = static_cast<const SliceExpr&>(*g.arg);
    SliceSpec spec;
    Value parts[3];
    const ExprPtr* exprs[3] = {&sl.start, &sl.stop, &sl.step};
    bool* has[3] = {&spec.has_start, &spec.has_stop, &spec.has_step};
    int64_t* vals[3] = {&spec.start, &spec.stop, &spec.step};
    bool bad = false;
    for (int i = 0; i < 3; ++i) {
      if (!*exprs[i]) continue;
      parts[i] = Eval(**exprs[i], f);
      if (parts[i].is_none()) continue;
      if (!AsInt64(parts[i], vals[i])) {
        if (IsUndefined(parts[i])) ObjAs<UndefinedObj>(parts[i])->Fail();
        bad = true;
      }
      *has[i] = true;
    }
    if (IsUndefined(obj)) ObjAs<UndefinedObj>(obj)->Fail();
    if (bad) return MakeUndefinedAttr(strict_, obj, Value());
    if (const std::string* s = StrLike(obj)) {
      std::vector<Value> chars = Iterate(obj);
      std::string out;
      for (int64_t i : SliceIndices(spec, static_cast<int64_t>(chars.size())))
        out += chars[i].as_str();
      if (IsMarkup(obj)) return MakeMarkup(std::move(out));
      (void)s;
      return Value(std::move(out));
    }
    if (obj.is_list() || obj.is_tuple()) {
      const List& l = obj.as_list();
      List out;
      for (int64_t i : SliceIndices(spec, static_cast<int64_t>(l.size()))) out.push_back(l[i]);
      return obj.is_tuple() ? Value::MakeTuple(std::move(out)) : Value(std::move(out));
    }
    if (IsObj(obj, OK::kRange)) {
      const RangeObj* r = ObjAs<RangeObj>(obj);
      List out;
      for (int64_t i : SliceIndices(spec, r->size())) out.emplace_back(r->at(i));
      return Value(std::move(out));
    }
    return MakeUndefinedAttr(strict_, obj, Value());
  }
  Value key = Eval(*g.arg, f);
  return GetItem(obj, key);
}

const Value* Interp::EvalRef(const Expr& e, Frame& f, Value& tmp) {
  switch (e.kind) {
    case EK::kName: {
      Step();
      const std::string& name = static_cast<const NameExpr&>(e).name;
      for (Scope* s = f.scope.get(); s; s = s->parent.get()) {
        for (auto& p : s->vars)
          if (p.first == name) return &p.second;
        if (s->ctx) {
          if (const Value* v = s->ctx->find(name)) return v;
        }
      }
      if (const Value* g = env_.globals.find(name)) return g;
      tmp = Undefined(name);
      return &tmp;
    }
    case EK::kGetattr: {
      Step();
      const auto& g = static_cast<const GetattrExpr&>(e);
      Value inner;
      const Value* obj = EvalRef(*g.obj, f, inner);
      if (obj->is_dict() && !(g.method_mask & kMDict)) {
        if (const Value* v = obj->as_dict().find(g.attr)) {
          if (obj != &inner) return v;
          tmp = *v;
          return &tmp;
        }
      }
      tmp = GetAttr(*obj, g.attr);
      return &tmp;
    }
    case EK::kGetitem: {
      const auto& g = static_cast<const GetitemExpr&>(e);
      if (g.arg->kind != EK::kConst) break;
      Step();
      const Value& key = static_cast<const ConstExpr&>(*g.arg).value;
      Value inner;
      const Value* obj = EvalRef(*g.obj, f, inner);
      const Value* found = nullptr;
      if (obj->is_dict() && key.is_str()) {
        found = obj->as_dict().find(key.as_str());
      } else if ((obj->is_list() || obj->is_tuple()) && key.is_int()) {
        int64_t i = key.as_int();
        const List& l = obj->as_list();
        if (NormalizeIndex(static_cast<int64_t>(l.size()), &i)) found = &l[i];
      }
      if (found) {
        if (obj != &inner) return found;
        tmp = *found;
        return &tmp;
      }
      tmp = GetItem(*obj, key);
      return &tmp;
    }
    default: break;
  }
  tmp = Eval(e, f);
  return &tmp;
}

Value Interp::Eval(const Expr& e, Frame& f) {
  Step();
  switch (e.kind) {
    case EK::kConst: return static_cast<const ConstExpr&>(e).value;
    case EK::kName: return Lookup(static_cast<const NameExpr&>(e).name, f);
    case EK::kGetattr: {
      const auto& g = static_cast<const GetattrExpr&>(e);
      Value tmp;
      const Value* obj = EvalRef(*g.obj, f, tmp);
      if (obj->is_dict() && !(g.method_mask & kMDict)) {
        // Fast path: dict attribute that is not a method name -> item.
        if (const Value* v = obj->as_dict().find(g.attr)) return *v;
      }
      return GetAttr(*obj, g.attr);
    }
    case EK::kGetitem: return EvalGetitem(static_cast<const GetitemExpr&>(e), f);
    case EK::kSlice: return Value();
    case EK::kCall: return EvalCall(static_cast<const CallExpr&>(e), f);
    case EK::kFilter: return ApplyFilter(static_cast<const FilterExpr&>(e), nullptr, f);
    case EK::kTest: {
      const auto& t = static_cast<const TestExpr&>(e);
      Value v = Eval(*t.node, f);
      PooledArgs pooled;
      CallValues& args = *pooled;
      EvalArgs(t.args, f, args);
      if (!t.def) Throw("TemplateRuntimeError", "No test named '" + t.name + "' found.");
      return Value(RunTest(*t.def, *this, v, args));
    }
    case EK::kCondExpr: {
      const auto& c = static_cast<const CondExpr&>(e);
      if (Truthy(Eval(*c.test, f))) return Eval(*c.expr1, f);
      if (c.expr2) return Eval(*c.expr2, f);
      return MakeUndefinedHint(false, "the inline if-expression on line " +
                                          std::to_string(c.lineno) +
                                          " evaluated to false and no else section was defined.");
    }
    case EK::kAnd: {
      const auto& b = static_cast<const BinaryExpr&>(e);
      Value l = Eval(*b.left, f);
      if (!Truthy(l)) return l;
      return Eval(*b.right, f);
    }
    case EK::kOr: {
      const auto& b = static_cast<const BinaryExpr&>(e);
      Value l = Eval(*b.left, f);
      if (Truthy(l)) return l;
      return Eval(*b.right, f);
    }
    case EK::kNot: return Value(!Truthy(Eval(*static_cast<const UnaryExpr&>(e).operand, f)));
    case EK::kNeg: return Negate(Eval(*static_cast<const UnaryExpr&>(e).operand, f));
    case EK::kPos: return Positive(Eval(*static_cast<const UnaryExpr&>(e).operand, f));
    case EK::kBin: {
      const auto& b = static_cast<const BinaryExpr&>(e);
      Value l = Eval(*b.left, f);
      Value r = Eval(*b.right, f);
      return BinaryOp(b.op, l, r);
    }
    case EK::kConcat: {
      // Jinja2's markup_join under autoescape: when any operand is Markup, the others are
      // escaped and the result is Markup; otherwise a plain str (escaped when output).
      std::vector<Value> vals;
      bool any_markup = false;
      for (const auto& it : static_cast<const ConcatExpr&>(e).items) {
        vals.push_back(Eval(*it, f));
        any_markup = any_markup || (autoescape_ && IsMarkup(vals.back()));
      }
      std::string out;
      for (const Value& v : vals) {
        if (any_markup && !IsMarkup(v)) out += HtmlEscape(ToStr(v));
        else AppendStr(out, v);
        CheckSize(out.size());
      }
      if (any_markup) return MakeMarkup(std::move(out));
      return Value(std::move(out));
    }
    case EK::kCompare: {
      const auto& c = static_cast<const CompareExpr&>(e);
      Value left = Eval(*c.expr, f);
      for (const auto& [op, rexpr] : c.ops) {
        Value right = Eval(*rexpr, f);
        if (!CompareOp(op, left, right)) return Value(false);
        left = std::move(right);
      }
      return Value(true);
    }
    case EK::kList:
    case EK::kTuple: {
      const auto& s = static_cast<const SeqExpr&>(e);
      List items;
      items.reserve(s.items.size());
      for (const auto& it : s.items) items.push_back(Eval(*it, f));
      return e.kind == EK::kList ? Value(std::move(items)) : Value::MakeTuple(std::move(items));
    }
    case EK::kDict: {
      Dict d;
      for (const auto& [k, v] : static_cast<const DictExpr&>(e).items) {
        Value key = Eval(*k, f);
        Value val = Eval(*v, f);
        CheckHashable(key);
        d.set_item(std::move(key), std::move(val));
      }
      return Value(std::move(d));
    }
    case EK::kNSRef: return Value();
  }
  return Value();
}

}  // namespace herald::jinja
