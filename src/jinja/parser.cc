#include "jinja/parser.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "jinja/errors.h"
#include "jinja/objects.h"

namespace herald::jinja {

namespace {

constexpr int kMaxParseDepth = 120;  // nesting of expressions/statements the parser accepts
constexpr int kMaxExprDepth = 400;   // height of an expression tree (bounds evaluation recursion)

int D(const ExprPtr& e) { return e ? e->depth : 0; }
int D(const CallArgs& a) {
  int d = std::max(D(a.dyn_args), D(a.dyn_kwargs));
  for (const auto& x : a.args) d = std::max(d, D(x));
  for (const auto& kv : a.kwargs) d = std::max(d, D(kv.second));
  return d;
}

// Sets e->depth from its direct children; fails when the tree is too tall.
template <typename T>
std::unique_ptr<T> Fin(std::unique_ptr<T> n) {
  Expr* e = n.get();
  int d = 0;
  switch (e->kind) {
    case EK::kGetattr: d = D(static_cast<GetattrExpr*>(e)->obj); break;
    case EK::kGetitem:
      d = std::max(D(static_cast<GetitemExpr*>(e)->obj), D(static_cast<GetitemExpr*>(e)->arg));
      break;
    case EK::kSlice: {
      auto* s = static_cast<SliceExpr*>(e);
      d = std::max({D(s->start), D(s->stop), D(s->step)});
      break;
    }
    case EK::kCall:
      d = std::max(D(static_cast<CallExpr*>(e)->fn), D(static_cast<CallExpr*>(e)->args));
      break;
    case EK::kFilter:
      d = std::max(D(static_cast<FilterExpr*>(e)->node), D(static_cast<FilterExpr*>(e)->args));
      break;
    case EK::kTest:
      d = std::max(D(static_cast<TestExpr*>(e)->node), D(static_cast<TestExpr*>(e)->args));
      break;
    case EK::kCondExpr: {
      auto* c = static_cast<CondExpr*>(e);
      d = std::max({D(c->test), D(c->expr1), D(c->expr2)});
      break;
    }
    case EK::kAnd:
    case EK::kOr:
    case EK::kBin:
      d = std::max(D(static_cast<BinaryExpr*>(e)->left), D(static_cast<BinaryExpr*>(e)->right));
      break;
    case EK::kNot:
    case EK::kNeg:
    case EK::kPos: d = D(static_cast<UnaryExpr*>(e)->operand); break;
    case EK::kConcat:
      for (const auto& x : static_cast<ConcatExpr*>(e)->items) d = std::max(d, D(x));
      break;
    case EK::kCompare: {
      auto* c = static_cast<CompareExpr*>(e);
      d = D(c->expr);
      for (const auto& x : c->ops) d = std::max(d, D(x.second));
      break;
    }
    case EK::kList:
    case EK::kTuple:
      for (const auto& x : static_cast<SeqExpr*>(e)->items) d = std::max(d, D(x));
      break;
    case EK::kDict:
      for (const auto& kv : static_cast<DictExpr*>(e)->items)
        d = std::max({d, D(kv.first), D(kv.second)});
      break;
    default: break;
  }
  e->depth = d + 1;
  if (e->depth > kMaxExprDepth) {
    Throw("TemplateSyntaxError",
          "expression nested too deeply (limit " + std::to_string(kMaxExprDepth) + ")", e->lineno);
  }
  return n;
}

const char* kStatementKeywords[] = {"for",     "if",   "block",  "extends", "print", "macro",
                                    "include", "from", "import", "set",     "with",  "autoescape"};

class Parser {
 public:
  Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) { Check(0); }

  std::unique_ptr<Program> ParseTemplate() {
    auto prog = std::make_unique<Program>();
    prog_ = prog.get();
    prog->body = Subparse(nullptr);
    return prog;
  }

 private:
  // ---- token stream ----
  const Token& cur() const { return toks_[pos_]; }
  void Check(size_t i) const {
    if (toks_[i].type == Tok::kError) Throw("TemplateSyntaxError", toks_[i].value, toks_[i].lineno);
  }
  Token Next() {
    Token t = toks_[pos_];
    if (toks_[pos_].type != Tok::kEof) {
      ++pos_;
      Check(pos_);
    }
    return t;
  }
  const Token& Look() {
    size_t i = toks_[pos_].type == Tok::kEof ? pos_ : pos_ + 1;
    Check(i);
    return toks_[i];
  }
  bool TestName(const Token& t, std::string_view v) const {
    return t.type == Tok::kName && t.value == v;
  }
  bool Is(Tok t) const { return cur().type == t; }
  bool IsName(std::string_view v) const { return TestName(cur(), v); }
  bool SkipIf(Tok t) {
    if (!Is(t)) return false;
    Next();
    return true;
  }
  bool SkipIfName(std::string_view v) {
    if (!IsName(v)) return false;
    Next();
    return true;
  }
  [[noreturn]] void Fail(const std::string& msg, int lineno) {
    Throw("TemplateSyntaxError", msg, lineno);
  }
  [[noreturn]] void Fail(const std::string& msg) { Fail(msg, cur().lineno); }

