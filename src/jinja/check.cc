// Compile-time checks over a parsed Program, mirroring what Jinja2's code generator rejects:
// unknown filters/tests (unless inside an if-branch or conditional expression, where Jinja2
// defers the error to runtime), duplicate blocks; plus analysis the renderer uses (which
// macros read varargs/kwargs/caller, which loops use `loop`, mutating method calls).
#include <set>

#include "jinja/errors.h"
#include "jinja/render.h"

namespace herald::jinja {

namespace {

const std::set<std::string> kMutators = {"append",  "extend", "insert", "pop",
                                         "remove",  "clear",  "update", "setdefault",
                                         "popitem", "sort",   "reverse"};

class Checker {
 public:
  explicit Checker(const EnvironmentData& env) : env_(env) {}

  void Template(Program& p) {
    std::set<std::string> seen;
    for (const BlockStmt* b : p.blocks) {
      if (!seen.insert(b->name).second) {
        Throw("TemplateAssertionError", "block '" + b->name + "' defined twice", b->lineno);
      }
    }
    Body_(p.body, false);
    toplevel_ = false;
    for (const BlockStmt* b : p.blocks) Body_(const_cast<BlockStmt*>(b)->body, false);
    p.uses_self = uses_self_;
  }

  bool mutates = false;

 private:
  void Body_(Body& body, bool soft) {
    for (auto& s : body) Stmt_(*s, soft);
  }

  void Args(CallArgs& a, bool soft) {
    for (auto& e : a.args) Expr_(e.get(), soft);
    for (auto& kv : a.kwargs) Expr_(kv.second.get(), soft);
    Expr_(a.dyn_args.get(), soft);
    Expr_(a.dyn_kwargs.get(), soft);
  }

  // The right side of `in` / `not in` written as a list or tuple of plain constants becomes one
  // constant: nothing but the test sees it, so no template can change it.
  static void FoldMembers(ExprPtr& e) {
    if (e->kind != EK::kList && e->kind != EK::kTuple) return;
    const auto& seq = static_cast<const SeqExpr&>(*e);
    List items;
    for (const auto& x : seq.items) {
      if (x->kind != EK::kConst) return;
      const Value& v = static_cast<const ConstExpr&>(*x).value;
      if (v.is_sequence() || v.is_dict() || v.is_object()) return;
      items.push_back(v);
    }
    Value folded =
        e->kind == EK::kList ? Value(std::move(items)) : Value::MakeTuple(std::move(items));
    e = std::make_unique<ConstExpr>(std::move(folded), e->lineno);
  }

  // Filter arguments that are all constants are evaluated once, here.
  static void ConstArgs(FilterExpr& f) {
    const CallArgs& a = f.args;
    if (a.dyn_args || a.dyn_kwargs || (a.args.empty() && a.kwargs.empty())) return;
    for (const auto& e : a.args)
      if (e->kind != EK::kConst) return;
    for (const auto& kv : a.kwargs)
      if (kv.second->kind != EK::kConst) return;
    auto cv = std::make_shared<CallValues>();
    for (const auto& e : a.args) cv->args.push_back(static_cast<const ConstExpr&>(*e).value);
    for (const auto& kv : a.kwargs)
      cv->kwargs.emplace_back(kv.first, static_cast<const ConstExpr&>(*kv.second).value);
    f.const_args = std::move(cv);
  }

