#include "cel/checker.h"
namespace retro::cel {
CheckResult Check(const ParsedExpr& parsed, const std::vector<VariableDecl>& variables,
                  const FunctionRegistry& functions, const CheckOptions& options) {
  return {};
}
}  // namespace retro::cel
