// Type unification for the checker (internal; not part of the engine's API).
//
// Follows cel-go's checker/types.go: a substitution maps type parameters
// (overload parameters instantiated with fresh names, and the free element
// types of empty literals) to types; IsAssignable(t1, t2) asks whether a value
// of type t1 may be passed where t2 is expected, binding parameters on the
// way, and leaves the substitution untouched when the answer is no.
// Not thread-safe; one per Check call.
#ifndef RETRO_CEL_CHECKER_UNIFY_H_
#define RETRO_CEL_CHECKER_UNIFY_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "cel/type.h"

namespace retro::cel::checker_internal {

// Type parameter name -> bound type, with an undo log so that a failed
// unification attempt can be rolled back cheaply.
class Substitution {
 public:
  // The binding of a type parameter, if any (a copy: later bindings may
  // rehash the table).
  std::optional<Type> Find(const Type& param) const;
  void Bind(const Type& param, Type type);

  size_t Mark() const { return undo_.size(); }
  // Undoes every Bind made since `mark`.
  void Rollback(size_t mark);

 private:
  absl::flat_hash_map<std::string, Type> bindings_;
  std::vector<std::pair<std::string, std::optional<Type>>> undo_;
};

// True when a value of type t1 may be used where t2 is expected; binds type
// parameters in `subs` on success and leaves it unchanged on failure.
bool IsAssignable(Substitution& subs, const Type& t1, const Type& t2);
// Element-wise IsAssignable; all or nothing.
bool IsAssignableList(Substitution& subs, const std::vector<Type>& l1,
                      const std::vector<Type>& l2);

// The more general of two types known to unify (dyn and parameters are the
// most general; null is the least, so a nullable type absorbs it).
Type MostGeneral(const Type& t1, const Type& t2);

// Replaces bound parameters by their bindings, recursively; unbound ones by
// dyn when `params_to_dyn`.
Type Substitute(const Substitution& subs, const Type& t, bool params_to_dyn);

bool IsDynOrError(const Type& t);

// The i-th parameter of a list, map, optional or type type; dyn when absent
// (a `Type(TypeKind::kList)` built without its element type).
const Type& ParamAt(const Type& t, size_t i);

}  // namespace retro::cel::checker_internal

#endif  // RETRO_CEL_CHECKER_UNIFY_H_