  [[noreturn]] void ExpectFail(const std::string& expr) {
    if (Is(Tok::kEof)) Fail("unexpected end of template, expected '" + expr + "'.");
    Fail("expected token '" + expr + "', got '" + DescribeToken(cur()) + "'");
  }
  Token Expect(Tok t) {
    if (!Is(t)) ExpectFail(DescribeTokenType(t));
    return Next();
  }
  Token ExpectName(std::string_view v) {
    if (!IsName(v)) ExpectFail(std::string(v));
    return Next();
  }

  struct DepthGuard {
    Parser* p;
    explicit DepthGuard(Parser* parser) : p(parser) {
      if (++p->depth_ > kMaxParseDepth) {
        p->Fail("template nesting too deep (limit " + std::to_string(kMaxParseDepth) + ")");
      }
    }
    ~DepthGuard() { --p->depth_; }
  };

  // ---- end-tag error messages ----
  using EndTokens = std::vector<std::string>;  // names ("endfor", "else", ...)

  [[noreturn]] void FailUtEof(const std::string* name, const std::vector<EndTokens>& stack,
                              int lineno) {
    std::set<std::string> expected;
    for (const auto& e : stack) expected.insert(e.begin(), e.end());
    std::string looking;
    if (!stack.empty()) {
      for (size_t i = 0; i < stack.back().size(); ++i) {
        if (i) looking += " or ";
        looking += "'" + stack.back()[i] + "'";
      }
    }
    std::string msg =
        name ? "Encountered unknown tag '" + *name + "'." : "Unexpected end of template.";
    if (!looking.empty()) {
      if (name && expected.count(*name)) {
        msg +=
            " You probably made a nesting mistake. Jinja is expecting this tag, but currently "
            "looking for " +
            looking + ".";
      } else {
        msg += " Jinja was looking for the following tags: " + looking + ".";
      }
    }
    if (!tag_stack_.empty()) {
      msg += " The innermost block that needs to be closed is '" + tag_stack_.back() + "'.";
    }
    Fail(msg, lineno);
  }

  [[noreturn]] void FailEof(const EndTokens& end, int lineno) {
    auto stack = end_stack_;
    stack.push_back(end);
    FailUtEof(nullptr, stack, lineno);
  }

  // ---- statements ----
  Body Subparse(const EndTokens* end) {
    DepthGuard g(this);
    Body body;
    std::unique_ptr<OutputStmt> out;
    if (end) end_stack_.push_back(*end);
    auto flush = [&] {
      if (out) body.push_back(std::move(out));
      out.reset();
    };
    struct Pop {
      Parser* p;
      bool on;
      ~Pop() {
        if (on) p->end_stack_.pop_back();
      }
    } pop{this, end != nullptr};
    while (!Is(Tok::kEof)) {
      const Token& t = cur();
      if (t.type == Tok::kData) {
        if (!out) out = std::make_unique<OutputStmt>(t.lineno);
        out->items.push_back({t.value, nullptr});
        Next();
      } else if (t.type == Tok::kVariableBegin) {
        int line = t.lineno;
        Next();
        if (!out) out = std::make_unique<OutputStmt>(line);
        out->items.push_back({"", ParseTuple(false, true, nullptr, false)});
        Expect(Tok::kVariableEnd);
      } else if (t.type == Tok::kBlockBegin) {
        flush();
        Next();
        if (end) {
          for (const auto& e : *end)
            if (IsName(e)) return body;
        }
        ParseStatement(body);
        Expect(Tok::kBlockEnd);
      } else {
        Fail("internal parsing error");
      }
    }
    flush();
    return body;
  }

  Body ParseStatements(const EndTokens& end, bool drop_needle) {
    SkipIf(Tok::kColon);
    Expect(Tok::kBlockEnd);
    Body body = Subparse(&end);
    if (Is(Tok::kEof)) FailEof(end, cur().lineno);
    if (drop_needle) Next();
    return body;
  }

