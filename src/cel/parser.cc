// Parser; see parser.h. A recursive-descent parser over cel-go's CEL.g4
// grammar, building the same AST shapes cel-go's visitor builds (balanced
// `&&`/`||` trees, `-` folded into numeric literals, pairs of `!` or `-`
// cancelled). Nesting is bounded by ParseOptions::max_nesting_depth: every
// nested expression and every link of an operator or member chain counts, so
// the resulting tree (and anything walking it recursively) stays shallow.
#include "cel/parser.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/charconv.h"
#include "cel/lexer.h"
#include "cel/macros.h"

namespace retro::cel {
namespace {

// Concatenates text (this abseil build's StrCat takes no std::string_view).
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

constexpr int kMaxDiagnostics = 100;
constexpr std::string_view kExpectingExpr =
    "expecting an expression (identifier, literal, '(', '[', '{', '.', '!' or "
    "'-')";

bool IsReserved(std::string_view id) {
  static const auto* kReserved = new absl::flat_hash_set<std::string_view>{
      "as",        "break",  "const",  "continue", "else", "for",
      "function",  "if",     "import", "let",      "loop", "package",
      "namespace", "return", "var",    "void",     "while"};
  return kReserved->contains(id);
}

class Parser {
 public:
  Parser(const Source& source, const ParseOptions& options, ParseResult* result)
      : text_(source.text()),
        options_(options),
        result_(result),
        factory_(&result->parsed.source_info) {}

  void Run() {
    if (static_cast<int64_t>(text_.size()) > options_.max_expression_bytes) {
      result_->diagnostics.push_back(
          {Diagnostic::Severity::kError, -1,
           Cat({"expression size exceeds limit: ", std::to_string(text_.size()),
                " bytes, limit ",
                std::to_string(options_.max_expression_bytes)})});
      return;
    }
    tokens_ = Tokenize(text_, &result_->diagnostics);
    lexer_errors_ = static_cast<int>(result_->diagnostics.size());
    ExprPtr e = ParseExpr();
    if (!aborted_ && Peek().kind != TokenKind::kEof) {
      Report(Peek().offset, Cat({"Syntax error: extraneous input ",
                                 Describe(Peek()), " expecting <EOF>"}));
    }
    SortDiagnostics();
    result_->parsed.expr = std::move(e);
    result_->parsed.max_id = factory_.max_id();
  }

 private:
  // --- tokens ---------------------------------------------------------------

