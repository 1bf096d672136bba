// Fuzzes the policy pipeline from YAML text: load (all documents), validate,
// compile, render every problem with its snippet, then evaluate every
// compiled policy against a few fixed events of each kind and against its own
// embedded test inputs, under tight evaluation limits. Any crash, hang,
// sanitizer report or uncaught exception is a bug: a malformed policy must
// end in problems, a bad event in an error outcome.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/outcome_json.h"
#include "policy/policy_set.h"

namespace {

using retro::policy::CompiledPolicy;
using retro::policy::Evaluator;
using retro::policy::EvaluatorOptions;
using retro::policy::PolicySet;

struct Event {
  std::string_view type;
  std::string_view json;
};

constexpr Event kEvents[] = {
    {"audit",
     R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a-1","verb":"create","user":{"username":"bob@example.com","extra":{"iam.example.com/tenant":["acme"]}},"objectRef":{"resource":"deployments","namespace":"acme-dev","apiVersion":"v1","apiGroup":"apps","name":"web-1"},"responseStatus":{"metadata":{},"code":201},"requestReceivedTimestamp":"2026-11-20T00:01:56.579795Z","requestObject":{"spec":{"replicas":3}}})"},
    {"audit",
     R"({"auditID":"a-2","verb":"get","user":{"username":"system:serviceaccount:kube-system:x"},"objectRef":{"resource":"secrets","namespace":"ns","subresource":"status"},"responseStatus":{"code":403},"requestReceivedTimestamp":"2026-11-20T00:01:57Z"})"},
    {"audit", R"({"auditID":"a-3"})"},
    {"event",
     R"({"metadata":{"uid":"e-1","creationTimestamp":"2026-11-20T00:02:00Z","annotations":{"platform.example.com/tenant":"t"}},"reason":"BackOff","type":"Warning","note":"n","reportingController":"kubelet","regarding":{"kind":"Pod","apiVersion":"v1","name":"p","namespace":"ns"}})"},
    {"event", R"({"metadata":{"uid":"e-2"},"involvedObject":{"kind":"Pod"}})"},
    {"usage",
     R"({"id":"u-1","createdAt":"2026-11-20T10:00:00Z","orgId":"org","methodName":"chat.completions","providerName":"p","data":{"modelName":"m","inputTokens":7,"outputTokens":3,"bytes":5000}})"},
    {"catalog_item",
     R"({"itemId":"c-1","updatedAt":"2026-11-20T10:00:00Z","title":"T","rights":{"regions":["US"]},"quality":{"resolution":"720p","hasSubtitles":true},"trendingScore":2.5})"},
    {"usage", R"([1,2,3])"},
    {"usage", R"({"id":{"x":1},"createdAt":5})"},
};

void EvaluateAll(const PolicySet& set, Evaluator& evaluator,
                 std::string_view type, std::string_view json) {
  (void)evaluator.Load(type, json);
  std::string out;
  for (const auto& policy : set.policies()) {
    const auto& outcome = evaluator.Evaluate(*policy);
    out.clear();
    retro::policy::AppendOutcomeJson(outcome, 0, evaluator.envelope().id, &out);
  }
}

}  // namespace

// libFuzzer's entropic scheduling spends most of the time in
// InputCorpus::UpdateFeatureFrequency for this target (every unit compiles
// CEL and touches thousands of coverage features): 5 units/s with it, ~90
// without, under ASan on 2 busy cores. Turned off unless -entropic is given.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  for (int i = 1; i < *argc; ++i) {
    if (std::string_view((*argv)[i]).starts_with("-entropic=")) return 0;
  }
  static std::vector<char*> args;
  static char kNoEntropic[] = "-entropic=0";
  args.assign(*argv, *argv + *argc);
  args.push_back(kNoEntropic);
  args.push_back(nullptr);
  *argc += 1;
  *argv = args.data();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16 * 1024) return -1;  // larger inputs only test the size limit
  std::string text(reinterpret_cast<const char*>(data), size);
  PolicySet set;
  retro::policy::LoadOptions load;
  load.max_documents = 20;
  set.AddText("fuzz.yaml", std::move(text), load);
  for (const auto& problem : set.problems()) {
    (void)problem.ToStringWithSnippet();
  }
  EvaluatorOptions options;
  options.eval.max_comprehension_iterations = 10'000;
  options.eval.max_cost = 100'000;
  options.eval.max_value_size = 64 * 1024;
  Evaluator evaluator(&set.sources(), options);
  for (const Event& e : kEvents) EvaluateAll(set, evaluator, e.type, e.json);
  // Each policy's own examples, as `retro policy test` would feed them.
  for (const auto& policy : set.policies()) {
    for (const auto& test : policy->tests()) {
      std::string_view type = test.type.value;
      if (type.empty() && !policy->inputs().empty()) type = policy->inputs()[0];
      if (type.empty()) type = "audit";
      EvaluateAll(set, evaluator, type, test.input_json);
    }
  }
  return 0;
}
