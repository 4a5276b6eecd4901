// Private to the parser (parser.cc, parser_expr.cc); parser.h is the public face. The Parser
// class is a recursive-descent reader of the lexer's token stream that mirrors jinja2.parser: the
// token-stream helpers and the nesting guard live here, statements and end-tag errors in
// parser.cc, expressions (Python precedence, filters, tests, calls, subscripts, literals) in
// parser_expr.cc. Every failure throws PyError{"TemplateSyntaxError" or
// "TemplateAssertionError", Jinja2's message, line}.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jinja/ast.h"
#include "jinja/errors.h"
#include "jinja/lexer.h"

namespace herald::jinja::parsing {

// Nesting of expressions and statements the parser accepts (bounds its own recursion).
constexpr int kMaxParseDepth = 120;

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

  // The tag names that end the block being read ("endfor", "else", ...).
  using EndTokens = std::vector<std::string>;

  // ---- statements and end-tag errors (parser.cc) ----
  [[noreturn]] void FailUtEof(const std::string* name, const std::vector<EndTokens>& stack,
                              int lineno);
  [[noreturn]] void FailEof(const EndTokens& end, int lineno);
  Body Subparse(const EndTokens* end);
  Body ParseStatements(const EndTokens& end, bool drop_needle);
  void ParseStatement(Body& body);
  StmtPtr ParseSet();
  StmtPtr ParseFor();
  StmtPtr ParseIf();
  StmtPtr ParseWith();
  StmtPtr ParseAutoescape();
  StmtPtr ParseBlock();
  StmtPtr ParseExtends();
  bool ParseContextFlag(bool* with_context);
  StmtPtr ParseInclude();
  StmtPtr ParseImport();
  StmtPtr ParseFrom();
  void ParseSignature(MacroDef& def);
  StmtPtr ParseCallBlock();
  StmtPtr ParseFilterBlock();
  StmtPtr ParseMacro();
  StmtPtr ParsePrint();
  static bool CanAssign(const Expr& e);
  ExprPtr ParseAssignTarget(bool with_tuple, bool name_only, const EndTokens* extra_end,
                            bool with_namespace);
  // A primary, or `name.attr` (an NSRef) inside a {% set %} target (ns_targets_).
  ExprPtr ParseTargetPrimary();

  // ---- expressions (parser_expr.cc) ----
  ExprPtr ParseExpression(bool with_condexpr);
  ExprPtr ParseCondExpr();
  ExprPtr ParseOr();
  ExprPtr ParseAnd();
  ExprPtr ParseNot();
  ExprPtr ParseCompare();
  ExprPtr MakeBin(BinOp op, ExprPtr l, ExprPtr r, int lineno);
  ExprPtr ParseMath1();
  ExprPtr ParseConcat();
  ExprPtr ParseMath2();
  ExprPtr ParsePow();
  ExprPtr ParseUnary(bool with_filter);
  ExprPtr ParsePrimary();
  bool IsTupleEnd(const EndTokens* extra);
  ExprPtr ParseTuple(bool simplified, bool with_condexpr, const EndTokens* extra,
                     bool explicit_parens);
  ExprPtr ParseList();
  ExprPtr ParseDict();
  ExprPtr ParsePostfix(ExprPtr node);
  ExprPtr ParseFilterExpr(ExprPtr node);
  ExprPtr ParseSubscript(ExprPtr node);
  ExprPtr ParseSubscribed();
  void ParseCallArgs(CallArgs& out);
  ExprPtr ParseCall(ExprPtr node);
  ExprPtr ParseFilter(ExprPtr node, bool start_inline);
  ExprPtr ParseTest(ExprPtr node);

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::vector<std::string> tag_stack_;
  std::vector<EndTokens> end_stack_;
  Program* prog_ = nullptr;
  bool ns_targets_ = false;  // parsing a target that may assign namespace attributes
};

}  // namespace herald::jinja::parsing
