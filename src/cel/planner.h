// Planner: turns a parsed (and optionally checked) expression into an
// evaluation tree of Nodes. Identifiers are resolved here — comprehension
// variables to local slots, declared variables (with container namespaces and
// qualified select chains) to activation slots, type names to constants —
// function calls to their candidate overloads, and constant sub-expressions
// are folded into values owned by the program. The resulting Plan is
// immutable and thread-safe.
#ifndef RETRO_CEL_PLANNER_H_
#define RETRO_CEL_PLANNER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cel/arena.h"
#include "cel/ast.h"
#include "cel/function.h"
#include "cel/value.h"

namespace retro::cel {

class Activation;
class Env;

// The state of one evaluation.
struct Frame {
  const Activation* activation;
  EvalContext* ctx;
  Value* locals;
};

class Node {
 public:
  virtual ~Node() = default;
  virtual Value Eval(Frame& frame) const = 0;
  // Non-null when the node always yields the same value.
  virtual const Value* constant() const { return nullptr; }
};

class Plan {
 public:
  Plan(std::unique_ptr<Node> root, int num_locals)
      : root_(std::move(root)), num_locals_(num_locals) {}
  const Node& root() const { return *root_; }
  int num_locals() const { return num_locals_; }

 private:
  std::unique_ptr<Node> root_;
  int num_locals_;
};

struct PlanOptions {
  std::string container;
  bool fold_constants = true;
};

// `constants` receives folded values and must outlive the plan.
absl::StatusOr<std::unique_ptr<Plan>> BuildPlan(const ParsedExpr& parsed,
                                                const Env& env,
                                                const PlanOptions& options,
                                                Arena& constants);

}  // namespace retro::cel

#endif  // RETRO_CEL_PLANNER_H_
