// The statement half of the parser (see parser_impl.h for the class): the template body loop,
// one method per tag ({% for %}, {% if %}, {% block %}, {% macro %}, {% set %}, ...),
// assignment targets, Jinja2's "unknown tag" / "unexpected end of template" messages, and the
// entry point Parse(). Expressions are read by parser_expr.cc.
#include <set>

#include "jinja/errors.h"
#include "jinja/objects.h"
#include "jinja/parser.h"
#include "jinja/parser_impl.h"

namespace herald::jinja {

namespace parsing {

namespace {

const char* kStatementKeywords[] = {"for",     "if",   "block",  "extends", "print", "macro",
                                    "include", "from", "import", "set",     "with",  "autoescape"};

}  // namespace

// ---- end-tag error messages ----

[[noreturn]] void Parser::FailUtEof(const std::string* name, const std::vector<EndTokens>& stack,
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

[[noreturn]] void Parser::FailEof(const EndTokens& end, int lineno) {
  auto stack = end_stack_;
  stack.push_back(end);
  FailUtEof(nullptr, stack, lineno);
}

// ---- statements ----

Body Parser::Subparse(const EndTokens* end) {
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

Body Parser::ParseStatements(const EndTokens& end, bool drop_needle) {
  SkipIf(Tok::kColon);
  Expect(Tok::kBlockEnd);
  Body body = Subparse(&end);
  if (Is(Tok::kEof)) FailEof(end, cur().lineno);
  if (drop_needle) Next();
  return body;
}

void Parser::ParseStatement(Body& body) {
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

StmtPtr Parser::ParseSet() {
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

StmtPtr Parser::ParseFor() {
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

StmtPtr Parser::ParseIf() {
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

StmtPtr Parser::ParseWith() {
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

StmtPtr Parser::ParseAutoescape() {
  auto node = std::make_unique<AutoescapeStmt>(Next().lineno);
  node->value = ParseExpression(true);
  node->body = ParseStatements({"endautoescape"}, true);
  return node;
}

StmtPtr Parser::ParseBlock() {
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

StmtPtr Parser::ParseExtends() {
  auto node = std::make_unique<ExtendsStmt>(Next().lineno);
  node->tmpl = ParseExpression(true);
  prog_->has_extends = true;
  return node;
}

bool Parser::ParseContextFlag(bool* with_context) {
  if ((IsName("with") || IsName("without")) && TestName(Look(), "context")) {
    *with_context = Next().value == "with";
    Next();
    return true;
  }
  return false;
}

StmtPtr Parser::ParseInclude() {
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

StmtPtr Parser::ParseImport() {
  auto node = std::make_unique<ImportStmt>(Next().lineno);
  node->tmpl = ParseExpression(true);
  ExpectName("as");
  node->target = Expect(Tok::kName).value;
  if (!ParseContextFlag(&node->with_context)) node->with_context = false;
  return node;
}

StmtPtr Parser::ParseFrom() {
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

void Parser::ParseSignature(MacroDef& def) {
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

StmtPtr Parser::ParseCallBlock() {
  auto node = std::make_unique<CallBlockStmt>(Next().lineno);
  if (Is(Tok::kLParen)) ParseSignature(*node->caller);
  node->caller->name.clear();  // anonymous: Jinja2's caller macro has no name
  ExprPtr call = ParseExpression(true);
  if (call->kind != EK::kCall) Fail("expected call", node->lineno);
  node->call = std::move(call);
  node->caller->body = ParseStatements({"endcall"}, true);
  return node;
}

StmtPtr Parser::ParseFilterBlock() {
  auto node = std::make_unique<FilterBlockStmt>(Next().lineno);
  node->filter = ParseFilter(nullptr, true);
  node->body = ParseStatements({"endfilter"}, true);
  return node;
}

StmtPtr Parser::ParseMacro() {
  auto node = std::make_unique<MacroStmt>(Next().lineno);
  node->def->name = Expect(Tok::kName).value;
  ParseSignature(*node->def);
  node->def->body = ParseStatements({"endmacro"}, true);
  return node;
}

StmtPtr Parser::ParsePrint() {
  auto node = std::make_unique<OutputStmt>(Next().lineno);
  while (!Is(Tok::kBlockEnd)) {
    if (!node->items.empty()) Expect(Tok::kComma);
    node->items.push_back({"", ParseExpression(true)});
  }
  return node;
}

bool Parser::CanAssign(const Expr& e) {
  if (e.kind == EK::kName || e.kind == EK::kNSRef) return true;
  if (e.kind == EK::kTuple) {
    for (const auto& it : static_cast<const SeqExpr&>(e).items)
      if (!CanAssign(*it)) return false;
    return true;
  }
  return false;
}

ExprPtr Parser::ParseTargetPrimary() {
  const Token& t = cur();
  if (ns_targets_ && t.type == Tok::kName && Look().type == Tok::kDot && t.value != "true" &&
      t.value != "True" && t.value != "false" && t.value != "False" && t.value != "none" &&
      t.value != "None") {
    Token name = Next();
    Next();
    Token attr = Expect(Tok::kName);
    return std::make_unique<NSRefExpr>(name.value, attr.value, name.lineno);
  }
  return ParsePrimary();
}

ExprPtr Parser::ParseAssignTarget(bool with_tuple, bool name_only, const EndTokens* extra_end,
                                  bool with_namespace) {
  ExprPtr target;
  if (name_only) {
    Token name = Expect(Tok::kName);
    target = std::make_unique<NameExpr>(name.value, name.lineno);
  } else {
    // Jinja2 3.1.6: namespace attributes may be assigned alone or as items of a bare tuple
    // ({% set ns.a, b = 1, 2 %}), not inside parentheses.
    bool saved = ns_targets_;
    ns_targets_ = with_namespace;
    target = with_tuple ? ParseTuple(true, true, extra_end, false) : ParseTargetPrimary();
    ns_targets_ = saved;
  }
  if (!CanAssign(*target)) {
    // Jinja2 reports the first non-assignable node's own type for tuples as "tuple".
    Fail(std::string("can't assign to '") + NodeTypeName(*target) + "'", target->lineno);
  }
  return target;
}

}  // namespace parsing

std::unique_ptr<Program> Parse(std::string_view source, const LexerOptions& options) {
  parsing::Parser p(Tokenize(source, options));
  return p.ParseTemplate();
}

}  // namespace herald::jinja
