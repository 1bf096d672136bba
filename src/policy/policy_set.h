// PolicySet: the entry point. Loads policy files (YAML, any number of
// documents), validates and compiles every document, and keeps the compiled
// policies and sources with every problem found.
//
//   PolicySet set;
//   set.AddFile("workloads.activity.yaml");
//   if (set.has_errors()) { for (auto& p : set.problems()) print(p); }
//   Evaluator evaluator(&set.sources());
//
// Thread-safety: building (Add*) is single-threaded; afterwards the set and
// everything it holds are immutable and may be shared by any threads.
#ifndef RETRO_POLICY_POLICY_SET_H_
#define RETRO_POLICY_POLICY_SET_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/compiled.h"
#include "policy/evaluator.h"
#include "policy/loader.h"
#include "policy/problem.h"

namespace retro::policy {

class PolicySet {
 public:
  PolicySet() = default;

  // Reads a file; false when it (or any of its documents) has an error.
  // Documents without errors are kept even then.
  bool AddFile(const std::string& path, const LoadOptions& options = {});
  // Same for text already in memory; `file` names it in problems.
  bool AddText(std::string file, std::string text,
               const LoadOptions& options = {});

  const std::vector<Problem>& problems() const { return problems_; }
  bool has_errors() const { return HasErrors(problems_); }

  const std::vector<std::shared_ptr<const CompiledPolicy>>& policies() const {
    return policies_;
  }
  // nullptr when absent.
  const CompiledPolicy* Find(std::string_view name) const;
  const SourceSet& sources() const { return sources_; }

 private:
  std::vector<Problem> problems_;
  std::vector<std::shared_ptr<const CompiledPolicy>> policies_;
  std::vector<std::string> policy_places_;  // "file:line" of each policy
  base::StringMap<std::string> source_places_;
  SourceSet sources_;
};

}  // namespace retro::policy

#endif  // RETRO_POLICY_POLICY_SET_H_
