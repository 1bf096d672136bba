#include "cel/checker.h"

#include <string>
#include <utility>
#include <vector>

#include "cel/library.h"
#include "cel/parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace retro::cel {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

Value Noop(EvalContext&, std::span<const Value>) { return Value::Null(); }

Type T(std::string_view text) {
  Type t;
  EXPECT_TRUE(ParseType(text, &t)) << text;
  return t;
}

// Builds trees by hand, so these tests do not depend on the parser. Every
// node's source offset is its id.
class Ast {
 public:
  ExprPtr Int(int64_t v) {
    ExprPtr e = Node(ExprKind::kConst);
    e->constant.kind = Constant::Kind::kInt;
    e->constant.int_value = v;
    return e;
  }
  ExprPtr Uint(uint64_t v) {
    ExprPtr e = Node(ExprKind::kConst);
    e->constant.kind = Constant::Kind::kUint;
    e->constant.uint_value = v;
    return e;
  }
  ExprPtr Double(double v) {
    ExprPtr e = Node(ExprKind::kConst);
    e->constant.kind = Constant::Kind::kDouble;
    e->constant.double_value = v;
    return e;
  }
  ExprPtr Str(std::string v) {
    ExprPtr e = Node(ExprKind::kConst);
    e->constant.kind = Constant::Kind::kString;
    e->constant.string_value = std::move(v);
    return e;
  }
  ExprPtr Bool(bool v) {
    ExprPtr e = Node(ExprKind::kConst);
    e->constant.kind = Constant::Kind::kBool;
    e->constant.bool_value = v;
    return e;
  }
  ExprPtr Null() { return Node(ExprKind::kConst); }
  ExprPtr Ident(std::string name) {
    ExprPtr e = Node(ExprKind::kIdent);
    e->name = std::move(name);
    return e;
  }
  ExprPtr Select(ExprPtr operand, std::string field, bool test_only = false) {
    ExprPtr e = Node(ExprKind::kSelect);
    e->operand = std::move(operand);
    e->name = std::move(field);
    e->test_only = test_only;
    return e;
  }
  template <typename... Args>
  ExprPtr Call(std::string name, Args... args) {
    ExprPtr e = Node(ExprKind::kCall);
    e->name = std::move(name);
    (e->args.push_back(std::move(args)), ...);
    return e;
  }
  template <typename... Args>
  ExprPtr Member(ExprPtr target, std::string name, Args... args) {
    ExprPtr e = Call(std::move(name), std::move(args)...);
    e->operand = std::move(target);
    return e;
  }
  template <typename... Args>
  ExprPtr List(Args... args) {
    ExprPtr e = Node(ExprKind::kList);
    (e->args.push_back(std::move(args)), ...);
    return e;
  }
  ExprPtr Map(std::vector<std::pair<ExprPtr, ExprPtr>> entries) {
    ExprPtr e = Node(ExprKind::kMap);
    for (auto& [k, v] : entries) {
      Expr::Entry entry;
      entry.id = ++next_id_;
      entry.key = std::move(k);
      entry.value = std::move(v);
      e->entries.push_back(std::move(entry));
    }
    return e;
  }
  // range.all(var, pred) as the parser expands it.
  ExprPtr All(ExprPtr range, std::string var, ExprPtr pred) {
    ExprPtr e = Node(ExprKind::kComprehension);
    e->iter_var = std::move(var);
    e->accu_var = kAccuVar;
    e->iter_range = std::move(range);
    e->accu_init = Bool(true);
    e->loop_condition = Call("@not_strictly_false", Ident(kAccuVar));
    e->loop_step = Call("_&&_", Ident(kAccuVar), std::move(pred));
    e->result = Ident(kAccuVar);
    return e;
  }
  // range.map(var, fn) as the parser expands it.
  ExprPtr MapMacro(ExprPtr range, std::string var, ExprPtr fn) {
    ExprPtr e = Node(ExprKind::kComprehension);
    e->iter_var = std::move(var);
    e->accu_var = kAccuVar;
    e->iter_range = std::move(range);
    e->accu_init = List();
    e->loop_condition = Bool(true);
    e->loop_step = Call("_+_", Ident(kAccuVar), List(std::move(fn)));
    e->result = Ident(kAccuVar);
    return e;
  }

