#include "jinja/lexer.h"

#include <cstring>

#include "common/strings.h"
#include "jinja/ucd.h"
#include "value/pystr.h"
#include "value/unicode.h"
#include "value/value.h"

namespace herald::jinja {

namespace {

struct LexError {
  std::string message;
};

size_t SkipWs(std::string_view s, size_t i) {
  size_t len;
  while (i < s.size() && PySpaceAt(s, i, &len)) i += len;
  return i;
}

// Python str.rstrip() with no arguments.
std::string_view RStripWs(std::string_view s) {
  // Walk forward remembering the end of the last non-space code point.
  size_t i = 0, keep = 0, len;
  while (i < s.size()) {
    bool ws = PySpaceAt(s, i, &len);
    i += len;
    if (!ws) keep = i;
  }
  return s.substr(0, keep);
}

int CountNl(std::string_view s) {
  int n = 0;
  for (char c : s)
    if (c == '\n') ++n;
  return n;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Matches (\d+_)*\d+ at i; returns end or npos.
size_t MatchDigits(std::string_view s, size_t i) {
  if (i >= s.size() || !IsDigit(s[i])) return std::string_view::npos;
  size_t j = i;
  while (true) {
    while (j < s.size() && IsDigit(s[j])) ++j;
    if (j + 1 < s.size() && s[j] == '_' && IsDigit(s[j + 1])) {
      ++j;
      continue;
    }
    return j;
  }
}

size_t MatchFloat(std::string_view s, size_t i) {
  if (i > 0 && s[i - 1] == '.') return std::string_view::npos;
  size_t j = MatchDigits(s, i);
  if (j == std::string_view::npos) return j;
  // Alternative 1: (\.digits)? e[+-]? digits
  size_t k = j;
  if (k < s.size() && s[k] == '.') {
    size_t f = MatchDigits(s, k + 1);
    if (f != std::string_view::npos) k = f;
  }
  if (k < s.size() && (s[k] == 'e' || s[k] == 'E')) {
    size_t e = k + 1;
    if (e < s.size() && (s[e] == '+' || s[e] == '-')) ++e;
    size_t d = MatchDigits(s, e);
    if (d != std::string_view::npos) return d;
  }
  // Alternative 2: \.digits
  if (j < s.size() && s[j] == '.') {
    size_t f = MatchDigits(s, j + 1);
    if (f != std::string_view::npos) return f;
  }
  return std::string_view::npos;
}

bool IsDigitIn(char c, int base) {
  if (base == 2) return c == '0' || c == '1';
  if (base == 8) return c >= '0' && c <= '7';
  if (base == 16) return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  return IsDigit(c);
}

size_t MatchInteger(std::string_view s, size_t i) {
  if (i >= s.size() || !IsDigit(s[i])) return std::string_view::npos;
  if (s[i] == '0' && i + 1 < s.size()) {
    char p = static_cast<char>(s[i + 1] | 0x20);
    int base = p == 'b' ? 2 : p == 'o' ? 8 : p == 'x' ? 16 : 0;
    if (base) {
      // (_?digit)+
      size_t j = i + 2;
      size_t end = std::string_view::npos;
      while (true) {
        size_t k = j;
        if (k < s.size() && s[k] == '_') ++k;
        if (k < s.size() && IsDigitIn(s[k], base)) {
          j = k + 1;
          end = j;
        } else {
          break;
        }
      }
      if (end != std::string_view::npos) return end;
    }
  }
  if (s[i] != '0') {
    size_t j = i + 1;
    while (true) {
      size_t k = j;
      if (k < s.size() && s[k] == '_') ++k;
      if (k < s.size() && IsDigit(s[k])) j = k + 1;
      else break;
    }
    return j;
  }
  size_t j = i + 1;
  while (true) {
    size_t k = j;
    if (k < s.size() && s[k] == '_') ++k;
    if (k < s.size() && s[k] == '0') j = k + 1;
    else break;
  }
  return j;
}

size_t MatchName(std::string_view s, size_t i) {
  size_t j = i;
  bool first = true;
  while (j < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[j]);
    if (c < 0x80) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                (!first && IsDigit(static_cast<char>(c)));
      if (!ok) break;
      ++j;
    } else {
      size_t k = j;
      uint32_t cp = DecodeUtf8(s, k);
      if (!ucd::Has(cp, first ? ucd::kIdStart : ucd::kIdCont)) break;
      j = k;
    }
    first = false;
  }
  return j == i ? std::string_view::npos : j;
}

// Matches a quoted string at i; returns the end (after the closing quote) or npos.
size_t MatchString(std::string_view s, size_t i) {
  char q = s[i];
  size_t j = i + 1;
  while (j < s.size()) {
    if (s[j] == '\\') {
      if (j + 1 >= s.size()) return std::string_view::npos;
      j += 2;
      continue;
    }
    if (s[j] == q) return j + 1;
    ++j;
  }
  return std::string_view::npos;
}

// Python's unicode-escape decoding of a string literal body.
std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) throw LexError{"\\ at end of string"};
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case '\n': break;
      case '\\': out += '\\'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        uint32_t v = e - '0';
        for (int k = 0; k < 2 && i < s.size() && s[i] >= '0' && s[i] <= '7'; ++k, ++i)
          v = v * 8 + (s[i] - '0');
        AppendUtf8(out, v);
        break;
      }
      case 'x':
      case 'u':
      case 'U': {
        int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t v = 0;
        for (int k = 0; k < n; ++k) {
          if (i + k >= s.size() || HexValue(s[i + k]) < 0) {
            throw LexError{e == 'x'   ? "truncated \\xXX escape"
                           : e == 'u' ? "truncated \\uXXXX escape"
                                      : "truncated \\UXXXXXXXX escape"};
          }
          v = v * 16 + HexValue(s[i + k]);
        }
        i += n;
        if (v > 0x10FFFF) throw LexError{"illegal Unicode character"};
        AppendUtf8(out, v);
        break;
      }
      case 'N': {
        size_t close = s.find('}', i);
        if (i >= s.size() || s[i] != '{' || close == std::string_view::npos) {
          throw LexError{"malformed \\N character escape"};
        }
        uint32_t cp;
        if (!ucd::LookupName(s.substr(i + 1, close - i - 1), &cp)) {
          throw LexError{"unknown Unicode character name"};
        }
        AppendUtf8(out, cp);
        i = close + 1;
        break;
      }
      default: out += '\\'; out += e;
    }
  }
  return out;
}

