// Loading and validating policy files: every fixture policy is accepted;
// every invalid fixture is rejected with the error its first line names, at
// the right place.
#include "policy/loader.h"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "gtest/gtest.h"
#include "policy/policy_set.h"
#include "policy/test_util.h"

namespace retro::policy {
namespace {

using testing::Fixture;

std::string Dump(const std::vector<Problem>& problems) {
  std::string out;
  for (const Problem& p : problems) out += p.ToStringWithSnippet() + "\n";
  return out;
}

// The first error whose path contains `path`; fails the test when none.
const Problem* ErrorAt(const PolicySet& set, std::string_view path) {
  for (const Problem& p : set.problems()) {
    if (p.is_error() && p.path.find(path) != std::string::npos) return &p;
  }
  ADD_FAILURE() << "no error at " << path << " in:\n" << Dump(set.problems());
  return nullptr;
}

bool Contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

TEST(LoaderFixturesTest, EveryFixturePolicyIsAccepted) {
  for (const auto& entry :
       std::filesystem::directory_iterator(Fixture("policies"))) {
    PolicySet set;
    EXPECT_TRUE(set.AddFile(entry.path().string())) << Dump(set.problems());
    EXPECT_TRUE(set.problems().empty()) << Dump(set.problems());
  }
}

TEST(LoaderFixturesTest, FixturePoliciesHaveTheirContents) {
  PolicySet set;
  ASSERT_TRUE(set.AddFile(Fixture("policies/workloads.activity.yaml")));
  ASSERT_EQ(set.policies().size(), 2u);
  const CompiledPolicy* deployments = set.Find("deployments");
  ASSERT_NE(deployments, nullptr);
  EXPECT_EQ(deployments->kind(), PolicyKind::kActivity);
  EXPECT_EQ(deployments->api_group(), "apps");
  EXPECT_EQ(deployments->resource_plural(), "deployments");
  ASSERT_EQ(deployments->audit_rules().rules.size(), 4u);
  EXPECT_EQ(deployments->audit_rules().rules[2].name, "resize");
  EXPECT_TRUE(deployments->event_rules().rules.empty());
  const CompiledPolicy* secrets = set.Find("secrets");
  ASSERT_NE(secrets, nullptr);
  EXPECT_EQ(secrets->api_group(), "");
  EXPECT_EQ(secrets->resource_plural(), "secrets");

  PolicySet usage;
  ASSERT_TRUE(usage.AddFile(Fixture("policies/usage-billing.policy.yaml")));
  const CompiledPolicy* billing = usage.Find("usage-billing");
  ASSERT_NE(billing, nullptr);
  EXPECT_EQ(billing->inputs(), std::vector<std::string>{"usage"});
  EXPECT_EQ(billing->tests().size(), 2u);
  ASSERT_EQ(billing->rules().rules.size(), 2u);
  EXPECT_EQ(billing->rules().rules[0].require.size(), 4u);
  EXPECT_EQ(billing->rules().rules[0].fields.size(), 4u);
  EXPECT_EQ(billing->labels().size(), 1u);

  PolicySet sources;
  ASSERT_TRUE(sources.AddFile(Fixture("policies/sources.yaml")));
  EXPECT_TRUE(sources.sources().Has("audit"));
  EXPECT_TRUE(sources.sources().Has("catalog_item"));
  EXPECT_EQ(sources.sources().For("usage").format(), SourceFormat::kJson);
}

TEST(LoaderFixturesTest, BadCel) {
  PolicySet set;
  EXPECT_FALSE(set.AddFile(Fixture("invalid/bad-cel.yaml")));
  const Problem* p = ErrorAt(set, "spec.auditRules[1].match");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->line, 12);
  EXPECT_GT(p->column, 14);  // inside the expression, not at the key
  EXPECT_TRUE(Contains(p->message, "does not parse")) << p->message;
  EXPECT_TRUE(Contains(p->file, "bad-cel.yaml"));
  // The first rule is fine: exactly one error.
  int errors = 0;
  for (const Problem& q : set.problems()) errors += q.is_error();
  EXPECT_EQ(errors, 1) << Dump(set.problems());
}

TEST(LoaderFixturesTest, BadRuleName) {
  PolicySet set;
  EXPECT_FALSE(set.AddFile(Fixture("invalid/bad-rule-name.yaml")));
  const Problem* p = ErrorAt(set, "spec.auditRules[0].name");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->line, 8);
  EXPECT_EQ(p->column, 13);
  EXPECT_TRUE(Contains(p->message, "DNS-1123")) << p->message;
  EXPECT_TRUE(Contains(p->message, "lower-case")) << p->message;
  EXPECT_TRUE(Contains(p->message, "write-secret")) << p->message;
}