  ParsedExpr Finish(ExprPtr root) {
    ParsedExpr p;
    p.expr = std::move(root);
    for (int64_t id = 1; id <= next_id_; ++id) {
      p.source_info.positions[id] = static_cast<int32_t>(id);
    }
    p.max_id = next_id_;
    return p;
  }

 private:
  ExprPtr Node(ExprKind kind) {
    auto e = std::make_unique<Expr>();
    e->id = ++next_id_;
    e->kind = kind;
    return e;
  }
  int64_t next_id_ = 0;
};

class CheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Add("add_int", "_+_", {"int", "int"}, "int");
    Add("add_string", "_+_", {"string", "string"}, "string");
    Add("add_list", "_+_", {"list(A)", "list(A)"}, "list(A)");
    Add("equals", "_==_", {"A", "A"}, "bool");
    Add("less_int", "_<_", {"int", "int"}, "bool");
    Add("index_list", "_[_]", {"list(A)", "int"}, "A");
    Add("index_map", "_[_]", {"map(K, V)", "K"}, "V");
    Add("size_string", "size", {"string"}, "int");
    Add("string_size", "size", {"string"}, "int", /*member=*/true);
    Add("starts_with", "startsWith", {"string", "string"}, "bool", true);
    Add("to_dyn", "dyn", {"A"}, "dyn");
    Add("optional_of", "optional.of", {"A"}, "optional_type(A)");
    Add("optional_none", "optional.none", {}, "optional_type(A)");
    Add("tuple", "tuple", {"T", "U", "V"}, "tuple(T, U, V)");
    Add("sort_tuple", "sort", {"tuple(T, T, T)"}, "tuple(T, T, T)");
    Add("max_int", "math.greatest", {"int"}, "int");
  }

  void Add(std::string id, std::string name, std::vector<std::string> params,
           std::string result, bool member = false) {
    Overload o;
    o.id = std::move(id);
    o.name = std::move(name);
    o.member = member;
    for (const std::string& p : params) o.params.push_back(T(p));
    o.result = T(result);
    o.impl = &Noop;
    ASSERT_TRUE(registry_.Register(std::move(o)).ok());
  }

  CheckResult Run(ExprPtr root, std::vector<VariableDecl> vars = {},
                  std::string container = "") {
    parsed_ = ast_.Finish(std::move(root));
    CheckOptions options;
    options.container = std::move(container);
    return Check(parsed_, vars, registry_, options);
  }

  std::string TypeOf(const CheckResult& r) {
    auto it = r.types.find(parsed_.expr->id);
    return it == r.types.end() ? "<none>" : it->second.DebugString();
  }

  Ast ast_;
  ParsedExpr parsed_;
  FunctionRegistry registry_;
};

TEST_F(CheckerTest, LiteralsHaveTheirTypes) {
  CheckResult r = Run(ast_.List(ast_.Int(1)));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "list(int)");
  r = Run(ast_.Null());
  EXPECT_EQ(TypeOf(r), "null_type");
  r = Run(ast_.Map({}));
  EXPECT_EQ(TypeOf(r), "map(dyn, dyn)");
}

TEST_F(CheckerTest, MixedLiteralsAreDyn) {
  CheckResult r = Run(ast_.List(ast_.Int(1), ast_.Str("a")));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "list(dyn)");
  std::vector<std::pair<ExprPtr, ExprPtr>> entries;
  entries.emplace_back(ast_.Uint(1), ast_.Double(1));
  entries.emplace_back(ast_.Int(2), ast_.Double(2));
  r = Run(ast_.Map(std::move(entries)));
  EXPECT_EQ(TypeOf(r), "map(dyn, double)");
}