class Lexer {
 public:
  Lexer(std::string_view src, const LexerOptions& o) : o_(o) {
    // Normalise newlines and drop one trailing newline, as Jinja2's tokeniter does.
    src_.reserve(src.size());
    for (size_t i = 0; i < src.size(); ++i) {
      if (src[i] == '\r') {
        src_ += '\n';
        if (i + 1 < src.size() && src[i + 1] == '\n') ++i;
      } else {
        src_ += src[i];
      }
    }
    if (!o_.keep_trailing_newline && !src_.empty() && src_.back() == '\n') src_.pop_back();
  }

  std::vector<Token> Run() {
    try {
      Root();
      Emit(Tok::kEof, "", last_lineno_);
    } catch (const LexError& e) {
      Emit(Tok::kError, e.message, lineno_);
    }
    return std::move(tokens_);
  }

 private:
  void Emit(Tok t, std::string v, int lineno) {
    tokens_.push_back(Token{t, lineno, std::move(v)});
    if (t != Tok::kEof && t != Tok::kError) last_lineno_ = lineno;
  }

  [[noreturn]] void UnexpectedChar(size_t pos) {
    size_t i = pos;
    uint32_t cp = DecodeUtf8(src_, i);
    std::string ch;
    AppendUtf8(ch, cp);
    size_t cpos = Utf8Length(std::string_view(src_).substr(0, pos));
    throw LexError{"unexpected char " + StrRepr(ch) + " at " + std::to_string(cpos)};
  }