  void ParseStatement(Body& body) {
    const Token& t = cur();
    if (t.type != Tok::kName) Fail("tag name expected", t.lineno);
    std::string name = t.value;
    int lineno = t.lineno;
    bool known = name == "call" || name == "filter";
    for (const char* k : kStatementKeywords)
      if (name == k) known = true;
    if (!known) FailUtEof(&name, end_stack_, lineno);
    tag_stack_.push_back(name);
    struct Pop {
      Parser* p;
      ~Pop() { p->tag_stack_.pop_back(); }
    } pop{this};
    DepthGuard g(this);
    if (name == "for") body.push_back(ParseFor());
    else if (name == "if") body.push_back(ParseIf());
    else if (name == "block") body.push_back(ParseBlock());
    else if (name == "extends") body.push_back(ParseExtends());
    else if (name == "print") body.push_back(ParsePrint());
    else if (name == "macro") body.push_back(ParseMacro());
    else if (name == "include") body.push_back(ParseInclude());
    else if (name == "from") body.push_back(ParseFrom());
    else if (name == "import") body.push_back(ParseImport());
    else if (name == "set") body.push_back(ParseSet());
    else if (name == "with") body.push_back(ParseWith());
    else if (name == "autoescape") body.push_back(ParseAutoescape());
    else if (name == "call") body.push_back(ParseCallBlock());
    else body.push_back(ParseFilterBlock());
  }

  StmtPtr ParseSet() {
    int lineno = Next().lineno;
    ExprPtr target = ParseAssignTarget(true, false, nullptr, true);
    if (SkipIf(Tok::kAssign)) {
      auto node = std::make_unique<AssignStmt>(lineno);
      node->target = std::move(target);
      node->value = ParseTuple(false, true, nullptr, false);
      return node;
    }
    auto node = std::make_unique<AssignBlockStmt>(lineno);
    node->target = std::move(target);
    node->filter = ParseFilter(nullptr, false);
    node->body = ParseStatements({"endset"}, true);
    return node;
  }

  StmtPtr ParseFor() {
    auto node = std::make_unique<ForStmt>(ExpectName("for").lineno);
    EndTokens in_rule{"in"};
    node->target = ParseAssignTarget(true, false, &in_rule, false);
    ExpectName("in");
    EndTokens rec_rule{"recursive"};
    node->iter = ParseTuple(false, false, &rec_rule, false);
    if (SkipIfName("if")) node->test = ParseExpression(true);
    node->recursive = SkipIfName("recursive");
    node->body = ParseStatements({"endfor", "else"}, false);
    if (Next().value != "endfor") node->else_ = ParseStatements({"endfor"}, true);
    return node;
  }

  StmtPtr ParseIf() {
    auto node = std::make_unique<IfStmt>(ExpectName("if").lineno);
    while (true) {
      ExprPtr test = ParseTuple(false, false, nullptr, false);
      Body body = ParseStatements({"elif", "else", "endif"}, false);
      node->branches.emplace_back(std::move(test), std::move(body));
      Token t = Next();
      if (TestName(t, "elif")) continue;
      if (TestName(t, "else")) node->else_ = ParseStatements({"endif"}, true);
      break;
    }
    return node;
  }

  StmtPtr ParseWith() {
    auto node = std::make_unique<WithStmt>(Next().lineno);
    while (!Is(Tok::kBlockEnd)) {
      if (!node->targets.empty()) Expect(Tok::kComma);
      node->targets.push_back(ParseAssignTarget(true, false, nullptr, false));
      Expect(Tok::kAssign);
      node->values.push_back(ParseExpression(true));
    }
    node->body = ParseStatements({"endwith"}, true);
    return node;
  }

  StmtPtr ParseAutoescape() {
    auto node = std::make_unique<AutoescapeStmt>(Next().lineno);
    node->value = ParseExpression(true);
    node->body = ParseStatements({"endautoescape"}, true);
    return node;
  }

  StmtPtr ParseBlock() {
    auto node = std::make_unique<BlockStmt>(Next().lineno);
    node->name = Expect(Tok::kName).value;
    node->scoped = SkipIfName("scoped");
    node->required = SkipIfName("required");
    if (Is(Tok::kSub)) {
      Fail(
          "Block names in Jinja have to be valid Python identifiers and may not contain "
          "hyphens, use an underscore instead.");
    }
    node->body = ParseStatements({"endblock"}, true);
    if (node->required) {
      for (const auto& st : node->body) {
        bool ok = st->kind == SK::kOutput;
        if (ok) {
          for (const auto& it : static_cast<OutputStmt*>(st.get())->items) {
            if (it.expr) ok = false;
            for (char c : it.data)
              if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'))
                ok = false;
          }
        }
        if (!ok) Fail("Required blocks can only contain comments or whitespace");
      }
    }
    SkipIfName(node->name);
    prog_->blocks.push_back(node.get());
    return node;
  }

