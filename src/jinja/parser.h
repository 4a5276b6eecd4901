// Parser: Jinja2's grammar (statements, Python-precedence expressions, filters and tests) into
// the syntax tree of ast.h, with Jinja2's TemplateSyntaxError messages and line numbers. The
// statements are read in parser.cc, the expressions in parser_expr.cc (the class they share is
// parser_impl.h, private to them).
#pragma once

#include <memory>
#include <string_view>

#include "jinja/ast.h"
#include "jinja/lexer.h"

namespace herald::jinja {

// Parses a template. Throws PyError{"TemplateSyntaxError"/"TemplateAssertionError", msg, line}.
std::unique_ptr<Program> Parse(std::string_view source, const LexerOptions& options);

// Lowercase Jinja2 node class name of an expression ("const", "getattr", ...), for messages.
const char* NodeTypeName(const Expr& e);

}  // namespace herald::jinja
