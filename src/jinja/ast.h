// Syntax tree of a parsed template (the shape of Jinja2's nodes, trimmed to what the renderer
// needs). Nodes are immutable after parsing and compile-time checks, so a tree can be shared by
// any number of concurrent renders.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "value/value.h"

namespace herald::jinja {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct FilterDef;  // resolved filter (builtin or custom), see render.h
struct CallValues;
struct TestDef;

enum class EK : uint8_t {
  kConst,
  kName,
  kGetattr,
  kGetitem,
  kSlice,
  kCall,
  kFilter,
  kTest,
  kCondExpr,
  kAnd,
  kOr,
  kNot,
  kNeg,
  kPos,
  kBin,
  kConcat,
  kCompare,
  kList,
  kTuple,
  kDict,
  kNSRef,
};

enum class BinOp : uint8_t { kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow };
enum class CmpOp : uint8_t { kEq, kNe, kLt, kLtEq, kGt, kGtEq, kIn, kNotIn };

struct Expr {
  EK kind;
  int lineno = 1;
  int depth = 1;  // height of the subtree (bounded by the parser)
  explicit Expr(EK k, int line) : kind(k), lineno(line) {}
  virtual ~Expr() = default;
};

struct ConstExpr : Expr {
  Value value;
  ConstExpr(Value v, int line) : Expr(EK::kConst, line), value(std::move(v)) {}
};

struct NameExpr : Expr {
  std::string name;
  NameExpr(std::string n, int line) : Expr(EK::kName, line), name(std::move(n)) {}
};

struct NSRefExpr : Expr {  // assignment target ns.attr
  std::string name, attr;
  NSRefExpr(std::string n, std::string a, int line)
      : Expr(EK::kNSRef, line), name(std::move(n)), attr(std::move(a)) {}
};

struct GetattrExpr : Expr {
  ExprPtr obj;
  std::string attr;
  Value attr_value;         // attr as a str Value (shared, for item fallback)
  uint8_t method_mask = 0;  // which builtin types have a method `attr` (see MethodMask)
  GetattrExpr(ExprPtr o, std::string a, int line)
      : Expr(EK::kGetattr, line), obj(std::move(o)), attr(std::move(a)), attr_value(attr) {}
};

struct GetitemExpr : Expr {
  ExprPtr obj, arg;
  GetitemExpr(ExprPtr o, ExprPtr a, int line)
      : Expr(EK::kGetitem, line), obj(std::move(o)), arg(std::move(a)) {}
};

struct SliceExpr : Expr {
  ExprPtr start, stop, step;  // each may be null
  explicit SliceExpr(int line) : Expr(EK::kSlice, line) {}
};

struct CallArgs {
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  ExprPtr dyn_args, dyn_kwargs;
};

struct CallExpr : Expr {
  ExprPtr fn;
  CallArgs args;
  CallExpr(ExprPtr f, int line) : Expr(EK::kCall, line), fn(std::move(f)) {}
};

struct FilterExpr : Expr {
  ExprPtr node;  // null for {% filter %} / {% set x | f %} heads
  std::string name;
  CallArgs args;
  const FilterDef* def = nullptr;  // resolved at compile time; null = unknown (runtime error)
  // The arguments, evaluated at compile time when all are constants (else null); never changed
  // by a filter, so renders share them.
  std::shared_ptr<CallValues> const_args;
  FilterExpr(ExprPtr n, std::string nm, int line)
      : Expr(EK::kFilter, line), node(std::move(n)), name(std::move(nm)) {}
};

struct TestExpr : Expr {
  ExprPtr node;
  std::string name;
  CallArgs args;
  const TestDef* def = nullptr;
  TestExpr(ExprPtr n, std::string nm, int line)
      : Expr(EK::kTest, line), node(std::move(n)), name(std::move(nm)) {}
};

struct CondExpr : Expr {
  ExprPtr test, expr1, expr2;  // expr2 may be null
  explicit CondExpr(int line) : Expr(EK::kCondExpr, line) {}
};

struct BinaryExpr : Expr {  // kAnd, kOr, kBin
  BinOp op = BinOp::kAdd;
  ExprPtr left, right;
  BinaryExpr(EK k, ExprPtr l, ExprPtr r, int line)
      : Expr(k, line), left(std::move(l)), right(std::move(r)) {}
};

struct UnaryExpr : Expr {  // kNot, kNeg, kPos
  ExprPtr operand;
  UnaryExpr(EK k, ExprPtr o, int line) : Expr(k, line), operand(std::move(o)) {}
};

struct ConcatExpr : Expr {
  std::vector<ExprPtr> items;
  explicit ConcatExpr(int line) : Expr(EK::kConcat, line) {}
};

struct CompareExpr : Expr {
  ExprPtr expr;
  std::vector<std::pair<CmpOp, ExprPtr>> ops;
  explicit CompareExpr(int line) : Expr(EK::kCompare, line) {}
};

struct SeqExpr : Expr {  // kList, kTuple
  std::vector<ExprPtr> items;
  SeqExpr(EK k, int line) : Expr(k, line) {}
};

struct DictExpr : Expr {
  std::vector<std::pair<ExprPtr, ExprPtr>> items;
  explicit DictExpr(int line) : Expr(EK::kDict, line) {}
};

// ---- statements ----

enum class SK : uint8_t {
  kOutput,
  kFor,
  kIf,
  kAssign,
  kAssignBlock,
  kWith,
  kFilterBlock,
  kMacro,
  kCallBlock,
  kInclude,
  kImport,
  kFromImport,
  kExtends,
  kBlock,
  kAutoescape,
};

struct Stmt {
  SK kind;
  int lineno = 1;
  Stmt(SK k, int line) : kind(k), lineno(line) {}
  virtual ~Stmt() = default;
};

struct OutputStmt : Stmt {
  // Each item is either template data (expr null) or an expression to print.
  struct Item {
    std::string data;
    ExprPtr expr;
  };
  std::vector<Item> items;
  // How many pieces Jinja2's code yields for it: each run of data and constant expressions is
  // one, each other expression one (set by the compile-time checks).
  size_t chunks = 0;
  explicit OutputStmt(int line) : Stmt(SK::kOutput, line) {}
};

struct ForStmt : Stmt {
  ExprPtr target, iter, test;
  Body body, else_;
  bool recursive = false;
  bool uses_loop = true;
  explicit ForStmt(int line) : Stmt(SK::kFor, line) {}
};

struct IfStmt : Stmt {
  std::vector<std::pair<ExprPtr, Body>> branches;  // if + elifs
  Body else_;
  explicit IfStmt(int line) : Stmt(SK::kIf, line) {}
};

struct AssignStmt : Stmt {
  ExprPtr target, value;
  explicit AssignStmt(int line) : Stmt(SK::kAssign, line) {}
};

struct AssignBlockStmt : Stmt {
  ExprPtr target;
  ExprPtr filter;  // FilterExpr chain with a null innermost node, or null
  Body body;
  explicit AssignBlockStmt(int line) : Stmt(SK::kAssignBlock, line) {}
};

struct WithStmt : Stmt {
  std::vector<ExprPtr> targets, values;
  Body body;
  explicit WithStmt(int line) : Stmt(SK::kWith, line) {}
};

struct FilterBlockStmt : Stmt {
  ExprPtr filter;
  Body body;
  explicit FilterBlockStmt(int line) : Stmt(SK::kFilterBlock, line) {}
};

struct MacroDef {
  std::string name;
  std::vector<std::string> args;
  std::vector<ExprPtr> defaults;  // for the last defaults.size() args
  Body body;
  bool catch_varargs = false, catch_kwargs = false, caller = false;
};

struct MacroStmt : Stmt {
  std::shared_ptr<MacroDef> def;
  explicit MacroStmt(int line) : Stmt(SK::kMacro, line), def(std::make_shared<MacroDef>()) {}
};

struct CallBlockStmt : Stmt {
  ExprPtr call;  // a CallExpr
  std::shared_ptr<MacroDef> caller;
  explicit CallBlockStmt(int line)
      : Stmt(SK::kCallBlock, line), caller(std::make_shared<MacroDef>()) {}
};

struct IncludeStmt : Stmt {
  ExprPtr tmpl;
  bool ignore_missing = false, with_context = true;
  explicit IncludeStmt(int line) : Stmt(SK::kInclude, line) {}
};

struct ImportStmt : Stmt {
  ExprPtr tmpl;
  std::string target;
  bool with_context = false;
  explicit ImportStmt(int line) : Stmt(SK::kImport, line) {}
};

struct FromImportStmt : Stmt {
  ExprPtr tmpl;
  std::vector<std::pair<std::string, std::string>> names;  // (name, alias)
  bool with_context = false;
  explicit FromImportStmt(int line) : Stmt(SK::kFromImport, line) {}
};

struct ExtendsStmt : Stmt {
  ExprPtr tmpl;
  explicit ExtendsStmt(int line) : Stmt(SK::kExtends, line) {}
};

struct BlockStmt : Stmt {
  std::string name;
  Body body;
  bool scoped = false, required = false;
  explicit BlockStmt(int line) : Stmt(SK::kBlock, line) {}
};

struct AutoescapeStmt : Stmt {
  ExprPtr value;
  Body body;
  explicit AutoescapeStmt(int line) : Stmt(SK::kAutoescape, line) {}
};

// The blocks of a render's inheritance chain by name, the child's definition first.
using BlockMap = std::map<std::string, std::vector<const BlockStmt*>, std::less<>>;

// A parsed template.
struct Program {
  Body body;
  std::vector<const BlockStmt*> blocks;  // all blocks by definition order
  bool has_extends = false;
  bool uses_self = false;  // reads `self` (its TemplateReference is made per render)
};

}  // namespace herald::jinja
