// Checker: infers the type of every node of a parsed expression against an
// environment's declarations and function signatures, resolves identifiers
// (with the container's namespaces), and reports type errors as diagnostics
// ("undeclared reference to 'dta' (did you mean 'data'?)", "found no matching
// overload for '_+_' applied to '(int, string)'"). Thread-safe: a pure
// function of its inputs.
#ifndef RETRO_CEL_CHECKER_H_
#define RETRO_CEL_CHECKER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "cel/ast.h"
#include "cel/function.h"
#include "cel/source.h"
#include "cel/type.h"

namespace retro::cel {

struct VariableDecl {
  std::string name;  // may be qualified: "a.b.c"
  Type type;
};

struct CheckResult {
  // Type of every node id; the whole expression's type is types[expr->id].
  absl::flat_hash_map<int64_t, Type> types;
  // Identifiers (and select chains) that resolved to a declared variable:
  // node id -> fully qualified variable name.
  absl::flat_hash_map<int64_t, std::string> references;
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return diagnostics.empty(); }
};

struct CheckOptions {
  std::string container;  // namespace for name resolution, e.g. "a.b"
};

CheckResult Check(const ParsedExpr& parsed,
                  const std::vector<VariableDecl>& variables,
                  const FunctionRegistry& functions,
                  const CheckOptions& options = {});

}  // namespace retro::cel

#endif  // RETRO_CEL_CHECKER_H_
