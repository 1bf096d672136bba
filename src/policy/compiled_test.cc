// CompiledPolicy::MaySelect, the raw-payload prefilter: never false for an
// event the policy selects (checked against Evaluator on every fixture
// event and policy, and on escaped spellings), and false for the events of
// other resources it exists to skip.
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "policy/evaluator.h"
#include "policy/policy_set.h"
#include "policy/test_util.h"

namespace retro::policy {
namespace {

using testing::Fixture;
using testing::ReadLines;

class MaySelectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* f :
         {"policies/sources.yaml", "policies/workloads.activity.yaml",
          "policies/pod-events.activity.yaml",
          "policies/usage-billing.policy.yaml",
          "policies/catalog-eligibility.policy.yaml"}) {
      ASSERT_TRUE(set_.AddFile(Fixture(f))) << f;
    }
  }
  // Selected (anything but kUnselected) by the evaluator.
  bool Selected(const CompiledPolicy& p, std::string_view type,
                std::string_view raw) {
    Evaluator ev(&set_.sources());
    if (!ev.Load(type, raw).ok()) return true;  // an error: not unselected
    return ev.Evaluate(p).kind != OutcomeKind::kUnselected;
  }
  const CompiledPolicy& Deployments() { return *set_.Find("deployments"); }

  PolicySet set_;
};

TEST_F(MaySelectTest, NeverFalseForASelectedFixtureEvent) {
  const std::pair<const char*, const char*> files[] = {
      {"audit", "events/audit.jsonl"},
      {"event", "events/k8s-events.jsonl"},
      {"usage", "events/usage.jsonl"},
      {"catalog_item", "events/catalog.jsonl"}};
  int skipped = 0, selected = 0;
  for (const auto& [type, file] : files) {
    std::vector<std::string> lines = ReadLines(Fixture(file));
    ASSERT_FALSE(lines.empty()) << file;
    for (const std::string& line : lines) {
      for (const auto& p : set_.policies()) {
        bool may = p->MaySelect(type, line, set_.sources());
        bool sel = Selected(*p, type, line);
        if (sel) {
          ++selected;
          EXPECT_TRUE(may) << p->name() << " on " << type << ": " << line;
        }
        if (!may) ++skipped;
      }
    }
  }
  EXPECT_GT(selected, 50);
  EXPECT_GT(skipped, 200);  // it does skip: most pairs cannot select
}

TEST_F(MaySelectTest, OtherResourcesAreSkipped) {
  const std::string pods =
      R"({"auditID":"a1","verb":"delete","user":{"username":"bob","extra":{}},)"
      R"("objectRef":{"resource":"pods","apiGroup":"","name":"x"},)"
      R"("requestReceivedTimestamp":"2026-11-20T00:00:00Z"})";
  EXPECT_FALSE(Selected(Deployments(), "audit", pods));
  EXPECT_FALSE(Deployments().MaySelect("audit", pods, set_.sources()));
  // Right resource, other group: skipped too.
  std::string other_group = absl::StrReplaceAll(
      pods, {{"\"pods\"", "\"deployments\""}, {"\"\",", "\"batch\","}});
  EXPECT_FALSE(Selected(Deployments(), "audit", other_group));
  EXPECT_FALSE(Deployments().MaySelect("audit", other_group, set_.sources()));
  // The deployments policy has no eventRules; json sources never select an
  // ActivityPolicy; a Policy reads only its inputs.
  EXPECT_FALSE(Deployments().MaySelect("event", "{}", set_.sources()));
  EXPECT_FALSE(Deployments().MaySelect("usage", "{}", set_.sources()));
  for (const auto& p : set_.policies()) {
    if (p->kind() != PolicyKind::kNative) continue;
    EXPECT_TRUE(p->MaySelect(p->inputs()[0], "{}", set_.sources()));
    EXPECT_FALSE(p->MaySelect("no-such-type", "{}", set_.sources()));
  }
}

TEST_F(MaySelectTest, EscapedSpellingsStaySelectable) {
  const std::string plain =
      R"({"auditID":"a1","verb":"create","user":{"username":"bob","extra":{}},)"
      R"("objectRef":{"resource":"deployments","apiGroup":"apps",)"
      R"("namespace":"n","name":"x"},)"
      R"("requestReceivedTimestamp":"2026-11-20T00:00:00Z"})";
  ASSERT_TRUE(Selected(Deployments(), "audit", plain));
  EXPECT_TRUE(Deployments().MaySelect("audit", plain, set_.sources()));
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{
           {"\"deployments\"", R"("\u0064eployments")"},
           {"\"deployments\"", R"("deploymen\u0074s")"},
           {"\"apps\"", R"("\u0061pps")"}}) {
    std::string escaped = absl::StrReplaceAll(plain, {{from, to}});
    ASSERT_NE(escaped, plain);
    EXPECT_TRUE(Selected(Deployments(), "audit", escaped)) << escaped;
    EXPECT_TRUE(Deployments().MaySelect("audit", escaped, set_.sources()))
        << escaped;
  }
}

// The substring search at every offset and length around its 16-byte
// blocks: found wherever the names are, and not for a near miss.
TEST_F(MaySelectTest, FindsTheNamesAtEveryOffset) {
  for (size_t before = 0; before < 40; ++before) {
    for (size_t after = 0; after < 20; ++after) {
      std::string raw = std::string(before, 'd') + "deployments" +
                        std::string(after, 's') + "apps";
      EXPECT_TRUE(Deployments().MaySelect("audit", raw, set_.sources())) << raw;
      std::string near = std::string(before, 'd') + "deploymentx" +
                         std::string(after, 's') + "apps";
      EXPECT_FALSE(Deployments().MaySelect("audit", near, set_.sources()))
          << near;
      std::string tail = std::string(before, 'd') + "deployments" +
                         std::string(after, 's') + "app";
      EXPECT_FALSE(Deployments().MaySelect("audit", tail, set_.sources()))
          << tail;
      EXPECT_TRUE(
          Deployments().MaySelect("audit", tail + "\\u0073", set_.sources()));
      EXPECT_FALSE(
          Deployments().MaySelect("audit", tail + "\\\\u0073", set_.sources()));
    }
  }
}

TEST_F(MaySelectTest, EventKindAndGroup) {
  const CompiledPolicy& pod_events = *set_.Find("pod-events");
  const std::string pod =
      R"({"metadata":{"uid":"u1","creationTimestamp":"2026-11-20T00:00:00Z"},)"
      R"("reason":"BackOff","regarding":{"kind":"Pod","apiVersion":"v1",)"
      R"("name":"p"}})";
  ASSERT_TRUE(Selected(pod_events, "event", pod));
  EXPECT_TRUE(pod_events.MaySelect("event", pod, set_.sources()));
  std::string node = absl::StrReplaceAll(pod, {{"\"Pod\"", "\"Node\""}});
  EXPECT_FALSE(Selected(pod_events, "event", node));
  EXPECT_FALSE(pod_events.MaySelect("event", node, set_.sources()));
  std::string escaped =
      absl::StrReplaceAll(pod, {{"\"Pod\"", R"("\u0050od")"}});
  EXPECT_TRUE(Selected(pod_events, "event", escaped));
  EXPECT_TRUE(pod_events.MaySelect("event", escaped, set_.sources()));
}

}  // namespace
}  // namespace retro::policy