TEST_F(CheckerTest, NestedEmptyListsUnify) {
  // [[], [[]], [[[]]]]
  CheckResult r = Run(ast_.List(ast_.List(), ast_.List(ast_.List()),
                                ast_.List(ast_.List(ast_.List()))));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "list(list(list(list(dyn))))");
}

TEST_F(CheckerTest, IndexingYieldsElementType) {
  CheckResult r =
      Run(ast_.Call("_[_]", ast_.List(ast_.Str("foo")), ast_.Int(0)));
  EXPECT_EQ(TypeOf(r), "string");
  std::vector<std::pair<ExprPtr, ExprPtr>> entries;
  entries.emplace_back(ast_.Str("abc"), ast_.Int(123));
  r = Run(ast_.Call("_[_]", ast_.Map(std::move(entries)), ast_.Str("abc")));
  EXPECT_EQ(TypeOf(r), "int");
}

TEST_F(CheckerTest, MemberCallsResolve) {
  CheckResult r =
      Run(ast_.Member(ast_.Call("_+_", ast_.Str("foo"), ast_.Str("bar")),
                      "startsWith", ast_.Str("foo")));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "bool");
}

TEST_F(CheckerTest, NamespacedFunctionThroughSelectTarget) {
  // math.greatest(1) is parsed as a member call on `math`.
  CheckResult r = Run(ast_.Member(ast_.Ident("math"), "greatest", ast_.Int(1)));
  EXPECT_TRUE(r.ok()) << r.diagnostics[0].message;
  EXPECT_EQ(TypeOf(r), "int");
}

TEST_F(CheckerTest, NoMatchingOverloadIsReported) {
  CheckResult r = Run(ast_.Call("_+_", ast_.Int(1), ast_.Str("a")));
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].message,
            "found no matching overload for '_+_' applied to '(int, string)'");
  EXPECT_EQ(r.diagnostics[0].offset, parsed_.expr->id);
}

TEST_F(CheckerTest, MemberNoMatchingOverloadShowsReceiver) {
  CheckResult r = Run(ast_.Member(ast_.Int(42), "startsWith", ast_.Str("4")));
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("'int.(string)'"));
}

TEST_F(CheckerTest, DynArgumentsPass) {
  CheckResult r =
      Run(ast_.Call("_+_", ast_.Call("dyn", ast_.Int(1)), ast_.Str("a")));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "string");
  // dyn + dyn matches several overloads with different results: dyn.
  r = Run(ast_.Call("_+_", ast_.Ident("x"), ast_.Ident("x")),
          {{"x", Type::Dyn()}});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "dyn");
}

TEST_F(CheckerTest, UndeclaredReferenceSuggestsCloseName) {
  CheckResult r = Run(ast_.Select(ast_.Ident("dta"), "x"),
                      {{"data", Type::Map(Type::String(), Type::Dyn())}});
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].message,
            "undeclared reference to 'dta' (did you mean 'data'?)");
}

TEST_F(CheckerTest, UnknownFunctionSuggestsCloseName) {
  CheckResult r = Run(ast_.Call("sise", ast_.Str("a")));
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].message,
            "undeclared reference to 'sise' (did you mean 'size'?)");
}

TEST_F(CheckerTest, ReportsEveryError) {
  CheckResult r = Run(ast_.Call("_+_", ast_.Ident("a"), ast_.Ident("b")));
  ASSERT_EQ(r.diagnostics.size(), 2u);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("'a'"));
  EXPECT_THAT(r.diagnostics[1].message, HasSubstr("'b'"));
}

TEST_F(CheckerTest, ContainerResolvesQualifiedSelectChain) {
  // container a.b, expression x.y, variable a.x.y
  ExprPtr e = ast_.Select(ast_.Ident("x"), "y");
  int64_t id = e->id;
  CheckResult r = Run(std::move(e), {{"a.x.y", Type::Bool()}}, "a.b");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "bool");
  EXPECT_THAT(r.references, UnorderedElementsAre(Pair(id, "a.x.y")));
}

