// Evaluation outcomes for sample events of every fixture type, errors that
// name their rule and expression, and determinism.
#include "policy/evaluator.h"

#include "base/hash.h"
#include "gtest/gtest.h"
#include "policy/outcome_json.h"
#include "policy/policy_set.h"
#include "policy/test_util.h"

namespace retro::policy {
namespace {

using testing::Fixture;

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* f :
         {"policies/sources.yaml", "policies/workloads.activity.yaml",
          "policies/pod-events.activity.yaml",
          "policies/usage-billing.policy.yaml",
          "policies/catalog-eligibility.policy.yaml"}) {
      ASSERT_TRUE(set_.AddFile(Fixture(f)));
    }
  }
  const CompiledPolicy& Policy(std::string_view name) {
    const CompiledPolicy* p = set_.Find(name);
    EXPECT_NE(p, nullptr) << name;
    return *p;
  }
  const Outcome& Eval(std::string_view policy, std::string_view type,
                      std::string_view json) {
    return evaluator_.EvaluateLine(Policy(policy), type, json);
  }

  PolicySet set_;
  Evaluator evaluator_{&set_.sources()};
};

constexpr char kCreateDeployment[] =
    R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a-1","verb":"create",)"
    R"("user":{"username":"bob@example.com","extra":{"iam.example.com/tenant":["globex"]}},)"
    R"("objectRef":{"resource":"deployments","namespace":"globex-staging","apiGroup":"apps","name":"reports-4"},)"
    R"("responseStatus":{"metadata":{},"code":201},"requestReceivedTimestamp":"2026-11-20T00:01:56.579795Z"})";

TEST_F(EvaluatorTest, AuditCreateMatchesWithLinksTenantAndTime) {
  const Outcome& o = Eval("deployments", "audit", kCreateDeployment);
  ASSERT_EQ(o.kind, OutcomeKind::kMatched) << o.reason;
  EXPECT_EQ(o.policy, "deployments");
  EXPECT_EQ(o.rule, "rollout");
  EXPECT_EQ(o.rule_index, 0);
  EXPECT_EQ(o.record.summary,
            "bob@example.com rolled out reports-4 in globex-staging");
  EXPECT_EQ(o.record.num_links, 2);
  EXPECT_EQ(
      o.record.links_json,
      R"([{"marker":"bob@example.com","resource":{"name":"bob@example.com","type":"user"}},)"
      R"({"marker":"reports-4","resource":{"apiGroup":"apps","name":"reports-4",)"
      R"("namespace":"globex-staging","resource":"deployments"}}])");
  EXPECT_EQ(o.record.tenant, "globex");
  EXPECT_EQ(o.record.origin_id, "a-1");
  EXPECT_EQ(o.record.origin_type, "audit");
  ASSERT_TRUE(o.record.has_time);
  EXPECT_EQ(
      absl::FormatTime(absl::RFC3339_full, o.record.time, absl::UTCTimeZone()),
      "2026-11-20T00:01:56.579795+00:00");
  EXPECT_EQ(o.record.record_id,
            base::Hasher().Add("deployments").Add("audit").Add("a-1").Finish());
}

TEST_F(EvaluatorTest, SystemActorsAndSubresources) {
  std::string scale =
      R"({"auditID":"a-2","verb":"patch","user":{"username":"system:serviceaccount:kube-system:hpa","extra":{}},)"
      R"("objectRef":{"resource":"deployments","apiGroup":"apps","name":"api","namespace":"n","subresource":"scale"},)"
      R"("responseStatus":{"code":200},"requestObject":{"spec":{"replicas":5}}})";
  const Outcome& o = Eval("deployments", "audit", scale);
  ASSERT_EQ(o.kind, OutcomeKind::kMatched) << o.reason;
  EXPECT_EQ(o.rule, "resize");
  EXPECT_EQ(o.record.summary, "The platform resized api to 5 replicas");
  EXPECT_EQ(o.record.num_links, 1);
  EXPECT_EQ(o.record.tenant, "platform");
  EXPECT_FALSE(o.record.has_time);
}