TEST(LoaderFixturesTest, DuplicateRuleNames) {
  PolicySet set;
  EXPECT_FALSE(set.AddFile(Fixture("invalid/duplicate-rule-names.yaml")));
  const Problem* p = ErrorAt(set, "spec.auditRules[1].name");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->line, 11);
  EXPECT_TRUE(Contains(p->message, "'write'")) << p->message;
  EXPECT_TRUE(Contains(p->message, "twice")) << p->message;
  EXPECT_TRUE(Contains(p->message, "auditRules[0]")) << p->message;
}

TEST(LoaderFixturesTest, MatchNotBool) {
  PolicySet set;
  EXPECT_FALSE(set.AddFile(Fixture("invalid/match-not-bool.yaml")));
  const Problem* p = ErrorAt(set, "spec.auditRules[0].match");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->line, 9);
  EXPECT_TRUE(Contains(p->message, "bool")) << p->message;
  EXPECT_TRUE(Contains(p->message, "int")) << p->message;
}

TEST(LoaderFixturesTest, NotYaml) {
  PolicySet set;
  EXPECT_FALSE(set.AddFile(Fixture("invalid/not-yaml.yaml")));
  ASSERT_FALSE(set.problems().empty());
  const Problem& p = set.problems()[0];
  EXPECT_TRUE(p.is_error());
  EXPECT_EQ(p.line, 6) << Dump(set.problems());
  EXPECT_TRUE(Contains(p.message, "YAML")) << p.message;
  EXPECT_TRUE(Contains(p.message, "tab")) << p.message;
}

TEST(LoaderFixturesTest, TemplateNotString) {
  PolicySet set;
  EXPECT_FALSE(set.AddFile(Fixture("invalid/template-not-string.yaml")));
  const Problem* p = ErrorAt(set, "spec.rules[0].summary");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->line, 10);
  EXPECT_EQ(p->column, 20);  // at `size(data) + 1` inside the quotes
  EXPECT_TRUE(Contains(p->message, "block 1")) << p->message;
  EXPECT_TRUE(Contains(p->message, "int")) << p->message;
  EXPECT_TRUE(Contains(p->message, "string(...)")) << p->message;
}

TEST(LoaderFixturesTest, UnbalancedTemplate) {
  PolicySet set;
  EXPECT_FALSE(set.AddFile(Fixture("invalid/unbalanced-template.yaml")));
  const Problem* p = ErrorAt(set, "spec.auditRules[0].summary");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->line, 10);
  EXPECT_EQ(p->column, 34);  // the second '{{'
  EXPECT_TRUE(Contains(p->message, "never closed")) << p->message;
}

TEST(LoaderFixturesTest, UnknownVariable) {
  PolicySet set;
  EXPECT_FALSE(set.AddFile(Fixture("invalid/unknown-variable.yaml")));
  const Problem* p = ErrorAt(set, "spec.rules[0].match");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->line, 9);
  EXPECT_EQ(p->column, 19);  // at `dta`
  EXPECT_TRUE(Contains(p->message, "'dta'")) << p->message;
  EXPECT_TRUE(Contains(p->message, "did you mean 'data'")) << p->message;
}

TEST(LoaderFixturesTest, EveryInvalidFixtureIsRejected) {
  for (const auto& entry :
       std::filesystem::directory_iterator(Fixture("invalid"))) {
    PolicySet set;
    EXPECT_FALSE(set.AddFile(entry.path().string())) << entry.path();
    EXPECT_TRUE(set.has_errors()) << entry.path();
    for (const Problem& p : set.problems()) {
      EXPECT_GT(p.line, 0) << p.ToString();
      EXPECT_GT(p.column, 0) << p.ToString();
    }
  }
}