  StmtPtr ParseExtends() {
    auto node = std::make_unique<ExtendsStmt>(Next().lineno);
    node->tmpl = ParseExpression(true);
    prog_->has_extends = true;
    return node;
  }

  bool ParseContextFlag(bool* with_context) {
    if ((IsName("with") || IsName("without")) && TestName(Look(), "context")) {
      *with_context = Next().value == "with";
      Next();
      return true;
    }
    return false;
  }

  StmtPtr ParseInclude() {
    auto node = std::make_unique<IncludeStmt>(Next().lineno);
    node->tmpl = ParseExpression(true);
    if (IsName("ignore") && TestName(Look(), "missing")) {
      node->ignore_missing = true;
      Next();
      Next();
    }
    if (!ParseContextFlag(&node->with_context)) node->with_context = true;
    return node;
  }

  StmtPtr ParseImport() {
    auto node = std::make_unique<ImportStmt>(Next().lineno);
    node->tmpl = ParseExpression(true);
    ExpectName("as");
    node->target = Expect(Tok::kName).value;
    if (!ParseContextFlag(&node->with_context)) node->with_context = false;
    return node;
  }

  StmtPtr ParseFrom() {
    auto node = std::make_unique<FromImportStmt>(Next().lineno);
    node->tmpl = ParseExpression(true);
    ExpectName("import");
    bool have_ctx = false;
    while (true) {
      if (!node->names.empty()) Expect(Tok::kComma);
      if (Is(Tok::kName)) {
        if (ParseContextFlag(&node->with_context)) {
          have_ctx = true;
          break;
        }
        Token target = Expect(Tok::kName);
        if (!target.value.empty() && target.value[0] == '_') {
          Throw("TemplateAssertionError", "names starting with an underline can not be imported",
                target.lineno);
        }
        if (SkipIfName("as")) {
          Token alias = Expect(Tok::kName);
          node->names.emplace_back(target.value, alias.value);
        } else {
          node->names.emplace_back(target.value, target.value);
        }
        if (ParseContextFlag(&node->with_context)) {
          have_ctx = true;
          break;
        }
        if (!Is(Tok::kComma)) break;
      } else {
        Expect(Tok::kName);
      }
    }
    if (!have_ctx) node->with_context = false;
    return node;
  }

  void ParseSignature(MacroDef& def) {
    Expect(Tok::kLParen);
    while (!Is(Tok::kRParen)) {
      if (!def.args.empty()) Expect(Tok::kComma);
      Token arg = Expect(Tok::kName);
      if (SkipIf(Tok::kAssign)) {
        def.defaults.push_back(ParseExpression(true));
      } else if (!def.defaults.empty()) {
        Fail("non-default argument follows default argument");
      }
      def.args.push_back(arg.value);
    }
    Expect(Tok::kRParen);
  }

  StmtPtr ParseCallBlock() {
    auto node = std::make_unique<CallBlockStmt>(Next().lineno);
    if (Is(Tok::kLParen)) ParseSignature(*node->caller);
    node->caller->name = "caller";
    ExprPtr call = ParseExpression(true);
    if (call->kind != EK::kCall) Fail("expected call", node->lineno);
    node->call = std::move(call);
    node->caller->body = ParseStatements({"endcall"}, true);
    return node;
  }

  StmtPtr ParseFilterBlock() {
    auto node = std::make_unique<FilterBlockStmt>(Next().lineno);
    node->filter = ParseFilter(nullptr, true);
    node->body = ParseStatements({"endfilter"}, true);
    return node;
  }

  StmtPtr ParseMacro() {
    auto node = std::make_unique<MacroStmt>(Next().lineno);
    node->def->name = Expect(Tok::kName).value;
    ParseSignature(*node->def);
    node->def->body = ParseStatements({"endmacro"}, true);
    return node;
  }

  StmtPtr ParsePrint() {
    auto node = std::make_unique<OutputStmt>(Next().lineno);
    while (!Is(Tok::kBlockEnd)) {
      if (!node->items.empty()) Expect(Tok::kComma);
      node->items.push_back({"", ParseExpression(true)});
    }
    return node;
  }

  static bool CanAssign(const Expr& e) {
    if (e.kind == EK::kName || e.kind == EK::kNSRef) return true;
    if (e.kind == EK::kTuple) {
      for (const auto& it : static_cast<const SeqExpr&>(e).items)
        if (!CanAssign(*it)) return false;
      return true;
    }
    return false;
  }

