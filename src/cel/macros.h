// Macro expansion: rewrites calls such as `has(a.b)`, `l.all(x, p)` or
// `cel.bind(v, init, e)` into the AST shapes cel-go produces (presence tests,
// comprehensions, `cel.@block` calls). Used by the parser only.
// Thread-compatible: an ExprFactory belongs to one parse.
#ifndef RETRO_CEL_MACROS_H_
#define RETRO_CEL_MACROS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cel/ast.h"

namespace retro::cel {

// The map-building function the two-variable transformMap and
// transformMapEntry macros call: `cel.@mapInsert(map, key, value)` returns
// `map` plus the entry, `cel.@mapInsert(map, other_map)` returns the union
// (an error on a duplicate key in either form).
inline constexpr char kMapInsertFunction[] = "cel.@mapInsert";
// The function `cel.block([e0, e1, ...], result)` expands to.
inline constexpr char kBlockFunction[] = "cel.@block";
// The iteration variable of comprehensions that only bind a variable
// (cel.bind, optMap, optFlatMap): never referenced.
inline constexpr char kUnusedIterVar[] = "#unused";

// Creates nodes with fresh, increasing ids and records each node's source
// offset in the SourceInfo.
class ExprFactory {
 public:
  explicit ExprFactory(SourceInfo* info) : info_(info) {}

  // Allocates an id positioned at `offset`.
  int64_t NextId(int32_t offset);
  int64_t max_id() const { return next_id_ - 1; }
  int32_t OffsetOf(int64_t id) const;

  ExprPtr NewExpr(ExprKind kind, int32_t offset);
  ExprPtr NewNull(int32_t offset);
  ExprPtr NewBool(bool value, int32_t offset);
  ExprPtr NewInt(int64_t value, int32_t offset);
  ExprPtr NewString(std::string value, int32_t offset);
  ExprPtr NewIdent(std::string name, int32_t offset);
  ExprPtr NewSelect(ExprPtr operand, std::string field, int32_t offset);
  ExprPtr NewPresenceTest(ExprPtr operand, std::string field, int32_t offset);
  ExprPtr NewCall(std::string function, std::vector<ExprPtr> args,
                  int32_t offset);
  ExprPtr NewMemberCall(std::string function, ExprPtr target,
                        std::vector<ExprPtr> args, int32_t offset);
  ExprPtr NewList(std::vector<ExprPtr> elements, int32_t offset);
  ExprPtr NewMap(int32_t offset);  // empty map literal
  struct ComprehensionParts {
    ExprPtr iter_range;
    std::string iter_var;
    std::string iter_var2;
    std::string accu_var;
    ExprPtr accu_init;
    ExprPtr loop_condition;
    ExprPtr loop_step;
    ExprPtr result;
  };
  ExprPtr NewComprehension(ComprehensionParts parts, int32_t offset);
  // A deep copy of `e` with fresh ids (positions copied from the original).
  ExprPtr Copy(const Expr& e);

 private:
  SourceInfo* info_;
  int64_t next_id_ = 1;
};

// Builds a vector of owned expressions (initializer lists cannot move).
template <typename... Args>
std::vector<ExprPtr> Exprs(Args&&... args) {
  std::vector<ExprPtr> v;
  v.reserve(sizeof...(args));
  (v.push_back(std::forward<Args>(args)), ...);
  return v;
}

struct MacroOutcome {
  enum class Kind {
    kNotMacro,  // no macro applies: `target` and `args` are untouched
    kExpanded,  // `expr` holds the expansion
    kError,     // a macro matched but its arguments are malformed
  };
  Kind kind = Kind::kNotMacro;
  ExprPtr expr;
  int32_t error_offset = -1;
  std::string error;
};

// Expands `[target.]function(args)` (target null for a global call) when it
// names a macro; `offset` is the call's position, given to every node the
// expansion creates. Consumes `target` and `args` only when kExpanded.
MacroOutcome ExpandMacro(ExprFactory& factory, std::string_view function,
                         ExprPtr& target, std::vector<ExprPtr>& args,
                         int32_t offset);

}  // namespace retro::cel

#endif  // RETRO_CEL_MACROS_H_
