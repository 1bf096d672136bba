#include "policy/test_runner.h"

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "cel/json.h"
#include "policy/canonical_json.h"
#include "policy/outcome_json.h"

namespace retro::policy {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

// Re-encodes JSON canonically, so expectations written in any key order or
// number form compare equal to the record's canonical JSON.
std::string Canonical(std::string_view json) {
  cel::Arena arena;
  auto v = cel::ParseJson(json, arena);
  std::string out;
  if (!v.ok() || !AppendCanonicalJson(*v, &out)) return std::string(json);
  return out;
}

std::string_view DefaultType(const CompiledPolicy& policy) {
  if (policy.kind() == PolicyKind::kNative) {
    return policy.inputs().empty() ? std::string_view() : policy.inputs()[0];
  }
  return policy.audit_rules().rules.empty() ? "event" : "audit";
}

void Check(const TestDoc& test, const Outcome& o,
           std::vector<std::string>* failures) {
  auto expect_kind = [&](OutcomeKind want) {
    if (o.kind != want) {
      failures->push_back(absl::StrCat(
          "outcome: expected ", base::AV(OutcomeKindName(want)), ", got ",
          base::AV(OutcomeKindName(o.kind)),
          o.reason.empty() ? "" : absl::StrCat(" (", o.reason, ")"),
          o.kind == OutcomeKind::kMatched
              ? absl::StrCat(" (rule ", base::AV(o.rule), ")")
              : ""));
      return false;
    }
    return true;
  };
  if (test.expect_unselected) {
    expect_kind(OutcomeKind::kUnselected);
    return;
  }
  if (test.expect_unmatched) {
    expect_kind(OutcomeKind::kUnmatched);
    return;
  }
  if (test.dropped.present()) {
    if (expect_kind(OutcomeKind::kDropped) && o.reason != test.dropped.value) {
      failures->push_back(absl::StrCat("dropped: expected reason ",
                                       Quote(test.dropped.value), ", got ",
                                       Quote(o.reason)));
    }
    return;
  }
  if (test.expect_error) {
    if (expect_kind(OutcomeKind::kError) && !test.error.value.empty() &&
        o.reason.find(test.error.value) == std::string::npos) {
      failures->push_back(absl::StrCat("error: expected a message containing ",
                                       Quote(test.error.value), ", got ",
                                       Quote(o.reason)));
    }
    return;
  }
  if (!expect_kind(OutcomeKind::kMatched)) return;
  if (test.rule.present() && o.rule != test.rule.value) {
    failures->push_back(absl::StrCat("rule: expected ", Quote(test.rule.value),
                                     ", got ", Quote(o.rule)));
  }
  if (test.summary.present() && o.record.summary != test.summary.value) {
    failures->push_back(absl::StrCat("summary: expected ",
                                     Quote(test.summary.value), ", got ",
                                     Quote(o.record.summary)));
  }
  for (const auto& [name, json] : test.fields) {
    const RecordField* found = nullptr;
    for (const RecordField& f : o.record.fields) {
      if (f.name == name) found = &f;
    }
    if (found == nullptr) {
      failures->push_back(
          absl::StrCat("fields.", name, ": expected ", json,
                       ", but the rule produces no such field"));
    } else if (Canonical(found->json) != Canonical(json)) {
      failures->push_back(absl::StrCat("fields.", name, ": expected ", json,
                                       ", got ", found->json));
    }
  }
  if (test.has_links &&
      Canonical(o.record.links_json) != Canonical(test.links_json)) {
    failures->push_back(absl::StrCat("links: expected ", test.links_json,
                                     ", got ", o.record.links_json));
  }
}

}  // namespace

std::vector<TestResult> RunPolicyTests(const CompiledPolicy& policy,
                                       const SourceSet& sources) {
  std::vector<TestResult> results;
  Evaluator evaluator(&sources);
  for (const TestDoc& test : policy.tests()) {
    TestResult result;
    result.policy = policy.name();
    result.name = test.name.value;
    result.path = test.path;
    result.file = policy.file();
    result.line = test.line;
    std::string_view type = test.type.present()
                                ? std::string_view(test.type.value)
                                : DefaultType(policy);
    const Outcome& o = evaluator.EvaluateLine(policy, type, test.input_json);
    AppendOutcomeJson(o, 0, evaluator.envelope().id, &result.outcome_json);
    Check(test, o, &result.failures);
    result.passed = result.failures.empty();
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace retro::policy