TEST_F(CheckerTest, ContainerPrefersMostQualifiedName) {
  CheckResult r =
      Run(ast_.Ident("y"), {{"x.y", Type::Bool()}, {"y", Type::String()}}, "x");
  EXPECT_EQ(TypeOf(r), "bool");
  EXPECT_EQ(r.references.at(parsed_.expr->id), "x.y");
}

TEST_F(CheckerTest, LeadingDotIsAbsolute) {
  CheckResult r = Run(ast_.Ident(".y"),
                      {{"com.example.y", Type::Bool()}, {"y", Type::String()}},
                      "com.example");
  EXPECT_EQ(TypeOf(r), "string");
  EXPECT_EQ(r.references.at(parsed_.expr->id), "y");
}

TEST_F(CheckerTest, LongestQualifiedPrefixWins) {
  std::vector<VariableDecl> vars = {
      {"a.b.c", Type::String()},
      {"a.b", Type::Map(Type::String(), Type::Int())}};
  CheckResult r =
      Run(ast_.Select(ast_.Select(ast_.Ident("a"), "b"), "c"), vars);
  EXPECT_EQ(TypeOf(r), "string");
  EXPECT_EQ(r.references.at(parsed_.expr->id), "a.b.c");
}

TEST_F(CheckerTest, SelectOnQualifiedMapVariable) {
  ExprPtr ab = ast_.Select(ast_.Ident("a"), "b");
  int64_t ab_id = ab->id;
  CheckResult r = Run(ast_.Select(std::move(ab), "c"),
                      {{"a.b", Type::Map(Type::String(), Type::String())}});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "string");
  EXPECT_THAT(r.references, UnorderedElementsAre(Pair(ab_id, "a.b")));
}

TEST_F(CheckerTest, ComprehensionVariablesShadowGlobals) {
  // [{'z': 0}].all(y, y.z == 0) with a global y.z of type string.
  std::vector<std::pair<ExprPtr, ExprPtr>> entries;
  entries.emplace_back(ast_.Str("z"), ast_.Int(0));
  ExprPtr range = ast_.List(ast_.Map(std::move(entries)));
  ExprPtr pred =
      ast_.Call("_==_", ast_.Select(ast_.Ident("y"), "z"), ast_.Int(0));
  CheckResult r = Run(ast_.All(std::move(range), "y", std::move(pred)),
                      {{"y.z", Type::String()}});
  EXPECT_TRUE(r.ok()) << r.diagnostics[0].message;
  EXPECT_EQ(TypeOf(r), "bool");
  EXPECT_TRUE(r.references.empty());
}

TEST_F(CheckerTest, DynComprehensionElementsPass) {
  // [1, 'foo'].all(e, e < 2): e is dyn, resolved at run time.
  ExprPtr range = ast_.List(ast_.Int(1), ast_.Str("foo"));
  ExprPtr pred = ast_.Call("_<_", ast_.Ident("e"), ast_.Int(2));
  CheckResult r = Run(ast_.All(std::move(range), "e", std::move(pred)));
  EXPECT_TRUE(r.ok());
}

TEST_F(CheckerTest, UnconstrainedTypeVariableBecomesDyn) {
  // ([].map(x, x))[0].foo
  ExprPtr m = ast_.MapMacro(ast_.List(), "x", ast_.Ident("x"));
  CheckResult r =
      Run(ast_.Select(ast_.Call("_[_]", std::move(m), ast_.Int(0)), "foo"));
  EXPECT_TRUE(r.ok()) << r.diagnostics[0].message;
  EXPECT_EQ(TypeOf(r), "dyn");
}

TEST_F(CheckerTest, MapMacroInfersElementType) {
  ExprPtr m = ast_.MapMacro(ast_.List(ast_.Int(1)), "x",
                            ast_.Call("_+_", ast_.Ident("x"), ast_.Int(1)));
  CheckResult r = Run(std::move(m));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "list(int)");
}