  const Token& Peek(size_t k = 0) const {
    if (aborted_) return tokens_.back();
    size_t i = pos_ + k;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  bool At(TokenKind kind, size_t k = 0) const { return Peek(k).kind == kind; }
  const Token& Next() {
    const Token& t = Peek();
    if (!aborted_ && pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool Accept(TokenKind kind) {
    if (!At(kind)) return false;
    Next();
    return true;
  }
  static std::string Describe(const Token& t) {
    if (t.kind == TokenKind::kEof) return "'<EOF>'";
    return Cat({"'", t.text, "'"});
  }
  // Consumes `kind` or reports what was found instead (without consuming).
  bool Expect(TokenKind kind) {
    if (Accept(kind)) return true;
    Report(Peek().offset,
           Cat({"Syntax error: mismatched input ", Describe(Peek()),
                " expecting ", TokenKindName(kind)}));
    return false;
  }

  // --- diagnostics and limits
  // -------------------------------------------------

  void Report(int32_t offset, std::string message) {
    if (aborted_) return;
    // One diagnostic per spot: later ones there are consequences.
    for (size_t i = lexer_errors_; i < result_->diagnostics.size(); ++i) {
      if (result_->diagnostics[i].offset == offset) return;
    }
    result_->diagnostics.push_back(
        {Diagnostic::Severity::kError, offset, std::move(message)});
    if (static_cast<int>(result_->diagnostics.size()) >= kMaxDiagnostics) {
      aborted_ = true;
    }
  }

  // Reports and returns a placeholder node.
  ExprPtr ErrorExpr(int32_t offset, std::string message) {
    Report(offset, std::move(message));
    return factory_.NewNull(offset);
  }

  void SortDiagnostics() {
    auto& d = result_->diagnostics;
    std::stable_sort(d.begin(), d.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                       return a.offset < b.offset;
                     });
  }

  // Adds `levels` to the current nesting depth; on exceeding the limit,
  // reports it once and abandons the parse (every later token reads as EOF).
  bool Deepen(int32_t levels, int32_t offset) {
    depth_ += levels;
    if (depth_ > options_.max_nesting_depth && !aborted_) {
      Report(offset, Cat({"expression nesting exceeds limit of ",
                          std::to_string(options_.max_nesting_depth)}));
      aborted_ = true;
    }
    return !aborted_;
  }

  // Restores the depth on scope exit.
  class DepthScope {
   public:
    explicit DepthScope(Parser* p) : p_(p), saved_(p->depth_) {}
    ~DepthScope() { p_->depth_ = saved_; }

   private:
    Parser* p_;
    int32_t saved_;
  };

  // --- expressions
  // ------------------------------------------------------------

  // expr: conditionalOr ('?' conditionalOr ':' expr)?
  ExprPtr ParseExpr() {
    DepthScope scope(this);
    if (!Deepen(1, Peek().offset)) return factory_.NewNull(Peek().offset);
    ExprPtr cond = ParseLogical(TokenKind::kOr);
    if (!At(TokenKind::kQuestion)) return cond;
    int32_t at = Next().offset;
    ExprPtr if_true = ParseLogical(TokenKind::kOr);
    Expect(TokenKind::kColon);
    ExprPtr if_false = ParseExpr();
    return Call("_?_:_",
                Exprs(std::move(cond), std::move(if_true), std::move(if_false)),
                at);
  }

  // conditionalOr / conditionalAnd: built as a balanced tree, as cel-go does.
  ExprPtr ParseLogical(TokenKind op) {
    std::vector<ExprPtr> terms;
    std::vector<int64_t> op_ids;
    terms.push_back(op == TokenKind::kOr ? ParseLogical(TokenKind::kAnd)
                                         : ParseRelation());
    while (At(op)) {
      int32_t at = Next().offset;
      op_ids.push_back(factory_.NextId(at));
      terms.push_back(op == TokenKind::kOr ? ParseLogical(TokenKind::kAnd)
                                           : ParseRelation());
    }
    if (op_ids.empty()) return std::move(terms[0]);
    return Balance(op == TokenKind::kOr ? "_||_" : "_&&_", terms, op_ids, 0,
                   static_cast<int>(op_ids.size()) - 1);
  }

  ExprPtr Balance(const char* function, std::vector<ExprPtr>& terms,
                  const std::vector<int64_t>& op_ids, int lo, int hi) {
    int mid = (lo + hi + 1) / 2;
    ExprPtr left = mid == lo ? std::move(terms[mid])
                             : Balance(function, terms, op_ids, lo, mid - 1);
    ExprPtr right = mid == hi ? std::move(terms[mid + 1])
                              : Balance(function, terms, op_ids, mid + 1, hi);
    auto e = std::make_unique<Expr>();
    e->id = op_ids[mid];
    e->kind = ExprKind::kCall;
    e->name = function;
    e->args = Exprs(std::move(left), std::move(right));
    return e;
  }

  // A left-associative chain of binary operators over `operand`, each link
  // counting one level of nesting.
  template <typename OperandFn, typename OpFn>
  ExprPtr ParseChain(OperandFn operand, OpFn op_name) {
    DepthScope scope(this);
    ExprPtr lhs = operand();
    while (const char* name = op_name(Peek().kind)) {
      int32_t at = Next().offset;
      if (!Deepen(1, at)) return lhs;
      ExprPtr rhs = operand();
      lhs = Call(name, Exprs(std::move(lhs), std::move(rhs)), at);
    }
    return lhs;
  }

  ExprPtr ParseRelation() {
    return ParseChain([this] { return ParseAdditive(); },
                      [](TokenKind k) -> const char* {
                        switch (k) {
                          case TokenKind::kLt:
                            return "_<_";
                          case TokenKind::kLe:
                            return "_<=_";
                          case TokenKind::kGt:
                            return "_>_";
                          case TokenKind::kGe:
                            return "_>=_";
                          case TokenKind::kEq:
                            return "_==_";
                          case TokenKind::kNe:
                            return "_!=_";
                          case TokenKind::kIn:
                            return "@in";
                          default:
                            return nullptr;
                        }
                      });
  }

  ExprPtr ParseAdditive() {
    return ParseChain([this] { return ParseMultiplicative(); },
                      [](TokenKind k) -> const char* {
                        if (k == TokenKind::kPlus) return "_+_";
                        if (k == TokenKind::kMinus) return "_-_";
                        return nullptr;
                      });
  }

  ExprPtr ParseMultiplicative() {
    return ParseChain([this] { return ParseUnary(); },
                      [](TokenKind k) -> const char* {
                        if (k == TokenKind::kStar) return "_*_";
                        if (k == TokenKind::kSlash) return "_/_";
                        if (k == TokenKind::kPercent) return "_%_";
                        return nullptr;
                      });
  }

  // unary: member | '!'+ member | '-'+ member. A single '-' before a number
  // is part of the literal; an even run of operators cancels out.
  ExprPtr ParseUnary() {
    TokenKind k = Peek().kind;
    if (k != TokenKind::kNot && k != TokenKind::kMinus) return ParseMember();
    if (k == TokenKind::kMinus &&
        (At(TokenKind::kInt, 1) || At(TokenKind::kDouble, 1))) {
      return ParseMember();
    }
    int32_t at = Peek().offset;
    int count = 0;
    while (At(k)) {
      Next();
      ++count;
    }
    ExprPtr operand = ParseMember();
    if (count % 2 == 0) return operand;
    return Call(k == TokenKind::kNot ? "!_" : "-_", Exprs(std::move(operand)),
                at);
  }

  // member: primary followed by any number of `.f`, `.?f`, `.f(args)`,
  // `[i]`, `[?i]`.
  ExprPtr ParseMember() {
    DepthScope scope(this);
    ExprPtr e = ParsePrimary();
    while (true) {
      if (At(TokenKind::kDot)) {
        int32_t at = Next().offset;
        if (!Deepen(1, at)) return e;
        e = ParseSelectOrCall(std::move(e), at);
      } else if (At(TokenKind::kLBracket)) {
        int32_t at = Next().offset;
        if (!Deepen(1, at)) return e;
        bool optional = At(TokenKind::kQuestion);
        if (optional) {
          int32_t q = Next().offset;
          if (!options_.enable_optional_syntax) {
            Report(q, "unsupported syntax '[?'");
          }
        }
        ExprPtr index = ParseExpr();
        Expect(TokenKind::kRBracket);
        e = Call(optional ? "_[?_]" : "_[_]",
                 Exprs(std::move(e), std::move(index)), at);
      } else {
        return e;
      }
    }
  }

  // After `operand .`: a field (plain or `escaped`), `?field`, or a method.
  ExprPtr ParseSelectOrCall(ExprPtr operand, int32_t dot) {
    bool optional = false;
    if (At(TokenKind::kQuestion)) {
      int32_t q = Next().offset;
      optional = true;
      if (!options_.enable_optional_syntax) {
        Report(q, "unsupported syntax '.?'");
      }
    }
    const Token& id = Peek();
    std::string field;
    if (id.kind == TokenKind::kIdent) {
      field = std::string(id.text);
    } else if (id.kind == TokenKind::kEscIdent) {
      field = id.value;
    } else {
      return ErrorExpr(id.offset, Cat({"Syntax error: mismatched input ",
                                       Describe(id), " expecting IDENTIFIER"}));
    }
    int32_t field_at = id.offset;
    Next();
    if (optional) {
      return Call("_?._",
                  Exprs(std::move(operand),
                        factory_.NewString(std::move(field), field_at)),
                  dot);
    }
    if (id.kind == TokenKind::kIdent && At(TokenKind::kLParen)) {
      int32_t open = Next().offset;
      std::vector<ExprPtr> args = ParseArgs();
      return CallOrMacro(std::move(field), std::move(operand), std::move(args),
                         open);
    }
    return factory_.NewSelect(std::move(operand), std::move(field), dot);
  }

  // Arguments after '(' up to and including ')'.
  std::vector<ExprPtr> ParseArgs() {
    std::vector<ExprPtr> args;
    if (Accept(TokenKind::kRParen)) return args;
    do {
      args.push_back(ParseExpr());
    } while (!aborted_ && Accept(TokenKind::kComma));
    Expect(TokenKind::kRParen);
    return args;
  }

  ExprPtr ParsePrimary() {
    const Token& t = Peek();
    switch (t.kind) {
      case TokenKind::kIdent:
      case TokenKind::kDot:
        return ParseIdentCallOrMessage();
      case TokenKind::kLParen: {
        Next();
        ExprPtr e = ParseExpr();
        Expect(TokenKind::kRParen);
        return e;
      }
      case TokenKind::kLBracket:
        return ParseList();
      case TokenKind::kLBrace:
        return ParseMap();
      case TokenKind::kMinus:
        if (!At(TokenKind::kInt, 1) && !At(TokenKind::kDouble, 1)) break;
        return ParseNumber();
      case TokenKind::kInt:
      case TokenKind::kUint:
      case TokenKind::kDouble:
        return ParseNumber();
      case TokenKind::kString:
      case TokenKind::kBytes: {
        ExprPtr e = factory_.NewExpr(ExprKind::kConst, t.offset);
        e->constant.kind = t.kind == TokenKind::kString
                               ? Constant::Kind::kString
                               : Constant::Kind::kBytes;
        e->constant.string_value = t.value;
        Next();
        return e;
      }
      case TokenKind::kTrue:
      case TokenKind::kFalse: {
        ExprPtr e = factory_.NewBool(t.kind == TokenKind::kTrue, t.offset);
        Next();
        return e;
      }
      case TokenKind::kNull: {
        ExprPtr e = factory_.NewNull(t.offset);
        Next();
        return e;
      }
      default:
        break;
    }
    int32_t at = t.offset;
    std::string message = Cat(
        {"Syntax error: mismatched input ", Describe(t), " ", kExpectingExpr});
    // Skip a stray token; leave closers and EOF to the enclosing rule.
    switch (t.kind) {
      case TokenKind::kEof:
      case TokenKind::kRParen:
      case TokenKind::kRBracket:
      case TokenKind::kRBrace:
      case TokenKind::kComma:
      case TokenKind::kColon:
        break;
      default:
        Next();
    }
    return ErrorExpr(at, std::move(message));
  }

  // [sign] NUM_INT | NUM_UINT | [sign] NUM_FLOAT
  ExprPtr ParseNumber() {
    int32_t at = Peek().offset;
    bool negative = Accept(TokenKind::kMinus);
    const Token& t = Next();
    ExprPtr e = factory_.NewExpr(ExprKind::kConst, at);
    Constant& c = e->constant;
    std::string_view text = t.text;
    if (t.kind == TokenKind::kDouble) {
      std::string s = Cat({negative ? "-" : "", text});
      double v = 0;
      auto r = absl::from_chars(s.data(), s.data() + s.size(), v);
      bool overflow =
          r.ec == std::errc::result_out_of_range && std::fabs(v) > 1;
      if (r.ec == std::errc::invalid_argument || overflow || std::isinf(v)) {
        return ErrorExpr(at, "invalid double literal");
      }
      c.kind = Constant::Kind::kDouble;
      c.double_value = v;
      return e;
    }
    bool is_uint = t.kind == TokenKind::kUint;
    if (is_uint) text.remove_suffix(1);
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && text[1] == 'x') {
      base = 16;
      text.remove_prefix(2);
    }
    uint64_t magnitude = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), magnitude,
                             base);
    bool overflow = r.ec != std::errc() || r.ptr != text.data() + text.size();
    if (is_uint) {
      if (overflow) return ErrorExpr(at, "invalid uint literal");
      c.kind = Constant::Kind::kUint;
      c.uint_value = magnitude;
      return e;
    }
    constexpr uint64_t kMaxInt = static_cast<uint64_t>(INT64_MAX);
    if (overflow || magnitude > kMaxInt + (negative ? 1 : 0)) {
      return ErrorExpr(at, "invalid int literal");
    }
    c.kind = Constant::Kind::kInt;
    c.int_value = negative ? static_cast<int64_t>(0 - magnitude)
                           : static_cast<int64_t>(magnitude);
    return e;
  }

