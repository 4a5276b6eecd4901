// The expression half of the parser (see parser_impl.h for the class): Jinja2's expression
// grammar with Python precedence (conditional, or/and/not, comparisons, + - ~ * / // % **,
// unary signs), primaries and literals, subscripts and slices, calls, filters and tests. Each
// node's height is recorded as it is built and capped (kMaxExprDepth) so that evaluation
// recursion stays bounded. Also NodeTypeName for messages.
#include <algorithm>
#include <cstdlib>

#include "jinja/errors.h"
#include "jinja/objects.h"
#include "jinja/parser.h"
#include "jinja/parser_impl.h"

namespace herald::jinja {

namespace parsing {

namespace {

constexpr int kMaxExprDepth = 400;  // height of an expression tree (bounds evaluation recursion)

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

}  // namespace

ExprPtr Parser::ParseExpression(bool with_condexpr) {
  DepthGuard g(this);
  return with_condexpr ? ParseCondExpr() : ParseOr();
}

ExprPtr Parser::ParseCondExpr() {
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

ExprPtr Parser::ParseOr() {
  int lineno = cur().lineno;
  ExprPtr left = ParseAnd();
  while (SkipIfName("or")) {
    ExprPtr right = ParseAnd();
    left = Fin(std::make_unique<BinaryExpr>(EK::kOr, std::move(left), std::move(right), lineno));
    lineno = cur().lineno;
  }
  return left;
}

ExprPtr Parser::ParseAnd() {
  int lineno = cur().lineno;
  ExprPtr left = ParseNot();
  while (SkipIfName("and")) {
    ExprPtr right = ParseNot();
    left = Fin(std::make_unique<BinaryExpr>(EK::kAnd, std::move(left), std::move(right), lineno));
    lineno = cur().lineno;
  }
  return left;
}

ExprPtr Parser::ParseNot() {
  if (IsName("not")) {
    DepthGuard g(this);
    int lineno = Next().lineno;
    return Fin(std::make_unique<UnaryExpr>(EK::kNot, ParseNot(), lineno));
  }
  return ParseCompare();
}

ExprPtr Parser::ParseCompare() {
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

ExprPtr Parser::MakeBin(BinOp op, ExprPtr l, ExprPtr r, int lineno) {
  auto n = std::make_unique<BinaryExpr>(EK::kBin, std::move(l), std::move(r), lineno);
  n->op = op;
  return Fin(std::move(n));
}

ExprPtr Parser::ParseMath1() {
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

ExprPtr Parser::ParseConcat() {
  int lineno = cur().lineno;
  ExprPtr first = ParseMath2();
  if (!Is(Tok::kTilde)) return first;
  auto node = std::make_unique<ConcatExpr>(lineno);
  node->items.push_back(std::move(first));
  while (SkipIf(Tok::kTilde)) node->items.push_back(ParseMath2());
  return Fin(std::move(node));
}

ExprPtr Parser::ParseMath2() {
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

ExprPtr Parser::ParsePow() {
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

ExprPtr Parser::ParseUnary(bool with_filter) {
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

ExprPtr Parser::ParsePrimary() {
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

bool Parser::IsTupleEnd(const EndTokens* extra) {
  Tok t = cur().type;
  if (t == Tok::kVariableEnd || t == Tok::kBlockEnd || t == Tok::kRParen) return true;
  if (extra) {
    for (const auto& e : *extra)
      if (IsName(e)) return true;
  }
  return false;
}

ExprPtr Parser::ParseTuple(bool simplified, bool with_condexpr, const EndTokens* extra,
                           bool explicit_parens) {
  int lineno = cur().lineno;
  std::vector<ExprPtr> args;
  bool is_tuple = false;
  while (true) {
    if (!args.empty()) Expect(Tok::kComma);
    if (IsTupleEnd(extra)) break;
    if (simplified) args.push_back(ParseTargetPrimary());
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

ExprPtr Parser::ParseList() {
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

ExprPtr Parser::ParseDict() {
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

ExprPtr Parser::ParsePostfix(ExprPtr node) {
  while (true) {
    if (Is(Tok::kDot) || Is(Tok::kLBracket)) node = ParseSubscript(std::move(node));
    else if (Is(Tok::kLParen)) node = ParseCall(std::move(node));
    else break;
  }
  return node;
}

ExprPtr Parser::ParseFilterExpr(ExprPtr node) {
  while (true) {
    if (Is(Tok::kPipe)) node = ParseFilter(std::move(node), false);
    else if (IsName("is")) node = ParseTest(std::move(node));
    else if (Is(Tok::kLParen)) node = ParseCall(std::move(node));
    else break;
  }
  return node;
}

ExprPtr Parser::ParseSubscript(ExprPtr node) {
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

ExprPtr Parser::ParseSubscribed() {
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

void Parser::ParseCallArgs(CallArgs& out) {
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

ExprPtr Parser::ParseCall(ExprPtr node) {
  int lineno = cur().lineno;
  auto call = std::make_unique<CallExpr>(std::move(node), lineno);
  ParseCallArgs(call->args);
  return Fin(std::move(call));
}

ExprPtr Parser::ParseFilter(ExprPtr node, bool start_inline) {
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

ExprPtr Parser::ParseTest(ExprPtr node) {
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
  } else if ((ct == Tok::kName || ct == Tok::kString || ct == Tok::kInteger || ct == Tok::kFloat ||
              ct == Tok::kLParen || ct == Tok::kLBracket || ct == Tok::kLBrace) &&
             !IsName("else") && !IsName("or") && !IsName("and")) {
    if (IsName("is")) Fail("You cannot chain multiple tests with is");
    ExprPtr arg = ParsePostfix(ParsePrimary());
    test->args.args.push_back(std::move(arg));
  }
  if (negated) return Fin(std::make_unique<UnaryExpr>(EK::kNot, Fin(std::move(test)), t.lineno));
  return Fin(std::move(test));
}

}  // namespace parsing

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

}  // namespace herald::jinja