TEST(LoaderTest, ReportsEveryProblemNotOnlyTheFirst) {
  PolicySet set;
  EXPECT_FALSE(set.AddText("multi.yaml", R"(apiVersion: retro/v1
kind: Policy
metadata: {name: Multi}
spec:
  input: usage
  rulez: []
  rules:
    - name: a
      match: "data.x +"
      summary: "{{ data.y"
    - name: b
      summary: "ok"
      fields: {n: "nope("}
---
apiVersion: retro/v1
kind: Polcy
metadata: {name: other}
)"));
  std::vector<std::string> paths;
  for (const Problem& p : set.problems()) {
    if (p.is_error()) paths.push_back(p.path);
  }
  auto has = [&](std::string_view path) {
    return std::find(paths.begin(), paths.end(), path) != paths.end();
  };
  EXPECT_TRUE(has("metadata.name")) << Dump(set.problems());
  EXPECT_TRUE(has("spec.rulez")) << Dump(set.problems());
  EXPECT_TRUE(has("spec.rules[0].match")) << Dump(set.problems());
  EXPECT_TRUE(has("spec.rules[0].summary")) << Dump(set.problems());
  EXPECT_TRUE(has("spec.rules[1].match")) << Dump(set.problems());
  EXPECT_TRUE(has("spec.rules[1].fields.n")) << Dump(set.problems());
  EXPECT_TRUE(has("kind")) << Dump(set.problems());
  for (const Problem& p : set.problems()) {
    if (p.path == "spec.rulez")
      EXPECT_TRUE(Contains(p.message, "did you mean 'rules'"));
    if (p.path == "kind")
      EXPECT_TRUE(Contains(p.message, "did you mean 'Policy'"));
  }
}

TEST(LoaderTest, SyntaxErrorInOneDocumentKeepsTheOthers) {
  PolicySet set;
  EXPECT_FALSE(set.AddText("two.yaml", R"(apiVersion: retro/v1
kind: Policy
metadata: {name: broken}
spec: {input: [usage
---
apiVersion: retro/v1
kind: Policy
metadata: {name: fine}
spec:
  input: usage
  rules:
    - {name: all, match: "true", summary: "{{ data.id }}"}
)"));
  EXPECT_NE(set.Find("fine"), nullptr) << Dump(set.problems());
  EXPECT_EQ(set.Find("broken"), nullptr);
}

TEST(LoaderTest, MissingFieldsNameTheFix) {
  PolicySet set;
  EXPECT_FALSE(
      set.AddText("missing.yaml", R"(apiVersion: activity.miloapis.com/v1alpha1
kind: ActivityPolicy
metadata: {name: m}
spec:
  auditRules:
    - name: x
      summary: "s"
)"));
  const Problem* resource = ErrorAt(set, "spec.resource");
  ASSERT_NE(resource, nullptr);
  EXPECT_TRUE(Contains(resource->message, "apiGroup"));
  const Problem* match = ErrorAt(set, "spec.auditRules[0].match");
  ASSERT_NE(match, nullptr);
  EXPECT_TRUE(Contains(match->message, "required"));
}

TEST(LoaderTest, WrongVariableForTheRuleList) {
  PolicySet set;
  EXPECT_FALSE(
      set.AddText("vars.yaml", R"(apiVersion: activity.miloapis.com/v1alpha1
kind: ActivityPolicy
metadata: {name: m}
spec:
  resource: {kind: Pod}
  eventRules:
    - name: x
      match: "audit.verb == 'get'"
      summary: "s"
)"));
  const Problem* p = ErrorAt(set, "spec.eventRules[0].match");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(Contains(p->message, "'audit'")) << p->message;
}

TEST(LoaderTest, GenerationIsTheHashOfTheNormalisedSpec) {
  auto generation = [](const std::string& text) {
    PolicySet set;
    EXPECT_TRUE(set.AddText("g.yaml", text)) << Dump(set.problems());
    if (set.policies().empty()) return base::Hash128{0, 0};
    EXPECT_EQ(base::Hash128Of(set.policies()[0]->normalized()),
              set.policies()[0]->generation());
    return set.policies()[0]->generation();
  };
  base::Hash128 a = generation(R"(apiVersion: retro/v1
kind: Policy
metadata: {name: g}
spec:
  input: usage
  rules:
    - name: all
      match: "true"
      summary: "{{ data.id }}"
)");
  // Same content: other formatting, comments, key order, labels.
  base::Hash128 b = generation(R"(# a comment
apiVersion: retro/v1
kind: Policy
metadata:
  name: g
  labels: {team: x}
spec:
  rules: [{summary: "{{ data.id }}", match: "true", name: all}]
  input: 'usage'
)");
  base::Hash128 c = generation(R"(apiVersion: retro/v1
kind: Policy
metadata: {name: g}
spec:
  input: usage
  rules:
    - name: all
      match: "true"
      summary: "{{ data.id }}!"
)");
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a == c);
}

TEST(LoaderTest, HostileInputGivesErrorsNotCrashes) {
  const char* inputs[] = {
      "",
      "---",
      "- 1\n- 2",
      "apiVersion: [1",
      "{{{{",
      "kind: Policy\nspec: 5",
      "apiVersion: retro/v1\nkind: Policy\nmetadata: {name: x}\nspec: {rules: "
      "5, input: {a: 1}}",
      "apiVersion: retro/v1\nkind: Source\nmetadata: {name: x}\nspec: {format: "
      "csv}",
      "a: &a [*a]",
      "\t\t",
      "apiVersion: retro/v1\nkind: Policy\nmetadata: {name: x}\n"
      "spec:\n  input: u\n  params: {a: [1, {b: .inf}]}\n  rules: [{name: r, "
      "match: "
      "'params.a[0] == 1', summary: x}]",
  };
  for (const char* text : inputs) {
    PolicySet set;
    set.AddText("hostile.yaml", text);
  }
}

// Found by fuzz/policy_fuzzer: a rule that is not a mapping was reported, but
// the policy was still kept with a rule whose match had no program, and
// evaluating it dereferenced null.
TEST(LoaderRobustnessTest, PolicyWithUnreadableRuleIsNotKept) {
  PolicySet set;
  EXPECT_FALSE(
      set.AddText("p.yaml", R"(apiVersion: activity.miloapis.com/v1alpha1
kind: ActivityPolicy
metadata: {name: deployments}
spec:
  resource: {apiGroup: apps, kind: Deployment}
  auditRules:
    - not a mapping
    - name: ok
      match: "true"
      summary: "x"
---
apiVersion: retro/v1
kind: Policy
metadata: {name: no-match}
spec:
  input: usage
  rules:
    - name: r
      summary: "x"
)"));
  EXPECT_TRUE(set.has_errors());
  EXPECT_EQ(set.Find("deployments"), nullptr);
  EXPECT_EQ(set.Find("no-match"), nullptr);
}

// Found by fuzz/policy_fuzzer (fuzz/findings/policy-loader-hang.yaml): a ','
// at the top of a document is never consumed by yaml-cpp 0.7, so
// YAML::LoadAll returned empty documents forever. The loader now reports it.
TEST(LoaderRobustnessTest, StrayCommaIsASyntaxErrorNotAHang) {
  auto start = std::chrono::steady_clock::now();
  std::string text = testing::ReadFile(std::string(RETRO_FINDINGS_DIR) +
                                       "/policy-loader-hang.yaml");
  ASSERT_FALSE(text.empty());
  PolicySet set;
  EXPECT_FALSE(set.AddText("hang.yaml", text));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  const Problem* comma = nullptr;
  for (const Problem& p : set.problems()) {
    if (Contains(p.message, "a ',' outside any [...] or {...}")) comma = &p;
  }
  ASSERT_NE(comma, nullptr) << Dump(set.problems());
  EXPECT_EQ(comma->line, 5);
  EXPECT_EQ(comma->column, 1);
  EXPECT_TRUE(Contains(comma->message, "quote the text")) << comma->message;
  // The valid Source documents after it still load.
  EXPECT_TRUE(set.sources().Has("usage"));
}

TEST(LoaderRobustnessTest, StrayTokensAtDocumentLevelAreErrors) {
  const char* inputs[] = {", x\n",  "- a\n,\n",  "&a ,\n",
                          "!t ,\n", "\"x\" ,\n", "a: 1\n---\n,\n"};
  for (const char* text : inputs) {
    PolicySet set;
    EXPECT_FALSE(set.AddText("comma.yaml", text)) << text;
    bool found = false;
    for (const Problem& p : set.problems()) {
      found = found || Contains(p.message, "YAML syntax error");
    }
    EXPECT_TRUE(found) << text << "\n" << Dump(set.problems());
  }
}

// Nested aliases repeat their anchors exponentially when the tree is walked.
TEST(LoaderRobustnessTest, AliasExpansionIsBounded) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) {
      text += (j ? ", *a" : "*a") + std::to_string(i - 1);
    }
    text += "]\n";
  }
  auto start = std::chrono::steady_clock::now();
  PolicySet set;
  EXPECT_FALSE(set.AddText("laughs.yaml", text));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  ASSERT_FALSE(set.problems().empty());
  const Problem& p = set.problems()[0];
  EXPECT_TRUE(Contains(p.message, "aliases (*name) repeat more than 100000"))
      << Dump(set.problems());
  EXPECT_GT(p.line, 1);
  // A few small aliases are fine.
  PolicySet ok;
  ok.AddText("ok.yaml", R"(apiVersion: retro/v1
kind: Source
metadata: {name: usage}
spec:
  format: json
  id: &id data.id
  time: *id
)");
  EXPECT_TRUE(ok.problems().empty()) << Dump(ok.problems());
}

}  // namespace
}  // namespace retro::policy

namespace retro::policy {
namespace {

TEST(SplitDocumentTextsTest, SplitsAtSeparatorLinesOnly) {
  EXPECT_EQ(SplitDocumentTexts("a: 1\n---\nb: 2\n--- # two\nc: 3\n---  \r\n"),
            (std::vector<std::string>{"a: 1\n", "b: 2\n", "c: 3\n", ""}));
  EXPECT_EQ(SplitDocumentTexts("x: '---'\n----\n"),
            (std::vector<std::string>{"x: '---'\n----\n"}));
  EXPECT_EQ(SplitDocumentTexts("last: no newline"),
            (std::vector<std::string>{"last: no newline\n"}));
  EXPECT_EQ(SplitDocumentTexts(""), (std::vector<std::string>{""}));
}

}  // namespace
}  // namespace retro::policy