  void Expr_(Expr* e, bool soft) {
    if (!e) return;
    switch (e->kind) {
      case EK::kConst:
      case EK::kNSRef: return;
      case EK::kName:
        if (static_cast<NameExpr*>(e)->name == "self") uses_self_ = true;
        return;
      case EK::kGetattr: {
        auto* g = static_cast<GetattrExpr*>(e);
        g->method_mask = MethodMask(g->attr);
        if (kMutators.count(g->attr)) mutates = true;
        Expr_(g->obj.get(), soft);
        return;
      }
      case EK::kGetitem: {
        auto* g = static_cast<GetitemExpr*>(e);
        Expr_(g->obj.get(), soft);
        Expr_(g->arg.get(), soft);
        return;
      }
      case EK::kSlice: {
        auto* s = static_cast<SliceExpr*>(e);
        Expr_(s->start.get(), soft);
        Expr_(s->stop.get(), soft);
        Expr_(s->step.get(), soft);
        return;
      }
      case EK::kCall: {
        auto* c = static_cast<CallExpr*>(e);
        Expr_(c->fn.get(), soft);
        Args(c->args, soft);
        return;
      }
      case EK::kFilter: {
        auto* f = static_cast<FilterExpr*>(e);
        Expr_(f->node.get(), soft);
        auto it = env_.filters.find(f->name);
        if (it != env_.filters.end()) f->def = &it->second;
        else if (!soft)
          Throw("TemplateAssertionError", "No filter named '" + f->name + "'.", f->lineno);
        Args(f->args, soft);
        ConstArgs(*f);
        return;
      }
      case EK::kTest: {
        auto* t = static_cast<TestExpr*>(e);
        Expr_(t->node.get(), soft);
        auto it = env_.tests.find(t->name);
        if (it != env_.tests.end()) t->def = &it->second;
        else if (!soft)
          Throw("TemplateAssertionError", "No test named '" + t->name + "'.", t->lineno);
        Args(t->args, soft);
        return;
      }
      case EK::kCondExpr: {
        auto* c = static_cast<CondExpr*>(e);
        Expr_(c->expr1.get(), true);
        Expr_(c->test.get(), true);
        Expr_(c->expr2.get(), true);
        return;
      }
      case EK::kAnd:
      case EK::kOr:
      case EK::kBin: {
        auto* b = static_cast<BinaryExpr*>(e);
        Expr_(b->left.get(), soft);
        Expr_(b->right.get(), soft);
        return;
      }
      case EK::kNot:
      case EK::kNeg:
      case EK::kPos: Expr_(static_cast<UnaryExpr*>(e)->operand.get(), soft); return;
      case EK::kConcat:
        for (auto& x : static_cast<ConcatExpr*>(e)->items) Expr_(x.get(), soft);
        return;
      case EK::kCompare: {
        auto* c = static_cast<CompareExpr*>(e);
        Expr_(c->expr.get(), soft);
        for (auto& op : c->ops) {
          Expr_(op.second.get(), soft);
          if (op.first == CmpOp::kIn || op.first == CmpOp::kNotIn) FoldMembers(op.second);
        }
        return;
      }
      case EK::kList:
      case EK::kTuple:
        for (auto& x : static_cast<SeqExpr*>(e)->items) Expr_(x.get(), soft);
        return;
      case EK::kDict:
        for (auto& kv : static_cast<DictExpr*>(e)->items) {
          Expr_(kv.first.get(), soft);
          Expr_(kv.second.get(), soft);
        }
        return;
    }
  }

  static void Names(const Expr* e, std::set<std::string>& out);
  static void BodyNames(const Body& b, std::set<std::string>& out);
  // The names a nested macro (or call block's caller) reads, less its own parameters.
  static void MacroNames(const MacroDef& d, std::set<std::string>& out);

  // Jinja2 compiles {% extends %} only at the top level of a template or in its if-branches.
  void Stmt_(Stmt& s, bool soft) {
    if (s.kind == SK::kExtends && !toplevel_) {
      Throw("TemplateAssertionError", "cannot use extend from a non top-level scope", s.lineno);
    }
    bool saved = toplevel_;
    if (s.kind != SK::kIf) toplevel_ = false;
    StmtInner(s, soft);
    toplevel_ = saved;
  }