  // `.`? IDENT, `.`? IDENT '(' args ')', or `.`? IDENT ('.' IDENT)* '{' ...
  // '}'.
  ExprPtr ParseIdentCallOrMessage() {
    bool leading_dot = Accept(TokenKind::kDot);
    const Token& id = Peek();
    if (id.kind != TokenKind::kIdent) {
      int32_t at = id.offset;
      std::string message = Cat({"Syntax error: mismatched input ",
                                 Describe(id), " expecting IDENTIFIER"});
      if (id.kind != TokenKind::kEof) Next();
      return ErrorExpr(at, std::move(message));
    }
    // A message name is a dotted identifier chain directly followed by '{'.
    size_t k = 1;
    while (At(TokenKind::kDot, k) && At(TokenKind::kIdent, k + 1)) k += 2;
    if (At(TokenKind::kLBrace, k)) return ParseMessage(leading_dot);

    std::string name = Cat({leading_dot ? "." : "", id.text});
    int32_t at = id.offset;
    Next();
    if (IsReserved(id.text)) {
      return ErrorExpr(at, Cat({"reserved identifier: '", id.text, "'"}));
    }
    if (At(TokenKind::kLParen)) {
      int32_t open = Next().offset;
      std::vector<ExprPtr> args = ParseArgs();
      return CallOrMacro(std::move(name), nullptr, std::move(args), open);
    }
    return factory_.NewIdent(std::move(name), at);
  }