TEST_F(EvaluatorTest, SelectionByGroupAndPluralResource) {
  std::string pod =
      R"({"auditID":"a-3","verb":"create","user":{"username":"x","extra":{}},)"
      R"("objectRef":{"resource":"pods","name":"p","namespace":"n"},"responseStatus":{"code":201}})";
  EXPECT_EQ(Eval("deployments", "audit", pod).kind, OutcomeKind::kUnselected);
  // Same resource, other group.
  std::string other_group =
      R"({"auditID":"a-4","verb":"create","user":{"username":"x","extra":{}},)"
      R"("objectRef":{"resource":"deployments","apiGroup":"extensions","name":"d"},"responseStatus":{"code":201}})";
  EXPECT_EQ(Eval("deployments", "audit", other_group).kind,
            OutcomeKind::kUnselected);
  // An ActivityPolicy with only auditRules ignores Kubernetes events, and a
  // native policy ignores other types.
  EXPECT_EQ(
      Eval(
          "deployments", "event",
          R"({"metadata":{"uid":"u"},"regarding":{"kind":"Deployment","apiVersion":"apps/v1"}})")
          .kind,
      OutcomeKind::kUnselected);
  EXPECT_EQ(Eval("usage-billing", "audit", kCreateDeployment).kind,
            OutcomeKind::kUnselected);
}

TEST_F(EvaluatorTest, UnmatchedWhenNoRuleMatches) {
  std::string get =
      R"({"auditID":"a-5","verb":"get","user":{"username":"x","extra":{}},)"
      R"("objectRef":{"resource":"deployments","apiGroup":"apps","name":"d"},"responseStatus":{"code":200}})";
  const Outcome& o = Eval("deployments", "audit", get);
  EXPECT_EQ(o.kind, OutcomeKind::kUnmatched);
  EXPECT_EQ(o.rule_index, -1);
}

TEST_F(EvaluatorTest, MissingAuditSectionsReadAsEmpty) {
  // No responseStatus: has() works on the defaulted {}, but reading a field
  // of it is an error that names the rule and the expression.
  std::string no_status =
      R"({"auditID":"a-6","verb":"create","user":{"username":"x","extra":{}},)"
      R"("objectRef":{"resource":"deployments","apiGroup":"apps","name":"d"}})";
  const Outcome& o = Eval("deployments", "audit", no_status);
  ASSERT_EQ(o.kind, OutcomeKind::kError);
  EXPECT_EQ(o.rule, "rollout");
  EXPECT_EQ(o.expression, "match");
  EXPECT_NE(o.reason.find("rule 'rollout', match: "), std::string::npos)
      << o.reason;
  std::string secret_denied =
      R"({"auditID":"a-7","verb":"list","user":{"username":"eve","extra":{}},)"
      R"("objectRef":{"resource":"secrets","namespace":"prod"},"responseStatus":{"code":403}})";
  const Outcome& d = Eval("secrets", "audit", secret_denied);
  ASSERT_EQ(d.kind, OutcomeKind::kMatched) << d.reason;
  EXPECT_EQ(d.record.summary, "eve was denied list on secret in prod");
}

TEST_F(EvaluatorTest, KubernetesEvents) {
  std::string backoff =
      R"({"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"uid":"e-1","creationTimestamp":"2026-11-20T00:02:43Z",)"
      R"("annotations":{"platform.example.com/tenant":"initech"}},"eventTime":"2026-11-20T00:02:43.228219Z",)"
      R"("reportingController":"kubelet","reason":"BackOff","type":"Warning",)"
      R"("regarding":{"kind":"Pod","namespace":"initech-prod","name":"api-1","apiVersion":"v1"}})";
  const Outcome& o = Eval("pod-events", "event", backoff);
  ASSERT_EQ(o.kind, OutcomeKind::kMatched) << o.reason;
  EXPECT_EQ(o.rule, "crash-loop");
  EXPECT_EQ(o.record.summary, "Pod api-1 keeps crashing in initech-prod");
  EXPECT_EQ(o.record.tenant, "initech");
  EXPECT_EQ(o.record.origin_id, "e-1");
  EXPECT_EQ(
      o.record.links_json,
      R"([{"marker":"api-1","resource":{"apiVersion":"v1","kind":"Pod","name":"api-1","namespace":"initech-prod"}}])");
  std::string scheduled =
      R"({"metadata":{"uid":"e-2","creationTimestamp":"2026-11-20T00:02:43Z"},)"
      R"("source":{"component":"default-scheduler"},"reason":"Scheduled","type":"Normal",)"
      R"("regarding":{"kind":"Pod","name":"web-1","apiVersion":"v1"}})";
  const Outcome& s = Eval("pod-events", "event", scheduled);
  ASSERT_EQ(s.kind, OutcomeKind::kMatched) << s.reason;
  EXPECT_EQ(s.record.summary, "default-scheduler placed pod web-1");
  EXPECT_EQ(s.record.tenant, "platform");
  ASSERT_TRUE(s.record.has_time);
}