  void StmtInner(Stmt& s, bool soft) {
    switch (s.kind) {
      case SK::kOutput: {
        auto& o = static_cast<OutputStmt&>(s);
        bool in_const = false;  // extending a run of constant pieces
        for (auto& it : o.items) {
          Expr_(it.expr.get(), soft);
          if (!it.expr && it.data.empty()) continue;  // Jinja2's lexer drops empty data
          bool c = !it.expr || IsConstant(*it.expr);
          if (!c || !in_const) ++o.chunks;
          in_const = c;
        }
        return;
      }
      case SK::kFor: {
        auto& f = static_cast<ForStmt&>(s);
        Expr_(f.test.get(), false);
        if (int line = LoopStoreLine(s)) {
          Throw("TemplateAssertionError",
                "Can't assign to special loop variable in for-loop target", line);
        }
        Expr_(f.iter.get(), soft);
        Body_(f.body, false);
        Body_(f.else_, false);
        std::set<std::string> names;
        BodyNames(f.body, names);
        BodyNames(f.else_, names);
        f.uses_loop = names.count("loop") != 0 || f.recursive;
        return;
      }
      case SK::kIf: {
        auto& i = static_cast<IfStmt&>(s);
        for (auto& br : i.branches) {
          Expr_(br.first.get(), true);
          Body_(br.second, true);
        }
        Body_(i.else_, true);
        return;
      }
      case SK::kAssign: Expr_(static_cast<AssignStmt&>(s).value.get(), soft); return;
      case SK::kAssignBlock: {
        auto& a = static_cast<AssignBlockStmt&>(s);
        Body_(a.body, false);
        Expr_(a.filter.get(), false);
        return;
      }
      case SK::kWith: {
        auto& w = static_cast<WithStmt&>(s);
        for (auto& v : w.values) Expr_(v.get(), soft);
        Body_(w.body, false);
        return;
      }
      case SK::kFilterBlock: {
        auto& fb = static_cast<FilterBlockStmt&>(s);
        Body_(fb.body, false);
        Expr_(fb.filter.get(), false);
        return;
      }
      case SK::kMacro: Macro(*static_cast<MacroStmt&>(s).def, s.lineno); return;
      case SK::kCallBlock: {
        auto& c = static_cast<CallBlockStmt&>(s);
        Expr_(c.call.get(), soft);
        Macro(*c.caller, s.lineno);
        return;
      }
      case SK::kInclude: Expr_(static_cast<IncludeStmt&>(s).tmpl.get(), soft); return;
      case SK::kImport: Expr_(static_cast<ImportStmt&>(s).tmpl.get(), soft); return;
      case SK::kFromImport: Expr_(static_cast<FromImportStmt&>(s).tmpl.get(), soft); return;
      case SK::kExtends: Expr_(static_cast<ExtendsStmt&>(s).tmpl.get(), soft); return;
      case SK::kBlock: return;  // checked after the root body
      case SK::kAutoescape: {
        auto& a = static_cast<AutoescapeStmt&>(s);
        Expr_(a.value.get(), soft);
        Body_(a.body, false);  // a scope of its own: Jinja2 checks it even in an if-branch
        return;
      }
    }
  }

  void Macro(MacroDef& d, int lineno) {
    // Python refuses the function Jinja2 generates for a macro with a repeated parameter.
    // Jinja2's text names its internal variable (l_<depth>_<name>); Herald names the parameter.
    for (size_t i = 0; i < d.args.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (d.args[i] == d.args[j]) {
          Throw("SyntaxError", "duplicate argument '" + d.args[i] + "' in function definition",
                lineno);
        }
      }
    }
    for (auto& e : d.defaults) Expr_(e.get(), false);
    Body_(d.body, false);
    std::set<std::string> names;
    BodyNames(d.body, names);
    auto declared = [&](const char* n) {
      for (const auto& a : d.args)
        if (a == n) return true;
      return false;
    };
    // A body that calls caller() with a `caller` parameter: that parameter needs a default.
    for (size_t i = 0; names.count("caller") && i + d.defaults.size() < d.args.size(); ++i) {
      if (d.args[i] == "caller") {
        Throw("TemplateAssertionError",
              "When defining macros or call blocks the special \"caller\" argument must be "
              "omitted or be given a default.",
              lineno);
      }
    }
    for (auto& e : d.defaults) Names(e.get(), names);
    d.catch_varargs = names.count("varargs") && !declared("varargs");
    d.catch_kwargs = names.count("kwargs") && !declared("kwargs");
    d.caller = names.count("caller") && !declared("caller");
  }

  // Whether Jinja2 folds e into a constant when it compiles the template (a literal, or
  // operators over literals).
  static bool IsConstant(const Expr& e) {
    switch (e.kind) {
      case EK::kConst: return true;
      case EK::kList:
      case EK::kTuple:
        for (const auto& x : static_cast<const SeqExpr&>(e).items)
          if (!IsConstant(*x)) return false;
        return true;
      case EK::kDict:
        for (const auto& kv : static_cast<const DictExpr&>(e).items)
          if (!IsConstant(*kv.first) || !IsConstant(*kv.second)) return false;
        return true;
      case EK::kAnd:
      case EK::kOr:
      case EK::kBin: {
        const auto& b = static_cast<const BinaryExpr&>(e);
        return IsConstant(*b.left) && IsConstant(*b.right);
      }
      case EK::kNot:
      case EK::kNeg:
      case EK::kPos: return IsConstant(*static_cast<const UnaryExpr&>(e).operand);
      case EK::kConcat:
        for (const auto& x : static_cast<const ConcatExpr&>(e).items)
          if (!IsConstant(*x)) return false;
        return true;
      case EK::kCompare: {
        const auto& c = static_cast<const CompareExpr&>(e);
        if (!IsConstant(*c.expr)) return false;
        for (const auto& op : c.ops)
          if (!IsConstant(*op.second)) return false;
        return true;
      }
      case EK::kCondExpr: {
        const auto& c = static_cast<const CondExpr&>(e);
        return IsConstant(*c.test) && IsConstant(*c.expr1) && (!c.expr2 || IsConstant(*c.expr2));
      }
      default: return false;
    }
  }