TEST_F(CheckerTest, OptionalNoneJoinsWithOptionalOf) {
  CheckResult r =
      Run(ast_.List(ast_.Member(ast_.Ident("optional"), "none"),
                    ast_.Member(ast_.Ident("optional"), "of", ast_.Int(1))));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "list(optional_type(int))");
}

TEST_F(CheckerTest, OptionalDynPromotion) {
  auto of = [&](ExprPtr arg) {
    return ast_.Member(ast_.Ident("optional"), "of", std::move(arg));
  };
  CheckResult r =
      Run(ast_.List(of(ast_.Int(1)), of(ast_.Call("dyn", ast_.Int(1)))));
  EXPECT_EQ(TypeOf(r), "list(optional_type(dyn))");
  r = Run(ast_.Call("_?_:_", ast_.Bool(true), of(ast_.Call("dyn", ast_.Int(1))),
                    of(ast_.Int(1))));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "optional_type(dyn)");
}

TEST_F(CheckerTest, NullJoinsIntoNullableType) {
  CheckResult r = Run(ast_.Call(
      "_[_]",
      ast_.List(ast_.Member(ast_.Ident("optional"), "of", ast_.Int(1)),
                ast_.Null()),
      ast_.Int(0)));
  EXPECT_EQ(TypeOf(r), "optional_type(int)");
}

TEST_F(CheckerTest, TypeParametersWidenToDyn) {
  auto tuple = [&](ExprPtr a, ExprPtr b, ExprPtr c) {
    return ast_.Call("tuple", std::move(a), std::move(b), std::move(c));
  };
  auto dyn = [&](ExprPtr a) { return ast_.Call("dyn", std::move(a)); };
  CheckResult r =
      Run(ast_.Call("_[_]",
                    ast_.List(tuple(ast_.Int(1), ast_.Uint(2), ast_.Double(3)),
                              tuple(dyn(ast_.Int(1)), dyn(ast_.Uint(2)),
                                    dyn(ast_.Double(3)))),
                    ast_.Int(0)));
  EXPECT_EQ(TypeOf(r), "tuple(dyn, dyn, dyn)");
  r = Run(
      ast_.Call("sort", tuple(dyn(ast_.Int(1)), ast_.Uint(2), ast_.Double(3))));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "tuple(dyn, dyn, dyn)");
}

TEST_F(CheckerTest, ConditionalRequiresAgreeingBranches) {
  CheckResult r =
      Run(ast_.Call("_?_:_", ast_.Bool(true), ast_.Str("cows"), ast_.Int(17)));
  EXPECT_FALSE(r.ok());
  r = Run(ast_.Call("_?_:_", ast_.Str("x"), ast_.Int(1), ast_.Int(17)));
  EXPECT_FALSE(r.ok());
}

TEST_F(CheckerTest, LogicalOperatorsNeedBool) {
  CheckResult r = Run(ast_.Call("_&&_", ast_.Str("horses"), ast_.Bool(false)));
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].message,
            "expected type 'bool' but found 'string'");
  r = Run(ast_.Call("_||_", ast_.Call("dyn", ast_.Int(1)), ast_.Bool(false)));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "bool");
}

TEST_F(CheckerTest, FieldSelectionOnScalarIsAnError) {
  CheckResult r =
      Run(ast_.Select(ast_.Ident("a"), "pancakes"), {{"a", Type::Int()}});
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].message,
            "type 'int' does not support field selection");
}

TEST_F(CheckerTest, HasIsBool) {
  CheckResult r = Run(ast_.Select(ast_.Ident("m"), "k", /*test_only=*/true),
                      {{"m", Type::Map(Type::String(), Type::Int())}});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "bool");
}