TEST_F(EvaluatorTest, NativePolicyFieldsRequireAndParams) {
  const Outcome& o = Eval(
      "usage-billing", "usage",
      R"({"id":"req_1","createdAt":"2026-11-20T10:00:00Z","orgId":"org_acme","methodName":"chat.completions",)"
      R"("providerName":"openai","data":{"modelName":"gpt-4o","inputTokens":700,"outputTokens":300}})");
  ASSERT_EQ(o.kind, OutcomeKind::kMatched) << o.reason;
  EXPECT_EQ(o.rule, "model-call");
  EXPECT_EQ(o.record.summary,
            "org_acme used gpt-4o (chat.completions) for 1000 tokens");
  ASSERT_EQ(o.record.fields.size(), 4u);
  EXPECT_EQ(o.record.fields[0].name, "customer");
  EXPECT_EQ(o.record.fields[0].json, "\"org_acme\"");
  EXPECT_EQ(o.record.fields[2].json, "1000");
  EXPECT_EQ(o.record.fields[3].name, "cost");
  EXPECT_EQ(o.record.fields[3].json, "0.002");
  EXPECT_EQ(o.record.tenant, "org_acme");
  EXPECT_EQ(o.record.origin_id, "req_1");

  const Outcome& d = Eval(
      "usage-billing", "usage",
      R"({"id":"req_2","createdAt":"2026-11-20T10:00:00Z","methodName":"embeddings","providerName":"openai",)"
      R"("data":{"modelName":"gpt-4o","inputTokens":5,"outputTokens":0}})");
  ASSERT_EQ(d.kind, OutcomeKind::kDropped);
  EXPECT_EQ(d.reason, "missing data.orgId");
  EXPECT_EQ(d.rule, "model-call");

  const Outcome& e = Eval(
      "usage-billing", "usage",
      R"({"id":"req_3","createdAt":"2026-11-20T10:00:00Z","orgId":"o","methodName":"embeddings","providerName":"openai",)"
      R"("data":{"modelName":"m","inputTokens":"5","outputTokens":1}})");
  ASSERT_EQ(e.kind, OutcomeKind::kError);
  EXPECT_EQ(e.rule, "model-call");
  EXPECT_NE(e.expression.find("summary block 4"), std::string::npos)
      << e.expression;
}

TEST_F(EvaluatorTest, CatalogEligibility) {
  const Outcome& o = Eval(
      "catalog-eligibility", "catalog_item",
      R"({"itemId":"m1","updatedAt":"2026-11-20T00:05:08.557401Z","title":"T","rights":{"regions":["BR","US"]},)"
      R"("quality":{"resolution":"1080p","hasSubtitles":true},"trendingScore":49.01})");
  ASSERT_EQ(o.kind, OutcomeKind::kMatched) << o.reason;
  EXPECT_EQ(o.rule, "eligible");
  EXPECT_EQ(o.record.summary, "T is eligible");
  EXPECT_EQ(o.record.fields[0].json, "true");
  EXPECT_EQ(o.record.tenant, "catalog");
  const Outcome& n = Eval(
      "catalog-eligibility", "catalog_item",
      R"({"itemId":"m2","updatedAt":"2026-11-20T00:05:08Z","title":"U","rights":{"regions":[]},)"
      R"("quality":{"resolution":"1080p","hasSubtitles":true},"trendingScore":1})");
  ASSERT_EQ(n.kind, OutcomeKind::kMatched) << n.reason;
  EXPECT_EQ(n.rule, "no-rights");
  EXPECT_EQ(n.record.summary, "U is not licensed in our regions");
}