  ExprPtr ParseAssignTarget(bool with_tuple, bool name_only, const EndTokens* extra_end,
                            bool with_namespace) {
    ExprPtr target;
    if (with_namespace && Look().type == Tok::kDot) {
      Token name = Expect(Tok::kName);
      Next();
      Token attr = Expect(Tok::kName);
      target = std::make_unique<NSRefExpr>(name.value, attr.value, name.lineno);
    } else if (name_only) {
      Token name = Expect(Tok::kName);
      target = std::make_unique<NameExpr>(name.value, name.lineno);
    } else if (with_tuple) {
      target = ParseTuple(true, true, extra_end, false);
    } else {
      target = ParsePrimary();
    }
    if (!CanAssign(*target)) {
      // Jinja2 reports the first non-assignable node's own type for tuples as "tuple".
      Fail(std::string("can't assign to '") + NodeTypeName(*target) + "'", target->lineno);
    }
    return target;
  }

  // ---- expressions ----
  ExprPtr ParseExpression(bool with_condexpr) {
    DepthGuard g(this);
    return with_condexpr ? ParseCondExpr() : ParseOr();
  }

  ExprPtr ParseCondExpr() {
    DepthGuard g(this);  // `a if b else c if d else ...` recurses through the else branch
    int lineno = cur().lineno;
    ExprPtr expr1 = ParseOr();
    while (SkipIfName("if")) {
      auto node = std::make_unique<CondExpr>(lineno);
      node->test = ParseOr();
      if (SkipIfName("else")) node->expr2 = ParseCondExpr();
      node->expr1 = std::move(expr1);
      expr1 = Fin(std::move(node));
      lineno = cur().lineno;
    }
    return expr1;
  }

  ExprPtr ParseOr() {
    int lineno = cur().lineno;
    ExprPtr left = ParseAnd();
    while (SkipIfName("or")) {
      ExprPtr right = ParseAnd();
      left = Fin(std::make_unique<BinaryExpr>(EK::kOr, std::move(left), std::move(right), lineno));
      lineno = cur().lineno;
    }
    return left;
  }

  ExprPtr ParseAnd() {
    int lineno = cur().lineno;
    ExprPtr left = ParseNot();
    while (SkipIfName("and")) {
      ExprPtr right = ParseNot();
      left = Fin(std::make_unique<BinaryExpr>(EK::kAnd, std::move(left), std::move(right), lineno));
      lineno = cur().lineno;
    }
    return left;
  }

  ExprPtr ParseNot() {
    if (IsName("not")) {
      DepthGuard g(this);
      int lineno = Next().lineno;
      return Fin(std::make_unique<UnaryExpr>(EK::kNot, ParseNot(), lineno));
    }
    return ParseCompare();
  }

  ExprPtr ParseCompare() {
    int lineno = cur().lineno;
    ExprPtr expr = ParseMath1();
    std::unique_ptr<CompareExpr> cmp;
    while (true) {
      CmpOp op;
      Tok t = cur().type;
      if (t == Tok::kEq) op = CmpOp::kEq;
      else if (t == Tok::kNe) op = CmpOp::kNe;
      else if (t == Tok::kLt) op = CmpOp::kLt;
      else if (t == Tok::kLtEq) op = CmpOp::kLtEq;
      else if (t == Tok::kGt) op = CmpOp::kGt;
      else if (t == Tok::kGtEq) op = CmpOp::kGtEq;
      else if (IsName("in")) op = CmpOp::kIn;
      else if (IsName("not") && TestName(Look(), "in")) {
        Next();
        op = CmpOp::kNotIn;
      } else {
        break;
      }
      Next();
      if (!cmp) cmp = std::make_unique<CompareExpr>(lineno);
      cmp->ops.emplace_back(op, ParseMath1());
      lineno = cur().lineno;
    }
    if (!cmp) return expr;
    cmp->expr = std::move(expr);
    cmp->lineno = lineno;
    return Fin(std::move(cmp));
  }

  ExprPtr MakeBin(BinOp op, ExprPtr l, ExprPtr r, int lineno) {
    auto n = std::make_unique<BinaryExpr>(EK::kBin, std::move(l), std::move(r), lineno);
    n->op = op;
    return Fin(std::move(n));
  }

  ExprPtr ParseMath1() {
    int lineno = cur().lineno;
    ExprPtr left = ParseConcat();
    while (Is(Tok::kAdd) || Is(Tok::kSub)) {
      BinOp op = Is(Tok::kAdd) ? BinOp::kAdd : BinOp::kSub;
      Next();
      ExprPtr right = ParseConcat();
      left = MakeBin(op, std::move(left), std::move(right), lineno);
      lineno = cur().lineno;
    }
    return left;
  }

