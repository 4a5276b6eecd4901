// PyRegex: Python re dialect checked and rewritten for PCRE2; see py_regex.h.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "conditions/py_regex.h"

#include <pcre2.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "conditions/conditions.h"

namespace herald::conditions {

namespace {

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsOct(char c) { return c >= '0' && c <= '7'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

Status ReError(const std::string& what, size_t pos) {
  return Status::Error(herald::Code::kInvalidArgument, "re.error",
                       what + " at position " + std::to_string(pos));
}

void AppendCodePoint(std::string& out, unsigned long cp) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "\\x{%lx}", cp);
  out += buf;
}

// Translator state machine over the pattern bytes. UTF-8 continuation bytes are >= 0x80 and
// never collide with the ASCII syntax characters, so byte-wise scanning is safe.
class Translator {
 public:
  explicit Translator(std::string_view p) : p_(p) { out_.reserve(p.size() + 8); }

  Result<std::string> Run() {
    while (i_ < p_.size()) {
      Status st = in_class_ ? ClassChar() : TopChar();
      if (!st.ok()) return st;
    }
    if (in_class_) return ReError("unterminated character set", class_pos_);
    return std::move(out_);
  }

 private:
  // Shared escape handling. Returns OK and advances past the escape.
  Status Escape() {
    size_t start = i_;
    if (i_ + 1 >= p_.size()) return ReError("bad escape (end of pattern)", start);
    char c = p_[i_ + 1];
    i_ += 2;
    switch (c) {
      case 'd':
      case 'D':
      case 's':
      case 'S':
      case 'w':
      case 'W':
      case 'a':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        out_ += '\\';
        out_ += c;
        return Status::Ok();
      case 'v': out_ += "\\x{b}"; return Status::Ok();  // PCRE2 \v is a class, Python's is VT
      case 'b':
        if (in_class_) {
          out_ += "\\x{8}";
          return Status::Ok();
        }
        return Anchor("\\b");
      case 'A':
        if (in_class_) break;
        return Anchor("\\A");
      case 'B':
        if (in_class_) break;
        return Anchor("(?:(?!\\A\\z)\\B)");  // Python (< 3.14): \B never matches ""
      case 'Z':
        if (in_class_) break;
        return Anchor("\\z");  // Python \Z is PCRE2 \z (end of subject only)
      case 'x':
      case 'u':
      case 'U': {
        size_t n = c == 'x' ? 2 : (c == 'u' ? 4 : 8);
        if (i_ + n > p_.size()) return ReError(std::string("incomplete escape \\") + c, start);
        unsigned long cp = 0;
        for (size_t k = 0; k < n; ++k) {
          char h = p_[i_ + k];
          if (!IsHex(h)) return ReError(std::string("incomplete escape \\") + c, start);
          cp = cp * 16 + static_cast<unsigned long>(IsDigit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
        }
        if (cp > 0x10FFFF) return ReError("bad escape \\U" + std::string(p_.substr(i_, n)), start);
        i_ += n;
        AppendCodePoint(out_, cp);
        return Status::Ok();
      }
      case 'N': return ReError("\\N{...} escapes are not supported", start);
      default: break;
    }
    if (IsDigit(c)) {
      // Octal: \0, \0o, \0oo; or three octal digits. Otherwise a group reference (outside sets).
      if (c == '0' || (IsOct(c) && i_ + 1 < p_.size() && IsOct(p_[i_]) && IsOct(p_[i_ + 1]))) {
        unsigned long v = static_cast<unsigned long>(c - '0');
        size_t max_more = 2;
        while (max_more > 0 && i_ < p_.size() && IsOct(p_[i_])) {
          v = v * 8 + static_cast<unsigned long>(p_[i_] - '0');
          ++i_;
          --max_more;
        }
        if (v > 0377) {
          return ReError("octal escape value \\" +
                             std::string(p_.substr(start + 1, i_ - start - 1)) +
                             " outside of range 0-0o377",
                         start);
        }
        AppendCodePoint(out_, v);
        return Status::Ok();
      }
      if (in_class_) return ReError(std::string("bad escape \\") + c, start);
      int group = c - '0';
      if (i_ < p_.size() && IsDigit(p_[i_])) group = group * 10 + (p_[i_++] - '0');
      Status ref = CheckGroupRef(group, start);
      if (!ref.ok()) return ref;
      out_ += "\\g{" + std::to_string(group) + "}";
      return Status::Ok();
    }
    if (IsAsciiLetter(c)) return ReError(std::string("bad escape \\") + c, start);
    if (static_cast<unsigned char>(c) >= 0x80) {
      out_ += c;  // escaped non-ASCII character: literal (lead byte; continuation bytes follow)
    } else {
      out_ += '\\';
      out_ += c;
    }
    return Status::Ok();
  }

  // True if a quantifier starts at i_ (Python: "*", "+", "?", "{m}", "{m,}", "{,n}", "{m,n}").
  bool QuantifierFollows() const {
    if (i_ >= p_.size()) return false;
    char c = p_[i_];
    if (c == '*' || c == '+' || c == '?') return true;
    if (c != '{') return false;
    size_t j = i_ + 1;
    while (j < p_.size() && IsDigit(p_[j])) ++j;
    if (j < p_.size() && p_[j] == ',') {
      ++j;
      while (j < p_.size() && IsDigit(p_[j])) ++j;
    }
    return j < p_.size() && p_[j] == '}';
  }

  // An anchor (\A \b \B \Z) cannot be repeated in Python.
  Status Anchor(const char* pcre) {
    if (QuantifierFollows()) return ReError("nothing to repeat", i_);
    out_ += pcre;
    return Status::Ok();
  }

  Status ClassChar() {
    char c = p_[i_];
    if (c == '\\') return Escape();
    if (c == ']' && i_ != class_body_) {
      in_class_ = false;
      out_ += ']';
      ++i_;
      return Status::Ok();
    }
    if (c == ']' || c == '[') {
      out_ += '\\';  // a leading ']' is literal in Python; '[' must not start a POSIX class
      out_ += c;
      ++i_;
      return Status::Ok();
    }
    out_ += c;
    ++i_;
    return Status::Ok();
  }

  Status TopChar() {
    char c = p_[i_];
    if (verbose_ && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')) {
      ++i_;
      return Status::Ok();
    }
    if (verbose_ && c == '#') {
      while (i_ < p_.size() && p_[i_] != '\n') ++i_;
      return Status::Ok();
    }
    if (c != '(') at_start_ = false;
    switch (c) {
      case '\\': return Escape();
      case '[':
        in_class_ = true;
        class_pos_ = i_;
        out_ += '[';
        ++i_;
        if (i_ < p_.size() && p_[i_] == '^') {
          out_ += '^';
          ++i_;
        }
        class_body_ = i_;
        return Status::Ok();
      case '{': {
        // Python accepts {,n} and {,} (min 0); PCRE2 10.42 would take them literally.
        size_t j = i_ + 1;
        if (j < p_.size() && p_[j] == ',') {
          size_t k = j + 1;
          while (k < p_.size() && IsDigit(p_[k])) ++k;
          if (k < p_.size() && p_[k] == '}') {
            out_ += "{0";
            ++i_;
            return Status::Ok();
          }
        }
        out_ += '{';
        ++i_;
        return Status::Ok();
      }
      case '(': return Group();
      case ')':
        if (open_.empty()) return ReError("unbalanced parenthesis", i_);
        open_.pop_back();
        out_ += ')';
        ++i_;
        return Status::Ok();
      default:
        out_ += c;
        ++i_;
        return Status::Ok();
    }
  }

  Status Group() {
    size_t start = i_;
    if (i_ + 1 < p_.size() && p_[i_ + 1] == '*') return ReError("nothing to repeat", i_ + 1);
    if (i_ + 1 >= p_.size() || p_[i_ + 1] != '?') {
      at_start_ = false;
      open_.push_back(++group_count_);
      out_ += '(';
      ++i_;
      return Status::Ok();
    }
    if (i_ + 2 >= p_.size()) return ReError("unexpected end of pattern", i_ + 2);
    char c = p_[i_ + 2];
    auto pass = [&](size_t n) {
      at_start_ = false;
      open_.push_back(0);
      out_.append(p_.substr(i_, n));
      i_ += n;
      return Status::Ok();
    };
    // Up to and including the next ')', or npos.
    auto until_close = [&](size_t from) {
      size_t j = p_.find(')', from);
      return j == std::string_view::npos ? j : j + 1;
    };
    switch (c) {
      case '#': {  // comment: dropped
        size_t end = until_close(i_ + 3);
        if (end == std::string_view::npos) return ReError("missing ), unterminated comment", start);
        i_ = end;
        // Python skips the comment, so "a*(?#c)+" is a repeated repeat; PCRE2 would read "*+".
        bool after_repeat =
            !out_.empty() && (out_.back() == '*' || out_.back() == '+' || out_.back() == '?');
        if (after_repeat && i_ < p_.size() &&
            (p_[i_] == '*' || p_[i_] == '+' || p_[i_] == '?' || p_[i_] == '{')) {
          return ReError("multiple repeat", i_);
        }
        return Status::Ok();
      }
      case '(': {  // conditional (?(id)yes|no): copy the condition reference verbatim
        size_t end = until_close(i_ + 3);
        if (end == std::string_view::npos) return ReError("missing ), unterminated name", i_ + 3);
        at_start_ = false;
        open_.push_back(0);
        out_.append(p_.substr(i_, end - i_));
        i_ = end;
        return Status::Ok();
      }
      case ':':
      case '=':
      case '!':
      case '>': return pass(3);
      case 'P':
        if (i_ + 3 < p_.size() && p_[i_ + 3] == '<') {
          size_t close = p_.find('>', i_ + 4);
          if (close == std::string_view::npos)
            return ReError("missing >, unterminated name", i_ + 4);
          std::string name(p_.substr(i_ + 4, close - i_ - 4));
          for (const auto& [n, g] : names_) {
            if (n == name) {
              return ReError("redefinition of group name '" + name + "' as group " +
                                 std::to_string(group_count_ + 1) + "; was group " +
                                 std::to_string(g),
                             i_ + 4);
            }
          }
          names_.emplace_back(name, ++group_count_);
          at_start_ = false;
          open_.push_back(group_count_);
          out_.append(p_.substr(i_, close + 1 - i_));
          i_ = close + 1;
          return Status::Ok();
        }
        if (i_ + 3 < p_.size() && p_[i_ + 3] == '=') {
          size_t close = p_.find(')', i_ + 4);
          if (close == std::string_view::npos)
            return ReError("missing ), unterminated name", i_ + 4);
          std::string name(p_.substr(i_ + 4, close - i_ - 4));
          int group = 0;
          for (const auto& [n, g] : names_)
            if (n == name) group = g;
          if (group == 0) return ReError("unknown group name '" + name + "'", i_ + 4);
          if (IsOpen(group)) return ReError("cannot refer to an open group", i_ + 4);
          at_start_ = false;
          out_ += "\\g{" + std::to_string(group) + "}";
          i_ = close + 1;
          return Status::Ok();
        }
        return ReError(std::string("unknown extension ?P") +
                           (i_ + 3 < p_.size() ? std::string(1, p_[i_ + 3]) : std::string()),
                       start + 1);
      case '<':
        if (i_ + 3 < p_.size() && (p_[i_ + 3] == '=' || p_[i_ + 3] == '!')) return pass(4);
        return ReError(std::string("unknown extension ?<") +
                           (i_ + 3 < p_.size() ? std::string(1, p_[i_ + 3]) : std::string()),
                       start + 1);
      default: break;
    }
    // Inline flags: (?flags) global, or (?flags-flags:...) scoped.
    size_t j = i_ + 2;
    std::string on, off;
    bool minus = false;
    for (; j < p_.size(); ++j) {
      char f = p_[j];
      if (f == '-' && !minus) {
        minus = true;
        continue;
      }
      if (f == ':' || f == ')') break;
      if (f == 'i' || f == 'm' || f == 's' || f == 'x') {
        (minus ? off : on) += f;
      } else if (f == 'u' && !minus) {
        // Unicode matching is the default for str patterns: no-op.
      } else if (f == 'L') {
        return ReError("bad inline flags: cannot use 'L' flag with a str pattern", j);
      } else if (f == 'a') {
        return ReError("the 'a' (ASCII) inline flag is not supported", j);
      } else {
        return ReError(std::string("unknown extension ?") + f, start + 1);
      }
    }
    if (j >= p_.size()) return ReError("missing -, : or )", j);
    if (p_[j] == ')') {
      if (minus) return ReError("missing :", j);
      if (!at_start_) return ReError("global flags not at the start of the expression", start);
      if (on.find('x') != std::string::npos) verbose_ = true;
      if (!on.empty()) out_ += "(?" + on + ")";
      i_ = j + 1;
      return Status::Ok();
    }
    at_start_ = false;
    open_.push_back(0);
    out_ += "(?" + on + (off.empty() ? "" : "-" + off) + ":";
    i_ = j + 1;
    return Status::Ok();
  }

  std::string_view p_;
  std::string out_;
  size_t i_ = 0;
  bool in_class_ = false;
  size_t class_pos_ = 0;
  size_t class_body_ = 0;
  bool at_start_ = true;
  bool verbose_ = false;
  // Group bookkeeping, for Python's checks on back-references: open groups (capturing group
  // number, or 0), how many capturing groups were opened so far, and named groups.
  std::vector<int> open_;
  int group_count_ = 0;
  std::vector<std::pair<std::string, int>> names_;

  bool IsOpen(int group) const {
    for (int g : open_)
      if (g == group) return true;
    return false;
  }
  // Checks a back-reference the way Python does.
  // pos: the backslash.
  Status CheckGroupRef(int group, size_t pos) const {
    if (group > group_count_ || group == 0) {
      return ReError("invalid group reference " + std::to_string(group), pos + 1);
    }
    if (IsOpen(group)) return ReError("cannot refer to an open group", pos);
    return Status::Ok();
  }
};

struct CodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};

// Per-thread match data (one ovector pair is enough: only match/no-match matters) and match
// context carrying the step, depth and heap limits.
struct ThreadMatchState {
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  ThreadMatchState() {
    data = pcre2_match_data_create(1, nullptr);
    context = pcre2_match_context_create(nullptr);
    if (context) {
      pcre2_set_match_limit(context, kRegexMatchLimit);
      pcre2_set_depth_limit(context, kRegexDepthLimit);
      pcre2_set_heap_limit(context, kRegexHeapLimitKiB);
    }
  }
  ~ThreadMatchState() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
  }
};