  // Applies the "-" / lstrip_blocks rules to data text preceding a tag and emits it.
  void EmitData(std::string_view text, char sign, bool is_variable) {
    int stripped_nl = 0;
    if (sign == '-') {
      std::string_view kept = RStripWs(text);
      stripped_nl = CountNl(text.substr(kept.size()));
      text = kept;
    } else if (sign != '+' && o_.lstrip_blocks && !is_variable) {
      size_t nl = text.rfind('\n');
      size_t l_pos = nl == std::string_view::npos ? 0 : nl + 1;
      if (l_pos > 0 || line_starting_) {
        std::string_view tail = text.substr(l_pos);
        if (!tail.empty() && SkipWs(tail, 0) == tail.size()) text = text.substr(0, l_pos);
      }
    }
    if (!text.empty()) Emit(Tok::kData, std::string(text), lineno_);
    lineno_ += CountNl(text) + stripped_nl;
  }

  // Matches a block end at i ("+%}", "-%}\s*", "%}" + optional newline with trim_blocks).
  size_t MatchEnd(size_t i, char c1, bool trim) {
    std::string_view s = src_;
    if (i + 2 < s.size() + 0 && s[i] == '+' && s[i + 1] == c1 && s[i + 2] == '}') return i + 3;
    if (i + 2 < s.size() && s[i] == '-' && s[i + 1] == c1 && s[i + 2] == '}') {
      return SkipWs(s, i + 3);
    }
    if (i + 1 < s.size() && s[i] == c1 && s[i + 1] == '}') {
      size_t j = i + 2;
      if (trim && o_.trim_blocks && j < s.size() && s[j] == '\n') ++j;
      return j;
    }
    return std::string_view::npos;
  }

  void Root() {
    std::string_view s = src_;
    size_t pos = 0;
    while (pos < s.size()) {
      // Find the next tag start.
      size_t m = pos;
      char kind = 0;
      size_t raw_end = std::string_view::npos;
      while (true) {
        m = s.find('{', m);
        if (m == std::string_view::npos || m + 1 >= s.size()) {
          m = std::string_view::npos;
          break;
        }
        char n = s[m + 1];
        if (n == '%') {
          raw_end = MatchRawBegin(m);
          kind = raw_end != std::string_view::npos ? 'r' : '%';
          break;
        }
        if (n == '{' || n == '#') {
          kind = n;
          break;
        }
        ++m;
      }
      if (m == std::string_view::npos) {
        std::string_view text = s.substr(pos);
        Emit(Tok::kData, std::string(text), lineno_);
        lineno_ += CountNl(text);
        return;
      }
      char sign = 0;
      if (kind == 'r') {
        size_t j = m + 2;
        if (s[j] == '-' || s[j] == '+') sign = s[j];
      } else if (m + 2 < s.size() && (s[m + 2] == '-' || s[m + 2] == '+')) {
        sign = s[m + 2];
      }
      EmitData(s.substr(pos, m - pos), sign, kind == '{');
      if (kind == 'r') {
        std::string_view opener = s.substr(m, raw_end - m);
        lineno_ += CountNl(opener);
        line_starting_ = !opener.empty() && opener.back() == '\n';
        pos = Raw(raw_end);
        continue;
      }
      size_t after = m + 2 + (sign ? 1 : 0);
      line_starting_ = false;
      if (kind == '#') {
        pos = Comment(after);
      } else if (kind == '%') {
        Emit(Tok::kBlockBegin, std::string(s.substr(m, after - m)), lineno_);
        pos = Expr(after, '%');
      } else {
        Emit(Tok::kVariableBegin, std::string(s.substr(m, after - m)), lineno_);
        pos = Expr(after, '}');
      }
    }
  }

  size_t MatchRawBegin(size_t m) {
    std::string_view s = src_;
    size_t j = m + 2;
    if (j < s.size() && (s[j] == '-' || s[j] == '+')) ++j;
    j = SkipWs(s, j);
    if (s.substr(j, 3) != "raw") return std::string_view::npos;
    j = SkipWs(s, j + 3);
    if (j + 2 < s.size() && s[j] == '-' && s[j + 1] == '%' && s[j + 2] == '}')
      return SkipWs(s, j + 3);
    if (j + 1 < s.size() && s[j] == '%' && s[j + 1] == '}') return j + 2;
    return std::string_view::npos;
  }