TEST_F(CheckerTest, OptionalSelectWrapsFieldType) {
  CheckResult r = Run(ast_.Call("_?._", ast_.Ident("m"), ast_.Str("k")),
                      {{"m", Type::Map(Type::String(), Type::Int())}});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "optional_type(int)");
  // Selecting through an optional keeps it optional.
  r = Run(ast_.Select(
              ast_.Member(ast_.Ident("optional"), "of", ast_.Ident("m")), "k"),
          {{"m", Type::Map(Type::String(), Type::Int())}});
  EXPECT_EQ(TypeOf(r), "optional_type(int)");
}

TEST_F(CheckerTest, TypeIdentifiersDenoteTypes) {
  CheckResult r = Run(ast_.Ident("int"));
  EXPECT_EQ(TypeOf(r), "type(int)");
  r = Run(
      ast_.Select(ast_.Select(ast_.Ident("google"), "protobuf"), "Timestamp"));
  EXPECT_EQ(TypeOf(r), "type(google.protobuf.Timestamp)");
  r = Run(ast_.Call("_==_", ast_.Ident("int"), ast_.Ident("uint")));
  EXPECT_TRUE(r.ok());
  // Type identifiers are not variables: no references.
  EXPECT_TRUE(r.references.empty());
}

TEST_F(CheckerTest, SuggestsNamesRelativeToContainer) {
  CheckResult r = Run(ast_.Ident("dta"), {{"com.example.data", Type::Int()}},
                      "com.example");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("(did you mean 'data'?)"));
}

TEST_F(CheckerTest, BlockIndicesTakeBindingTypes) {
  // cel.@block([1, @index0 + 1], @index1 + @index0)
  ExprPtr bindings = ast_.List(
      ast_.Int(1), ast_.Call("_+_", ast_.Ident("@index0"), ast_.Int(1)));
  ExprPtr body = ast_.Call("_+_", ast_.Ident("@index1"), ast_.Ident("@index0"));
  CheckResult r =
      Run(ast_.Call("cel.@block", std::move(bindings), std::move(body)));
  EXPECT_TRUE(r.ok()) << r.diagnostics[0].message;
  EXPECT_EQ(TypeOf(r), "int");
}

TEST_F(CheckerTest, BlockIndexMayNotReferToLaterBinding) {
  ExprPtr bindings = ast_.List(ast_.Ident("@index1"), ast_.Int(1));
  CheckResult r =
      Run(ast_.Call("cel.@block", std::move(bindings), ast_.Ident("@index0")));
  EXPECT_FALSE(r.ok());
}

TEST_F(CheckerTest, OptionalListElementMustBeOptional) {
  ExprPtr list = ast_.List(ast_.Int(1));
  list->optional_indices.push_back(0);
  CheckResult r = Run(std::move(list));
  EXPECT_FALSE(r.ok());
  list = ast_.List(ast_.Member(ast_.Ident("optional"), "of", ast_.Int(1)));
  list->optional_indices.push_back(0);
  r = Run(std::move(list));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(TypeOf(r), "list(int)");
}

TEST_F(CheckerTest, ComprehensionRangeMustBeIterable) {
  CheckResult r = Run(ast_.All(ast_.Int(3), "x", ast_.Bool(true)));
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("cannot be the range"));
}

// --- Against the parser and the real libraries ------------------------------

class CheckerLibraryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(RegisterAllLibraries(registry_).ok()); }

  CheckResult Run(std::string_view text, std::vector<VariableDecl> vars = {},
                  std::string container = "") {
    Source source{std::string(text)};
    ParseResult parsed = Parse(source);
    EXPECT_TRUE(parsed.ok()) << FormatDiagnostics(source, parsed.diagnostics);
    parsed_ = std::move(parsed.parsed);
    CheckOptions options;
    options.container = std::move(container);
    return Check(parsed_, vars, registry_, options);
  }

  std::string TypeOf(std::string_view text,
                     std::vector<VariableDecl> vars = {}) {
    CheckResult r = Run(text, std::move(vars));
    std::string out;
    for (const Diagnostic& d : r.diagnostics)
      out += "ERROR: " + d.message + "\n";
    auto it = r.types.find(parsed_.expr->id);
    return out + (it == r.types.end() ? "<none>" : it->second.DebugString());
  }

  FunctionRegistry registry_;
  ParsedExpr parsed_;
};

