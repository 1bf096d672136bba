#include "policy/test_runner.h"

#include "gtest/gtest.h"
#include "policy/policy_set.h"
#include "policy/test_util.h"

namespace retro::policy {
namespace {

TEST(TestRunnerTest, FixtureTestsPass) {
  PolicySet set;
  ASSERT_TRUE(set.AddFile(testing::Fixture("policies/sources.yaml")));
  ASSERT_TRUE(
      set.AddFile(testing::Fixture("policies/usage-billing.policy.yaml")));
  int run = 0;
  for (const auto& policy : set.policies()) {
    for (const TestResult& r : RunPolicyTests(*policy, set.sources())) {
      ++run;
      EXPECT_TRUE(r.passed)
          << r.name << ": " << (r.failures.empty() ? "" : r.failures[0]) << "\n"
          << r.outcome_json;
      EXPECT_GT(r.line, 0);
    }
  }
  EXPECT_EQ(run, 2);
}

TEST(TestRunnerTest, FailuresSayWhatDiffers) {
  PolicySet set;
  ASSERT_TRUE(set.AddText("t.yaml", R"(apiVersion: retro/v1
kind: Policy
metadata: {name: t}
spec:
  input: usage
  rules:
    - name: any
      match: "true"
      require: [data.org]
      summary: "{{ data.org }} did {{ string(data.n) }}"
      fields: {n: data.n, org: data.org}
  tests:
    - name: right
      input: {org: acme, n: 2}
      expect: {rule: any, summary: "acme did 2", fields: {n: 2.0}}
    - name: wrong summary and field
      input: {org: acme, n: 2}
      expect: {rule: any, summary: "acme did 3", fields: {n: 3, org: acme}}
    - name: dropped
      input: {n: 2}
      expect: {dropped: missing data.org}
    - name: not dropped
      input: {org: acme, n: 2}
      expect: {dropped: missing data.org}
    - name: error
      input: '{"org": "acme", "n": [1]}'
      expect: {error: "summary block 2"}
)")) << set.problems()[0].ToString();
  auto results = RunPolicyTests(*set.Find("t"), set.sources());
  ASSERT_EQ(results.size(), 5u);
  EXPECT_TRUE(results[0].passed) << results[0].failures[0];
  EXPECT_FALSE(results[1].passed);
  ASSERT_EQ(results[1].failures.size(), 2u);
  EXPECT_EQ(results[1].failures[0],
            R"(summary: expected "acme did 3", got "acme did 2")");
  EXPECT_EQ(results[1].failures[1], "fields.n: expected 3, got 2");
  EXPECT_TRUE(results[2].passed) << results[2].failures[0];
  EXPECT_FALSE(results[3].passed);
  EXPECT_NE(results[3].failures[0].find("expected dropped, got matched"),
            std::string::npos);
  EXPECT_TRUE(results[4].passed) << results[4].failures[0];
}

}  // namespace
}  // namespace retro::policy