  ExprPtr ParseConcat() {
    int lineno = cur().lineno;
    ExprPtr first = ParseMath2();
    if (!Is(Tok::kTilde)) return first;
    auto node = std::make_unique<ConcatExpr>(lineno);
    node->items.push_back(std::move(first));
    while (SkipIf(Tok::kTilde)) node->items.push_back(ParseMath2());
    return Fin(std::move(node));
  }

  ExprPtr ParseMath2() {
    int lineno = cur().lineno;
    ExprPtr left = ParsePow();
    while (true) {
      BinOp op;
      if (Is(Tok::kMul)) op = BinOp::kMul;
      else if (Is(Tok::kDiv)) op = BinOp::kDiv;
      else if (Is(Tok::kFloorDiv)) op = BinOp::kFloorDiv;
      else if (Is(Tok::kMod)) op = BinOp::kMod;
      else break;
      Next();
      ExprPtr right = ParsePow();
      left = MakeBin(op, std::move(left), std::move(right), lineno);
      lineno = cur().lineno;
    }
    return left;
  }

  ExprPtr ParsePow() {
    int lineno = cur().lineno;
    ExprPtr left = ParseUnary(true);
    while (Is(Tok::kPow)) {
      Next();
      ExprPtr right = ParseUnary(true);
      left = MakeBin(BinOp::kPow, std::move(left), std::move(right), lineno);
      lineno = cur().lineno;
    }
    return left;
  }

  ExprPtr ParseUnary(bool with_filter) {
    DepthGuard g(this);
    int lineno = cur().lineno;
    ExprPtr node;
    if (Is(Tok::kSub)) {
      Next();
      node = Fin(std::make_unique<UnaryExpr>(EK::kNeg, ParseUnary(false), lineno));
    } else if (Is(Tok::kAdd)) {
      Next();
      node = Fin(std::make_unique<UnaryExpr>(EK::kPos, ParseUnary(false), lineno));
    } else {
      node = ParsePrimary();
    }
    node = ParsePostfix(std::move(node));
    if (with_filter) node = ParseFilterExpr(std::move(node));
    return node;
  }

  ExprPtr ParsePrimary() {
    DepthGuard g(this);
    const Token& t = cur();
    ExprPtr node;
    if (t.type == Tok::kName) {
      if (t.value == "true" || t.value == "True")
        node = std::make_unique<ConstExpr>(Value(true), t.lineno);
      else if (t.value == "false" || t.value == "False")
        node = std::make_unique<ConstExpr>(Value(false), t.lineno);
      else if (t.value == "none" || t.value == "None")
        node = std::make_unique<ConstExpr>(Value(), t.lineno);
      else node = std::make_unique<NameExpr>(t.value, t.lineno);
      Next();
    } else if (t.type == Tok::kString) {
      int lineno = t.lineno;
      std::string buf = Next().value;
      while (Is(Tok::kString)) buf += Next().value;
      node = std::make_unique<ConstExpr>(Value(std::move(buf)), lineno);
    } else if (t.type == Tok::kInteger) {
      node = std::make_unique<ConstExpr>(IntFromLiteral(t.value), t.lineno);
      Next();
    } else if (t.type == Tok::kFloat) {
      node = std::make_unique<ConstExpr>(Value(std::strtod(t.value.c_str(), nullptr)), t.lineno);
      Next();
    } else if (t.type == Tok::kLParen) {
      Next();
      node = ParseTuple(false, true, nullptr, true);
      Expect(Tok::kRParen);
    } else if (t.type == Tok::kLBracket) {
      node = ParseList();
    } else if (t.type == Tok::kLBrace) {
      node = ParseDict();
    } else {
      Fail("unexpected '" + DescribeToken(t) + "'", t.lineno);
    }
    return node;
  }

  bool IsTupleEnd(const EndTokens* extra) {
    Tok t = cur().type;
    if (t == Tok::kVariableEnd || t == Tok::kBlockEnd || t == Tok::kRParen) return true;
    if (extra) {
      for (const auto& e : *extra)
        if (IsName(e)) return true;
    }
    return false;
  }

