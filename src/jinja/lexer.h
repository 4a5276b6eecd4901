// Lexer: turns template source into Jinja2's token stream.
//
// Mirrors Jinja2's lexer rules (delimiters {{ }}, {% %}, {# #}, whitespace control with - and +,
// trim_blocks/lstrip_blocks, raw blocks, newline normalisation, one trailing newline removed,
// Python string/number literal syntax, bracket balancing) and its error messages. A lexer error
// is recorded as a final kError token so that, as in Jinja2's lazy token stream, it is raised
// only when the parser reaches it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::jinja {

enum class Tok : uint8_t {
  kAdd,
  kAssign,
  kColon,
  kComma,
  kDiv,
  kDot,
  kEq,
  kFloorDiv,
  kGt,
  kGtEq,
  kLBrace,
  kLBracket,
  kLParen,
  kLt,
  kLtEq,
  kMod,
  kMul,
  kNe,
  kPipe,
  kPow,
  kRBrace,
  kRBracket,
  kRParen,
  kSemicolon,
  kSub,
  kTilde,
  kFloat,
  kInteger,
  kName,
  kString,
  kBlockBegin,
  kBlockEnd,
  kVariableBegin,
  kVariableEnd,
  kData,
  kEof,
  kError,
};

struct Token {
  Tok type = Tok::kEof;
  int lineno = 1;
  // kName: the name; kString: the decoded value; kData: the text; kInteger: digits without
  // underscores (with 0x/0o/0b prefix kept); kFloat: the literal without underscores;
  // kError: the error message.
  std::string value;
};

struct LexerOptions {
  bool trim_blocks = false;
  bool lstrip_blocks = false;
  bool keep_trailing_newline = false;
};

// Tokenizes `source`. Always ends with a kEof token, or with a kError token whose lineno and
// value describe the first lexical error.
std::vector<Token> Tokenize(std::string_view source, const LexerOptions& options);

// Jinja2's describe_token(): the name for name tokens, else the type description.
std::string DescribeToken(const Token& t);
// Jinja2's description of a token type ("end of print statement", ")", "integer", ...).
std::string DescribeTokenType(Tok t);

}  // namespace herald::jinja