  // The line of the first name `loop` that statement s (a for loop) or anything inside it
  // assigns, or 0. Jinja2 refuses these when it compiles the loop.
  static int LoopStoreLine(const Stmt& s);
  static int LoopStoreLine(const Body& body) {
    for (const auto& st : body)
      if (int line = LoopStoreLine(*st)) return line;
    return 0;
  }
  static int LoopStoreLine(const Expr* target) {
    if (!target) return 0;
    if (target->kind == EK::kName)
      return static_cast<const NameExpr*>(target)->name == "loop" ? target->lineno : 0;
    if (target->kind == EK::kTuple) {
      for (const auto& it : static_cast<const SeqExpr*>(target)->items)
        if (int line = LoopStoreLine(it.get())) return line;
    }
    return 0;
  }

  const EnvironmentData& env_;
  bool uses_self_ = false;
  bool toplevel_ = true;  // at the template's top level (or in if-branches there)
};

// Calls f(body) for each statement list nested directly in s.
template <typename F>
void ForEachBody(const Stmt& s, F&& f) {
  switch (s.kind) {
    case SK::kFor:
      f(static_cast<const ForStmt&>(s).body);
      f(static_cast<const ForStmt&>(s).else_);
      return;
    case SK::kIf:
      for (const auto& br : static_cast<const IfStmt&>(s).branches) f(br.second);
      f(static_cast<const IfStmt&>(s).else_);
      return;
    case SK::kAssignBlock: f(static_cast<const AssignBlockStmt&>(s).body); return;
    case SK::kWith: f(static_cast<const WithStmt&>(s).body); return;
    case SK::kFilterBlock: f(static_cast<const FilterBlockStmt&>(s).body); return;
    case SK::kMacro: f(static_cast<const MacroStmt&>(s).def->body); return;
    case SK::kCallBlock: f(static_cast<const CallBlockStmt&>(s).caller->body); return;
    case SK::kBlock: f(static_cast<const BlockStmt&>(s).body); return;
    case SK::kAutoescape: f(static_cast<const AutoescapeStmt&>(s).body); return;
    default: return;
  }
}

int Checker::LoopStoreLine(const Stmt& s) {
  // Names a {% with %} binds are parameters, not stores, for Jinja2.
  int line = 0;
  if (s.kind == SK::kFor) line = LoopStoreLine(static_cast<const ForStmt&>(s).target.get());
  else if (s.kind == SK::kAssign)
    line = LoopStoreLine(static_cast<const AssignStmt&>(s).target.get());
  else if (s.kind == SK::kAssignBlock)
    line = LoopStoreLine(static_cast<const AssignBlockStmt&>(s).target.get());
  ForEachBody(s, [&line](const Body& b) {
    if (!line) line = LoopStoreLine(b);
  });
  return line;
}

void Checker::Names(const Expr* e, std::set<std::string>& out) {
  if (!e) return;
  switch (e->kind) {
    case EK::kName: out.insert(static_cast<const NameExpr*>(e)->name); return;
    case EK::kGetattr: Names(static_cast<const GetattrExpr*>(e)->obj.get(), out); return;
    case EK::kGetitem:
      Names(static_cast<const GetitemExpr*>(e)->obj.get(), out);
      Names(static_cast<const GetitemExpr*>(e)->arg.get(), out);
      return;
    case EK::kSlice: {
      auto* s = static_cast<const SliceExpr*>(e);
      Names(s->start.get(), out);
      Names(s->stop.get(), out);
      Names(s->step.get(), out);
      return;
    }
    case EK::kCall:
    case EK::kFilter:
    case EK::kTest: {
      const CallArgs* a;
      if (e->kind == EK::kCall) {
        Names(static_cast<const CallExpr*>(e)->fn.get(), out);
        a = &static_cast<const CallExpr*>(e)->args;
      } else if (e->kind == EK::kFilter) {
        Names(static_cast<const FilterExpr*>(e)->node.get(), out);
        a = &static_cast<const FilterExpr*>(e)->args;
      } else {
        Names(static_cast<const TestExpr*>(e)->node.get(), out);
        a = &static_cast<const TestExpr*>(e)->args;
      }
      for (auto& x : a->args) Names(x.get(), out);
      for (auto& kv : a->kwargs) Names(kv.second.get(), out);
      Names(a->dyn_args.get(), out);
      Names(a->dyn_kwargs.get(), out);
      return;
    }
    case EK::kCondExpr: {
      auto* c = static_cast<const CondExpr*>(e);
      Names(c->test.get(), out);
      Names(c->expr1.get(), out);
      Names(c->expr2.get(), out);
      return;
    }
    case EK::kAnd:
    case EK::kOr:
    case EK::kBin:
      Names(static_cast<const BinaryExpr*>(e)->left.get(), out);
      Names(static_cast<const BinaryExpr*>(e)->right.get(), out);
      return;
    case EK::kNot:
    case EK::kNeg:
    case EK::kPos: Names(static_cast<const UnaryExpr*>(e)->operand.get(), out); return;
    case EK::kConcat:
      for (auto& x : static_cast<const ConcatExpr*>(e)->items) Names(x.get(), out);
      return;
    case EK::kCompare:
      Names(static_cast<const CompareExpr*>(e)->expr.get(), out);
      for (auto& x : static_cast<const CompareExpr*>(e)->ops) Names(x.second.get(), out);
      return;
    case EK::kList:
    case EK::kTuple:
      for (auto& x : static_cast<const SeqExpr*>(e)->items) Names(x.get(), out);
      return;
    case EK::kDict:
      for (auto& kv : static_cast<const DictExpr*>(e)->items) {
        Names(kv.first.get(), out);
        Names(kv.second.get(), out);
      }
      return;
    default: return;
  }
}

void Checker::MacroNames(const MacroDef& d, std::set<std::string>& out) {
  std::set<std::string> inner;
  for (const auto& e : d.defaults) Names(e.get(), inner);
  BodyNames(d.body, inner);
  for (const auto& a : d.args) inner.erase(a);  // its own parameters
  out.insert(inner.begin(), inner.end());
}

void Checker::BodyNames(const Body& body, std::set<std::string>& out) {
  for (const auto& sp : body) {
    const Stmt& s = *sp;
    switch (s.kind) {
      case SK::kOutput:
        for (auto& it : static_cast<const OutputStmt&>(s).items) Names(it.expr.get(), out);
        break;
      case SK::kFor: {
        auto& f = static_cast<const ForStmt&>(s);
        Names(f.iter.get(), out);
        Names(f.test.get(), out);
        BodyNames(f.body, out);
        BodyNames(f.else_, out);
        break;
      }
      case SK::kIf:
        for (auto& br : static_cast<const IfStmt&>(s).branches) {
          Names(br.first.get(), out);
          BodyNames(br.second, out);
        }
        BodyNames(static_cast<const IfStmt&>(s).else_, out);
        break;
      case SK::kAssign: Names(static_cast<const AssignStmt&>(s).value.get(), out); break;
      case SK::kAssignBlock:
        BodyNames(static_cast<const AssignBlockStmt&>(s).body, out);
        Names(static_cast<const AssignBlockStmt&>(s).filter.get(), out);
        break;
      case SK::kWith:
        for (auto& v : static_cast<const WithStmt&>(s).values) Names(v.get(), out);
        BodyNames(static_cast<const WithStmt&>(s).body, out);
        break;
      case SK::kFilterBlock:
        BodyNames(static_cast<const FilterBlockStmt&>(s).body, out);
        Names(static_cast<const FilterBlockStmt&>(s).filter.get(), out);
        break;
      case SK::kCallBlock:
        Names(static_cast<const CallBlockStmt&>(s).call.get(), out);
        MacroNames(*static_cast<const CallBlockStmt&>(s).caller, out);
        break;
      case SK::kMacro: MacroNames(*static_cast<const MacroStmt&>(s).def, out); break;
      case SK::kAutoescape:
        Names(static_cast<const AutoescapeStmt&>(s).value.get(), out);
        BodyNames(static_cast<const AutoescapeStmt&>(s).body, out);
        break;
      case SK::kInclude: Names(static_cast<const IncludeStmt&>(s).tmpl.get(), out); break;
      default: break;
    }
  }
}

}  // namespace

bool CheckProgramImpl(Program& prog, const EnvironmentData& env) {
  Checker c(env);
  c.Template(prog);
  return c.mutates;
}

}  // namespace herald::jinja