  ExprPtr ParseTuple(bool simplified, bool with_condexpr, const EndTokens* extra,
                     bool explicit_parens) {
    int lineno = cur().lineno;
    std::vector<ExprPtr> args;
    bool is_tuple = false;
    while (true) {
      if (!args.empty()) Expect(Tok::kComma);
      if (IsTupleEnd(extra)) break;
      if (simplified) args.push_back(ParsePrimary());
      else args.push_back(ParseExpression(with_condexpr));
      if (Is(Tok::kComma)) is_tuple = true;
      else break;
      lineno = cur().lineno;
    }
    if (!is_tuple) {
      if (!args.empty()) return std::move(args[0]);
      if (!explicit_parens) Fail("Expected an expression, got '" + DescribeToken(cur()) + "'");
    }
    auto node = std::make_unique<SeqExpr>(EK::kTuple, lineno);
    node->items = std::move(args);
    return Fin(std::move(node));
  }

  ExprPtr ParseList() {
    Token t = Expect(Tok::kLBracket);
    auto node = std::make_unique<SeqExpr>(EK::kList, t.lineno);
    while (!Is(Tok::kRBracket)) {
      if (!node->items.empty()) Expect(Tok::kComma);
      if (Is(Tok::kRBracket)) break;
      node->items.push_back(ParseExpression(true));
    }
    Expect(Tok::kRBracket);
    return Fin(std::move(node));
  }

  ExprPtr ParseDict() {
    Token t = Expect(Tok::kLBrace);
    auto node = std::make_unique<DictExpr>(t.lineno);
    while (!Is(Tok::kRBrace)) {
      if (!node->items.empty()) Expect(Tok::kComma);
      if (Is(Tok::kRBrace)) break;
      ExprPtr key = ParseExpression(true);
      Expect(Tok::kColon);
      ExprPtr value = ParseExpression(true);
      node->items.emplace_back(std::move(key), std::move(value));
    }
    Expect(Tok::kRBrace);
    return Fin(std::move(node));
  }

  ExprPtr ParsePostfix(ExprPtr node) {
    while (true) {
      if (Is(Tok::kDot) || Is(Tok::kLBracket)) node = ParseSubscript(std::move(node));
      else if (Is(Tok::kLParen)) node = ParseCall(std::move(node));
      else break;
    }
    return node;
  }

  ExprPtr ParseFilterExpr(ExprPtr node) {
    while (true) {
      if (Is(Tok::kPipe)) node = ParseFilter(std::move(node), false);
      else if (IsName("is")) node = ParseTest(std::move(node));
      else if (Is(Tok::kLParen)) node = ParseCall(std::move(node));
      else break;
    }
    return node;
  }

  ExprPtr ParseSubscript(ExprPtr node) {
    Token t = Next();
    if (t.type == Tok::kDot) {
      Token attr = cur();
      Next();
      if (attr.type == Tok::kName) {
        return Fin(std::make_unique<GetattrExpr>(std::move(node), attr.value, t.lineno));
      }
      if (attr.type != Tok::kInteger) Fail("expected name or number", attr.lineno);
      auto arg = std::make_unique<ConstExpr>(IntFromLiteral(attr.value), attr.lineno);
      return Fin(std::make_unique<GetitemExpr>(std::move(node), std::move(arg), t.lineno));
    }
    // '['
    std::vector<ExprPtr> args;
    while (!Is(Tok::kRBracket)) {
      if (!args.empty()) Expect(Tok::kComma);
      args.push_back(ParseSubscribed());
    }
    Expect(Tok::kRBracket);
    ExprPtr arg;
    if (args.size() == 1) {
      arg = std::move(args[0]);
    } else {
      auto tup = std::make_unique<SeqExpr>(EK::kTuple, t.lineno);
      tup->items = std::move(args);
      arg = std::move(tup);
    }
    return Fin(std::make_unique<GetitemExpr>(std::move(node), std::move(arg), t.lineno));
  }

  ExprPtr ParseSubscribed() {
    int lineno = cur().lineno;
    auto slice = std::make_unique<SliceExpr>(lineno);
    if (Is(Tok::kColon)) {
      Next();
    } else {
      ExprPtr node = ParseExpression(true);
      if (!Is(Tok::kColon)) return node;
      Next();
      slice->start = std::move(node);
    }
    if (Is(Tok::kColon)) {
      // stop is None
    } else if (!Is(Tok::kRBracket) && !Is(Tok::kComma)) {
      slice->stop = ParseExpression(true);
    }
    if (Is(Tok::kColon)) {
      Next();
      if (!Is(Tok::kRBracket) && !Is(Tok::kComma)) slice->step = ParseExpression(true);
    }
    return Fin(std::move(slice));
  }