  ExprPtr ParseMessage(bool leading_dot) {
    std::string name = leading_dot ? "." : "";
    name.append(Next().text);
    while (Accept(TokenKind::kDot)) {
      name.push_back('.');
      name.append(Next().text);
    }
    int32_t open = Next().offset;  // '{'
    ExprPtr e = factory_.NewExpr(ExprKind::kStruct, open);
    e->name = std::move(name);
    while (!At(TokenKind::kRBrace) && !aborted_) {
      Expr::Entry entry;
      entry.optional = AcceptOptionalMarker();
      const Token& f = Peek();
      if (f.kind == TokenKind::kIdent) {
        entry.field = std::string(f.text);
      } else if (f.kind == TokenKind::kEscIdent) {
        entry.field = f.value;
      } else {
        Report(f.offset, Cat({"Syntax error: mismatched input ", Describe(f),
                              " expecting IDENTIFIER"}));
        break;
      }
      Next();
      int32_t colon = Peek().offset;
      if (!Expect(TokenKind::kColon)) break;
      entry.id = factory_.NextId(colon);
      entry.value = ParseExpr();
      e->entries.push_back(std::move(entry));
      if (!Accept(TokenKind::kComma)) break;
    }
    Expect(TokenKind::kRBrace);
    return e;
  }

