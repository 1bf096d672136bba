// Lexer; see lexer.h. Follows cel-go's CEL.g4 lexical rules and its
// unescape.go decoding (strings: escapes are code points encoded as UTF-8;
// bytes: \x and octal escapes are raw bytes and \u, \U are not allowed).
#include "cel/lexer.h"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace retro::cel {
namespace {

// Concatenates text (this abseil build's StrCat takes no std::string_view).
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsIdentStart(char c) { return IsLetter(c) || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
bool IsQuote(char c) { return c == '"' || c == '\''; }

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Length of the well-formed UTF-8 sequence at text[pos], or 0 if malformed.
size_t Utf8Length(std::string_view text, size_t pos) {
  auto b = [&](size_t i) -> uint8_t {
    return i < text.size() ? static_cast<uint8_t>(text[i]) : 0;
  };
  auto cont = [&](size_t i) { return (b(i) & 0xC0) == 0x80; };
  uint8_t c = b(pos);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(pos + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    uint8_t c1 = b(pos + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // surrogate
    return cont(pos + 1) && cont(pos + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    uint8_t c1 = b(pos + 1);
    if (c == 0xF0 && c1 < 0x90) return 0;
    if (c == 0xF4 && c1 >= 0x90) return 0;
    return cont(pos + 1) && cont(pos + 2) && cont(pos + 3) ? 4 : 0;
  }
  return 0;
}

class Lexer {
 public:
  Lexer(std::string_view text, std::vector<Diagnostic>* diagnostics)
      : text_(text), diagnostics_(diagnostics) {}

  std::vector<Token> Run() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpaceAndComments();
      if (pos_ >= text_.size()) break;
      Token t;
      if (Scan(&t)) tokens.push_back(std::move(t));
    }
    Token eof;
    eof.kind = TokenKind::kEof;
    eof.offset = static_cast<int32_t>(text_.size());
    tokens.push_back(std::move(eof));
    return tokens;
  }

 private:
  char At(size_t i) const { return i < text_.size() ? text_[i] : '\0'; }

  void Error(size_t offset, std::string message) {
    diagnostics_->push_back({Diagnostic::Severity::kError,
                             static_cast<int32_t>(offset), std::move(message)});
  }

  void SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
        ++pos_;
      } else if (c == '/' && At(pos_ + 1) == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  // Scans one token at pos_ into *t; returns false (after reporting) when the
  // characters there form no token.
  bool Scan(Token* t) {
    size_t start = pos_;
    char c = text_[pos_];
    t->offset = static_cast<int32_t>(start);
    if (IsIdentStart(c)) {
      // String prefixes: r, R, b, B, and b/B followed by r/R.
      bool bytes = false, raw = false;
      size_t q = pos_;
      if ((c == 'b' || c == 'B')) {
        if (IsQuote(At(q + 1))) {
          bytes = true;
          q += 1;
        } else if ((At(q + 1) == 'r' || At(q + 1) == 'R') &&
                   IsQuote(At(q + 2))) {
          bytes = raw = true;
          q += 2;
        }
      } else if ((c == 'r' || c == 'R') && IsQuote(At(q + 1))) {
        raw = true;
        q += 1;
      }
      if (bytes || raw) {
        pos_ = q;
        return ScanQuoted(start, raw, bytes, t);
      }
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      t->text = text_.substr(start, pos_ - start);
      t->kind = TokenKind::kIdent;
      if (t->text == "true") t->kind = TokenKind::kTrue;
      if (t->text == "false") t->kind = TokenKind::kFalse;
      if (t->text == "null") t->kind = TokenKind::kNull;
      if (t->text == "in") t->kind = TokenKind::kIn;
      return true;
    }
    if (IsDigit(c) || (c == '.' && IsDigit(At(pos_ + 1)))) {
      ScanNumber(t);
      return true;
    }
    if (IsQuote(c)) return ScanQuoted(start, false, false, t);
    if (c == '`') return ScanEscapedIdent(t);
    return ScanPunctuation(t);
  }

  void ScanNumber(Token* t) {
    size_t start = pos_;
    bool is_float = false;
    if (At(pos_) == '0' && At(pos_ + 1) == 'x' && HexValue(At(pos_ + 2)) >= 0) {
      pos_ += 2;
      while (HexValue(At(pos_)) >= 0) ++pos_;
    } else {
      while (IsDigit(At(pos_))) ++pos_;
      if (At(pos_) == '.' && IsDigit(At(pos_ + 1))) {
        is_float = true;
        ++pos_;
        while (IsDigit(At(pos_))) ++pos_;
      }
      char e = At(pos_);
      if (e == 'e' || e == 'E') {
        size_t p = pos_ + 1;
        if (At(p) == '+' || At(p) == '-') ++p;
        if (IsDigit(At(p))) {
          is_float = true;
          pos_ = p;
          while (IsDigit(At(pos_))) ++pos_;
        }
      }
    }
    t->kind = is_float ? TokenKind::kDouble : TokenKind::kInt;
    if (!is_float && (At(pos_) == 'u' || At(pos_) == 'U')) {
      t->kind = TokenKind::kUint;
      ++pos_;
    }
    t->text = text_.substr(start, pos_ - start);
  }

  bool ScanEscapedIdent(Token* t) {
    size_t start = pos_;
    size_t p = pos_ + 1;
    while (p < text_.size()) {
      char c = text_[p];
      if (IsIdentChar(c) || c == '.' || c == '-' || c == '/' || c == ' ') {
        ++p;
      } else {
        break;
      }
    }
    if (At(p) != '`' || p == start + 1) {
      Error(start, "Syntax error: token recognition error at: '`'");
      pos_ = start + 1;
      return false;
    }
    pos_ = p + 1;
    t->kind = TokenKind::kEscIdent;
    t->text = text_.substr(start, pos_ - start);
    t->value = std::string(text_.substr(start + 1, p - start - 1));
    return true;
  }

  bool ScanPunctuation(Token* t) {
    size_t start = pos_;
    char c = text_[pos_];
    char n = At(pos_ + 1);
    auto one = [&](TokenKind k) {
      t->kind = k;
      pos_ += 1;
    };
    auto two = [&](TokenKind k) {
      t->kind = k;
      pos_ += 2;
    };
    switch (c) {
      case '(':
        one(TokenKind::kLParen);
        break;
      case ')':
        one(TokenKind::kRParen);
        break;
      case '[':
        one(TokenKind::kLBracket);
        break;
      case ']':
        one(TokenKind::kRBracket);
        break;
      case '{':
        one(TokenKind::kLBrace);
        break;
      case '}':
        one(TokenKind::kRBrace);
        break;
      case '.':
        one(TokenKind::kDot);
        break;
      case ',':
        one(TokenKind::kComma);
        break;
      case ':':
        one(TokenKind::kColon);
        break;
      case '?':
        one(TokenKind::kQuestion);
        break;
      case '+':
        one(TokenKind::kPlus);
        break;
      case '-':
        one(TokenKind::kMinus);
        break;
      case '*':
        one(TokenKind::kStar);
        break;
      case '/':
        one(TokenKind::kSlash);
        break;
      case '%':
        one(TokenKind::kPercent);
        break;
      case '!':
        n == '=' ? two(TokenKind::kNe) : one(TokenKind::kNot);
        break;
      case '=':
        if (n != '=') return Unrecognized(start);
        two(TokenKind::kEq);
        break;
      case '<':
        n == '=' ? two(TokenKind::kLe) : one(TokenKind::kLt);
        break;
      case '>':
        n == '=' ? two(TokenKind::kGe) : one(TokenKind::kGt);
        break;
      case '&':
        if (n != '&') return Unrecognized(start);
        two(TokenKind::kAnd);
        break;
      case '|':
        if (n != '|') return Unrecognized(start);
        two(TokenKind::kOr);
        break;
      default:
        return Unrecognized(start);
    }
    t->text = text_.substr(start, pos_ - start);
    return true;
  }

  bool Unrecognized(size_t start) {
    size_t len = Utf8Length(text_, start);
    if (len == 0) {
      Error(start, "Syntax error: invalid UTF-8 in expression");
      len = 1;
    } else {
      Error(start, Cat({"Syntax error: token recognition error at: '",
                        text_.substr(start, len), "'"}));
    }
    pos_ = start + len;
    return false;
  }

  // Scans a quoted literal whose opening quote is at pos_; `start` is where
  // its prefix begins.
  bool ScanQuoted(size_t start, bool raw, bool bytes, Token* t) {
    char quote = text_[pos_];
    bool triple = At(pos_ + 1) == quote && At(pos_ + 2) == quote;
    pos_ += triple ? 3 : 1;
    std::string out;
    bool terminated = false;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (triple) {
        if (c == quote && At(pos_ + 1) == quote && At(pos_ + 2) == quote) {
          pos_ += 3;
          terminated = true;
          break;
        }
      } else {
        if (c == quote) {
          ++pos_;
          terminated = true;
          break;
        }
        if (c == '\n' || c == '\r') break;
      }
      if (c == '\\' && !raw) {
        ScanEscape(bytes, &out);
        continue;
      }
      if (c == '\r') {  // newlines normalise to \n, as in cel-go
        out.push_back('\n');
        pos_ += At(pos_ + 1) == '\n' ? 2 : 1;
        continue;
      }
      size_t len = Utf8Length(text_, pos_);
      if (len == 0) {
        Error(pos_, "Syntax error: invalid UTF-8 in string literal");
        len = 1;
      } else {
        out.append(text_.substr(pos_, len));
      }
      pos_ += len;
    }
    if (!terminated) {
      Error(start, bytes ? "Syntax error: unterminated bytes literal"
                         : "Syntax error: unterminated string literal");
    }
    t->kind = bytes ? TokenKind::kBytes : TokenKind::kString;
    t->text = text_.substr(start, pos_ - start);
    t->value = std::move(out);
    return true;
  }

  // Decodes the escape sequence at pos_ (a backslash) into *out.
  void ScanEscape(bool bytes, std::string* out) {
    size_t start = pos_;
    char c = At(pos_ + 1);
    pos_ += 2;
    auto invalid = [&](std::string_view why) {
      size_t end = std::min(pos_, text_.size());
      Error(start, Cat({"Syntax error: ", why, " '",
                        text_.substr(start, end - start), "'"}));
    };
    switch (c) {
      case 'a':
        out->push_back('\a');
        return;
      case 'b':
        out->push_back('\b');
        return;
      case 'f':
        out->push_back('\f');
        return;
      case 'n':
        out->push_back('\n');
        return;
      case 'r':
        out->push_back('\r');
        return;
      case 't':
        out->push_back('\t');
        return;
      case 'v':
        out->push_back('\v');
        return;
      case '\\':
      case '\'':
      case '"':
      case '`':
      case '?':
        out->push_back(c);
        return;
      case 'x':
      case 'X':
      case 'u':
      case 'U': {
        int digits = (c == 'x' || c == 'X') ? 2 : (c == 'u' ? 4 : 8);
        uint32_t v = 0;
        for (int i = 0; i < digits; ++i) {
          int h = HexValue(At(pos_));
          if (h < 0) {
            invalid("invalid escape sequence");
            return;
          }
          v = v * 16 + static_cast<uint32_t>(h);
          ++pos_;
        }
        if (digits == 2) {
          if (bytes) {
            out->push_back(static_cast<char>(v));
          } else {
            AppendUtf8(v, out);
          }
          return;
        }
        if (bytes) {
          invalid("unicode escape not allowed in bytes literal:");
          return;
        }
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
          invalid("invalid unicode code point in escape sequence");
          return;
        }
        AppendUtf8(v, out);
        return;
      }
      case '0':
      case '1':
      case '2':
      case '3': {
        char d1 = At(pos_), d2 = At(pos_ + 1);
        if (d1 < '0' || d1 > '7' || d2 < '0' || d2 > '7') {
          invalid("invalid octal escape sequence (needs three digits)");
          return;
        }
        pos_ += 2;
        uint32_t v = (c - '0') * 64 + (d1 - '0') * 8 + (d2 - '0');
        if (bytes) {
          out->push_back(static_cast<char>(v));
        } else {
          AppendUtf8(v, out);
        }
        return;
      }
      default:
        if (pos_ > text_.size()) pos_ = text_.size();
        invalid("invalid escape sequence");
        return;
    }
  }