TEST_F(EvaluatorTest, RuntimeTypeErrorsNameTheRuleAndBlock) {
  PolicySet set;
  ASSERT_TRUE(set.AddText("rt.yaml", R"(apiVersion: retro/v1
kind: Policy
metadata: {name: rt}
spec:
  input: t
  rules:
    - name: dyn-match
      match: "data.flag"
      summary: "ok {{ data.n }}"
)")) << set.problems()[0].ToString();
  Evaluator evaluator(&set.sources());
  const CompiledPolicy& p = *set.Find("rt");
  const Outcome& a = evaluator.EvaluateLine(p, "t", R"({"flag": 1})");
  ASSERT_EQ(a.kind, OutcomeKind::kError);
  EXPECT_EQ(a.expression, "match");
  EXPECT_NE(a.message.find("bool"), std::string::npos);
  const Outcome& b =
      evaluator.EvaluateLine(p, "t", R"({"flag": true, "n": 5})");
  ASSERT_EQ(b.kind, OutcomeKind::kError);
  EXPECT_EQ(b.rule, "dyn-match");
  EXPECT_NE(b.reason.find("summary block 1 (`data.n`)"), std::string::npos)
      << b.reason;
  EXPECT_NE(b.reason.find("string(...)"), std::string::npos) << b.reason;
  const Outcome& c =
      evaluator.EvaluateLine(p, "t", R"({"flag": true, "n": "five"})");
  ASSERT_EQ(c.kind, OutcomeKind::kMatched);
  EXPECT_EQ(c.record.summary, "ok five");
  // Without a Source, a json type's id is the payload's "id", else a hash.
  EXPECT_EQ(c.record.origin_id.size(), 16u);
  const Outcome& d = evaluator.EvaluateLine(p, "t", "[1, 2]");
  EXPECT_EQ(d.kind, OutcomeKind::kError);
  EXPECT_EQ(d.expression, "input");
  const Outcome& e = evaluator.EvaluateLine(p, "t", "{not json");
  EXPECT_EQ(e.kind, OutcomeKind::kError);
}

// Every fixture event with every policy that reads its type: outcomes are
// well-formed, errors only where the fixture is malformed, and two
// independent evaluators produce the same bytes.
TEST_F(EvaluatorTest, FixtureEventsAreDeterministic) {
  struct Input {
    const char* file;
    const char* type;
  };
  const Input inputs[] = {{"events/audit.jsonl", "audit"},
                          {"events/k8s-events.jsonl", "event"},
                          {"events/usage.jsonl", "usage"},
                          {"events/catalog.jsonl", "catalog_item"}};
  Evaluator other(&set_.sources());
  int matched = 0, errors = 0, usage_errors = 0;
  for (const Input& input : inputs) {
    for (const std::string& line : testing::ReadLines(Fixture(input.file))) {
      for (const auto& policy : set_.policies()) {
        ASSERT_TRUE(evaluator_.Load(input.type, line).ok());
        const Outcome& a = evaluator_.Evaluate(*policy);
        std::string ja;
        AppendOutcomeJson(a, 0, evaluator_.envelope().id, &ja);
        std::string jb =
            EvaluateLineToJson(*policy, set_.sources(), input.type, line);
        ASSERT_EQ(ja, jb);
        const Outcome& b = other.EvaluateLine(*policy, input.type, line);
        ASSERT_EQ(a.kind, b.kind);
        matched += a.kind == OutcomeKind::kMatched;
        if (a.kind == OutcomeKind::kError) {
          if (std::string_view(input.type) == "usage") {
            ++usage_errors;
          } else {
            ++errors;
            ADD_FAILURE() << ja;
          }
        }
      }
    }
  }
  EXPECT_GT(matched, 100);
  EXPECT_EQ(errors, 0);
  EXPECT_LT(usage_errors, 10);
}

}  // namespace
}  // namespace retro::policy