  // An optional `?` before a list element, map key or message field.
  bool AcceptOptionalMarker() {
    if (!At(TokenKind::kQuestion)) return false;
    int32_t at = Next().offset;
    if (!options_.enable_optional_syntax) Report(at, "unsupported syntax '?'");
    return true;
  }

  ExprPtr ParseList() {
    int32_t open = Next().offset;
    ExprPtr e = factory_.NewExpr(ExprKind::kList, open);
    while (!At(TokenKind::kRBracket) && !aborted_) {
      if (AcceptOptionalMarker()) {
        e->optional_indices.push_back(static_cast<int32_t>(e->args.size()));
      }
      e->args.push_back(ParseExpr());
      if (!Accept(TokenKind::kComma)) break;
    }
    Expect(TokenKind::kRBracket);
    return e;
  }

  ExprPtr ParseMap() {
    int32_t open = Next().offset;
    ExprPtr e = factory_.NewExpr(ExprKind::kMap, open);
    while (!At(TokenKind::kRBrace) && !aborted_) {
      Expr::Entry entry;
      entry.optional = AcceptOptionalMarker();
      entry.key = ParseExpr();
      int32_t colon = Peek().offset;
      if (!Expect(TokenKind::kColon)) break;
      entry.id = factory_.NextId(colon);
      entry.value = ParseExpr();
      e->entries.push_back(std::move(entry));
      if (!Accept(TokenKind::kComma)) break;
    }
    Expect(TokenKind::kRBrace);
    return e;
  }

  // --- calls and macros ------------------------------------------------------

  ExprPtr Call(const char* function, std::vector<ExprPtr> args, int32_t at) {
    return factory_.NewCall(function, std::move(args), at);
  }

  ExprPtr CallOrMacro(std::string function, ExprPtr target,
                      std::vector<ExprPtr> args, int32_t at) {
    if (options_.enable_macros && !aborted_) {
      MacroOutcome m = ExpandMacro(factory_, function, target, args, at);
      switch (m.kind) {
        case MacroOutcome::Kind::kExpanded:
          return std::move(m.expr);
        case MacroOutcome::Kind::kError:
          return ErrorExpr(m.error_offset < 0 ? at : m.error_offset,
                           std::move(m.error));
        case MacroOutcome::Kind::kNotMacro:
          break;
      }
    }
    if (target) {
      return factory_.NewMemberCall(std::move(function), std::move(target),
                                    std::move(args), at);
    }
    return factory_.NewCall(std::move(function), std::move(args), at);
  }

  std::string_view text_;
  const ParseOptions& options_;
  ParseResult* result_;
  ExprFactory factory_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int32_t depth_ = 0;
  int lexer_errors_ = 0;
  bool aborted_ = false;
};

}  // namespace

ParseResult Parse(const Source& source, const ParseOptions& options) {
  ParseResult result;
  Parser(source, options, &result).Run();
  return result;
}

}  // namespace retro::cel