  size_t Raw(size_t pos) {
    std::string_view s = src_;
    for (size_t i = pos; i + 1 < s.size(); ++i) {
      if (s[i] != '{' || s[i + 1] != '%') continue;
      size_t j = i + 2;
      char sign = 0;
      if (j < s.size() && (s[j] == '-' || s[j] == '+')) sign = s[j++];
      j = SkipWs(s, j);
      if (s.substr(j, 6) != "endraw") continue;
      j = SkipWs(s, j + 6);
      size_t end = MatchEnd(j, '%', true);
      if (end == std::string_view::npos) continue;
      EmitData(s.substr(pos, i - pos), sign, false);
      std::string_view closer = s.substr(i, end - i);
      lineno_ += CountNl(closer);
      line_starting_ = !closer.empty() && closer.back() == '\n';
      return end;
    }
    throw LexError{"Missing end of raw directive"};
  }

  size_t Comment(size_t pos) {
    std::string_view s = src_;
    for (size_t i = pos; i < s.size(); ++i) {
      size_t end = MatchEnd(i, '#', true);
      if (end == std::string_view::npos) continue;
      std::string_view all = s.substr(pos, end - pos);
      lineno_ += CountNl(all);
      line_starting_ = !all.empty() && all.back() == '\n';
      return end;
    }
    throw LexError{"Missing end of comment tag"};
  }

  static Tok OpToken(std::string_view s, size_t i, size_t* len) {
    char c = s[i];
    char n = i + 1 < s.size() ? s[i + 1] : '\0';
    *len = 2;
    if (c == '/' && n == '/') return Tok::kFloorDiv;
    if (c == '*' && n == '*') return Tok::kPow;
    if (c == '=' && n == '=') return Tok::kEq;
    if (c == '!' && n == '=') return Tok::kNe;
    if (c == '>' && n == '=') return Tok::kGtEq;
    if (c == '<' && n == '=') return Tok::kLtEq;
    *len = 1;
    switch (c) {
      case '+': return Tok::kAdd;
      case '-': return Tok::kSub;
      case '/': return Tok::kDiv;
      case '*': return Tok::kMul;
      case '%': return Tok::kMod;
      case '~': return Tok::kTilde;
      case '[': return Tok::kLBracket;
      case ']': return Tok::kRBracket;
      case '(': return Tok::kLParen;
      case ')': return Tok::kRParen;
      case '{': return Tok::kLBrace;
      case '}': return Tok::kRBrace;
      case '>': return Tok::kGt;
      case '<': return Tok::kLt;
      case '=': return Tok::kAssign;
      case '.': return Tok::kDot;
      case ':': return Tok::kColon;
      case '|': return Tok::kPipe;
      case ',': return Tok::kComma;
      case ';': return Tok::kSemicolon;
      default: *len = 0; return Tok::kEof;
    }
  }

