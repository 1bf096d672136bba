// Runs a policy's embedded examples (`spec.tests`): each input is evaluated
// like a live event and the outcome compared with what the test expects.
// Thread-compatible: RunPolicyTests is a pure function of its arguments.
#ifndef RETRO_POLICY_TEST_RUNNER_H_
#define RETRO_POLICY_TEST_RUNNER_H_

#include <string>
#include <vector>

#include "policy/compiled.h"
#include "policy/evaluator.h"

namespace retro::policy {

struct TestResult {
  std::string policy;
  std::string name;
  std::string path;  // "spec.tests[0]"
  std::string file;
  int line = 0;
  bool passed = false;
  // Why it failed, one difference a line ("summary: expected "x", got "y"").
  std::vector<std::string> failures;
  std::string outcome_json;  // what the policy produced (AppendOutcomeJson)
};

std::vector<TestResult> RunPolicyTests(const CompiledPolicy& policy,
                                       const SourceSet& sources);

}  // namespace retro::policy

#endif  // RETRO_POLICY_TEST_RUNNER_H_