  void ParseCallArgs(CallArgs& out) {
    Token t = Expect(Tok::kLParen);
    bool require_comma = false;
    auto ensure = [&](bool ok) {
      if (!ok) Fail("invalid syntax for function call expression", t.lineno);
    };
    while (!Is(Tok::kRParen)) {
      if (require_comma) {
        Expect(Tok::kComma);
        if (Is(Tok::kRParen)) break;
      }
      if (Is(Tok::kMul)) {
        ensure(!out.dyn_args && !out.dyn_kwargs);
        Next();
        out.dyn_args = ParseExpression(true);
      } else if (Is(Tok::kPow)) {
        ensure(!out.dyn_kwargs);
        Next();
        out.dyn_kwargs = ParseExpression(true);
      } else if (Is(Tok::kName) && Look().type == Tok::kAssign) {
        ensure(!out.dyn_kwargs);
        std::string key = cur().value;
        Next();
        Next();
        out.kwargs.emplace_back(std::move(key), ParseExpression(true));
      } else {
        ensure(!out.dyn_args && !out.dyn_kwargs && out.kwargs.empty());
        out.args.push_back(ParseExpression(true));
      }
      require_comma = true;
    }
    Expect(Tok::kRParen);
  }

  ExprPtr ParseCall(ExprPtr node) {
    int lineno = cur().lineno;
    auto call = std::make_unique<CallExpr>(std::move(node), lineno);
    ParseCallArgs(call->args);
    return Fin(std::move(call));
  }

  ExprPtr ParseFilter(ExprPtr node, bool start_inline) {
    while (Is(Tok::kPipe) || start_inline) {
      if (!start_inline) Next();
      Token t = Expect(Tok::kName);
      std::string name = t.value;
      while (Is(Tok::kDot)) {
        Next();
        name += "." + Expect(Tok::kName).value;
      }
      auto f = std::make_unique<FilterExpr>(std::move(node), std::move(name), t.lineno);
      if (Is(Tok::kLParen)) ParseCallArgs(f->args);
      node = Fin(std::move(f));
      start_inline = false;
    }
    return node;
  }

  ExprPtr ParseTest(ExprPtr node) {
    Token t = Next();  // 'is'
    bool negated = SkipIfName("not");
    std::string name = Expect(Tok::kName).value;
    while (Is(Tok::kDot)) {
      Next();
      name += "." + Expect(Tok::kName).value;
    }
    auto test = std::make_unique<TestExpr>(std::move(node), std::move(name), t.lineno);
    Tok ct = cur().type;
    if (ct == Tok::kLParen) {
      ParseCallArgs(test->args);
    } else if ((ct == Tok::kName || ct == Tok::kString || ct == Tok::kInteger ||
                ct == Tok::kFloat || ct == Tok::kLParen || ct == Tok::kLBracket ||
                ct == Tok::kLBrace) &&
               !IsName("else") && !IsName("or") && !IsName("and")) {
      if (IsName("is")) Fail("You cannot chain multiple tests with is");
      ExprPtr arg = ParsePostfix(ParsePrimary());
      test->args.args.push_back(std::move(arg));
    }
    if (negated) return Fin(std::make_unique<UnaryExpr>(EK::kNot, Fin(std::move(test)), t.lineno));
    return Fin(std::move(test));
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::vector<std::string> tag_stack_;
  std::vector<EndTokens> end_stack_;
  Program* prog_ = nullptr;
};

}  // namespace

const char* NodeTypeName(const Expr& e) {
  switch (e.kind) {
    case EK::kConst: return "const";
    case EK::kName: return "name";
    case EK::kGetattr: return "getattr";
    case EK::kGetitem: return "getitem";
    case EK::kSlice: return "slice";
    case EK::kCall: return "call";
    case EK::kFilter: return "filter";
    case EK::kTest: return "test";
    case EK::kCondExpr: return "condexpr";
    case EK::kAnd: return "and";
    case EK::kOr: return "or";
    case EK::kNot: return "not";
    case EK::kNeg: return "neg";
    case EK::kPos: return "pos";
    case EK::kBin:
      switch (static_cast<const BinaryExpr&>(e).op) {
        case BinOp::kAdd: return "add";
        case BinOp::kSub: return "sub";
        case BinOp::kMul: return "mul";
        case BinOp::kDiv: return "div";
        case BinOp::kFloorDiv: return "floordiv";
        case BinOp::kMod: return "mod";
        case BinOp::kPow: return "pow";
      }
      return "binexpr";
    case EK::kConcat: return "concat";
    case EK::kCompare: return "compare";
    case EK::kList: return "list";
    case EK::kTuple: return "tuple";
    case EK::kDict: return "dict";
    case EK::kNSRef: return "nsref";
  }
  return "expr";
}

std::unique_ptr<Program> Parse(std::string_view source, const LexerOptions& options) {
  Parser p(Tokenize(source, options));
  return p.ParseTemplate();
}

}  // namespace herald::jinja