  // Tokens inside {% %} (end '%') or {{ }} (end '}').
  size_t Expr(size_t pos, char end_char) {
    std::string_view s = src_;
    std::vector<char> balance;
    while (true) {
      if (balance.empty()) {
        size_t e = std::string_view::npos;
        if (end_char == '%') {
          e = MatchEnd(pos, '%', true);
        } else if (pos + 2 < s.size() + 0 && s[pos] == '-' && s[pos + 1] == '}' &&
                   s[pos + 2] == '}') {
          e = SkipWs(s, pos + 3);
        } else if (pos + 1 < s.size() && s[pos] == '}' && s[pos + 1] == '}') {
          e = pos + 2;
        }
        if (e != std::string_view::npos) {
          std::string_view text = s.substr(pos, e - pos);
          Emit(end_char == '%' ? Tok::kBlockEnd : Tok::kVariableEnd, std::string(text), lineno_);
          lineno_ += CountNl(text);
          line_starting_ = text.back() == '\n';
          return e;
        }
      }
      if (pos >= s.size()) return pos;  // end of input: the parser reports it
      size_t len;
      if (PySpaceAt(s, pos, &len)) {
        size_t e = SkipWs(s, pos);
        lineno_ += CountNl(s.substr(pos, e - pos));
        pos = e;
        continue;
      }
      // A number (a float when it reads as one), without its '_' separators.
      Tok number = Tok::kFloat;
      size_t e = MatchFloat(s, pos);
      if (e == std::string_view::npos) {
        number = Tok::kInteger;
        e = MatchInteger(s, pos);
      }
      if (e != std::string_view::npos) {
        std::string v;
        for (char c : s.substr(pos, e - pos))
          if (c != '_') v += c;
        Emit(number, std::move(v), lineno_);
        pos = e;
        continue;
      }
      e = MatchName(s, pos);
      if (e != std::string_view::npos) {
        Emit(Tok::kName, std::string(s.substr(pos, e - pos)), lineno_);
        pos = e;
        continue;
      }
      if (s[pos] == '\'' || s[pos] == '"') {
        e = MatchString(s, pos);
        if (e != std::string_view::npos) {
          std::string_view body = s.substr(pos + 1, e - pos - 2);
          Emit(Tok::kString, Unescape(body), lineno_);
          lineno_ += CountNl(body);
          pos = e;
          continue;
        }
        UnexpectedChar(pos);
      }
      Tok op = OpToken(s, pos, &len);
      if (len == 0) UnexpectedChar(pos);
      char c = s[pos];
      if (c == '{') balance.push_back('}');
      else if (c == '(') balance.push_back(')');
      else if (c == '[') balance.push_back(']');
      else if (c == '}' || c == ')' || c == ']') {
        if (balance.empty()) throw LexError{std::string("unexpected '") + c + "'"};
        char expected = balance.back();
        balance.pop_back();
        if (expected != c) {
          throw LexError{std::string("unexpected '") + c + "', expected '" + expected + "'"};
        }
      }
      Emit(op, std::string(s.substr(pos, len)), lineno_);
      pos += len;
    }
  }

  LexerOptions o_;
  std::string src_;
  std::vector<Token> tokens_;
  int lineno_ = 1;
  int last_lineno_ = 1;
  bool line_starting_ = true;
};

}  // namespace

std::vector<Token> Tokenize(std::string_view source, const LexerOptions& options) {
  return Lexer(source, options).Run();
}

std::string DescribeTokenType(Tok t) {
  switch (t) {
    case Tok::kAdd: return "+";
    case Tok::kAssign: return "=";
    case Tok::kColon: return ":";
    case Tok::kComma: return ",";
    case Tok::kDiv: return "/";
    case Tok::kDot: return ".";
    case Tok::kEq: return "==";
    case Tok::kFloorDiv: return "//";
    case Tok::kGt: return ">";
    case Tok::kGtEq: return ">=";
    case Tok::kLBrace: return "{";
    case Tok::kLBracket: return "[";
    case Tok::kLParen: return "(";
    case Tok::kLt: return "<";
    case Tok::kLtEq: return "<=";
    case Tok::kMod: return "%";
    case Tok::kMul: return "*";
    case Tok::kNe: return "!=";
    case Tok::kPipe: return "|";
    case Tok::kPow: return "**";
    case Tok::kRBrace: return "}";
    case Tok::kRBracket: return "]";
    case Tok::kRParen: return ")";
    case Tok::kSemicolon: return ";";
    case Tok::kSub: return "-";
    case Tok::kTilde: return "~";
    case Tok::kFloat: return "float";
    case Tok::kInteger: return "integer";
    case Tok::kName: return "name";
    case Tok::kString: return "string";
    case Tok::kBlockBegin: return "begin of statement block";
    case Tok::kBlockEnd: return "end of statement block";
    case Tok::kVariableBegin: return "begin of print statement";
    case Tok::kVariableEnd: return "end of print statement";
    case Tok::kData: return "template data / text";
    case Tok::kEof: return "end of template";
    case Tok::kError: return "error";
  }
  return "?";
}

std::string DescribeToken(const Token& t) {
  if (t.type == Tok::kName) return t.value;
  return DescribeTokenType(t.type);
}

}  // namespace herald::jinja