TEST_F(CheckerLibraryTest, DeducesTypes) {
  EXPECT_EQ(TypeOf("[optional.none(), optional.of(1)]"),
            "list(optional_type(int))");
}

TEST_F(CheckerLibraryTest, DeducesStandardTypes) {
  EXPECT_EQ(TypeOf("('foo' + 'bar').startsWith('foo')"), "bool");
  EXPECT_EQ(TypeOf("{'abc': 123}['abc']"), "int");
  EXPECT_EQ(TypeOf("[1, 2].map(x, x * 2)"), "list(int)");
  EXPECT_EQ(TypeOf("[1, 2].filter(x, x > 1)"), "list(int)");
  EXPECT_EQ(TypeOf("{'a': 1}.transformMap(k, v, v + 1)"), "map(string, int)");
  EXPECT_EQ(TypeOf("cel.bind(x, 'a', x + x)"), "string");
  EXPECT_EQ(TypeOf("cel.block([1, cel.index(0) + 1], cel.index(1))"), "int");
  EXPECT_EQ(TypeOf("type(1) == int"), "bool");
  EXPECT_EQ(TypeOf("timestamp('2020-01-01T00:00:00Z') - duration('1s')"),
            "google.protobuf.Timestamp");
  EXPECT_EQ(TypeOf("optional.of(1).orValue(2)"), "int");
  EXPECT_EQ(TypeOf("{'k': 1}[?'k']"), "optional_type(int)");
  EXPECT_EQ(TypeOf("[?optional.of(1), 2]"), "list(int)");
}

TEST_F(CheckerLibraryTest, DynamicExpressionsPass) {
  std::vector<VariableDecl> vars = {{"data", Type::Dyn()}};
  for (std::string_view expr : {
           "data.verb == 'create' && data.user.startsWith('admin')",
           "data.count + 1 > 2",
           "data.items.exists(i, i.size > 10u)",
           "data.items.all(k, v, v != null)",
           "size(data) > 0 ? data[0] : data.default",
           "data.tags.map(t, t + '!')",
           "has(data.a.b) || data.c in [1, 'x', 2.0]",
           "int(data.x) + 1",
           "[1, 'foo', 3].all(e, e % 2 == 1)",
           "dyn(1) == 1u",
           "data.?a.orValue(1)",
       }) {
    CheckResult r = Run(expr, vars);
    EXPECT_TRUE(r.ok()) << expr << ": " << r.diagnostics[0].message;
  }
}

TEST_F(CheckerLibraryTest, StaticErrorsAreReported) {
  std::vector<VariableDecl> vars = {{"data", Type::Dyn()}, {"n", Type::Int()}};
  EXPECT_EQ(TypeOf("1 + 'a'"),
            "ERROR: found no matching overload for '_+_' applied to "
            "'(int, string)'\nerror");
  CheckResult r = Run("1 + dta.x", vars);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].message,
            "undeclared reference to 'dta' (did you mean 'data'?)");
  EXPECT_EQ(r.diagnostics[0].offset, 4);
  r = Run("isIP(cidr('192.168.0.0/24'))");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].message,
            "found no matching overload for 'isIP' applied to '(net.CIDR)'");
  r = Run("n.size() + (n && true)", vars);
  EXPECT_EQ(r.diagnostics.size(), 2u);
  r = Run("math.greates(1, 2)");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].message,
            "undeclared reference to 'math.greates' (did you mean "
            "'math.greatest'?)");
  r = Run("dat.size()", vars);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].message,
            "undeclared reference to 'dat' (did you mean 'data'?)");
  r = Run("'abc'.sise()");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("did you mean 'size'"));
}

}  // namespace
}  // namespace retro::cel