ThreadMatchState& MatchState() {
  thread_local ThreadMatchState state;
  return state;
}

std::string PcreMessage(int code) {
  PCRE2_UCHAR buf[256];
  int n = pcre2_get_error_message(code, buf, sizeof buf);
  if (n < 0) return "PCRE2 error " + std::to_string(code);
  return std::string(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

}  // namespace

struct PyRegex::Code {
  std::unique_ptr<pcre2_code, CodeDeleter> code;
};

Result<std::string> TranslatePythonRegex(std::string_view pattern) {
  return Translator(pattern).Run();
}

Result<PyRegex> PyRegex::Compile(std::string_view pattern) {
  Result<std::string> translated = TranslatePythonRegex(pattern);
  if (!translated.ok()) return translated.status();
  pcre2_compile_context* cctx = pcre2_compile_context_create(nullptr);
  if (cctx) pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
  int err = 0;
  PCRE2_SIZE offset = 0;
  // ANCHORED at compile time (not match time) so the JIT can be used: re.match semantics.
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated->data()), translated->size(),
                    PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &err, &offset, cctx);
  pcre2_compile_context_free(cctx);
  if (!code) {
    return Status::Error(herald::Code::kInvalidArgument, "re.error",
                         PcreMessage(err) +
                             " (in the pattern as translated for "
                             "PCRE2, near position " +
                             std::to_string(offset) + ")");
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // best effort; the interpreter is the fallback
  auto c = std::make_shared<Code>();
  c->code.reset(code);
  return PyRegex(std::move(c), std::make_shared<const std::string>(pattern));
}

Result<bool> PyRegex::Match(std::string_view subject) const {
  ThreadMatchState& st = MatchState();
  if (!st.data) return Status::Error(herald::Code::kInternal, "out of memory creating match data");
  uint32_t options = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    int rc = pcre2_match(code_->code.get(), reinterpret_cast<PCRE2_SPTR>(subject.data()),
                         subject.size(), 0, options, st.data, st.context);
    if (rc >= 0) return true;  // 0: matched, ovector too small (we don't need it)
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && options == 0) {
      options = PCRE2_NO_JIT;
      continue;
    }
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT) {
      const char* which = rc == PCRE2_ERROR_MATCHLIMIT   ? "match step"
                          : rc == PCRE2_ERROR_DEPTHLIMIT ? "backtracking depth"
                                                         : "backtracking memory";
      return Status::Error(
          herald::Code::kResourceExhausted,
          "regex '" + *pattern_ + "' exceeded the " + which + " limit (" + PcreMessage(rc) + ")");
    }
    return Status::Error(herald::Code::kInternal, PcreMessage(rc));
  }
  return Status::Error(herald::Code::kInternal, "regex match failed");
}

}  // namespace herald::conditions
