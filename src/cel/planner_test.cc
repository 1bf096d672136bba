#include <thread>

#include "cel/cel.h"
#include "cel/json.h"
#include "gtest/gtest.h"

namespace retro::cel {
namespace {

class PlannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = Env::Create();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::move(env).value();
    ASSERT_TRUE(env_->DeclareVariable("x", Type::Dyn()).ok());
    ASSERT_TRUE(env_->DeclareVariable("a.b.c", Type::Dyn()).ok());
  }

  // Evaluates `expr` unchecked with x bound to `x_json`; returns DebugString.
  std::string Eval(std::string_view expr, std::string_view x_json = "null",
                   const EvalOptions& options = {}) {
    CompileOptions copts;
    copts.check = false;
    auto program = env_->Compile(expr, copts);
    if (!program.ok()) return "compile error: " + std::string(program.status().message());
    auto x = ParseJson(x_json, arena_);
    if (!x.ok()) return "bad json";
    Activation act(*env_);
    act.Set("x", *x);
    act.Set("a.b.c", Value::Int(7));
    return (*program)->Evaluate(act, arena_, options).DebugString();
  }

  std::unique_ptr<Env> env_;
  Arena arena_;
};

TEST_F(PlannerTest, ResolvesQualifiedVariableNames) {
  EXPECT_EQ(Eval("a.b.c + 1"), "8");
}

TEST_F(PlannerTest, UndeclaredReferenceIsAnErrorValueWhenUnchecked) {
  EXPECT_EQ(Eval("nope + 1"), "error(undeclared reference to 'nope')");
}

TEST_F(PlannerTest, SelectsFieldsAndReportsMissingKeys) {
  EXPECT_EQ(Eval("x.a.b", R"({"a": {"b": "v"}})"), "\"v\"");
  EXPECT_EQ(Eval("x.a.z", R"({"a": {"b": "v"}})"), "error(no such key: z)");
  EXPECT_EQ(Eval("has(x.a.z)", R"({"a": {"b": "v"}})"), "false");
}

TEST_F(PlannerTest, LogicalOperatorsAbsorbErrorsCommutatively) {
  EXPECT_EQ(Eval("x.missing || true", "{}"), "true");
  EXPECT_EQ(Eval("true || x.missing", "{}"), "true");
  EXPECT_EQ(Eval("x.missing && false", "{}"), "false");
  EXPECT_EQ(Eval("x.missing && true", "{}"), "error(no such key: missing)");
}

TEST_F(PlannerTest, ExistsStopsAtFirstHitAndAbsorbsErrors) {
  EXPECT_EQ(Eval("x.exists(e, e.k == 1)", R"([{"z": 0}, {"k": 1}])"), "true");
  EXPECT_EQ(Eval("x.all(e, e.k == 1)", R"([{"k": 2}, {"z": 0}])"), "false");
  EXPECT_EQ(Eval("x.all(e, e.k == 1)", R"([{"k": 1}, {"z": 0}])"),
            "error(no such key: k)");
}

TEST_F(PlannerTest, ComprehensionIterationLimitIsAClearError) {
  EvalOptions options;
  options.max_comprehension_iterations = 10;
  std::string got = Eval("x.map(i, i * 2).size()", "[1,2,3,4,5,6,7,8,9,10,11]", options);
  EXPECT_NE(got.find("comprehension iteration limit exceeded"), std::string::npos) << got;
}

TEST_F(PlannerTest, NestedComprehensionsCannotExplode) {
  // 1000^3 iterations would take minutes; the budget stops it at once.
  std::string list = "[";
  for (int i = 0; i < 1000; ++i) list += (i ? ",0" : "0");
  list += "]";
  std::string got = Eval("x.all(a, x.all(b, x.all(c, a == b)))", list);
  EXPECT_NE(got.find("limit exceeded"), std::string::npos) << got;
}

TEST_F(PlannerTest, MapLiteralsRejectRepeatedKeys) {
  EXPECT_EQ(Eval("{x: 1, 'k': 2}", "\"k\""), "error(Failed with repeated key: \"k\")");
}

TEST_F(PlannerTest, ProgramsAreThreadSafe) {
  auto program = env_->Compile("x.filter(i, i % 2 == 0).map(i, i * 10)",
                               CompileOptions{.check = false});
  ASSERT_TRUE(program.ok()) << program.status();
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Arena arena;
      Activation act(*env_);
      for (int i = 0; i < 2000; ++i) {
        arena.Reset();
        act.Set("x", *ParseJson("[1,2,3,4]", arena));
        if ((*program)->Evaluate(act, arena).DebugString() != "[20, 40]") ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace retro::cel
