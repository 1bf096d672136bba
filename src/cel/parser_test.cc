// Parser stage; see parser.h.
#include "cel/parser.h"

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace retro::cel {
namespace {

// A compact rendering of a tree, close to cel-go's debug form:
// calls as `name(args)`, receiver calls as `target.name(args)`, presence
// tests as `has(x.f)`, comprehensions spelled out.
std::string Render(const Expr* e);

std::string RenderList(const std::vector<ExprPtr>& items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += ", ";
    s += Render(items[i].get());
  }
  return s;
}

std::string Render(const Expr* e) {
  if (e == nullptr) return "<null>";
  switch (e->kind) {
    case ExprKind::kConst: {
      const Constant& c = e->constant;
      switch (c.kind) {
        case Constant::Kind::kNull:
          return "null";
        case Constant::Kind::kBool:
          return c.bool_value ? "true" : "false";
        case Constant::Kind::kInt:
          return std::to_string(c.int_value);
        case Constant::Kind::kUint:
          return std::to_string(c.uint_value) + "u";
        case Constant::Kind::kDouble: {
          char buf[64];
          std::snprintf(buf, sizeof(buf), "%gd", c.double_value);
          return buf;
        }
        case Constant::Kind::kString:
          return "\"" + c.string_value + "\"";
        case Constant::Kind::kBytes:
          return "b\"" + c.string_value + "\"";
      }
      return "?";
    }
    case ExprKind::kIdent:
      return e->name;
    case ExprKind::kSelect:
      if (e->test_only)
        return "has(" + Render(e->operand.get()) + "." + e->name + ")";
      return Render(e->operand.get()) + "." + e->name;
    case ExprKind::kCall: {
      std::string target = e->operand ? Render(e->operand.get()) + "." : "";
      return target + e->name + "(" + RenderList(e->args) + ")";
    }
    case ExprKind::kList: {
      std::string s = "[";
      for (size_t i = 0; i < e->args.size(); ++i) {
        if (i > 0) s += ", ";
        for (int32_t o : e->optional_indices) {
          if (o == static_cast<int32_t>(i)) s += "?";
        }
        s += Render(e->args[i].get());
      }
      return s + "]";
    }
    case ExprKind::kMap:
    case ExprKind::kStruct: {
      std::string s = e->name + "{";
      for (size_t i = 0; i < e->entries.size(); ++i) {
        const Expr::Entry& en = e->entries[i];
        if (i > 0) s += ", ";
        if (en.optional) s += "?";
        s += en.key ? Render(en.key.get()) : en.field;
        s += ": " + Render(en.value.get());
      }
      return s + "}";
    }
    case ExprKind::kComprehension: {
      std::string vars = e->iter_var;
      if (!e->iter_var2.empty()) vars += "," + e->iter_var2;
      return "fold(" + vars + " in " + Render(e->iter_range.get()) + "; " +
             e->accu_var + " = " + Render(e->accu_init.get()) + "; while " +
             Render(e->loop_condition.get()) + "; step " +
             Render(e->loop_step.get()) + "; result " +
             Render(e->result.get()) + ")";
    }
  }
  return "?";
}

ParseResult ParseText(const std::string& text, ParseOptions options = {}) {
  return Parse(Source(text), options);
}

// The rendered tree, or the diagnostics when parsing failed.
std::string Parsed(const std::string& text, ParseOptions options = {}) {
  Source source(text);
  ParseResult r = Parse(source, options);
  if (!r.ok()) return "ERROR: " + FormatDiagnostics(source, r.diagnostics);
  return Render(r.parsed.expr.get());
}

// The first diagnostic's message ("" when the parse succeeded).
std::string FirstError(const std::string& text, ParseOptions options = {}) {
  ParseResult r = ParseText(text, options);
  return r.ok() ? "" : r.diagnostics[0].message;
}

void Walk(const Expr* e, const std::function<void(const Expr&)>& fn) {
  if (e == nullptr) return;
  fn(*e);
  Walk(e->operand.get(), fn);
  for (const ExprPtr& a : e->args) Walk(a.get(), fn);
  for (const Expr::Entry& en : e->entries) {
    Walk(en.key.get(), fn);
    Walk(en.value.get(), fn);
  }
  Walk(e->iter_range.get(), fn);
  Walk(e->accu_init.get(), fn);
  Walk(e->loop_condition.get(), fn);
  Walk(e->loop_step.get(), fn);
  Walk(e->result.get(), fn);
}

// --- grammar -----------------------------------------------------------------

TEST(ParserTest, AppliesOperatorPrecedence) {
  EXPECT_EQ(Parsed("a || b && c == d + e * f"),
            "_||_(a, _&&_(b, _==_(c, _+_(d, _*_(e, f)))))");
  EXPECT_EQ(Parsed("a < b == c"), "_==_(_<_(a, b), c)");
  EXPECT_EQ(Parsed("1 - 2 - 3"), "_-_(_-_(1, 2), 3)");
  EXPECT_EQ(Parsed("a / b % c"), "_%_(_/_(a, b), c)");
  EXPECT_EQ(Parsed("x in [1] && !y"), "_&&_(@in(x, [1]), !_(y))");
  EXPECT_EQ(Parsed("a ? b : c ? d : e"), "_?_:_(a, b, _?_:_(c, d, e))");
  EXPECT_EQ(Parsed("-a.b"), "-_(a.b)");
  EXPECT_EQ(Parsed("(a + b) * c"), "_*_(_+_(a, b), c)");
  EXPECT_EQ(Parsed("a <= b != c >= d > e"),
            "_>_(_>=_(_!=_(_<=_(a, b), c), d), e)");
}

TEST(ParserTest, BuildsBalancedLogicalTrees) {
  EXPECT_EQ(Parsed("a || b || c || d"), "_||_(_||_(a, b), _||_(c, d))");
  EXPECT_EQ(Parsed("a && b && c"), "_&&_(_&&_(a, b), c)");
}

TEST(ParserTest, FoldsMinusIntoNumericLiterals) {
  EXPECT_EQ(Parsed("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(Parsed("-1.5"), "-1.5d");
  EXPECT_EQ(Parsed("-0x10"), "-16");
  EXPECT_EQ(Parsed("-1u"), "-_(1u)");
  EXPECT_EQ(Parsed("1 - -2"), "_-_(1, -2)");
  EXPECT_EQ(Parsed("-x"), "-_(x)");
}

TEST(ParserTest, CancelsPairsOfUnaryOperators) {
  EXPECT_EQ(Parsed("--19"), "19");
  EXPECT_EQ(Parsed("---x"), "-_(x)");
  EXPECT_EQ(Parsed("!!true"), "true");
  EXPECT_EQ(Parsed("!!!x"), "!_(x)");
  EXPECT_EQ(Parsed("!-1"), "!_(-1)");
}

TEST(ParserTest, ParsesMembersCallsAndIndexes) {
  EXPECT_EQ(Parsed("a.b.c"), "a.b.c");
  EXPECT_EQ(Parsed("f(x, y)"), "f(x, y)");
  EXPECT_EQ(Parsed("x.f(y).g()"), "x.f(y).g()");
  EXPECT_EQ(Parsed("a[0][b]"), "_[_](_[_](a, 0), b)");
  EXPECT_EQ(Parsed(".x.y"), ".x.y");
  EXPECT_EQ(Parsed(".f(1)"), ".f(1)");
  EXPECT_EQ(Parsed("a.`b-c`.`d.e`"), "a.b-c.d.e");
}

TEST(ParserTest, ParsesAggregateLiterals) {
  EXPECT_EQ(Parsed("[]"), "[]");
  EXPECT_EQ(Parsed("[1, 2,]"), "[1, 2]");
  EXPECT_EQ(Parsed("{}"), "{}");
  EXPECT_EQ(Parsed("{'a': 1, 2: b,}"), "{\"a\": 1, 2: b}");
  EXPECT_EQ(Parsed("a.b.Msg{f: 1, `g.h`: 2,}"), "a.b.Msg{f: 1, g.h: 2}");
  EXPECT_EQ(Parsed(".pkg.Msg{}"), ".pkg.Msg{}");
}

TEST(ParserTest, RejectsTrailingCommaInCalls) {
  EXPECT_NE(FirstError("f(1,)"), "");
}

TEST(ParserTest, ParsesOptionalSyntax) {
  EXPECT_EQ(Parsed("a.?b"), "_?._(a, \"b\")");
  EXPECT_EQ(Parsed("a[?0]"), "_[?_](a, 0)");
  EXPECT_EQ(Parsed("[1, ?a, ?b]"), "[1, ?a, ?b]");
  EXPECT_EQ(Parsed("{?'k': v}"), "{?\"k\": v}");
  EXPECT_EQ(Parsed("Msg{?f: v}"), "Msg{?f: v}");
}

TEST(ParserTest, RejectsOptionalSyntaxWhenDisabled) {
  ParseOptions options;
  options.enable_optional_syntax = false;
  EXPECT_EQ(FirstError("a.?b", options), "unsupported syntax '.?'");
  EXPECT_EQ(FirstError("a[?b]", options), "unsupported syntax '[?'");
  EXPECT_EQ(FirstError("[?a]", options), "unsupported syntax '?'");
}

TEST(ParserTest, AllowsReservedWordsAsFieldsAndMethods) {
  EXPECT_EQ(Parsed("a.if"), "a.if");
  EXPECT_EQ(Parsed("a.while()"), "a.while()");
  EXPECT_EQ(Parsed("Msg{package: 1}"), "Msg{package: 1}");
}

TEST(ParserTest, ReportsReservedIdentifierWithLocation) {
  Source source("1 + if");
  ParseResult r = Parse(source);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].offset, 4);
  EXPECT_EQ(r.diagnostics[0].message, "reserved identifier: 'if'");
  EXPECT_NE(FormatDiagnostic(source, r.diagnostics[0]).find("1:5"),
            std::string::npos);
}

// --- literals ----------------------------------------------------------------

TEST(ParserTest, ParsesNumericLiterals) {
  EXPECT_EQ(Parsed("0x1F"), "31");
  EXPECT_EQ(Parsed("18446744073709551615u"), "18446744073709551615u");
  EXPECT_EQ(Parsed("0xFFU"), "255u");
  EXPECT_EQ(Parsed("1e3"), "1000d");
  EXPECT_EQ(Parsed(".5"), "0.5d");
  EXPECT_EQ(Parsed("2.5E-1"), "0.25d");
}

TEST(ParserTest, ReportsNumericOverflow) {
  EXPECT_EQ(FirstError("9223372036854775808"), "invalid int literal");
  EXPECT_EQ(FirstError("-9223372036854775809"), "invalid int literal");
  EXPECT_EQ(FirstError("18446744073709551616u"), "invalid uint literal");
  EXPECT_EQ(FirstError("1e400"), "invalid double literal");
}

TEST(ParserTest, DecodesStringEscapes) {
  EXPECT_EQ(Parsed(R"('\a\b\f\n\r\t\v\\\'\"\`\?')"),
            "\"\a\b\f\n\r\t\v\\'\"`?\"");
  EXPECT_EQ(Parsed(R"("\x41\101\u00e9\U0001F600")"),
            "\"AA\xC3\xA9\xF0\x9F\x98\x80\"");
  // In strings \xFF and \377 are the code point U+00FF.
  EXPECT_EQ(Parsed(R"('\xFF\377')"), "\"\xC3\xBF\xC3\xBF\"");
  EXPECT_EQ(Parsed("'''a\nb'''"), "\"a\nb\"");
  EXPECT_EQ(Parsed(R"(r'\n\x')"), R"("\n\x")");
  EXPECT_EQ(Parsed("\"\"\"x\"y\"\"\""), "\"x\"y\"");
}

TEST(ParserTest, DecodesBytesEscapesAsRawBytes) {
  EXPECT_EQ(Parsed(R"(b'\xFF\377a')"),
            "b\"\xFF\xFF"
            "a\"");
  EXPECT_EQ(Parsed(R"(bR'\xFF')"), R"(b"\xFF")");
  EXPECT_EQ(Parsed("b'\xC3\xA9'"), "b\"\xC3\xA9\"");
}

TEST(ParserTest, RejectsInvalidEscapes) {
  EXPECT_EQ(FirstError(R"('\q')"),
            "Syntax error: invalid escape sequence '\\q'");
  EXPECT_NE(FirstError(R"('\uD800')").find("invalid unicode code point"),
            std::string::npos);
  EXPECT_NE(FirstError(R"('\U00110000')"), "");
  EXPECT_NE(FirstError(R"('\12')"), "");
  EXPECT_NE(FirstError(R"(b'\u0041')").find("bytes"), std::string::npos);
  EXPECT_EQ(FirstError("'abc"), "Syntax error: unterminated string literal");
  EXPECT_NE(FirstError("'a\nb'"), "");
}

// --- diagnostics
// ---------------------------------------------------------------

TEST(ParserTest, ReportsUnrecognizedCharacter) {
  ParseResult r = ParseText("a # b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics[0].offset, 2);
  EXPECT_EQ(r.diagnostics[0].message,
            "Syntax error: token recognition error at: '#'");
}

TEST(ParserTest, ReportsMismatchedInputWithLocation) {
  ParseResult r = ParseText("f(1, )");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics[0].offset, 5);
  EXPECT_EQ(r.diagnostics[0].message.rfind(
                "Syntax error: mismatched input ')' expecting", 0),
            0u);
  EXPECT_EQ(FirstError("(1"),
            "Syntax error: mismatched input '<EOF>' expecting ')'");
  EXPECT_EQ(FirstError("1 2"),
            "Syntax error: extraneous input '2' expecting <EOF>");
}

TEST(ParserTest, RecoversToReportSeveralErrors) {
  ParseResult r = ParseText("f(1,) + g(,) + if");
  EXPECT_GE(r.diagnostics.size(), 3u);
  for (size_t i = 1; i < r.diagnostics.size(); ++i) {
    EXPECT_LE(r.diagnostics[i - 1].offset, r.diagnostics[i].offset);
  }
}

// --- ids and positions
// -----------------------------------------------------------

TEST(ParserTest, AssignsUniqueIdsAndPositionsToEveryNode) {
  ParseResult r =
      ParseText("a.b + [1, {'k': x}].exists(y, y > f(z)) ? m{f: 1} : 2");
  ASSERT_TRUE(r.ok());
  absl::flat_hash_set<int64_t> ids;
  Walk(r.parsed.expr.get(), [&](const Expr& e) {
    EXPECT_TRUE(ids.insert(e.id).second) << "duplicate id " << e.id;
    EXPECT_TRUE(r.parsed.source_info.positions.contains(e.id));
    EXPECT_LE(e.id, r.parsed.max_id);
    for (const Expr::Entry& en : e.entries) {
      EXPECT_TRUE(ids.insert(en.id).second);
      EXPECT_TRUE(r.parsed.source_info.positions.contains(en.id));
    }
  });
}

TEST(ParserTest, PositionsNodesAtTheirIdentifyingToken) {
  ParseResult r = ParseText("aa + bb.cc(dd)[0]");
  ASSERT_TRUE(r.ok());
  const auto& pos = r.parsed.source_info.positions;
  const Expr& add = *r.parsed.expr;
  EXPECT_EQ(pos.at(add.id), 3);  // '+'
  EXPECT_EQ(pos.at(add.args[0]->id), 0);
  const Expr& index = *add.args[1];
  EXPECT_EQ(pos.at(index.id), 14);  // '['
  const Expr& call = *index.args[0];
  EXPECT_EQ(pos.at(call.id), 10);  // '('
  EXPECT_EQ(pos.at(call.operand->id), 5);
}

// --- macros
// ------------------------------------------------------------------------

TEST(ParserTest, ExpandsHas) {
  EXPECT_EQ(Parsed("has(a.b.c)"), "has(a.b.c)");
  EXPECT_EQ(FirstError("has(a)"), "invalid argument to has() macro");
}

TEST(ParserTest, ExpandsQuantifiers) {
  EXPECT_EQ(Parsed("l.all(x, p)"),
            "fold(x in l; @result = true; while @not_strictly_false(@result); "
            "step _&&_(@result, p); result @result)");
  EXPECT_EQ(Parsed("l.exists(x, p)"),
            "fold(x in l; @result = false; while "
            "@not_strictly_false(!_(@result)); step _||_(@result, p); result "
            "@result)");
  const std::string exists_one =
      "fold(x in l; @result = 0; while true; step _?_:_(p, _+_(@result, 1), "
      "@result); result _==_(@result, 1))";
  EXPECT_EQ(Parsed("l.exists_one(x, p)"), exists_one);
  EXPECT_EQ(Parsed("l.existsOne(x, p)"), exists_one);
}

TEST(ParserTest, ExpandsMapAndFilter) {
  EXPECT_EQ(Parsed("l.map(x, t)"),
            "fold(x in l; @result = []; while true; step _+_(@result, [t]); "
            "result @result)");
  EXPECT_EQ(Parsed("l.map(x, p, t)"),
            "fold(x in l; @result = []; while true; step _?_:_(p, "
            "_+_(@result, [t]), @result); result @result)");
  EXPECT_EQ(Parsed("l.filter(x, p)"),
            "fold(x in l; @result = []; while true; step _?_:_(p, "
            "_+_(@result, [x]), @result); result @result)");
}

TEST(ParserTest, ExpandsTwoVariableMacros) {
  EXPECT_EQ(Parsed("m.all(k, v, p)"),
            "fold(k,v in m; @result = true; while "
            "@not_strictly_false(@result); step _&&_(@result, p); result "
            "@result)");
  EXPECT_EQ(
      Parsed("m.existsOne(k, v, p)").rfind("fold(k,v in m; @result = 0", 0),
      0u);
  EXPECT_EQ(Parsed("l.transformList(i, v, p, t)"),
            "fold(i,v in l; @result = []; while true; step _?_:_(p, "
            "_+_(@result, [t]), @result); result @result)");
  EXPECT_EQ(Parsed("m.transformMap(k, v, t)"),
            "fold(k,v in m; @result = {}; while true; step "
            "cel.@mapInsert(@result, k, t); result @result)");
  EXPECT_EQ(Parsed("m.transformMapEntry(k, v, p, e)"),
            "fold(k,v in m; @result = {}; while true; step _?_:_(p, "
            "cel.@mapInsert(@result, e), @result); result @result)");
}

TEST(ParserTest, RejectsMalformedIterationVariables) {
  EXPECT_EQ(FirstError("l.all(x.y, p)"), "argument must be a simple name");
  EXPECT_EQ(FirstError("l.map(1, t)"), "argument is not an identifier");
  EXPECT_EQ(FirstError("m.exists(k, k, p)"), "duplicate variable name: k");
  ParseResult r = ParseText("l.all(x.y, p)");
  EXPECT_EQ(r.diagnostics[0].offset, 7);  // the '.' of x.y
}

TEST(ParserTest, ExpandsBindingsAndBlocks) {
  EXPECT_EQ(Parsed("cel.bind(x, 1, x + x)"),
            "fold(#unused in []; x = 1; while false; step x; result _+_(x, "
            "x))");
  EXPECT_EQ(Parsed("cel.block([1, cel.index(0) + 1], cel.index(1))"),
            "cel.@block([1, _+_(@index0, 1)], @index1)");
  EXPECT_EQ(Parsed("[1].exists(cel.iterVar(0, 1), cel.accuVar(2, 3))"),
            "fold(@it:0:1 in [1]; @result = false; while "
            "@not_strictly_false(!_(@result)); step _||_(@result, @ac:2:3); "
            "result @result)");
  EXPECT_EQ(Parsed("x.bind(a, b, c)"), "x.bind(a, b, c)");
  EXPECT_NE(FirstError("cel.block(1, 2)"), "");
  EXPECT_NE(FirstError("cel.index(-1)"), "");
}

TEST(ParserTest, ExpandsOptionalMacros) {
  EXPECT_EQ(Parsed("o.optMap(v, v + 1)"),
            "_?_:_(o.hasValue(), optional.of(fold(#unused in []; v = "
            "o.value(); while false; step v; result _+_(v, 1))), "
            "optional.none())");
  EXPECT_EQ(Parsed("o.optFlatMap(v, f(v))"),
            "_?_:_(o.hasValue(), fold(#unused in []; v = o.value(); while "
            "false; step v; result f(v)), optional.none())");
}

TEST(ParserTest, LeavesMacroCallsAloneWhenDisabled) {
  ParseOptions options;
  options.enable_macros = false;
  EXPECT_EQ(Parsed("has(a.b) && l.all(x, p)", options),
            "_&&_(has(a.b), l.all(x, p))");
}

// --- limits
// ----------------------------------------------------------------------

TEST(ParserTest, SurvivesDeepNestingWithADiagnostic) {
  for (const std::string prefix :
       {"(", "[", "{1:", "a[", "f(", "x.f(", "1+", "a?b:", "-", "!"}) {
    std::string text;
    for (int i = 0; i < 10000; ++i) text += prefix;
    text += "1";
    ParseResult r = ParseText(text);
    if (prefix == "-" || prefix == "!") {
      EXPECT_TRUE(r.ok()) << prefix;  // runs of unary operators collapse
    } else {
      ASSERT_FALSE(r.ok()) << prefix;
      EXPECT_NE(r.diagnostics[0].message.find("nesting exceeds limit"),
                std::string::npos)
          << prefix;
    }
  }
  std::string select = "x";
  for (int i = 0; i < 10000; ++i) select += ".a";
  EXPECT_NE(FirstError(select).find("nesting exceeds limit of 250"),
            std::string::npos);
}

TEST(ParserTest, AcceptsNestingUpToTheLimit) {
  ParseOptions options;
  options.max_nesting_depth = 40;
  std::string text = std::string(30, '(') + "1" + std::string(30, ')');
  EXPECT_TRUE(ParseText(text, options).ok());
  text = std::string(50, '(') + "1" + std::string(50, ')');
  EXPECT_FALSE(ParseText(text, options).ok());
}

TEST(ParserTest, EnforcesExpressionSizeLimit) {
  ParseOptions options;
  options.max_expression_bytes = 10;
  EXPECT_NE(FirstError("1 + 2 + 3 + 4", options).find("size exceeds limit"),
            std::string::npos);
  EXPECT_TRUE(ParseText("1 + 2", options).ok());
}

TEST(ParserTest, BalancesLongLogicalChainsWithoutDeepTrees) {
  std::string text = "a";
  for (int i = 0; i < 5000; ++i) text += " || a";
  EXPECT_TRUE(ParseText(text).ok());
}

}  // namespace
}  // namespace retro::cel
