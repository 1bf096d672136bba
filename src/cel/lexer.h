// Lexer: CEL source text -> tokens, as cel-spec's grammar (CEL.g4) defines
// them. String and bytes literals are validated and decoded here, so the
// parser only sees their final contents; every malformed token is reported
// as a Diagnostic and skipped, and lexing continues.
// Thread-safe: pure functions.
#ifndef RETRO_CEL_LEXER_H_
#define RETRO_CEL_LEXER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cel/source.h"

namespace retro::cel {

enum class TokenKind {
  kEof,
  kIdent,     // foo (reserved words included; the parser rejects them)
  kEscIdent,  // `foo.bar-baz`; Token::value holds the text between backticks
  kInt,       // 12, 0x1F (unsigned text, no sign)
  kUint,      // 12u, 0x1Fu
  kDouble,    // 1.5, 1e3, .5
  kString,    // Token::value holds the decoded text
  kBytes,     // Token::value holds the decoded bytes
  kTrue,
  kFalse,
  kNull,
  kIn,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kLBrace,
  kRBrace,
  kDot,
  kComma,
  kColon,
  kQuestion,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kNot,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  int32_t offset = 0;     // byte offset of the first character
  std::string_view text;  // the token as written ("" for kEof)
  std::string value;      // decoded kString/kBytes/kEscIdent contents
};

// Splits `text` into tokens, ending with one kEof token. Whitespace and
// `//` comments are dropped. Unrecognised characters and malformed literals
// are appended to `diagnostics` (in source order) and skipped.
std::vector<Token> Tokenize(std::string_view text,
                            std::vector<Diagnostic>* diagnostics);

// How a token kind reads in a diagnostic: "')'", "IDENTIFIER", ...
std::string_view TokenKindName(TokenKind kind);

}  // namespace retro::cel

#endif  // RETRO_CEL_LEXER_H_