  std::string_view text_;
  std::vector<Diagnostic>* diagnostics_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<Token> Tokenize(std::string_view text,
                            std::vector<Diagnostic>* diagnostics) {
  return Lexer(text, diagnostics).Run();
}

std::string_view TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEof:
      return "<EOF>";
    case TokenKind::kIdent:
      return "IDENTIFIER";
    case TokenKind::kEscIdent:
      return "ESC_IDENTIFIER";
    case TokenKind::kInt:
      return "NUM_INT";
    case TokenKind::kUint:
      return "NUM_UINT";
    case TokenKind::kDouble:
      return "NUM_FLOAT";
    case TokenKind::kString:
      return "STRING";
    case TokenKind::kBytes:
      return "BYTES";
    case TokenKind::kTrue:
      return "'true'";
    case TokenKind::kFalse:
      return "'false'";
    case TokenKind::kNull:
      return "'null'";
    case TokenKind::kIn:
      return "'in'";
    case TokenKind::kLParen:
      return "'('";
    case TokenKind::kRParen:
      return "')'";
    case TokenKind::kLBracket:
      return "'['";
    case TokenKind::kRBracket:
      return "']'";
    case TokenKind::kLBrace:
      return "'{'";
    case TokenKind::kRBrace:
      return "'}'";
    case TokenKind::kDot:
      return "'.'";
    case TokenKind::kComma:
      return "','";
    case TokenKind::kColon:
      return "':'";
    case TokenKind::kQuestion:
      return "'?'";
    case TokenKind::kPlus:
      return "'+'";
    case TokenKind::kMinus:
      return "'-'";
    case TokenKind::kStar:
      return "'*'";
    case TokenKind::kSlash:
      return "'/'";
    case TokenKind::kPercent:
      return "'%'";
    case TokenKind::kNot:
      return "'!'";
    case TokenKind::kEq:
      return "'=='";
    case TokenKind::kNe:
      return "'!='";
    case TokenKind::kLt:
      return "'<'";
    case TokenKind::kLe:
      return "'<='";
    case TokenKind::kGt:
      return "'>'";
    case TokenKind::kGe:
      return "'>='";
    case TokenKind::kAnd:
      return "'&&'";
    case TokenKind::kOr:
      return "'||'";
  }
  return "?";
}

}  // namespace retro::cel
